package report

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmbench/llmbench/scenarios/results"
)

// synthetic builds a result whose paired differences are known: every
// request of "slow" takes exactly 5 ms more than "base"'s, "same" takes
// the same, "flaky" fails every third request; allocations per request
// are 10 for base and 30 for slow, in each of three repetitions.
func synthetic() *results.Results {
	const n = 300
	mk := func(name string, f func(k int) int64, allocs uint64) results.VariantResult {
		v := results.VariantResult{Name: name, Params: map[string]string{"x": name}}
		for rep := range 3 {
			e2e := make([]int64, n)
			var out results.Outcomes
			for k := range e2e {
				e2e[k] = f(k + rep)
				if e2e[k] == results.Failed {
					out.Errors[results.ErrOther]++
				} else {
					out.OK++
				}
			}
			v.Reps = append(v.Reps, results.RepResult{Rep: rep + 1, Scheduled: n, Sent: n, Outcomes: out,
				AllocObjects: allocs*n + uint64(rep), Histograms: map[string]results.Hist{}, Sample: &results.Sample{Stride: 1, E2E: e2e}})
		}
		return v
	}
	base := func(k int) int64 { return int64(20*time.Millisecond) + int64(k%17)*int64(time.Millisecond) }
	return &results.Results{Scenario: "synthetic", Floor: &results.Floor{TimerLateP50: 100 * time.Microsecond},
		Variants: []results.VariantResult{
			mk("base", base, 10),
			mk("slow", func(k int) int64 { return base(k) + int64(5*time.Millisecond) }, 30),
			mk("same", base, 10),
			mk("tail", func(k int) int64 {
				if k%50 == 7 {
					return base(k) + int64(time.Second) // 2 % of the requests a second slower
				}
				return base(k)
			}, 10),
			mk("flaky", func(k int) int64 {
				if k%3 == 0 {
					return results.Failed
				}
				return base(k)
			}, 10),
		}}
}

func find(cs []Comparison, metric, variant string) Comparison {
	for _, c := range cs {
		if c.Metric == metric && c.Variant == variant {
			return c
		}
	}
	return Comparison{}
}

func TestVerdictKnownAnswers(t *testing.T) {
	cs := Verdict(synthetic())
	slow := find(cs, "e2e (all requests)", "slow")
	assert.Equal(t, "base", slow.Best)
	assert.Equal(t, float64(5*time.Millisecond), slow.Median)
	assert.Equal(t, float64(5*time.Millisecond), slow.Lo)
	assert.Equal(t, float64(5*time.Millisecond), slow.Hi)
	assert.True(t, slow.Shown())
	same := find(cs, "e2e (all requests)", "same")
	assert.Zero(t, same.Median)
	assert.False(t, same.Shown(), "identical: no difference shown")
	flaky := find(cs, "e2e (all requests)", "flaky")
	assert.Zero(t, flaky.Median, "two thirds of its pairs tie; the third it fails counts as infinitely slow")
	assert.False(t, flaky.Shown(), "the median pair does not move")
	errs := find(cs, "error rate", "flaky")
	assert.InDelta(t, 1.0/3, errs.Median, 0.01, "its failures show in the error rate")
	assert.True(t, errs.Shown())
	tail := find(cs, "e2e (all requests)", "tail")
	assert.False(t, tail.Shown(), "the median pair does not see a 2 %% tail")
	tail99 := find(cs, "e2e p99 (all)", "tail")
	assert.True(t, tail99.Shown(), "the paired p99 does: %+v", tail99)
	assert.InDelta(t, float64(time.Second), tail99.Median, float64(50*time.Millisecond))
	allocs := find(cs, "allocs/req", "slow")
	assert.InDelta(t, 20, allocs.Median, 0.01)
	assert.InDelta(t, 3, allocs.Ratio, 0.01)
	assert.True(t, allocs.Shown())
	assert.Equal(t, 3, allocs.Pairs)

	// Below the timer floor, a difference is not claimed.
	r := synthetic()
	r.Floor.TimerLateP50 = 6 * time.Millisecond
	assert.False(t, find(Verdict(r), "e2e (all requests)", "slow").Shown())
}

func TestConsoleTablesAndVerdict(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteTables(&buf, synthetic()))
	out := buf.String()
	for _, want := range []string{"offered/s", "sent/s", "throughput/s", "goodput/s", "allocs/req", "cpu/req",
		"Verdict", "e2e (all requests):  best base; worse: slow by +5ms", "allocs/req:          best base",
		"harness floor on this machine"} {
		assert.Contains(t, out, want)
	}
}
