package scenarios

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmbench/llmbench/scenarios/plan"
)

func TestReadyScenariosResolve(t *testing.T) {
	require.NotEmpty(t, Builtins())
	for _, b := range Builtins() {
		data, ok := Builtin(b.Name)
		require.True(t, ok)
		p, err := plan.Resolve(data, b.Name+".yaml", ".", plan.Overrides{})
		if assert.NoError(t, err, b.Name) {
			assert.Greater(t, p.Repeat, 1, "%s: repetitions, so that compare and the verdict have intervals", b.Name)
		}
		assert.NotEmpty(t, b.Summary, "%s has a header comment", b.Name)
	}
}

// FuzzResolve: no input makes the parser or the planner panic, and
// whatever they accept has at least one variant and a finite schedule.
// The seed corpus is the ready scenarios, bad inputs of the plan tests'
// shape, and testdata/fuzz/FuzzResolve.
func FuzzResolve(f *testing.F) {
	for _, b := range Builtins() {
		data, _ := Builtin(b.Name)
		f.Add(data)
	}
	for _, s := range []string{
		"workload: {arrival: constant, rate: 10, duration: 1s}\n",
		"workload: {arrival: ramp, stages: [{duration: 1s, rate: 5}]}\nvariants: [{cache: seed}]\n",
		"providers: {a: {kind: openai}}\n",
		"providers: {a: {ttft: {dist: mixture, components: [{weight: 1, dist: constant, value: 1ms}]}}}\n",
		"thresholds: [{metric: 5}]\nvariants: {stream: 7}\n",
		"&a [*a]",
		"workload: &w {arrival: constant, rate: 1, duration: 1s}\npipeline: *w\n",
		"workload: {arrival: burst, burst: {size: 1, every: 1ns}, duration: 1h}\n",
		"workload: {arrival: constant, rate: .nan, duration: 1s}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := plan.Resolve(data, "fuzz.yaml", ".", plan.Overrides{})
		if err != nil {
			return
		}
		if len(p.Variants) == 0 {
			t.Fatal("an accepted scenario has no variant")
		}
		if r := p.Load.Offered(); r != r || r > plan.MaxRate*1.0001 {
			t.Fatalf("an accepted scenario offers %g requests/s", r)
		}
	})
}
