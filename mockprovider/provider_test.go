package mockprovider

import (
	"context"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmbench/llmbench/core/domain"
	"github.com/llmbench/llmbench/core/stream"
)

// lateClock fires every timer a fixed overshoot after it is due, like a
// loaded machine does, inside a synctest bubble where time is exact.
type lateClock struct{ overshoot time.Duration }

func (c lateClock) Now() time.Time { return time.Now() }
func (c lateClock) NewTimer(d time.Duration) Timer {
	return &lateTimer{realTimer{time.NewTimer(d + c.overshoot)}, c.overshoot}
}

type lateTimer struct {
	realTimer
	overshoot time.Duration
}

func (t *lateTimer) Reset(d time.Duration) bool { return t.realTimer.Reset(d + t.overshoot) }

func TestScheduleIsExact(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustNew(t, constantConfig(50*time.Millisecond, 10*time.Millisecond, 20))
		start := time.Now()
		c, err := p.Start(context.Background(), 0)
		require.NoError(t, err)
		defer c.Close()
		for k := 0; ; k++ {
			tok, err := c.Next(context.Background())
			if err == io.EOF {
				assert.Equal(t, 20, k)
				break
			}
			require.NoError(t, err)
			want := 50*time.Millisecond + time.Duration(k)*10*time.Millisecond
			assert.Equal(t, want, time.Since(start), "token %d", k)
			assert.Equal(t, k == 19, tok.Finished)
		}
	})
}

func TestOvershootDoesNotAccumulate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const overshoot = time.Millisecond
		p := mustNew(t, constantConfig(50*time.Millisecond, 5*time.Millisecond, 200), WithClock(lateClock{overshoot}))
		start := time.Now()
		c, err := p.Start(context.Background(), 0)
		require.NoError(t, err)
		defer c.Close()
		var last time.Duration
		for {
			_, err := c.Next(context.Background())
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
			last = time.Since(start)
		}
		planned := 50*time.Millisecond + 199*5*time.Millisecond
		assert.Equal(t, overshoot, last-planned, "one overshoot late after 200 tokens, not 200")
	})
}

func TestNonStreamingTakesTheWholeSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustNew(t, constantConfig(50*time.Millisecond, 10*time.Millisecond, 20))
		start := time.Now()
		text, err := p.Generate(context.Background(), "hi")
		require.NoError(t, err)
		assert.Equal(t, 50*time.Millisecond+19*10*time.Millisecond, time.Since(start))
		assert.Len(t, strings.Fields(text), 20)
	})
}

func TestPromptTokensAndLoadFactorStretchTTFT(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := constantConfig(50*time.Millisecond, 0, 1)
		cfg.TTFTPerPromptToken = time.Millisecond
		cfg.Capacity, cfg.LoadFactor = 2, 1
		p := mustNew(t, cfg)
		start := time.Now()
		_, err := p.Generate(context.Background(), strings.Repeat("abcd", 10)) // 10 prompt tokens
		require.NoError(t, err)
		// Alone on 2 slots: u = 1/2, multiplier 1 + 1×0.25.
		assert.Equal(t, time.Duration(float64(60*time.Millisecond)*1.25), time.Since(start))
	})
}

func TestSameSeedSameRequestsWhateverTheInterleaving(t *testing.T) {
	cfg := Default()
	cfg.Faults = Faults{ServerError: 0.1, StreamCut: 0.1}
	plan := func(p *Provider, n uint64) [4]any {
		var tr Trace
		ctx := WithTrace(WithRequestIndex(context.Background(), n), &tr)
		var text string
		var err error
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			text, err = p.Generate(ctx, "q")
			text += "@" + time.Since(start).String()
		})
		return [4]any{text, errString(err), tr.Fault, tr.Tokens}
	}
	a, b := mustNew(t, cfg), mustNew(t, cfg)
	const n = 60
	want := make([][4]any, n)
	for i := range n {
		want[i] = plan(a, uint64(i))
	}
	got := make([][4]any, n)
	var wg sync.WaitGroup
	for i := n - 1; i >= 0; i-- { // reverse order, concurrently
		wg.Go(func() { got[i] = plan(b, uint64(i)) })
	}
	wg.Wait()
	assert.Equal(t, want, got)
	other := cfg
	other.Seed++
	assert.NotEqual(t, want[0], plan(mustNew(t, other), 0), "another seed, another plan")

	// Without explicit indexes, the n-th arrival gets plan n.
	c := mustNew(t, cfg)
	for i := range 5 {
		var tr Trace
		synctest.Test(t, func(t *testing.T) { _, _ = c.Generate(WithTrace(context.Background(), &tr), "q") })
		assert.Equal(t, uint64(i), tr.Index)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestFaultRatesWithinBinomialBounds(t *testing.T) {
	cfg := constantConfig(0, 0, 1)
	cfg.Faults = Faults{RateLimit: 0.05, ServerError: 0.03, Timeout: 0.02, StreamCut: 0.10, Malformed: 0.01}
	p := mustNew(t, cfg)
	const n = 20000
	counts := map[Fault]int{}
	for i := range n {
		c, err := p.Start(WithRequestIndex(context.Background(), uint64(i)), 0)
		var rl *RateLimitError
		if errors.As(err, &rl) {
			counts[FaultRateLimit]++
			assert.Equal(t, DefaultRetryAfter, rl.RetryAfter)
			continue
		}
		require.NoError(t, err)
		counts[c.Fault]++
		c.Close()
	}
	for f, rate := range map[Fault]float64{FaultRateLimit: 0.05, FaultServerError: 0.03, FaultTimeout: 0.02, FaultStreamCut: 0.10, FaultMalformed: 0.01} {
		mean, sd := n*rate, math.Sqrt(n*rate*(1-rate))
		assert.InDelta(t, mean, counts[f], 4*sd, "%s: %d of %d", f, counts[f], n)
	}
	st := p.Stats()
	assert.Equal(t, uint64(n), st.Requests)
	assert.Equal(t, uint64(counts[FaultRateLimit]), st.RateLimited)
	assert.Equal(t, uint64(counts[FaultStreamCut]), st.StreamCuts)
	assert.Zero(t, st.InFlight)
}

// withFault returns a provider whose every request gets fault f.
func withFault(t *testing.T, f Fault) *Provider {
	cfg := constantConfig(10*time.Millisecond, time.Millisecond, 10)
	switch f {
	case FaultRateLimit:
		cfg.Faults.RateLimit, cfg.Faults.RetryAfter = 1, 3*time.Second
	case FaultServerError:
		cfg.Faults.ServerError = 1
	case FaultTimeout:
		cfg.Faults.Timeout = 1
	case FaultStreamCut:
		cfg.Faults.StreamCut = 1
	}
	return mustNew(t, cfg)
}

func TestTypedErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		_, err := withFault(t, FaultRateLimit).Generate(ctx, "q")
		var rl *RateLimitError
		require.ErrorAs(t, err, &rl)
		assert.Equal(t, 3*time.Second, rl.RetryAfter)

		start := time.Now()
		_, err = withFault(t, FaultServerError).Generate(ctx, "q")
		var se *ServerError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, 500, se.Status)
		assert.Equal(t, 10*time.Millisecond, time.Since(start), "fails when the first token is due")

		_, err = withFault(t, FaultStreamCut).Generate(ctx, "q")
		assert.ErrorIs(t, err, ErrStreamCut)
	})
}

func TestHangReleasedByContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := withFault(t, FaultTimeout)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		_, err := p.Generate(ctx, "q")
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, time.Second, time.Since(start))
		assert.Zero(t, p.Stats().InFlight, "the slot is released")
	})
}

func TestCapacityQueuesFIFOAndBoundsTheQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := constantConfig(100*time.Millisecond, 0, 1)
		cfg.Capacity = 1
		one := 1
		cfg.MaxQueue = &one
		p := mustNew(t, cfg)
		var order []uint64
		var mu sync.Mutex
		traces := make([]Trace, 3)
		errs := make([]error, 3)
		var wg sync.WaitGroup
		for i := range 3 {
			wg.Go(func() {
				ctx := WithTrace(WithRequestIndex(context.Background(), uint64(i)), &traces[i])
				_, errs[i] = p.Generate(ctx, "q")
				mu.Lock()
				order = append(order, uint64(i))
				mu.Unlock()
			})
			synctest.Wait() // arrivals in index order
		}
		wg.Wait()
		assert.NoError(t, errs[0])
		assert.NoError(t, errs[1])
		var rl *RateLimitError
		require.ErrorAs(t, errs[2], &rl)
		assert.True(t, rl.QueueFull)
		assert.Equal(t, []uint64{2, 0, 1}, order, "refused at once, then first come first served")
		assert.Equal(t, 100*time.Millisecond, traces[1].QueueWait)
		st := p.Stats()
		assert.Equal(t, uint64(1), st.QueueRejected)
		assert.Equal(t, 1, st.PeakQueued)
	})
}

func TestQueuedRequestCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := constantConfig(time.Second, 0, 1)
		cfg.Capacity = 1
		p := mustNew(t, cfg)
		go p.Generate(context.Background(), "q")
		synctest.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := p.Generate(ctx, "q")
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Zero(t, p.Stats().Queued)
		time.Sleep(time.Second)
		assert.Zero(t, p.Stats().InFlight)
	})
}

func TestStreams(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustNew(t, constantConfig(20*time.Millisecond, 5*time.Millisecond, 30))
		text, err := p.Generate(WithRequestIndex(context.Background(), 3), "q")
		require.NoError(t, err)
		ch, err := p.Stream(WithRequestIndex(context.Background(), 3), "q")
		require.NoError(t, err)
		var b strings.Builder
		var last domain.Token
		for tok := range ch {
			b.WriteString(tok.Text)
			last = tok
		}
		assert.Equal(t, text, b.String(), "streamed and generated answers agree")
		assert.True(t, last.Finished)

		ch, err = p.StreamMessage(context.Background(), []domain.Message{domain.NewTextMessage(domain.RoleUser, "q")})
		require.NoError(t, err)
		n := 0
		for range ch {
			n++
		}
		assert.Equal(t, 30, n)
	})
}

func TestCutStreamThroughEveryPool(t *testing.T) {
	for _, pool := range stream.Pools.Names() {
		t.Run("pool="+pool, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := withFault(t, FaultStreamCut)
				pl, _ := stream.NewPool(pool)
				snd, _ := stream.NewSender("timer", time.Second)
				s, err := p.OpenStream(context.Background(), nil, pl, snd)
				require.NoError(t, err)
				_, tokens, err := stream.Consume(s)
				assert.ErrorIs(t, err, ErrStreamCut)
				assert.Less(t, tokens, 10)
			})
		})
	}
}

func TestCancelMidStreamLeavesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustNew(t, constantConfig(10*time.Millisecond, 10*time.Millisecond, 1000))
		ctx, cancel := context.WithCancel(context.Background())
		ch, err := p.Stream(ctx, "q")
		require.NoError(t, err)
		<-ch
		<-ch
		cancel()
		for range ch { // closed promptly
		}
		synctest.Wait()
		assert.Zero(t, p.Stats().InFlight)
	}) // synctest fails if any goroutine of the bubble is left
}

func TestGenerateWithSchema(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustNew(t, constantConfig(0, 0, 3))
		v, err := p.GenerateWithSchema(context.Background(), "q", &domain.Schema{Type: "object", Properties: map[string]domain.Property{
			"mood": {Type: "string", Enum: []string{"happy", "sad"}},
			"n":    {Type: "integer"},
			"ok":   {Type: "boolean"},
			"tags": {Type: "array", Items: &domain.Property{Type: "string"}},
		}})
		require.NoError(t, err)
		obj := v.(map[string]any)
		assert.Equal(t, "happy", obj["mood"])
		assert.Equal(t, 1.0, obj["n"])
		assert.Equal(t, true, obj["ok"])
		assert.Len(t, obj["tags"], 1)
	})
}

func TestReplyWords(t *testing.T) {
	cfg := constantConfig(0, 0, 99)
	cfg.Reply = "Paris is the capital"
	text, err := mustNew(t, cfg).Generate(context.Background(), "q")
	require.NoError(t, err)
	assert.Equal(t, "Paris is the capital", text)
}

func TestConfigCheckAndLoad(t *testing.T) {
	neg := -1
	cases := []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.Capacity = -1 }, "capacity: must be between 0 and 1000000 (got -1)"},
		{func(c *Config) { c.MaxQueue = &neg }, "max_queue: must be between 0 and 1000000 (got -1)"},
		{func(c *Config) { c.LoadFactor = -1 }, "load_factor: must be a finite number >= 0 (got -1)"},
		{func(c *Config) { c.Faults.Timeout = 2 }, "faults.timeout: is a probability"},
		{func(c *Config) { c.Faults.RateLimit, c.Faults.ServerError = 0.6, 0.6 }, "rates add up to 1.2"},
		{func(c *Config) { c.TTFT = DistSpec{Dist: "nope", Line: 4} }, `line 4: p.ttft: unknown dist "nope"`},
	}
	for _, c := range cases {
		cfg := Default()
		c.mod(&cfg)
		assert.ErrorContains(t, cfg.Check("p", "."), c.want)
	}
	assert.NoError(t, Default().Check("", "."))

	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	require.NoError(t, os.WriteFile(good, []byte("name: fast\ncapacity: 8\nttft: {dist: lognormal, median: 20ms, p99: 90ms}\nfaults: {rate_limit: 0.01, retry_after: 2s}\n"), 0o644))
	m, err := LoadModel(good)
	require.NoError(t, err)
	assert.Equal(t, "fast", m.Config().Name)
	assert.Equal(t, 2*time.Second, m.Config().Faults.RetryAfter)
	for doc, want := range map[string]string{
		"name: x\ncapacty: 8\n":                      `bad.yaml:2: unknown field "capacty"; did you mean "capacity"?`,
		"name: x\nttft: {dist: normal, mean: 5ms}\n": "bad.yaml:2: ttft: normal needs stddev",
		"name: x\nttft: {dist: normal, maen: 5ms}\n": `bad.yaml:2: ttft: unknown field "maen" in a distribution; did you mean "mean"?`,
		"capacity: -1\n":                             "bad.yaml:1: capacity: must be between 0 and 1000000 (got -1)",
		"faults: {rate_limit: .nan}\n":               "bad.yaml:1: faults.rate_limit: must be a finite number (got .nan)",
		"load_factor: .inf\n":                        "bad.yaml:1: load_factor: must be a finite number (got .inf)",
		"ttft: {dist: empirical, file: nope.txt}\n":  "bad.yaml:1: ttft: open " + filepath.Join(dir, "nope.txt"),
		"name: [\n": "bad.yaml: line 1: the list opened on this line is not closed",
		"":          "bad.yaml: the file is empty",
	} {
		bad := filepath.Join(dir, "bad.yaml")
		require.NoError(t, os.WriteFile(bad, []byte(doc), 0o644))
		_, err = LoadModel(bad)
		assert.ErrorContains(t, err, want, doc)
	}
}

func TestPauseFreezesTheProvider(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := constantConfig(10*time.Millisecond, 10*time.Millisecond, 5)
		cfg.Pauses = []Pause{{At: 100 * time.Millisecond, For: time.Second}}
		p := mustNew(t, cfg)
		start := time.Now()
		_, err := p.Generate(context.Background(), "q") // 50 ms, before the pause
		require.NoError(t, err)
		assert.Equal(t, 50*time.Millisecond, time.Since(start))
		time.Sleep(60 * time.Millisecond) // now at 110 ms: paused until 1.1 s
		_, err = p.Generate(context.Background(), "q")
		require.NoError(t, err)
		assert.Equal(t, 1100*time.Millisecond+50*time.Millisecond, time.Since(start), "admitted when the pause ends")

		cfg.Pauses = []Pause{{At: -time.Second, For: 0}}
		assert.ErrorContains(t, cfg.Check("", "."), "pauses[0]: needs at >= 0 and for > 0")
	})
}
