package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// benchFile writes n lines of one benchmark: "name value unit" (plus
// allocs/op when allocs is not negative), a little noise on the value.
func benchFile(t *testing.T, dir, file, name string, n int, value float64, unit string, allocs int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("goos: linux\ncpu: test\n")
	for i := range n {
		fmt.Fprintf(&b, "%s\t100\t%g %s", name, value*(1+0.001*float64(i%3)), unit)
		if allocs >= 0 {
			fmt.Fprintf(&b, "\t%d allocs/op", allocs)
		}
		b.WriteString("\n")
	}
	path := filepath.Join(dir, file)
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	return path
}

// TestGateFlagsAreUnambiguous: a threshold has one spelling (5%); a bare
// number, a non-finite or absurd value, and levels outside (0,1) exit 2
// with the fix.
func TestGateFlagsAreUnambiguous(t *testing.T) {
	dir := t.TempDir()
	base := benchFile(t, dir, "base.txt", "BenchmarkX-2", 10, 100, "ns/op", 3)
	slow := benchFile(t, dir, "slow.txt", "BenchmarkX-2", 10, 149, "ns/op", 3) // +49 %
	gate := func(flags ...string) []string {
		return append([]string{"gate", "--baseline", base, "--candidate", slow}, flags...)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		// Once read as 500 %, passing a +49 % regression.
		{gate("--threshold", "5"), "--threshold 5: a bare number is ambiguous; write the percent sign: --threshold 5%"},
		{gate("--threshold", "0.05"), "--threshold 0.05% (or --threshold 5% if 0.05 was meant as a fraction)"},
		{gate("--exact-tolerance", "1"), "--exact-tolerance 1: a bare number is ambiguous"},
		{gate("--threshold", "100%"), "--threshold 100%: a figure twice its baseline (or half of it, for a higher-is-better unit) would pass; use a smaller value such as 5%, or add --allow-large-threshold"},
		{gate("--exact-tolerance", "250%"), "--exact-tolerance 250%"},
		{gate("--threshold", "NaN%"), `--threshold "NaN%": must be a finite percentage`},
		{gate("--threshold", "Inf%"), `--threshold "Inf%": must be a finite percentage`},
		{gate("--threshold", "-5%"), "--threshold -5%: must not be negative"},
		{gate("--threshold", "five%"), `--threshold "five%": want a percentage such as --threshold 5%`},
		{gate("--alpha", "0"), "--alpha 0: must be strictly between 0 and 1"},
		{gate("--alpha", "NaN"), "--alpha NaN: must be strictly between 0 and 1"},
		{gate("--alpha", "1"), "--alpha 1: must be strictly between 0 and 1"},
		{gate("--min-samples", "0"), "--min-samples 0: must be at least 1"},
		{gate("--min-samples", "2"), "--min-samples 2: with 2 samples a side the U test cannot reach p < 0.05; use at least 4"},
		{[]string{"compare", base, "--alpha", "NaN"}, "--alpha NaN: must be strictly between 0 and 1"},
		{[]string{"compare", base, "--confidence", "0"}, "--confidence 0: must be strictly between 0 and 1, e.g. 0.95"},
		// A/B mode checks before it builds and runs anything.
		{[]string{"gate", "--base-ref", "HEAD", "--count", "3", "--", "-bench", "X"}, "--count 3: with 3 rounds a side the U test cannot reach p < 0.05; use --count 4 or more"},
		{[]string{"gate", "--base-ref", "HEAD", "--count", "5", "--min-samples", "10", "--", "-bench", "X"}, "--min-samples 10 is more than --count 5"},
		{[]string{"gate", "--base-ref", "HEAD", "--threshold", "5", "--", "-bench", "X"}, "--threshold 5: a bare number"},
	} {
		code, out, errs := cli(t, c.args...)
		assert.Equal(t, exitBadInput, code, "%v: %s", c.args, errs)
		assert.Contains(t, errs, c.want, c.args)
		assert.NotContains(t, out, "PASS", c.args)
	}

	code, out, errs := cli(t, gate("--threshold", "5%")...)
	assert.Equal(t, exitFailed, code, errs)
	assert.Contains(t, out, "worse than 5.0%")
	code, out, errs = cli(t, gate("--threshold", "150%", "--allow-large-threshold")...)
	assert.Equal(t, exitOK, code, "a large threshold when asked for: %s", errs)
	assert.Contains(t, out, "worse than 150.0%")
}

// TestGateOnNothingExitsTwo: a gate that compared nothing, or not what it
// was asked to, is not a PASS.
func TestGateOnNothingExitsTwo(t *testing.T) {
	dir := t.TempDir()
	base := benchFile(t, dir, "base.txt", "BenchmarkX-2", 10, 100, "ns/op", -1)
	same := benchFile(t, dir, "same.txt", "BenchmarkX-2", 10, 100, "ns/op", -1)
	ms := benchFile(t, dir, "ms.txt", "BenchmarkX-2", 10, 0.0001, "ms/op", -1)
	renamed := benchFile(t, dir, "renamed.txt", "BenchmarkY-2", 10, 100, "ns/op", -1)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--candidate", same, "--units", "nonsense/op"}, "--units nonsense/op: found on neither side; units present: baseline sec/op; candidate sec/op"},
		{[]string{"--candidate", ms}, "never compared: sec/op is reported by the baseline and not by the candidate, for BenchmarkX-2, where the candidate reports ms/op: give both sides the same unit"},
		{[]string{"--candidate", renamed}, "no benchmark is in both files: all 1 baseline benchmark(s) (such as BenchmarkX-2) vanished from the candidate"},
	} {
		args := append([]string{"gate", "--baseline", base}, c.args...)
		code, out, errs := cli(t, args...)
		assert.Equal(t, exitBadInput, code, "%v: %s", c.args, out)
		assert.Contains(t, errs, "gate not judged: "+c.want, c.args)
		assert.Contains(t, out, "gate: NOT JUDGED", c.args)
	}
	code, out, _ := cli(t, "gate", "--baseline", base, "--candidate", same, "--units", "ns/op")
	assert.Equal(t, exitOK, code, "ns/op is read as sec/op")
	assert.Contains(t, out, "gate: 1 benchmark-unit pairs checked")
}

// TestGateTooFewSamplesOneMessage gates two real results.txt of one
// repetition each: one short message, the fix being --repeat, not a line
// per benchmark and unit.
func TestGateTooFewSamplesOneMessage(t *testing.T) {
	dir := t.TempDir()
	code, _, errs := cli(t, "run", "testdata/tiny.yaml", "--out", dir, "--quiet", "--variant", "cache=sharded")
	require.Equal(t, exitOK, code, errs)
	results := filepath.Join(dir, "results.txt")
	code, out, errs := cli(t, "gate", "--baseline", results, "--candidate", results)
	assert.Equal(t, exitBadInput, code, errs)
	assert.Equal(t, 1, strings.Count(out, "too few samples"), out)
	assert.Contains(t, out, "the baseline has 1 a pair, the candidate 1; the gate needs at least 10 on each side. Rerun both with `llmbench run … --repeat 10`")
	assert.NotContains(t, out, "-count")
	assert.Contains(t, errs, "gate not judged: too few samples in ")

	// compare says once that n=1 gives no interval and no test.
	code, out, errs = cli(t, "compare", results, results)
	assert.Equal(t, exitOK, code, errs)
	assert.Equal(t, 1, strings.Count(out, "too few samples"), out)
	assert.Contains(t, out, "note: n=1: too few samples for an interval")
	assert.Contains(t, out, "Rerun with `llmbench run … --repeat 6`")
	assert.NotContains(t, out, "± ∞")
	assert.NotContains(t, out, "p=1.000 n=1)")
}

// TestCompareFilterTypos: a --filter key no benchmark has (/imp:lockfree)
// said only "no results match (check --filter)", and inside an OR it
// silently dropped its side from the table; a name that matches nothing
// did not say which names exist.
func TestCompareFilterTypos(t *testing.T) {
	dir := t.TempDir()
	f := benchFile(t, dir, "a.txt", "BenchmarkCache/impl=lockfree/keys=1000-2", 6, 30, "ns/op", 0)
	for _, c := range []struct{ filter, want string }{
		{"/imp:lockfree", `--filter /imp:lockfree: no benchmark has the key "imp"; the benchmarks' keys: /impl, /keys`},
		{".name:Cache (/impl:lockfree OR /imlp:otter)", `no benchmark has the key "imlp"`},
		{".name:Cache -/kyes:1000", `no benchmark has the key "kyes"`},
		{".name:Cashe", "--filter .name:Cashe: no result matches; the files' benchmarks: Cache"},
		{"/impl:lockfre", "--filter /impl:lockfre: no result matches"},
	} {
		code, out, errs := cli(t, "compare", f, "--col", "/impl", "--filter", c.filter)
		assert.Equal(t, exitBadInput, code, "%s: %s", c.filter, out)
		assert.Contains(t, errs, c.want, c.filter)
	}
	for _, ok := range []string{"/impl:lockfree /keys:1000", ".name:Cache /gomaxprocs:2", "-/impl:seed", "(/impl:lockfree OR /impl:seed)"} {
		code, _, errs := cli(t, "compare", f, "--col", "/impl", "--filter", ok)
		assert.Equal(t, exitOK, code, "%s: %s", ok, errs)
	}
}

// TestCompareOfFilesSharingNothing: the cache matrix compared with the
// baseline printed both side by side, every change blank, and exited 0.
func TestCompareOfFilesSharingNothing(t *testing.T) {
	dir := t.TempDir()
	a := benchFile(t, dir, "a.txt", "BenchmarkCache/impl=lockfree-2", 6, 30, "ns/op", 0)
	b := benchFile(t, dir, "b.txt", "BenchmarkCacheMatrix/impl=lockfree-2", 6, 40, "ns/op", 0)
	code, _, errs := cli(t, "compare", a, b)
	assert.Equal(t, exitBadInput, code, errs)
	assert.Contains(t, errs, "nothing was compared: no benchmark has a value in the first column (--col .file) and in another")

	for _, args := range [][]string{{a}, {a, a}, {"--col", "/impl", a}} {
		code, _, errs = cli(t, append([]string{"compare"}, args...)...)
		assert.Equal(t, exitOK, code, "%v: %s", args, errs)
	}
}
