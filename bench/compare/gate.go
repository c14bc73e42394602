package compare

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
)

// GateOptions say what counts as a regression.
type GateOptions struct {
	// Threshold is the smallest worsening that fails the gate, as a
	// fraction (0.05: 5 %), for units measured with noise.
	Threshold float64
	// Alpha is the significance level of the whole gate: the chance that
	// any of its U tests calls noise a change (Holm-Bonferroni corrected).
	Alpha float64
	// Units to gate (tidied names: sec/op, B/op, allocs/op, ...); empty:
	// every unit whose better direction is known.
	Units []string
	// ExactTolerance is the worsening allowed for exact units (allocs/op,
	// B/op, assume=exact ones), as a fraction of the baseline; besides it,
	// allocs/op may rise by less than 1 and B/op by less than 8 bytes,
	// which averages over a varying b.N produce without any change.
	ExactTolerance float64
	// MinSamples is the fewest samples a side may have (default 10).
	MinSamples int
}

// DefaultMinSamples is the architecture's minimum sample count.
const DefaultMinSamples = 10

// Offense is one benchmark and unit that regressed.
type Offense struct {
	Name               string
	Unit               string
	Base, Cand         float64 // medians
	Delta              float64 // relative, signed
	P                  float64 // NaN for exact units
	BaseN, CandN       int
	Exact              bool
	BaseText, CandText string
}

// TooFew is a benchmark and unit without enough samples to be gated.
type TooFew struct {
	Name, Unit   string
	BaseN, CandN int
	Need         int
}

// Report is the gate's verdict and everything behind it.
type Report struct {
	Offenses   []Offense
	Checked    int // benchmark-unit pairs compared
	Tests      int // of which U tests (non-exact units), corrected together
	Improved   int
	TooFew     []TooFew
	New        []string // in the candidate only
	Vanished   []string // in the baseline only
	Warnings   []string
	Thresholds GateOptions
}

// Failed reports a regression.
func (r *Report) Failed() bool { return len(r.Offenses) > 0 }

// minSignificantN is the smallest sample size, equal on both sides, with
// which the U test can reach alpha at all.
func minSignificantN(alpha float64) int {
	for n := 2; n < 50; n++ {
		// The smallest two-sided p of the exact U test for n+n is
		// 2 / C(2n, n).
		c := 1.0
		for i := 1; i <= n; i++ {
			c = c * float64(n+i) / float64(i)
		}
		if 2/c <= alpha {
			return n
		}
	}
	return 50
}

// Gate compares candidate with baseline, benchmark by benchmark (full
// names), unit by unit.
func Gate(base, cand *Dataset, o GateOptions) (*Report, error) {
	if o.Threshold < 0 {
		return nil, fmt.Errorf("--threshold must not be negative")
	}
	if o.Alpha == 0 {
		o.Alpha = benchmath.DefaultThresholds.CompareAlpha
	}
	if o.Alpha <= 0 || o.Alpha >= 1 {
		return nil, fmt.Errorf("--alpha %g: must be between 0 and 1", o.Alpha)
	}
	if o.MinSamples == 0 {
		o.MinSamples = DefaultMinSamples
	}
	if floor := minSignificantN(o.Alpha); o.MinSamples < floor {
		return nil, fmt.Errorf("--min-samples %d: with %d samples a side the U test cannot reach p < %g; use at least %d", o.MinSamples, o.MinSamples, o.Alpha, floor)
	}
	rep := &Report{Thresholds: o}
	rep.Warnings = machineWarnings(base, cand)
	units := mergeUnits(base.Units, cand.Units)
	b, c := byName(base.Results), byName(cand.Results)
	for name := range c {
		if _, ok := b[name]; !ok {
			rep.New = append(rep.New, name)
		}
	}
	for name := range b {
		if _, ok := c[name]; !ok {
			rep.Vanished = append(rep.Vanished, name)
		}
	}
	sort.Strings(rep.New)
	sort.Strings(rep.Vanished)
	thresholds := benchmath.DefaultThresholds
	thresholds.CompareAlpha = o.Alpha
	var tested []testedPair
	names := make([]string, 0, len(b))
	for n := range b {
		if _, ok := c[n]; ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		for _, unit := range sortedUnits(b[name]) {
			cv, ok := c[name][unit]
			if !ok {
				continue
			}
			better := units.GetBetter(unit)
			if better == 0 || (len(o.Units) > 0 && !slices.Contains(o.Units, unit)) {
				continue
			}
			bv := b[name][unit]
			if len(bv) < o.MinSamples || len(cv) < o.MinSamples {
				rep.TooFew = append(rep.TooFew, TooFew{name, unit, len(bv), len(cv), o.MinSamples})
				continue
			}
			rep.Checked++
			assume := units.GetAssumption(unit)
			exact := assume == benchmath.AssumeExact || unit == "allocs/op" || unit == "B/op"
			bs := benchmath.NewSample(append([]float64(nil), bv...), &thresholds)
			cs := benchmath.NewSample(append([]float64(nil), cv...), &thresholds)
			bm, cm := median(bs.Values), median(cs.Values)
			delta := ratio(cm, bm)
			worse := (better < 0 && cm > bm) || (better > 0 && cm < bm)
			off := Offense{Name: name, Unit: unit, Base: bm, Cand: cm, Delta: delta, P: math.NaN(),
				BaseN: len(bv), CandN: len(cv), Exact: exact}
			if exact {
				if worse && math.Abs(cm-bm) > math.Max(o.ExactTolerance*math.Abs(bm), slack(unit)) {
					rep.Offenses = append(rep.Offenses, off)
				} else if !worse && cm != bm {
					rep.Improved++
				}
				continue
			}
			cmp := benchmath.AssumeNothing.Compare(bs, cs)
			off.P = cmp.P
			tested = append(tested, testedPair{off, worse})
		}
	}
	// Every pair is a test: at alpha each, twenty pairs would raise a false
	// alarm more often than not. Holm's step-down procedure keeps the
	// chance of any false alarm in the whole gate at alpha.
	for i, sig := range holm(tested, o.Alpha) {
		t := tested[i]
		switch {
		case sig && t.worse && math.Abs(t.off.Delta) > o.Threshold:
			rep.Offenses = append(rep.Offenses, t.off)
		case sig && !t.worse && math.Abs(t.off.Delta) > o.Threshold:
			rep.Improved++
		}
	}
	rep.Tests = len(tested)
	return rep, nil
}

type testedPair struct {
	off   Offense
	worse bool
}

// holm reports which tests reject at family-wise error rate alpha: sorted
// by p, the k-th smallest (from 0) must be at most alpha/(m−k), and the
// first that is not stops the rejections.
func holm(tests []testedPair, alpha float64) []bool {
	idx := make([]int, len(tests))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return tests[idx[a]].off.P < tests[idx[b]].off.P })
	sig := make([]bool, len(tests))
	m := len(tests)
	for k, i := range idx {
		if tests[i].off.P > alpha/float64(m-k) {
			break
		}
		sig[i] = true
	}
	return sig
}

// slack is the rise an exact unit may show without a real change.
func slack(unit string) float64 {
	switch unit {
	case "allocs/op":
		return 0.5 // an integer: any rise of 1 counts
	case "B/op":
		return 8
	}
	return 0
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// byName groups values by full benchmark name (the -N suffix included)
// and unit.
func byName(results []*benchfmt.Result) map[string]map[string][]float64 {
	out := map[string]map[string][]float64{}
	for _, r := range results {
		name := "Benchmark" + string(r.Name.Full()) // Full drops the prefix
		m := out[name]
		if m == nil {
			m = map[string][]float64{}
			out[name] = m
		}
		for _, v := range r.Values {
			m[v.Unit] = append(m[v.Unit], v.Value)
		}
	}
	return out
}

func sortedUnits(m map[string][]float64) []string {
	out := make([]string, 0, len(m))
	for u := range m {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool {
		if ri, rj := unitRank(out[i]), unitRank(out[j]); ri != rj {
			return ri < rj
		}
		return out[i] < out[j]
	})
	return out
}

func mergeUnits(a, b benchfmt.UnitMetadataMap) benchfmt.UnitMetadataMap {
	out := benchfmt.UnitMetadataMap{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if _, ok := out[k]; !ok {
			out[k] = v
		}
	}
	return out
}

// machineWarnings notes configuration lines that differ between the two
// sides: figures from different machines are not comparable.
func machineWarnings(base, cand *Dataset) []string {
	first := func(ds *Dataset) map[string]string {
		out := map[string]string{}
		files := make([]string, 0, len(ds.Configs))
		for f := range ds.Configs {
			files = append(files, f)
		}
		sort.Strings(files)
		for _, f := range files {
			for k, v := range ds.Configs[f] {
				if _, ok := out[k]; !ok {
					out[k] = v
				}
			}
		}
		return out
	}
	b, c := first(base), first(cand)
	var diffs []string
	for _, k := range machineKeys {
		if bv, cv := b[k], c[k]; bv != "" && cv != "" && bv != cv {
			diffs = append(diffs, fmt.Sprintf("%s %q vs %q", k, bv, cv))
		}
	}
	if len(diffs) == 0 {
		return nil
	}
	return []string{"baseline and candidate come from different machines or toolchains (" + strings.Join(diffs, "; ") + "): differences may not be the code's"}
}
