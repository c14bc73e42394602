package sweep

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/perf/benchfmt"

	"github.com/llmbench/llmbench/scenarios/plan"
	"github.com/llmbench/llmbench/scenarios/results"
)

// TestFiles: sweep.json reads back; each step's results.json is a run
// that llmbench run can repeat; results.txt is the Go benchmark format
// with a capacity per variant and repetition and a row per step.
func TestFiles(t *testing.T) {
	t.Parallel() // a virtual clock: the real-clock test runs alone, first
	dir := t.TempDir()
	var sw *Sweep
	synctest.Test(t, func(t *testing.T) {
		p := mustPlan(t, `
name: files
providers: {llm: {ttft: 100ms, itl: 0s, output_tokens: 1, capacity: 0}}
workload: {arrival: constant, rate: 20, duration: 2s}
pipeline: {workerpool: {}}
variants: {workerpool: ["fixed:2", "fixed:4"]}
sweep: {precision: 50%, repeat: 2}
`)
		var err error
		writes := 0
		sw, err = Run(context.Background(), p, mustConfigure(t, p, Flags{}), Options{Engine: quiet().Engine,
			OnStep: func(sw *Sweep, _ *Step) error { writes++; return sw.WriteFiles(dir) }})
		require.NoError(t, err)
		assert.Equal(t, len(sw.Steps), writes, "written after every step")
		require.NoError(t, sw.WriteFiles(dir))
	})
	back, err := Read(dir)
	require.NoError(t, err)
	assert.Equal(t, len(sw.Steps), len(back.Steps))
	assert.Equal(t, *sw.Capacities[1].Capacity, *back.Capacities[1].Capacity)
	assert.Equal(t, sw.Steps[2].Source, back.Steps[2].Source)

	st := back.Steps[len(back.Steps)-1]
	res, err := results.Read(filepath.Join(dir, st.Results))
	require.NoError(t, err)
	p, err := plan.FromResults(res, st.Results, plan.Overrides{})
	require.NoError(t, err, "a step repeats with llmbench run")
	assert.Equal(t, st.Load, p.Load.Rate)
	assert.Equal(t, 2, p.Repeat)

	f, err := os.Open(filepath.Join(dir, "results.txt"))
	require.NoError(t, err)
	defer f.Close()
	rd := benchfmt.NewReader(f, "results.txt")
	capacities, steps := map[string]int{}, 0
	for rd.Scan() {
		switch r := rd.Result().(type) {
		case *benchfmt.Result:
			name := string(r.Name.Full())
			if strings.Contains(name, "/offered=") {
				steps++
				continue
			}
			v, ok := r.Value("capacity-req/s")
			require.True(t, ok, name)
			assert.Positive(t, v)
			capacities[name]++
		case *benchfmt.SyntaxError:
			t.Fatal(r)
		}
	}
	assert.Equal(t, map[string]int{"Sweep/scenario=files/workerpool=fixed:2-2": 2, "Sweep/scenario=files/workerpool=fixed:4-2": 2}, capacities,
		"one capacity per variant and repetition")
	assert.Equal(t, len(sw.Steps)*2*2, steps, "a row per step, variant and repetition")

	_, err = Read(filepath.Join(dir, "results.txt"))
	assert.ErrorContains(t, err, "not an llmbench sweep.json file")
}
