package compare

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/perf/benchproc"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// bench describes a synthetic benchmark: n samples around ns (±2 % noise),
// with allocs/op and an optional custom unit.
type bench struct {
	name   string
	n      int
	ns     float64
	allocs float64
	custom string // "unit value"
}

// writeFile writes a Go benchmark format file with seeded noise.
func writeFile(t *testing.T, name string, seed uint64, header string, benches ...bench) string {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	b.WriteString("goos: linux\ngoarch: amd64\ncpu: Test CPU\n" + header)
	for _, bn := range benches {
		for range bn.n {
			fmt.Fprintf(&b, "%s\t1000\t%.2f ns/op\t%.0f allocs/op", bn.name, bn.ns*(1+0.02*(r.Float64()*2-1)), bn.allocs)
			if bn.custom != "" {
				fmt.Fprintf(&b, "\t%s", bn.custom)
			}
			b.WriteString("\n")
		}
	}
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	return path
}

func gate(t *testing.T, base, cand string, o GateOptions) *Report {
	t.Helper()
	b, err := Read(base)
	require.NoError(t, err)
	c, err := Read(cand)
	require.NoError(t, err)
	if o.Threshold == 0 {
		o.Threshold = 0.05
	}
	rep, err := Gate(b, c, o)
	require.NoError(t, err)
	return rep
}

func TestGateNoChange(t *testing.T) {
	base := writeFile(t, "a.txt", 1, "", bench{"BenchmarkA-2", 10, 100, 3, ""})
	cand := writeFile(t, "b.txt", 2, "", bench{"BenchmarkA-2", 10, 100, 3, ""})
	rep := gate(t, base, cand, GateOptions{})
	assert.False(t, rep.Failed())
	assert.Equal(t, 2, rep.Checked, "sec/op and allocs/op")
	assert.Empty(t, rep.TooFew)
}

func TestGateTwentyPercentSlower(t *testing.T) {
	base := writeFile(t, "a.txt", 1, "", bench{"BenchmarkA-2", 10, 100, 3, ""}, bench{"BenchmarkB-2", 10, 50, 1, ""})
	cand := writeFile(t, "b.txt", 2, "", bench{"BenchmarkA-2", 10, 120, 3, ""}, bench{"BenchmarkB-2", 10, 51, 1, ""})
	rep := gate(t, base, cand, GateOptions{})
	require.True(t, rep.Failed())
	require.Len(t, rep.Offenses, 1, "B's 2 %% is under the threshold")
	off := rep.Offenses[0]
	assert.Equal(t, "BenchmarkA-2", off.Name)
	assert.Equal(t, "sec/op", off.Unit)
	assert.InDelta(t, 0.20, off.Delta, 0.03)
	assert.Less(t, off.P, 0.05)
	var out bytes.Buffer
	require.NoError(t, WriteReport(&out, rep, false))
	assert.Contains(t, out.String(), "gate: FAIL: 1 regression(s)")
	assert.Contains(t, out.String(), "BenchmarkA-2")

	// Below the threshold it is not a regression, however significant.
	rep = gate(t, base, cand, GateOptions{Threshold: 0.25})
	assert.False(t, rep.Failed())
	// Faster is an improvement, never an offense.
	rep = gate(t, cand, base, GateOptions{})
	assert.False(t, rep.Failed())
	assert.Equal(t, 1, rep.Improved)
}

func TestGateTooFewSamples(t *testing.T) {
	base := writeFile(t, "a.txt", 1, "", bench{"BenchmarkA", 5, 100, 3, ""}, bench{"BenchmarkB", 10, 100, 3, ""})
	cand := writeFile(t, "b.txt", 2, "", bench{"BenchmarkA", 5, 200, 3, ""}, bench{"BenchmarkB", 3, 100, 3, ""})
	rep := gate(t, base, cand, GateOptions{})
	require.Len(t, rep.TooFew, 4)
	assert.Equal(t, 10, rep.TooFew[0].Need)
	assert.False(t, rep.Failed())
	assert.False(t, rep.Judged())
	var out bytes.Buffer
	require.NoError(t, WriteReport(&out, rep, false))
	// One line for all the pairs, not one each, with the rerun that fits
	// go test output.
	assert.Equal(t, 1, strings.Count(out.String(), "too few samples"), out.String())
	assert.Contains(t, out.String(), "too few samples in 4 benchmark-unit pair(s): the baseline has 5 to 10 a pair, the candidate 3 to 5; the gate needs at least 10 on each side. Rerun both with `go test -bench … -count 10`")
	assert.Contains(t, out.String(), "gate: NOT JUDGED")
	assert.NotContains(t, out.String(), "PASS")

	b, _ := Read(base)
	_, err := Gate(b, b, GateOptions{MinSamples: 3})
	assert.ErrorContains(t, err, "use at least 4")
}

// An llmbench run's results.txt (told by its scenario line) gets more
// samples from --repeat, not from go test's -count; and only the short side
// is told to rerun.
func TestGateTooFewSamplesInRunResults(t *testing.T) {
	run := "scenario: quickstart\nseed: 42\n"
	base := writeFile(t, "a.txt", 1, run, bench{"BenchmarkScenario/scenario=quickstart/cache=seed-2", 10, 100, 3, ""})
	cand := writeFile(t, "b.txt", 2, run, bench{"BenchmarkScenario/scenario=quickstart/cache=seed-2", 1, 100, 3, ""})
	rep := gate(t, base, cand, GateOptions{})
	assert.Equal(t, "too few samples in 2 benchmark-unit pair(s): the baseline has 10 a pair, the candidate 1; the gate needs at least 10 on each side. Rerun the candidate with `llmbench run … --repeat 10`",
		rep.TooFewText())

	gotest := writeFile(t, "c.txt", 2, "", bench{"BenchmarkScenario/scenario=quickstart/cache=seed-2", 2, 100, 3, ""})
	rep = gate(t, cand, gotest, GateOptions{})
	assert.Contains(t, rep.TooFewText(), "Rerun the baseline with `llmbench run … --repeat 10` and the candidate with `go test -bench … -count 10`")

	// A sweep's capacities get more samples from the sweep's --repeat.
	sweep := writeFile(t, "d.txt", 2, "scenario: cache-capacity\nsweep: rate\n", bench{"BenchmarkScenario/scenario=quickstart/cache=seed-2", 1, 100, 3, ""})
	rep = gate(t, base, sweep, GateOptions{})
	assert.Contains(t, rep.TooFewText(), "Rerun the candidate with `llmbench sweep … --repeat 10`")

	rep = gate(t, base, cand, GateOptions{MoreSamples: "`--count 10`"})
	assert.Contains(t, rep.TooFewText(), "Rerun the candidate with `--count 10`", "the caller knows better (A/B mode)")
}

func TestGateRefusesMeaninglessOptions(t *testing.T) {
	base := writeFile(t, "a.txt", 1, "", bench{"BenchmarkA", 10, 100, 3, ""})
	b, err := Read(base)
	require.NoError(t, err)
	for _, c := range []struct {
		o    GateOptions
		want string
	}{
		{GateOptions{Threshold: math.NaN()}, "--threshold: must be a finite percentage"},
		{GateOptions{Threshold: math.Inf(1)}, "--threshold: must be a finite percentage"},
		{GateOptions{Threshold: -0.05}, "--threshold -5%: must not be negative"},
		{GateOptions{Threshold: 5}, "--threshold 500%: a figure twice its baseline"},
		{GateOptions{Threshold: 1}, "add --allow-large-threshold if you mean it"},
		{GateOptions{Threshold: 0.05, ExactTolerance: 2}, "--exact-tolerance 200%"},
		{GateOptions{Threshold: 0.05, ExactTolerance: math.NaN()}, "--exact-tolerance: must be a finite"},
		{GateOptions{Threshold: 0.05, Alpha: math.NaN()}, "--alpha NaN: must be strictly between 0 and 1"},
		{GateOptions{Threshold: 0.05, Alpha: 1}, "--alpha 1: must be strictly between 0 and 1"},
		{GateOptions{Threshold: 0.05, Alpha: -0.1}, "--alpha -0.1"},
		{GateOptions{Threshold: 0.05, MinSamples: -1}, "--min-samples -1: must be at least 1"},
	} {
		assert.ErrorContains(t, c.o.Validate(), c.want, "%+v", c.o)
		_, err := Gate(b, b, c.o)
		assert.ErrorContains(t, err, c.want, "%+v", c.o)
	}
	_, err = Gate(b, b, GateOptions{Threshold: 1.5, ExactTolerance: 1, AllowLarge: true})
	assert.NoError(t, err, "a large threshold when asked for")
	assert.NoError(t, GateOptions{Threshold: 0}.Validate(), "0 %: any significant worsening fails")
}

// A gate on nothing must not pass: every way of comparing nothing is
// unjudged (exit 2 in the CLI), with what was expected.
func TestGateOnNothingIsNotJudged(t *testing.T) {
	kept := bench{"BenchmarkA-2", 10, 100, 3, ""}
	base := writeFile(t, "a.txt", 1, "", kept, bench{"BenchmarkB-2", 10, 50, 1, ""})
	unjudged := func(t *testing.T, rep *Report, want string) {
		t.Helper()
		assert.False(t, rep.Judged())
		require.NotEmpty(t, rep.Unjudged)
		assert.Contains(t, strings.Join(rep.Unjudged, "\n"), want)
		var out bytes.Buffer
		require.NoError(t, WriteReport(&out, rep, false))
		assert.Contains(t, out.String(), "gate: NOT JUDGED")
		assert.NotContains(t, out.String(), "PASS")
	}
	t.Run("unit asked for on neither side", func(t *testing.T) {
		rep := gate(t, base, base, GateOptions{Units: []string{"nonsense/op"}})
		assert.Zero(t, rep.Checked)
		unjudged(t, rep, "--units nonsense/op: found on neither side; units present: baseline sec/op, allocs/op; candidate sec/op, allocs/op")
	})
	t.Run("one unit asked for missing among others", func(t *testing.T) {
		rep := gate(t, base, base, GateOptions{Units: []string{"sec/op", "bogus/op"}})
		assert.Equal(t, 2, rep.Checked)
		unjudged(t, rep, "--units bogus/op: found on neither side")
	})
	t.Run("every benchmark renamed", func(t *testing.T) {
		cand := writeFile(t, "b.txt", 2, "", bench{"BenchmarkNewA-2", 10, 100, 3, ""}, bench{"BenchmarkNewB-2", 10, 50, 1, ""})
		rep := gate(t, base, cand, GateOptions{})
		assert.Equal(t, []string{"BenchmarkA-2", "BenchmarkB-2"}, rep.Vanished)
		unjudged(t, rep, "no benchmark is in both files: all 2 baseline benchmark(s) (such as BenchmarkA-2) vanished from the candidate, which has 2 other(s) (such as BenchmarkNewA-2)")
	})
	t.Run("ns/op against ms/op", func(t *testing.T) {
		// benchfmt reads ns/op as sec/op and leaves ms/op alone, with no
		// known direction: nothing of the time is comparable.
		ms := rawFile(t, "ms.txt", strings.Repeat("BenchmarkA-2\t100\t0.0001 ms/op\t3 allocs/op\n", 10))
		rep := gate(t, base, ms, GateOptions{})
		assert.Equal(t, 1, rep.Checked, "allocs/op still compared")
		unjudged(t, rep, "sec/op is reported by the baseline and not by the candidate, for BenchmarkA-2, where the candidate reports ms/op: give both sides the same unit")
	})
	t.Run("candidate without -benchmem", func(t *testing.T) {
		nomem := rawFile(t, "nomem.txt", strings.Repeat("BenchmarkA-2\t100\t100 ns/op\nBenchmarkB-2\t100\t50 ns/op\n", 10))
		rep := gate(t, base, nomem, GateOptions{})
		unjudged(t, rep, "allocs/op is reported by the baseline and not by the candidate, for BenchmarkA-2 and 1 more (was the candidate run without -benchmem?)")
	})
	t.Run("unit of unknown direction asked for", func(t *testing.T) {
		f := writeFile(t, "c.txt", 1, "", bench{"BenchmarkA-2", 10, 100, 3, "7 widgets/op"})
		rep := gate(t, f, f, GateOptions{Units: []string{"widgets/op"}})
		unjudged(t, rep, "--units widgets/op: its better direction is unknown; declare it in the files with a line `Unit widgets/op better=lower`")
		rep = gate(t, f, f, GateOptions{})
		assert.True(t, rep.Judged(), "not asked for: a warning only")
		assert.Contains(t, strings.Join(rep.Warnings, "\n"), "not gated, better direction unknown: widgets/op")

		only := rawFile(t, "only.txt", strings.Repeat("BenchmarkA-2\t100\t7 widgets/op\n", 10))
		rep = gate(t, only, only, GateOptions{})
		unjudged(t, rep, "no benchmark-unit pair to compare: the 1 benchmark(s) in both files share no unit whose better direction is known (units present: baseline widgets/op; candidate widgets/op)")
	})
	t.Run("a unit that only some benchmarks lose is a warning", func(t *testing.T) {
		cand := rawFile(t, "part.txt", strings.Repeat("BenchmarkA-2\t100\t100 ns/op\t3 allocs/op\nBenchmarkB-2\t100\t50 ns/op\n", 10))
		rep := gate(t, base, cand, GateOptions{})
		assert.True(t, rep.Judged(), "%v", rep.Unjudged)
		assert.Contains(t, strings.Join(rep.Warnings, "\n"), "not compared: allocs/op is reported by the baseline and not by the candidate, for BenchmarkB-2")
	})
	t.Run("some benchmarks vanished is a warning", func(t *testing.T) {
		cand := writeFile(t, "d.txt", 2, "", kept)
		rep := gate(t, base, cand, GateOptions{})
		assert.True(t, rep.Judged())
		assert.Equal(t, []string{"BenchmarkB-2"}, rep.Vanished)
		var out bytes.Buffer
		require.NoError(t, WriteReport(&out, rep, false))
		assert.Contains(t, out.String(), "vanished (not gated): BenchmarkB-2")
		assert.Contains(t, out.String(), "gate: PASS")
	})
}

func TestGateExactUnitRise(t *testing.T) {
	base := writeFile(t, "a.txt", 1, "", bench{"BenchmarkA", 10, 100, 3, ""})
	cand := writeFile(t, "b.txt", 2, "", bench{"BenchmarkA", 10, 100, 4, ""})
	rep := gate(t, base, cand, GateOptions{Units: []string{"allocs/op"}})
	require.Len(t, rep.Offenses, 1)
	assert.True(t, rep.Offenses[0].Exact)
	assert.Equal(t, "allocs/op", rep.Offenses[0].Unit)
	assert.Equal(t, 1, rep.Checked, "only the units asked for")
	rep = gate(t, base, cand, GateOptions{Units: []string{"allocs/op"}, ExactTolerance: 0.5})
	assert.False(t, rep.Failed(), "within a 50 %% tolerance")
}

// A B/op figure that the baseline itself measured with a spread of a few
// bytes (359 534 to 359 558 in the real one) passes a candidate whose
// median moved within that spread, and fails one beyond it.
func TestGateExactUnitWithinTheBaselinesSpread(t *testing.T) {
	lines := func(values ...int) string {
		var b strings.Builder
		b.WriteString("goos: linux\ngoarch: amd64\ncpu: Test CPU\n")
		for _, v := range values {
			fmt.Fprintf(&b, "BenchmarkM\t100\t1000 ns/op\t%d B/op\t10 allocs/op\n", v)
		}
		return b.String()
	}
	base := rawFile(t, "a.txt", lines(359537, 359537, 359538, 359540, 359540, 359541, 359549, 359555, 359558, 359558))
	within := rawFile(t, "b.txt", lines(359534, 359537, 359541, 359545, 359552, 359553, 359554, 359555, 359558, 359559))
	rep := gate(t, base, within, GateOptions{Units: []string{"B/op"}})
	assert.False(t, rep.Failed(), "a median 12.5 B higher, within the baseline's 18 B of spread")

	beyond := rawFile(t, "c.txt", lines(359590, 359590, 359591, 359592, 359593, 359594, 359595, 359596, 359597, 359598))
	rep = gate(t, base, beyond, GateOptions{Units: []string{"B/op"}})
	require.Len(t, rep.Offenses, 1, "53 B more than the baseline's median, beyond every baseline sample")
}

func TestGateBetterHigherUnitFalling(t *testing.T) {
	meta := "Unit req/s better=higher\nUnit leaks assume=exact better=lower\n"
	base := writeFile(t, "a.txt", 1, meta, bench{"BenchmarkS", 10, 100, 3, "1000 req/s"})
	cand := writeFile(t, "b.txt", 2, meta, bench{"BenchmarkS", 10, 100, 3, "800 req/s"})
	rep := gate(t, base, cand, GateOptions{Units: []string{"req/s"}})
	// All 10 samples equal on each side: the U test still separates them.
	require.Len(t, rep.Offenses, 1)
	assert.InDelta(t, -0.2, rep.Offenses[0].Delta, 1e-9)

	up := writeFile(t, "c.txt", 2, meta, bench{"BenchmarkS", 10, 100, 3, "1200 req/s"})
	assert.False(t, gate(t, base, up, GateOptions{Units: []string{"req/s"}}).Failed(), "higher is better")

	base = writeFile(t, "d.txt", 1, meta, bench{"BenchmarkS", 10, 100, 3, "0 leaks"})
	cand = writeFile(t, "e.txt", 1, meta, bench{"BenchmarkS", 10, 100, 3, "1 leaks"})
	rep = gate(t, base, cand, GateOptions{Units: []string{"leaks"}})
	require.Len(t, rep.Offenses, 1, "an assume=exact unit fails on any rise")
}

func TestGateRenamedBenchmark(t *testing.T) {
	base := writeFile(t, "a.txt", 1, "", bench{"BenchmarkOld", 10, 100, 3, ""}, bench{"BenchmarkKept", 10, 10, 0, ""})
	cand := writeFile(t, "b.txt", 2, "cpu: Other CPU\n", bench{"BenchmarkNew", 10, 500, 3, ""}, bench{"BenchmarkKept", 10, 10, 0, ""})
	rep := gate(t, base, cand, GateOptions{})
	assert.False(t, rep.Failed())
	assert.Equal(t, []string{"BenchmarkNew"}, rep.New)
	assert.Equal(t, []string{"BenchmarkOld"}, rep.Vanished)
	require.Len(t, rep.Warnings, 1)
	assert.Contains(t, rep.Warnings[0], `cpu "Test CPU" vs "Other CPU"`)
}

func TestMalformedFiles(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.txt")
	require.NoError(t, os.WriteFile(bad, []byte("goos: linux\nBenchmarkA 10 5 ns/op\nBenchmarkB 10 five ns/op\n"), 0o644))
	_, err := Read(bad)
	var ie *InputError
	require.ErrorAs(t, err, &ie)
	assert.Contains(t, err.Error(), "bad.txt:3:")
	empty := filepath.Join(dir, "empty.txt")
	require.NoError(t, os.WriteFile(empty, []byte("just some text\n"), 0o644))
	_, err = Read(empty)
	assert.ErrorContains(t, err, "empty.txt: no benchmark results")
	_, err = Read(filepath.Join(dir, "missing.txt"))
	assert.Error(t, err)
}

func TestCompareColumnsAndFormats(t *testing.T) {
	file := writeFile(t, "v.txt", 1, "",
		bench{"BenchmarkCache/impl=seed/keys=10-2", 10, 300, 2, ""},
		bench{"BenchmarkCache/impl=sharded/keys=10-2", 10, 150, 0, ""})
	ds, err := Read(file)
	require.NoError(t, err)
	tables, err := Compare(ds, Options{Col: "/impl"})
	require.NoError(t, err)
	require.Len(t, tables, 2)
	tab := tables[0]
	assert.Equal(t, "sec/op", tab.Unit)
	assert.Equal(t, -1, tab.Better)
	require.Len(t, tab.Cols, 2)
	require.Len(t, tab.Rows, 1)
	c := tab.Cells[[2]benchproc.Key{tab.Rows[0], tab.Cols[1]}]
	require.NotNil(t, c)
	assert.True(t, c.Significant())
	assert.InDelta(t, -0.5, c.Delta, 0.03)
	for _, f := range Formats {
		var out bytes.Buffer
		require.NoError(t, Write(&out, tables, f), f)
		assert.Contains(t, out.String(), "sharded", f)
	}
	var out bytes.Buffer
	require.NoError(t, Write(&out, tables, "markdown"))
	assert.Contains(t, out.String(), "|")
	assert.Error(t, Write(&out, tables, "xml"))
	_, err = Compare(ds, Options{Filter: "/impl:(("})
	assert.ErrorContains(t, err, "--filter")
	_, err = Compare(ds, Options{Filter: "/impl:none"})
	assert.ErrorContains(t, err, "no results match")
}

func TestHolmControlsTheWholeGate(t *testing.T) {
	tests := []testedPair{{off: Offense{P: 0.01}}, {off: Offense{P: 0.04}}, {off: Offense{P: 0.03}}}
	// m = 3: the smallest must be <= 0.05/3, the next <= 0.05/2, the last <= 0.05.
	assert.Equal(t, []bool{true, false, false}, holm(tests, 0.05))
	tests[2].off.P = 0.02
	assert.Equal(t, []bool{true, true, true}, holm(tests, 0.05))
	assert.Equal(t, []bool{false, false, false}, holm(tests, 0.001))
	assert.Empty(t, holm(nil, 0.05))
}

func TestReadSamePathTwiceAndLabels(t *testing.T) {
	f := writeFile(t, "a.txt", 1, "", bench{"BenchmarkA", 3, 100, 3, ""})
	ds, err := Read(f, f)
	require.NoError(t, err, "benchfmt labels a repeated path path#0, path#1")
	assert.Len(t, ds.Results, 6)
	ds, err = Read("old="+f, "new="+f)
	require.NoError(t, err)
	assert.Len(t, ds.Configs, 2)
}

func TestCompareRefusesBadLevels(t *testing.T) {
	f := writeFile(t, "a.txt", 1, "", bench{"BenchmarkA", 3, 100, 3, ""})
	ds, err := Read(f)
	require.NoError(t, err)
	for _, o := range []Options{{Alpha: math.NaN()}, {Alpha: 1}, {Alpha: -1}, {Confidence: math.NaN()}, {Confidence: 1.5}} {
		_, err := Compare(ds, o)
		assert.ErrorContains(t, err, "must be strictly between 0 and 1", "%+v", o)
	}
}

// n=1 a cell: no interval and no test is possible; the table says so once,
// with the rerun that fits the files, rather than "± ∞" and "~ (p=1.000
// n=1)" in every cell.
func TestCompareTooFewSamplesSaidOnce(t *testing.T) {
	run := "scenario: quickstart\nUnit e2e-p50-ns better=lower\n"
	line := func(seed, sharded int) string {
		return fmt.Sprintf("BenchmarkScenario/scenario=q/cache=seed-2\t100\t%d e2e-p50-ns\t3 allocs/req\nBenchmarkScenario/scenario=q/cache=sharded-2\t100\t%d e2e-p50-ns\t2 allocs/req\n", seed, sharded)
	}
	text := render(t, "table", rawFile(t, "a.txt", run+line(100, 95)), rawFile(t, "b.txt", run+line(120, 0)))
	assert.NotContains(t, text, "∞")
	assert.NotContains(t, text, "~ (p=1.000 n=1)", "p=1 with n=1 is no evidence of no change")
	assert.Contains(t, text, "+20.00% ? (untested, n=1)")
	assert.NotContains(t, text, "need >= ", "benchmath's per-table warnings are gathered")
	assert.Equal(t, 1, strings.Count(text, "too few samples"), text)
	assert.Contains(t, text, "note: n=1: too few samples for an interval in 8 of 8 cells (95 % needs 6; medians shown without ±) and for a test of 4 of 4 changes (alpha 0.05 needs 4 a side")
	assert.Contains(t, text, "Rerun with `llmbench run … --repeat 6`")
	assert.NotContains(t, text, "e2e-p50-ns", "a 0 is tidied like the other values (sec)")

	// Without a scenario line: go test output.
	text = render(t, "table", writeFile(t, "g.txt", 1, "", bench{"BenchmarkA", 1, 100, 3, ""}))
	assert.Contains(t, text, "Rerun with `go test -bench … -count 6`")

	// Enough samples: no note.
	g := writeFile(t, "h.txt", 1, "", bench{"BenchmarkA", 10, 100, 3, ""})
	assert.NotContains(t, render(t, "table", g, g), "too few samples")
}

// JSON has no infinity: an interval that does not exist, or a change from
// a zero base, must not break the output.
func TestCompareJSONWithoutIntervals(t *testing.T) {
	a, b := rawFile(t, "a.txt", "BenchmarkA\t1\t0 leaks/op\n"), rawFile(t, "b.txt", "BenchmarkA\t1\t2 leaks/op\n")
	var cells []map[string]any
	require.NoError(t, json.Unmarshal([]byte(render(t, "json", a, b)), &cells))
	require.Len(t, cells, 2)
	assert.Nil(t, cells[1]["lo"])
	assert.Nil(t, cells[1]["delta"], "+Inf from a zero base")
	assert.Equal(t, true, cells[1]["untested"])
	assert.NotContains(t, render(t, "csv", a, b), "Inf")
}

// render compares files with the default options and prints the tables.
func render(t *testing.T, format string, paths ...string) string {
	t.Helper()
	ds, err := Read(paths...)
	require.NoError(t, err)
	tables, err := Compare(ds, Options{})
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, Write(&out, tables, format))
	return out.String()
}

// rawFile writes a file of exactly this content.
func rawFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

// TestReadRefusesNonFiniteValues: a NaN once made benchmath's statistics
// loop, growing without bound; it is refused where it is read.
func TestReadRefusesNonFiniteValues(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "nan.txt")
	require.NoError(t, os.WriteFile(path, []byte("BenchmarkX 10 5 ns/op\nBenchmarkX 10 NaN ns/op\nBenchmarkY 10 +Inf req/s\nBenchmarkZ 10 -3 ns/op\n"), 0o644))
	_, err := Read(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nan.txt:2: the ns/op value NaN is not a finite number")
	assert.Contains(t, err.Error(), "nan.txt:3: the req/s value +Inf is not a finite number")
	assert.Contains(t, err.Error(), "nan.txt:4: the ns/op value -3 is negative")
}
