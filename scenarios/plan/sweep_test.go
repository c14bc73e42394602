package plan

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSweepBlock(t *testing.T) {
	p := mustResolve(t, minimal+`pipeline: {cache: {}}
variants: {cache: [seed, sharded]}
sweep:
  from: 50
  to: 800
  precision: 2.5%
  step_duration: 1500ms
  repeat: 3
  slo: ["ttft.p99 < 200ms", {metric: "e2e.p50 < 1s", variant: {cache: seed}}]
`, Overrides{})
	s := p.Sweep
	assert.Equal(t, 50.0, s.From)
	assert.Equal(t, 800.0, s.To)
	assert.InDelta(t, 0.025, s.Precision, 1e-12)
	assert.Equal(t, 1500*time.Millisecond, s.StepDuration)
	assert.Equal(t, 3, s.Repeat)
	assert.False(t, s.Users)
	require.Len(t, s.Checks, 2)
	assert.Equal(t, "ttft.p99", s.Checks[0].Check.Metric.Name)
	assert.Equal(t, map[string]string{"cache": "seed"}, s.Checks[1].Variant)
	assert.Zero(t, mustResolve(t, minimal, Overrides{}).Sweep, "no block, nothing set")
}

func TestSweepBlockBad(t *testing.T) {
	for _, c := range []struct{ block, want string }{
		{"{from: 100, to: 100}", "t.yaml:4: sweep.to: must be above from (from 100, to 100)"},
		{"{from: -5}", "sweep.from: must be positive (got -5)"},
		{"{to: .inf}", "sweep.to: must be a finite number"},
		{"{to: 1e9}", "sweep.to: 1e+09 requests/s is beyond what one generator can schedule"},
		{"{concurrency: true, from: 2.5}", "sweep.from: a number of users is a whole number (got 2.5)"},
		{"{precision: 5}", `sweep.precision: "5": want a percentage with its sign, such as 5%`},
		{"{precision: 0%}", `sweep.precision: "0%": must be above 0% and at most 100%`},
		{"{step_duration: -1s}", "sweep.step_duration: must be positive"},
		{"{repeat: -1}", "sweep.repeat: must be at least 1"},
		{`{slo: ["ttft.p42 < 1s"]}`, `sweep.slo[0]: "ttft.p42 < 1s": unknown metric "ttft.p42"`},
		{"{form: 5}", `sweep: unknown field "form"; did you mean "from"?`},
	} {
		_, err := Resolve([]byte(minimal+"sweep: "+c.block+"\n"), "t.yaml", ".", Overrides{})
		if assert.Error(t, err, c.block) {
			assert.Contains(t, err.Error(), c.want, c.block)
		}
	}
}

// TestUsersOverride: a sweep over users turns the scenario into an
// unpaced closed loop, in its text, so that the step records what ran.
func TestUsersOverride(t *testing.T) {
	users, rate := 8, 5.0
	p := mustResolve(t, "workload: {arrival: poisson, rate: 100, duration: 1s}\n", Overrides{Users: &users})
	assert.False(t, p.Load.Open())
	assert.Equal(t, 8, p.Load.Users)
	assert.Zero(t, p.Load.Rate, "unpaced")
	assert.Contains(t, string(p.Source), "concurrency: 8")
	assert.NotContains(t, string(p.Source), "poisson")
	assert.Equal(t, []string{"concurrency 8"}, p.Overrides)
	for _, c := range []struct {
		o    Overrides
		want string
	}{
		{Overrides{Users: new(0)}, "users 0: must be at least 1"},
		{Overrides{Users: &users, Rate: &rate}, "give users or a rate, not both"},
	} {
		_, err := Resolve([]byte(minimal), "t.yaml", ".", c.o)
		if assert.Error(t, err) {
			assert.Contains(t, err.Error(), c.want)
		}
	}
}
