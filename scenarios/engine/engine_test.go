package engine

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/llmbench/llmbench/scenarios/plan"
	"github.com/llmbench/llmbench/scenarios/results"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func mustPlan(t *testing.T, doc string) *plan.Plan {
	t.Helper()
	p, err := plan.Resolve([]byte(doc), "t.yaml", ".", plan.Overrides{})
	require.NoError(t, err)
	return p
}

func mustRun(t *testing.T, p *plan.Plan) *results.Results {
	t.Helper()
	res, err := Run(context.Background(), p, Options{SkipFloor: true})
	require.NoError(t, err)
	return res
}

// accountingHolds: every scheduled request is in exactly one bucket.
func accountingHolds(t *testing.T, res *results.Results) {
	t.Helper()
	for _, v := range res.Variants {
		for _, r := range v.Reps {
			assert.Equal(t, r.Scheduled, r.Outcomes.Total(), "%s rep %d: outcomes %+v", v.Name, r.Rep, r.Outcomes)
			assert.Equal(t, r.Scheduled-r.Outcomes.Dropped, r.Sent, "%s rep %d: sent is scheduled less dropped", v.Name, r.Rep)
		}
	}
}

func metric(t *testing.T, s *results.Summary, name string) float64 {
	t.Helper()
	v, ok := s.Metric(name)
	require.True(t, ok, "%s has a value", name)
	return v
}

func TestExactLatenciesOnAVirtualClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustPlan(t, `
providers:
  llm: {ttft: 50ms, itl: 10ms, output_tokens: 10, capacity: 0}
workload: {arrival: constant, rate: 100, duration: 1s, warmup: 200ms}
pipeline: {stream: {impl: safe}}
`)
		res := mustRun(t, p)
		accountingHolds(t, res)
		r := res.Variants[0].Reps[0]
		assert.Equal(t, int64(100), r.Scheduled, "warm-up requests are not measured")
		assert.Equal(t, int64(100), r.Outcomes.OK)
		assert.Equal(t, int64(1000), r.Tokens)
		sum := res.Variants[0].Summary()
		for name, want := range map[string]time.Duration{
			"ttft.min": 50 * time.Millisecond, "ttft.max": 50 * time.Millisecond,
			"itl.min": 10 * time.Millisecond, "itl.max": 10 * time.Millisecond,
			"e2e.p50": 140 * time.Millisecond, "e2e.max": 140 * time.Millisecond,
			"tpot.p50": 10 * time.Millisecond, "generator_lag.max": 0,
		} {
			assert.InDelta(t, want.Seconds(), metric(t, sum, name), want.Seconds()*0.001+1e-12, name)
		}
		// 100 requests from 200 ms to 1.19 s, the last done at 1.33 s: the
		// tail is counted in throughput, not in the sent rate.
		assert.InDelta(t, 100, metric(t, sum, "offered_rate"), 1e-9)
		assert.InDelta(t, 100, metric(t, sum, "sent_rate"), 1e-9)
		assert.InDelta(t, 100/1.13, metric(t, sum, "throughput"), 0.01)
		assert.InDelta(t, 100/1.13, metric(t, sum, "goodput"), 0.01, "no SLO: goodput counts successes")
		assert.False(t, r.Saturated)
		assert.NotEmpty(t, r.Windows)
		assert.True(t, r.Windows[0].Warmup)
	})
}

// TestKnownAnswerSaturatedThroughput: capacity 4 with a 20 ms service time
// carries 4/0.02 = 200 requests/s, whatever is offered.
func TestKnownAnswerSaturatedThroughput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustPlan(t, `
providers:
  llm: {ttft: 20ms, itl: 0s, output_tokens: 1, capacity: 4}
workload: {arrival: constant, rate: 1000, duration: 2s, timeout: 60s}
`)
		res := mustRun(t, p)
		accountingHolds(t, res)
		sum := res.Variants[0].Summary()
		assert.InDelta(t, 1000, metric(t, sum, "offered_rate"), 1e-9)
		assert.InDelta(t, 1000, metric(t, sum, "sent_rate"), 10)
		assert.InDelta(t, 200, metric(t, sum, "throughput"), 200*0.05)
		r := res.Variants[0].Reps[0]
		assert.True(t, r.Saturated)
		assert.Contains(t, r.Bottleneck, "in-flight requests grew")
		assert.Contains(t, r.Bottleneck, "served about 200/s")
	})
}

// TestKnownAnswerUnsaturated: a run the system keeps up with reports
// throughput equal to offered (the 20 ms tail is 1 % of the 2 s window).
func TestKnownAnswerUnsaturated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustPlan(t, `
providers:
  llm: {ttft: 20ms, itl: 0s, output_tokens: 1, capacity: 4}
workload: {arrival: constant, rate: 100, duration: 2s}
`)
		res := mustRun(t, p)
		sum := res.Variants[0].Summary()
		offered := metric(t, sum, "offered_rate")
		assert.InDelta(t, offered, metric(t, sum, "throughput"), offered*0.02)
		assert.InDelta(t, offered, metric(t, sum, "sent_rate"), offered*0.001)
		assert.False(t, res.Variants[0].Reps[0].Saturated)
	})
}

// TestGoodputCountsTheSLO: half the requests answer in 10 ms, half in
// 300 ms; an e2e SLO of 100 ms makes goodput half of throughput.
func TestGoodputCountsTheSLO(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustPlan(t, `
providers:
  llm: {ttft: {dist: empirical, samples: [10ms, 300ms]}, itl: 0s, output_tokens: 1, seed: 3}
workload: {arrival: constant, rate: 100, duration: 10s}
slo: {e2e: 100ms}
thresholds: ["goodput > 40", "goodput < 60"]
`)
		res := mustRun(t, p)
		sum := res.Variants[0].Summary()
		ratio := float64(sum.Good) / float64(sum.Outcomes.OK)
		assert.InDelta(t, 0.5, ratio, 0.05, "good %d of %d ok", sum.Good, sum.Outcomes.OK)
		assert.False(t, res.Failed(), "%+v", res.Variants[0].Thresholds)
		assert.InDelta(t, ratio*metric(t, sum, "throughput"), metric(t, sum, "goodput"), 1e-9)
	})
}

func TestOutcomesAddUpUnderFaultsDropsAndTimeouts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustPlan(t, `
providers:
  llm:
    ttft: {dist: uniform, min: 10ms, max: 100ms}
    itl: 5ms
    output_tokens: 20
    faults: {rate_limit: 0.1, server_error: 0.1, timeout: 0.1, stream_cut: 0.1}
workload: {arrival: poisson, rate: 400, duration: 2s, timeout: 150ms, max_in_flight: 20}
pipeline: {stream: {}}
`)
		res := mustRun(t, p)
		accountingHolds(t, res)
		r := res.Variants[0].Reps[0]
		o := r.Outcomes
		for name, n := range map[string]int64{"ok": o.OK, "dropped": o.Dropped, "timeout": o.Timeout,
			"rate_limited": o.Errors[results.ErrRateLimited], "server_error": o.Errors[results.ErrServer], "stream_cut": o.Errors[results.ErrStreamCut]} {
			assert.Positive(t, n, "%s in %+v", name, o)
		}
		sum := res.Variants[0].Summary()
		// Failures keep their latency, in their own histogram and in e2e_all.
		assert.Equal(t, o.ErrorCount()+o.Timeout, sum.Hist("e2e_failed").TotalCount())
		assert.Equal(t, o.Completed(), sum.Hist("e2e_all").TotalCount())
		// Drops are failures to serve the schedule: they count in error_rate.
		assert.InDelta(t, float64(o.NotOK())/float64(r.Scheduled), metric(t, sum, "error_rate"), 1e-12)
		assert.True(t, r.Saturated, "max_in_flight dropped requests")
		assert.Contains(t, r.Bottleneck, "max_in_flight reached")
	})
}

// TestFailingVariantDoesNotLookFaster: a variant whose slow requests fail
// shows those failures in e2e_all, and loses the paired verdict.
func TestFailuresKeepTheirLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustPlan(t, `
providers:
  llm: {ttft: 50ms, itl: 0s, output_tokens: 1}
workload: {arrival: constant, rate: 100, duration: 1s, timeout: 20ms}
`)
		res := mustRun(t, p)
		sum := res.Variants[0].Summary()
		assert.Zero(t, sum.Outcomes.OK)
		_, ok := sum.Metric("e2e.p50")
		assert.False(t, ok, "no success: no success latency, absent rather than 0")
		assert.InDelta(t, 0.020, metric(t, sum, "e2e_all.p50"), 0.001, "timeouts keep their real latency")
	})
}

func TestVariantsSeeTheSameRequestsInterleaved(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustPlan(t, `
providers:
  llm: {ttft: {dist: exponential, mean: 20ms}, itl: 2ms, output_tokens: {dist: uniform, min: 1, max: 30}, faults: {server_error: 0.2}}
workload: {arrival: poisson, rate: 100, duration: 1s}
pipeline: {cache: {keys: 50, skew: 1.1}, stream: {}}
variants: {cache: [seed, sharded], stream: [seed, safe]}
repeat: 2
`)
		res := mustRun(t, p)
		accountingHolds(t, res)
		require.Len(t, res.Variants, 4)
		first := res.Variants[0].Reps[0]
		for _, v := range res.Variants {
			require.Len(t, v.Reps, 2)
			assert.Equal(t, first.Outcomes, v.Reps[0].Outcomes, "identical requests: identical outcomes (%s)", v.Name)
			assert.Equal(t, first.Tokens, v.Reps[0].Tokens)
			assert.Equal(t, first.Sample.E2E, v.Reps[0].Sample.E2E, "on a virtual clock, identical latencies request by request")
		}
		assert.NotEqual(t, first.Outcomes, res.Variants[0].Reps[1].Outcomes, "repetitions differ")
		for _, v := range res.Variants {
			for _, w := range res.Variants {
				assert.True(t, v.Reps[0].Started.Before(w.Reps[1].Started), "interleaved")
			}
		}
	})
}

func TestCoordinatedOmissionCorrection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// A wrk2-style paced closed loop: 10 users at 100 req/s, and a
		// provider that freezes for a second.
		p := mustPlan(t, `
providers:
  llm: {ttft: 5ms, itl: 0s, output_tokens: 1, pauses: [{at: 1s, for: 1s}]}
workload: {concurrency: 10, rate: 100, duration: 3s}
`)
		res := mustRun(t, p)
		accountingHolds(t, res)
		sum := res.Variants[0].Summary()
		corr, unc := metric(t, sum, "e2e.p90"), metric(t, sum, "e2e_uncorrected.p90")
		assert.Greater(t, corr, 0.3, "the requests the stall held back count their wait")
		assert.Less(t, unc, 0.01, "measured from the late send, the stall nearly vanishes")
	})
}

func TestRampAndBurstAndClosedLoops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for doc, want := range map[string]int64{
			"workload: {arrival: ramp, stages: [{duration: 1s, rate: 100}, {duration: 1s, rate: 100}]}": 150,
			"workload: {arrival: burst, burst: {size: 10, every: 250ms}, duration: 1s}":                 40,
			"workload: {concurrency: 4, requests: 37}":                                                  37,
			"workload: {concurrency: 2, think_time: 10ms, duration: 1s}":                                2 * 1000 / 20,
			"workload: {arrival: constant, rate: 50, requests: 20, warmup: 1s}":                         20,
		} {
			p := mustPlan(t, "providers: {llm: {ttft: 10ms, itl: 0s, output_tokens: 1}}\n"+doc+"\n")
			res := mustRun(t, p)
			accountingHolds(t, res)
			assert.Equal(t, want, res.Variants[0].Reps[0].Scheduled, doc)
		}
	})
}

// TestThinkTimeFileRelativeToTheScenario: the think time read from a file
// next to the scenario is the one that runs, from any working directory.
func TestThinkTimeFileRelativeToTheScenario(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "think.txt"), []byte("100ms\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "s.yaml"), []byte(`
providers: {llm: {ttft: 0s, itl: 0s, output_tokens: 1}}
workload: {concurrency: 1, duration: 1s, think_time: {dist: empirical, file: think.txt}}
`), 0o644))
	t.Chdir(t.TempDir()) // anywhere but the scenario's folder
	p, err := plan.Open(filepath.Join(dir, "s.yaml"), plan.Overrides{})
	require.NoError(t, err)
	synctest.Test(t, func(t *testing.T) {
		res := mustRun(t, p)
		assert.Equal(t, int64(10), res.Variants[0].Reps[0].Scheduled, "one user, 100 ms between requests, 1 s")
	})
}

// TestRerunReproducesTheSchedule: a run resolved again from its results
// schedules the same requests at the same intended times, overrides
// included.
func TestRerunReproducesTheSchedule(t *testing.T) {
	doc := []byte(`
seed: 42
providers: {llm: {ttft: {dist: lognormal, median: 20ms, p99: 80ms}, itl: 1ms, output_tokens: 3}}
workload: {arrival: poisson, rate: 200, duration: 2s}
pipeline: {cache: {keys: 20}}
variants: {cache: [seed, sharded]}
`)
	rate, seed, d := 50.0, uint64(7), 1500*time.Millisecond
	p1, err := plan.Resolve(doc, "s.yaml", ".", plan.Overrides{Rate: &rate, Seed: &seed, Duration: &d, Variants: []string{"cache=sharded"}})
	require.NoError(t, err)
	var first *results.Results
	synctest.Test(t, func(t *testing.T) { first = mustRun(t, p1) })
	dir := t.TempDir()
	require.NoError(t, first.WriteFiles(dir))
	back, err := results.Read(dir)
	require.NoError(t, err)
	assert.Contains(t, back.Source, "rate: 50")
	assert.Contains(t, back.Source, "seed: 7")
	assert.Contains(t, back.Source, "duration: 1.5s")
	p2, err := plan.FromResults(back, dir, plan.Overrides{})
	require.NoError(t, err)
	assert.Equal(t, p1.Source, p2.Source)
	assert.Equal(t, []string{"--rate 50", "--duration 1.5s", "--seed 7", "--variant cache=sharded"}, p2.Overrides)
	var second *results.Results
	synctest.Test(t, func(t *testing.T) { second = mustRun(t, p2) })
	require.Len(t, second.Variants, 1)
	a, b := first.Variants[0].Reps[0], second.Variants[0].Reps[0]
	assert.Equal(t, a.Scheduled, b.Scheduled)
	assert.InDelta(t, 75, float64(a.Scheduled), 30, "50/s for 1.5 s")
	assert.Equal(t, a.Sample.E2E, b.Sample.E2E, "the same requests at the same intended times (virtual clock)")
	assert.Equal(t, a.Histograms["generator_lag"], b.Histograms["generator_lag"])
	assert.Equal(t, a.Outcomes, b.Outcomes)
}

// TestGeneratorStopsOnTime: a rate beyond the machine cannot stretch a
// run: what is still unsent when the schedule ends is dropped, counted.
func TestGeneratorStopsOnTime(t *testing.T) {
	p := mustPlan(t, `
providers: {llm: {ttft: 0s, itl: 0s, output_tokens: 1, capacity: 0}}
workload: {arrival: constant, rate: 5000000, duration: 300ms, max_in_flight: 10000000}
`)
	start := time.Now()
	res := mustRun(t, p)
	took := time.Since(start)
	accountingHolds(t, res)
	r := res.Variants[0].Reps[0]
	assert.Equal(t, int64(1_500_000), r.Scheduled, "the whole schedule is accounted for")
	assert.Positive(t, r.Outcomes.Dropped, "this machine cannot send 5M/s")
	assert.True(t, r.Saturated)
	assert.Contains(t, r.Bottleneck, "generator lag")
	// Not a speed assertion: a bound on the run's length, which without
	// the stop grew with rate × duration (over 60 s at 1e9/s for 1 s).
	assert.Less(t, took, 30*time.Second)
}

func TestThresholdsAndNothingMeasured(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustPlan(t, `
providers: {llm: {ttft: 100ms, itl: 10ms, output_tokens: 5}}
workload: {arrival: constant, rate: 20, duration: 1s}
pipeline: {stream: {}}
variants: {stream: [seed, safe]}
thresholds:
  - ttft.p99 < 150ms
  - e2e.p50 > 1s
  - {metric: "goroutines_leaked == 0", variant: {stream: safe}}
`)
		res := mustRun(t, p)
		assert.True(t, res.Failed())
		require.Len(t, res.Variants[0].Thresholds, 2)
		require.Len(t, res.Variants[1].Thresholds, 3)
		assert.True(t, res.Variants[0].Thresholds[0].Passed)
		assert.False(t, res.Variants[0].Thresholds[1].Passed)
		assert.InDelta(t, 0.14, *res.Variants[1].Thresholds[1].Value, 0.001)

		// Nothing measured: a latency threshold fails, with its reason.
		res.Variants = []results.VariantResult{{Name: "stream=seed", Params: map[string]string{"stream": "seed"},
			Reps: []results.RepResult{{Rep: 1, Histograms: map[string]results.Hist{}}}}}
		res.Evaluate(p.Thresholds[:1])
		th := res.Variants[0].Thresholds[0]
		assert.False(t, th.Passed)
		assert.Nil(t, th.Value)
		assert.Equal(t, "no request was measured", th.Reason)
		assert.Equal(t, []string{"stream=seed"}, res.Unmeasured())
	})
}

func TestInterruptedRunIsPartialAndAddsUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustPlan(t, `
providers: {llm: {ttft: 200ms, itl: 50ms, output_tokens: 40}}
workload: {arrival: constant, rate: 50, duration: 10s, timeout: 30s}
pipeline: {stream: {}}
variants: {stream: [seed, safe]}
`)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(3*time.Second, cancel)
		res, err := Run(ctx, p, Options{Grace: 500 * time.Millisecond, SkipFloor: true})
		require.ErrorIs(t, err, context.Canceled)
		assert.True(t, res.Partial)
		accountingHolds(t, res)
		r := res.Variants[0].Reps[0]
		assert.True(t, r.Interrupted)
		assert.Positive(t, r.Outcomes.Cancelled, "streams longer than the grace are cancelled")
		assert.Positive(t, r.Outcomes.OK)
		assert.Empty(t, res.Variants[1].Reps, "the next variant never started")
		dir := t.TempDir()
		require.NoError(t, res.WriteFiles(dir))
		back, err := results.Read(dir)
		require.NoError(t, err)
		assert.True(t, back.Partial)
	})
}

func TestMockHTTPProvider(t *testing.T) {
	p := mustPlan(t, `
providers: {llm: {kind: mock-http, ttft: 1ms, itl: 1ms, output_tokens: 5}}
workload: {arrival: constant, rate: 100, duration: 300ms}
pipeline: {stream: {}}
`)
	res := mustRun(t, p)
	accountingHolds(t, res)
	r := res.Variants[0].Reps[0]
	assert.Equal(t, r.Scheduled, r.Outcomes.OK, "%+v", r.Outcomes)
	assert.Equal(t, 5*r.Scheduled, r.Tokens)
	assert.Zero(t, r.GoroutinesLeaked)
}

func TestMeasureFloor(t *testing.T) {
	f, err := MeasureFloor(context.Background())
	require.NoError(t, err)
	assert.Positive(t, f.EngineRequests)
	assert.Positive(t, f.EngineCPUPerReq)
	assert.GreaterOrEqual(t, f.TimerLateP99, f.TimerLateP50)
}

// A one-second window whose last send came 20 ms late has a sent rate
// under 99 % of offered; with nothing dropped and no lag pattern that is
// a timer's noise, not saturation. Drops, or sends late in numbers, are.
func TestSaturationNeedsDropsOrLag(t *testing.T) {
	start := time.Unix(1000, 0)
	rep := func(dropped int64) *results.RepResult {
		return &results.RepResult{Offered: 45, Window: time.Second, Scheduled: 45, Sent: 45 - dropped,
			SendSpan: 1020 * time.Millisecond, Span: 1020 * time.Millisecond,
			Outcomes: results.Outcomes{OK: 45 - dropped, Dropped: dropped}}
	}
	sched := func(lateSends int64) *schedule {
		return &schedule{sent: 45, lateSends: lateSends, worst: 20 * time.Millisecond,
			lastIntent: start.Add(time.Second), lastSend: start.Add(1020 * time.Millisecond)}
	}
	sat, why := saturation(rep(0), sched(1), totals{}, start)
	assert.False(t, sat, "one late last send: %s", why)

	sat, why = saturation(rep(2), sched(1), totals{}, start)
	assert.True(t, sat)
	assert.Contains(t, why, "max_in_flight reached: 2 requests dropped")

	sat, why = saturation(rep(0), sched(10), totals{}, start)
	assert.True(t, sat)
	assert.Contains(t, why, "generator lag")
}
