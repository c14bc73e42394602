package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func parse(t *testing.T, text string) map[figure]*samples {
	t.Helper()
	m, err := parseResults(strings.NewReader(text), "test")
	require.NoError(t, err)
	return m
}

func verdictOf(t *testing.T, vs []Verdict, name, unit string) Verdict {
	t.Helper()
	for _, v := range vs {
		if v.Name == name && v.Unit == unit {
			return v
		}
	}
	t.Fatalf("no verdict for %s %s in %v", name, unit, vs)
	return Verdict{}
}

const shortRun = `
BenchmarkA/impl=x-2   1000   100 ns/op   10 allocs/op   1000 B/op
BenchmarkA/impl=x-2   1000   102 ns/op   10 allocs/op   1000 B/op
BenchmarkA/impl=x-2   1000    98 ns/op   10 allocs/op   1000 B/op
BenchmarkB-2           100  1000 ns/op    1 allocs/op     10 B/op   0.01 dups/op   3 calls/op
BenchmarkC-2          1000   100 ns/op   200 lost/op
BenchmarkOnlyShort-2  1000   100 ns/op
`

func TestCheckThresholdAndUnitNoise(t *testing.T) {
	long := `
BenchmarkA/impl=x-2   10000  126 ns/op   10 allocs/op   1000 B/op
BenchmarkA/impl=x-2   10000  125 ns/op   10 allocs/op   1000 B/op
BenchmarkA/impl=x-2   10000  124 ns/op   10 allocs/op   1000 B/op
BenchmarkB-2           1000  1150 ns/op   2 allocs/op     16 B/op   0.002 dups/op   3 calls/op
BenchmarkC-2          10000  100 ns/op   100 lost/op
`
	vs := Check(parse(t, shortRun), parse(t, long), Options{Threshold: 0.2})
	a := verdictOf(t, vs, "BenchmarkA/impl=x-2", "sec/op")
	require.Equal(t, StatusMoved, a.Status, "a best time 26 %% higher moved")
	require.InDelta(t, 124.0/98-1, a.Change, 0.001, "best samples: 98 against 124")
	require.Equal(t, StatusOK, verdictOf(t, vs, "BenchmarkB-2", "sec/op").Status, "15 %% is within 20 %%")
	require.Equal(t, StatusOK, verdictOf(t, vs, "BenchmarkB-2", "allocs/op").Status, "one allocation is rounding")
	require.Equal(t, StatusOK, verdictOf(t, vs, "BenchmarkB-2", "B/op").Status, "6 bytes is under the byte slack")
	require.Equal(t, StatusOK, verdictOf(t, vs, "BenchmarkB-2", "dups/op").Status, "1 event against 2 is chance")
	require.Equal(t, StatusOK, verdictOf(t, vs, "BenchmarkB-2", "calls/op").Status)
	require.Equal(t, StatusMoved, verdictOf(t, vs, "BenchmarkC-2", "lost/op").Status, "200 000 events against 1 000 000 is no chance")
	require.Equal(t, StatusMissing, verdictOf(t, vs, "BenchmarkOnlyShort-2", "sec/op").Status)
}

func TestCheckMemoryBeyondSlackMoves(t *testing.T) {
	vs := Check(parse(t, "BenchmarkM 100 1 ns/op 10 allocs/op 1000 B/op\n"),
		parse(t, "BenchmarkM 1000 1 ns/op 20 allocs/op 2000 B/op\n"), Options{Threshold: 0.2})
	require.Equal(t, StatusMoved, verdictOf(t, vs, "BenchmarkM", "allocs/op").Status)
	require.Equal(t, StatusMoved, verdictOf(t, vs, "BenchmarkM", "B/op").Status)
}

func TestCheckExemptionNamesItsUnits(t *testing.T) {
	o := Options{Threshold: 0.2, Exemptions: []Exemption{{Pattern: `^BenchmarkA/`, Units: "sec/op", Reason: "warm-up"}}}
	vs := Check(parse(t, "BenchmarkA/x 100 100 ns/op 10 allocs/op\n"), parse(t, "BenchmarkA/x 1000 200 ns/op 30 allocs/op\n"), o)
	v := verdictOf(t, vs, "BenchmarkA/x", "sec/op")
	require.Equal(t, StatusAmortised, v.Status)
	require.Equal(t, "warm-up", v.Note)
	require.Equal(t, StatusMoved, verdictOf(t, vs, "BenchmarkA/x", "allocs/op").Status, "an exemption covers only its units")
}

func TestRunExitCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
		return p
	}
	same := write("same.txt", "BenchmarkX-2 100 100 ns/op\n")
	slower := write("slower.txt", "BenchmarkX-2 1000 150 ns/op\n")
	var out, errOut bytes.Buffer
	require.Equal(t, 0, run([]string{same, same}, &out, &errOut), errOut.String())
	require.Contains(t, out.String(), "1 ok, 0 moved")
	out.Reset()
	moved := filepath.Join(dir, "moved.txt")
	require.Equal(t, 1, run([]string{"-moved", moved, same, slower}, &out, &errOut))
	require.Contains(t, out.String(), "BenchmarkX-2")
	require.Contains(t, out.String(), "+50.0%")
	names, err := os.ReadFile(moved)
	require.NoError(t, err)
	require.Equal(t, "BenchmarkX-2\n", string(names), "the moved benchmark is listed for the confirmation round")
	require.Equal(t, 2, run([]string{same}, &out, &errOut), "one file is a usage error")
	errOut.Reset()
	require.Equal(t, 2, run([]string{same, filepath.Join(dir, "absent.txt")}, &out, &errOut))
	require.Contains(t, errOut.String(), "absent.txt")
	require.Equal(t, 2, run([]string{same, write("empty.txt", "PASS\n")}, &out, &errOut))
	require.Contains(t, errOut.String(), "no benchmark results")
}

func TestExemptionsTable(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, writeExemptions(&out, []Exemption{{Pattern: "^BenchmarkA", Units: "B/op,allocs/op", Reason: "because"}}))
	require.Contains(t, out.String(), "`^BenchmarkA`")
	require.Contains(t, out.String(), "B/op, allocs/op")
	require.Contains(t, out.String(), "because")
}

// Times take the best sample (noise only adds time), counts the median.
func TestCenterBestTimeMedianCounts(t *testing.T) {
	require.Equal(t, 100.0, center("sec/op", []float64{140, 100, 180}))
	m := parse(t, "BenchmarkT 10 5 ns/op 7 ns/task\n")
	require.Contains(t, m, figure{"BenchmarkT", "sec/task"}, "benchfmt reads ns/task as sec/task")
	require.Equal(t, 100.0, center("sec/task", []float64{140, 100, 180}))
	require.Equal(t, 180.0, center("ops/s", []float64{140, 100, 180}))
	require.Equal(t, 140.0, center("allocs/op", []float64{140, 100, 180}))
	vs := Check(parse(t, "BenchmarkN 100 100 ns/op\nBenchmarkN 100 300 ns/op\n"),
		parse(t, "BenchmarkN 1000 105 ns/op\nBenchmarkN 1000 110 ns/op\n"), Options{Threshold: 0.2})
	require.Equal(t, StatusOK, verdictOf(t, vs, "BenchmarkN", "sec/op").Status, "one noisy sample does not move a best time")
}

// A move of the centers whose samples overlap is noise, not a move.
func TestCheckOverlappingSamplesDoNotMove(t *testing.T) {
	vs := Check(parse(t, "BenchmarkO 100 100 ns/op\nBenchmarkO 100 200 ns/op\nBenchmarkO 100 210 ns/op\n"),
		parse(t, "BenchmarkO 1000 150 ns/op\nBenchmarkO 1000 160 ns/op\nBenchmarkO 1000 170 ns/op\n"), Options{Threshold: 0.2})
	v := verdictOf(t, vs, "BenchmarkO", "sec/op")
	require.InDelta(t, 0.5, v.Change, 0.001, "best 100 against best 150")
	require.Equal(t, StatusOK, v.Status, "the short run's samples straddle the long run's")
}
