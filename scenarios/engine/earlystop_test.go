package engine

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmbench/llmbench/scenarios/results"
)

// TestStopOnSaturationEndsACollapsedRun: 4 slots of 20 ms carry 200/s;
// offered 1000/s for 4 s, the run would take 20 s to drain. With the
// option it stops within a few seconds, says why, and still accounts for
// every request it scheduled.
func TestStopOnSaturationEndsACollapsedRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustPlan(t, `
providers:
  llm: {ttft: 20ms, itl: 0s, output_tokens: 1, capacity: 4}
workload: {arrival: constant, rate: 1000, duration: 4s, timeout: 60s}
`)
		start := time.Now()
		res, err := Run(context.Background(), p, Options{SkipFloor: true, StopOnSaturation: true, Grace: 500 * time.Millisecond})
		require.NoError(t, err)
		took := time.Since(start)
		accountingHolds(t, res)
		r := res.Variants[0].Reps[0]
		assert.Less(t, took, 5*time.Second, "stopped early rather than draining for 20 s")
		assert.True(t, r.Saturated)
		assert.Contains(t, r.Bottleneck, "stopped early: ")
		assert.Contains(t, r.Bottleneck, "median latency from")
		assert.Positive(t, r.Outcomes.Cancelled, "the queue left at the stop is cancelled after the grace")
		assert.False(t, r.Interrupted, "an early stop is not an interrupt")
		assert.Less(t, r.Window, 4*time.Second, "the window covers what the schedule reached")
		sum := r.Summary()
		assert.InDelta(t, 1000, metric(t, sum, "offered_rate"), 20, "offered over the window it covered")
	})
}

// TestStopOnSaturationLeavesStableRunsAlone: runs the system keeps up
// with, fast or slow, measure exactly the same with the option as without.
func TestStopOnSaturationLeavesStableRunsAlone(t *testing.T) {
	for name, doc := range map[string]string{
		"fast, heavy tail": `
providers: {llm: {ttft: {dist: lognormal, median: 20ms, p99: 400ms}, itl: 0s, output_tokens: 1, capacity: 64}}
workload: {arrival: poisson, rate: 300, warmup: 500ms, duration: 4s}
`,
		// Answers take 0.5 to 1.5 s: for seconds completions lag the
		// schedule by more than 5 %, but latency does not grow.
		"slow": `
providers: {llm: {ttft: {dist: uniform, min: 500ms, max: 1500ms}, itl: 0s, output_tokens: 1, capacity: 0}}
workload: {arrival: poisson, rate: 200, duration: 5s}
`,
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := mustPlan(t, doc)
				plain := mustRun(t, p)
				watched, err := Run(context.Background(), p, Options{SkipFloor: true, StopOnSaturation: true})
				require.NoError(t, err)
				a, b := plain.Variants[0].Reps[0], watched.Variants[0].Reps[0]
				assert.False(t, b.Saturated, b.Bottleneck)
				assert.Equal(t, a.Scheduled, b.Scheduled)
				assert.Equal(t, a.Outcomes, b.Outcomes)
				assert.Equal(t, a.Window, b.Window)
				assert.Equal(t, a.Sample.E2E, b.Sample.E2E, "the same requests at the same times")
			})
		})
	}
}

func TestCollapseRule(t *testing.T) {
	w := func(t float64, done, ok, errs int64, p50 float64) results.Window {
		return results.Window{T: t, Done: done, OK: ok, Errors: errs, E2EP50: p50}
	}
	warm := w(1, 100, 100, 0, 0.02)
	warm.Warmup = true
	dropped := w(3, 100, 100, 0, 0.02)
	dropped.Dropped = 50
	for _, c := range []struct {
		name string
		ws   []results.Window
		want bool
	}{
		{"one measured window is not a trend", []results.Window{w(1, 200, 200, 0, 0.5)}, false},
		{"behind and slower", []results.Window{w(1, 200, 200, 0, 0.5), w(2, 200, 200, 0, 1.5)}, true},
		{"behind but not slower: a slow start", []results.Window{w(1, 10, 10, 0, 1.5), w(2, 150, 150, 0, 1.6)}, false},
		{"slower but keeping up", []results.Window{w(1, 980, 980, 0, 0.02), w(2, 1000, 1000, 0, 0.05)}, false},
		{"too few successes to compare medians", []results.Window{w(1, 15, 15, 0, 0.5), w(2, 15, 15, 0, 1.5)}, false},
		{"nothing succeeds any more", []results.Window{w(1, 200, 200, 0, 0.5), w(2, 100, 0, 100, 0)}, true},
		{"the warm-up is no baseline", []results.Window{warm, w(2, 200, 200, 0, 0.5), w(3, 200, 200, 0, 0.9)}, false},
		{"drops beyond 1 %", []results.Window{warm, w(2, 1000, 1000, 0, 0.02), dropped}, true},
	} {
		msg, got := collapse(c.ws, 1000, 10)
		assert.Equal(t, c.want, got, "%s: %s", c.name, msg)
	}
	// After the schedule's end, completions are held to what it offered,
	// not to what it would have offered had it gone on.
	_, got := collapse([]results.Window{w(1, 600, 600, 0, 0.3), w(2, 380, 380, 0, 0.9)}, 1000, 1)
	assert.False(t, got, "the schedule ended at 1 s and 980 of its 1000 requests are done")
}
