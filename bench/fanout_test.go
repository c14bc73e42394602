package bench

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmbench/llmbench/core/domain"
	"github.com/llmbench/llmbench/core/fanout"
	"github.com/llmbench/llmbench/mockprovider"
)

func constantProvider(b *testing.B, name string, ttft time.Duration, reply string) *mockprovider.Provider {
	p, err := mockprovider.New(mockprovider.Config{
		Name:         name,
		TTFT:         mockprovider.DistSpec{Dist: "constant", Value: &mockprovider.Quantity{V: float64(ttft), IsDuration: true}},
		ITL:          mockprovider.DistSpec{Dist: "constant", Value: &mockprovider.Quantity{IsDuration: true}},
		OutputTokens: mockprovider.DistSpec{Dist: "constant", Value: &mockprovider.Quantity{V: 1}},
		Reply:        reply,
	})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// completing counts the provider calls that run to the end, as opposed to
// those cancelled because their answer was no longer needed.
type completing struct {
	domain.Provider
	done *atomic.Int64
}

func (c completing) GenerateMessage(ctx context.Context, msgs []domain.Message, opts ...domain.Option) (domain.Response, error) {
	r, err := c.Provider.GenerateMessage(ctx, msgs, opts...)
	if err == nil {
		c.done.Add(1)
	}
	return r, err
}

func (c completing) Generate(ctx context.Context, prompt string, opts ...domain.Option) (string, error) {
	s, err := c.Provider.Generate(ctx, prompt, opts...)
	if err == nil {
		c.done.Add(1)
	}
	return s, err
}

// BenchmarkFanout: one request to three in-process mock providers that
// answer after 10, 50 and 200 ms (the last one differs from the others).
// The mock's delays are timers, which fire 0.1 to 0.3 ms late here: at 10 ms
// and more that is under 5 % (at 1 ms it was 10 to 30 %). ns/op is the
// time to the answer; calls-completed/op counts the provider calls that ran
// to the end (paid for, in a real deployment): the seed's "fastest" waits
// for all three and cancels none, so it answers in 200 ms and pays for 3
// calls; the corrected one answers with the first and cancels the other
// two.
func BenchmarkFanout(b *testing.B) {
	strategies := []struct {
		name string
		cfg  fanout.Config
	}{
		{"fastest", fanout.Config{Strategy: fanout.Fastest}},
		{"primary", fanout.Config{Strategy: fanout.Primary}},
		{"majority", fanout.Config{Strategy: fanout.Consensus, Method: fanout.Majority}},
		{"similarity", fanout.Config{Strategy: fanout.Consensus, Method: fanout.Similarity}},
		{"weighted", fanout.Config{Strategy: fanout.Consensus, Method: fanout.Weighted, Weights: []float64{1, 1, 3}}},
	}
	for _, impl := range fanout.Registry.Names() {
		for _, s := range strategies {
			b.Run(fmt.Sprintf("impl=%s/strategy=%s", impl, s.name), func(b *testing.B) {
				ps := []*mockprovider.Provider{
					constantProvider(b, "fast", 10*time.Millisecond, "the answer is 42"),
					constantProvider(b, "mid", 50*time.Millisecond, "the answer is 42"),
					constantProvider(b, "slow", 200*time.Millisecond, "no idea"),
				}
				var completed atomic.Int64
				m, err := fanout.New(impl, []domain.Provider{completing{ps[0], &completed}, completing{ps[1], &completed},
					completing{ps[2], &completed}}, s.cfg)
				if err != nil {
					b.Fatal(err)
				}
				// One request before the timer: the first allocates what the
				// mocks and the fan-out set up lazily, which a one-request
				// run would otherwise count. It is not waited for: every
				// timed request but the first starts while the calls the
				// previous one cancelled are ending, and so does the first.
				if _, err := m.Generate(context.Background(), "question"); err != nil {
					b.Fatal(err)
				}
				completed.Store(0)
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N { // not b.Loop: providers answer from their own goroutines (see doc.go)
					if _, err := m.Generate(context.Background(), "question"); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				waitIdle(ps) // cancelled calls end before they are counted
				b.ReportMetric(float64(completed.Load())/float64(b.N), "calls-completed/op")
			})
		}
	}
}

// waitIdle waits for cancelled provider calls to return, so that no
// benchmark leaves goroutines to the next.
func waitIdle(ps []*mockprovider.Provider) {
	for _, p := range ps {
		for p.Stats().InFlight > 0 {
			time.Sleep(time.Millisecond)
		}
	}
}
