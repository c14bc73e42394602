package compare

import (
	"bytes"
	"fmt"
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
	base := writeFile(t, "a.txt", 1, "", bench{"BenchmarkA", 5, 100, 3, ""})
	cand := writeFile(t, "b.txt", 2, "", bench{"BenchmarkA", 5, 200, 3, ""})
	rep := gate(t, base, cand, GateOptions{})
	require.Len(t, rep.TooFew, 2)
	assert.Equal(t, 10, rep.TooFew[0].Need)
	assert.False(t, rep.Failed())
	var out bytes.Buffer
	require.NoError(t, WriteReport(&out, rep, false))
	assert.Contains(t, out.String(), "5 baseline and 5 candidate; the gate needs at least 10")
	assert.Contains(t, out.String(), "NOT JUDGED")

	b, _ := Read(base)
	_, err := Gate(b, b, GateOptions{MinSamples: 3})
	assert.ErrorContains(t, err, "use at least 4")
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
