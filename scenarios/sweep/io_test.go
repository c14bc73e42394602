package sweep

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/perf/benchfmt"

	"github.com/llmbench/llmbench/scenarios/engine"
	"github.com/llmbench/llmbench/scenarios/plan"
	"github.com/llmbench/llmbench/scenarios/results"
)

// TestKnownAnswerVariantsInterleaved: two pool sizes in front of an
// unlimited provider, swept together: fixed:N with a 100 ms call carries
// N/0.1 requests/s, each step running both on the same schedule and
// recording its scenario as it ran.
func TestKnownAnswerVariantsInterleaved(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustPlan(t, `
providers: {llm: {ttft: 100ms, itl: 0s, output_tokens: 1, capacity: 0}}
workload: {arrival: constant, rate: 20, duration: 2s}
pipeline: {workerpool: {}}
variants: {workerpool: ["fixed:2", "fixed:4"]}
`)
		sw, err := Run(context.Background(), p, mustConfigure(t, p, Flags{}), quiet())
		require.NoError(t, err)
		assert.InDelta(t, 20, *capacity(t, sw, "workerpool=fixed:2").Capacity, 2)
		assert.InDelta(t, 40, *capacity(t, sw, "workerpool=fixed:4").Capacity, 4)
		compared := 0
		for _, st := range sw.Steps {
			require.Len(t, st.Variants, 2, "every step runs every variant")
			a, b := st.res.Variants[0].Reps[0], st.res.Variants[1].Reps[0]
			assert.True(t, a.Started.Before(b.Started), "interleaved")
			if !strings.HasPrefix(a.Bottleneck, "stopped early") && !strings.HasPrefix(b.Bottleneck, "stopped early") {
				assert.Equal(t, a.Scheduled, b.Scheduled, "step %d: the same schedule", st.N)
				compared++
			}
			assert.Contains(t, st.Source, "rate: "+strconv.FormatFloat(st.Load, 'f', -1, 64), "step %d records its scenario as it ran", st.N)
			assert.Contains(t, st.Overrides, "--duration 2s")
		}
		assert.Positive(t, compared)
	})
}

// TestFiles: sweep.json reads back; each step's results.json is a run
// that plan.FromResults resolves again (llmbench run repeats it; the CLI's
// test runs one); results.txt is the Go benchmark format with a capacity
// per variant and repetition and a row per step.
func TestFiles(t *testing.T) {
	dir := t.TempDir()
	p := mustPlan(t, "name: files\n"+twoVariants)
	repeat := 2
	s := &scripted{limits: []float64{300, 1000}}
	writes := 0
	sw, err := Run(context.Background(), p, mustConfigure(t, p, Flags{Repeat: &repeat}), Options{runStep: s.run, Engine: engine.Options{SkipFloor: true},
		OnStep: func(sw *Sweep, _ *Step) error { writes++; return sw.WriteFiles(dir) }})
	require.NoError(t, err)
	assert.Equal(t, len(sw.Steps), writes, "written after every step")
	require.NoError(t, sw.WriteFiles(dir))
	back, err := Read(dir)
	require.NoError(t, err)
	assert.Equal(t, len(sw.Steps), len(back.Steps))
	assert.Equal(t, *sw.Capacities[1].Capacity, *back.Capacities[1].Capacity)
	assert.Equal(t, sw.Steps[2].Source, back.Steps[2].Source)

	st := back.Steps[len(back.Steps)-1]
	res, err := results.Read(filepath.Join(dir, st.Results))
	require.NoError(t, err)
	rerun, err := plan.FromResults(res, st.Results, plan.Overrides{})
	require.NoError(t, err, "a step repeats with llmbench run")
	assert.Equal(t, st.Load, rerun.Load.Rate)
	assert.Equal(t, 2, rerun.Repeat)

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
	assert.Equal(t, map[string]int{"Sweep/scenario=files/cache=seed": 2, "Sweep/scenario=files/cache=sharded": 2}, capacities,
		"one capacity per variant and repetition")
	assert.Equal(t, len(sw.Steps)*2*2, steps, "a row per step, variant and repetition")

	_, err = Read(filepath.Join(dir, "results.txt"))
	assert.ErrorContains(t, err, "not an llmbench sweep.json file")
}
