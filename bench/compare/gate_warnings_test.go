package compare

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestGateWarnsOfUnitsOnlyTheCandidateHas: a baseline made without
// -benchmem has no B/op or allocs/op, so the gate cannot see the
// candidate's allocations rise; it used to pass without a word about them.
func TestGateWarnsOfUnitsOnlyTheCandidateHas(t *testing.T) {
	nomem := rawFile(t, "nomem.txt", strings.Repeat("BenchmarkA-2\t100\t100 ns/op\nBenchmarkB-2\t100\t50 ns/op\n", 10))
	cand := writeFile(t, "b.txt", 2, "", bench{"BenchmarkA-2", 10, 100, 3, ""}, bench{"BenchmarkB-2", 10, 50, 1, ""})

	rep := gate(t, nomem, cand, GateOptions{})
	assert.True(t, rep.Judged(), "sec/op was compared: %v", rep.Unjudged)
	assert.Equal(t, 2, rep.Checked, "sec/op of both benchmarks")
	assert.Contains(t, strings.Join(rep.Warnings, "\n"),
		"not gated: allocs/op is reported by the candidate and not by the baseline, for BenchmarkA-2 and 1 more: the baseline has nothing to compare it with (was the baseline run without -benchmem?)")

	// Asked for by name, it is not judged (exit 2), and said once.
	rep = gate(t, nomem, cand, GateOptions{Units: []string{"allocs/op"}})
	assert.False(t, rep.Judged())
	assert.Contains(t, strings.Join(rep.Unjudged, "\n"), "--units allocs/op: in the candidate only")
	assert.NotContains(t, strings.Join(rep.Warnings, "\n"), "allocs/op is reported by the candidate")

	// The same files both ways round: nothing new, no warning.
	rep = gate(t, cand, cand, GateOptions{})
	assert.NotContains(t, strings.Join(rep.Warnings, "\n"), "not gated")
}

// TestGateWarnsOfDifferentBenchtimes: B/op of structures that grow by
// amortised steps depends on b.N, so a make bench-quick run (50ms) gated
// against the baseline (80ms) can differ without a change in the code.
func TestGateWarnsOfDifferentBenchtimes(t *testing.T) {
	a := bench{"BenchmarkA-2", 10, 100, 3, ""}
	base := writeFile(t, "a.txt", 1, "benchtime: 80ms\n", a)
	same := writeFile(t, "b.txt", 2, "benchtime: 80ms\n", a)
	short := writeFile(t, "c.txt", 2, "benchtime: 50ms\n", a)
	none := writeFile(t, "d.txt", 2, "", a)

	rep := gate(t, base, short, GateOptions{})
	assert.Contains(t, strings.Join(rep.Warnings, "\n"), `baseline and candidate ran at different benchtimes ("80ms" vs "50ms")`)
	for _, other := range []string{same, none} {
		rep = gate(t, base, other, GateOptions{})
		assert.NotContains(t, strings.Join(rep.Warnings, "\n"), "benchtimes", other)
	}
}
