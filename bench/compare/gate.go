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
	// which averages over a varying b.N produce without any change, and
	// any unit as far as the baseline's own samples reach.
	ExactTolerance float64
	// MinSamples is the fewest samples a side may have (default 10).
	MinSamples int
	// AllowLarge accepts a Threshold or ExactTolerance of 100 % or more,
	// which would let a benchmark twice as slow pass.
	AllowLarge bool
	// MoreSamples says how to get more samples, for the too-few message;
	// empty: told from the files (llmbench run's --repeat, go test's
	// -count).
	MoreSamples string
}

// Validate refuses options that make the gate meaningless, with the
// defaults applied, so that a caller can check them before a long run.
func (o GateOptions) Validate() error {
	o.defaults()
	return o.check()
}

func (o *GateOptions) defaults() {
	if o.Alpha == 0 {
		o.Alpha = benchmath.DefaultThresholds.CompareAlpha
	}
	if o.MinSamples == 0 {
		o.MinSamples = DefaultMinSamples
	}
}

// check refuses options that make the gate meaningless.
func (o *GateOptions) check() error {
	for _, f := range []struct {
		flag string
		v    float64
	}{{"--threshold", o.Threshold}, {"--exact-tolerance", o.ExactTolerance}} {
		switch {
		case math.IsNaN(f.v) || math.IsInf(f.v, 0):
			return fmt.Errorf("%s: must be a finite percentage such as 5%%", f.flag)
		case f.v < 0:
			return fmt.Errorf("%s %g%%: must not be negative", f.flag, 100*f.v)
		case f.v >= 1 && !o.AllowLarge:
			return fmt.Errorf("%s %g%%: a figure twice its baseline (or half of it, for a higher-is-better unit) would pass; use a smaller value such as 5%%, or add --allow-large-threshold if you mean it", f.flag, 100*f.v)
		}
	}
	if err := inOpenUnit("--alpha", o.Alpha); err != nil {
		return err
	}
	if o.MinSamples < 1 {
		return fmt.Errorf("--min-samples %d: must be at least 1", o.MinSamples)
	}
	if floor := minSignificantN(o.Alpha); o.MinSamples < floor {
		return fmt.Errorf("--min-samples %d: with %d samples a side the U test cannot reach p < %g; use at least %d", o.MinSamples, o.MinSamples, o.Alpha, floor)
	}
	return nil
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
	Offenses []Offense
	Checked  int // benchmark-unit pairs compared
	Tests    int // of which U tests (non-exact units), corrected together
	Improved int
	TooFew   []TooFew
	// Unjudged says why the gate cannot give a verdict although the files
	// were read: nothing compared, a unit asked for that could not be
	// compared, every baseline benchmark gone. A PASS on nothing would
	// hide a broken pipeline.
	Unjudged   []string
	New        []string // in the candidate only
	Vanished   []string // in the baseline only
	Warnings   []string
	Thresholds GateOptions

	// How each side gets more samples, for the too-few message.
	baseFix, candFix string
}

// Failed reports a regression.
func (r *Report) Failed() bool { return len(r.Offenses) > 0 }

// Judged reports whether the gate could decide: enough samples and
// something compared. An unjudged gate exits 2, never PASS.
func (r *Report) Judged() bool { return len(r.TooFew) == 0 && len(r.Unjudged) == 0 }

// TooFewText is one line on the pairs without enough samples: how many,
// which side is short and how to rerun it. Empty when none is.
func (r *Report) TooFewText() string {
	if len(r.TooFew) == 0 {
		return ""
	}
	need := r.TooFew[0].Need
	span := func(side func(TooFew) int) (lo, hi int, short bool) {
		lo, hi = math.MaxInt, 0
		for _, tf := range r.TooFew {
			n := side(tf)
			lo, hi = min(lo, n), max(hi, n)
			short = short || n < need
		}
		return lo, hi, short
	}
	count := func(lo, hi int) string {
		if lo == hi {
			return fmt.Sprint(lo)
		}
		return fmt.Sprintf("%d to %d", lo, hi)
	}
	bLo, bHi, bShort := span(func(tf TooFew) int { return tf.BaseN })
	cLo, cHi, cShort := span(func(tf TooFew) int { return tf.CandN })
	var b strings.Builder
	fmt.Fprintf(&b, "too few samples in %d benchmark-unit pair(s): the baseline has %s a pair, the candidate %s; the gate needs at least %d on each side. ",
		len(r.TooFew), count(bLo, bHi), count(cLo, cHi), need)
	switch {
	case bShort && cShort && r.baseFix == r.candFix:
		fmt.Fprintf(&b, "Rerun both with %s", r.baseFix)
	case bShort && cShort:
		fmt.Fprintf(&b, "Rerun the baseline with %s and the candidate with %s", r.baseFix, r.candFix)
	case bShort:
		fmt.Fprintf(&b, "Rerun the baseline with %s", r.baseFix)
	default:
		fmt.Fprintf(&b, "Rerun the candidate with %s", r.candFix)
	}
	return b.String()
}

// MinUsefulSamples is the smallest sample size, equal on both sides, with
// which the U test can reach alpha at all (4 at 0.05).
func MinUsefulSamples(alpha float64) int { return minSignificantN(alpha) }

func minSignificantN(alpha float64) int {
	for n := 2; n < 50; n++ {
		if uTestMinP(n, n) <= alpha {
			return n
		}
	}
	return 50
}

// Gate compares candidate with baseline, benchmark by benchmark (full
// names), unit by unit.
func Gate(base, cand *Dataset, o GateOptions) (*Report, error) {
	o.defaults()
	if err := o.check(); err != nil {
		return nil, err
	}
	rep := &Report{Thresholds: o, baseFix: o.MoreSamples, candFix: o.MoreSamples}
	if o.MoreSamples == "" {
		rep.baseFix, rep.candFix = base.source().moreSamples(o.MinSamples), cand.source().moreSamples(o.MinSamples)
	}
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
	asked := func(unit string) bool { return len(o.Units) == 0 || slices.Contains(o.Units, unit) }
	var tested []testedPair
	names := make([]string, 0, len(b))
	for n := range b {
		if _, ok := c[n]; ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	judged := map[string]bool{}     // units with a pair checked or too few
	undirected := map[string]bool{} // on both sides, better direction unknown
	inputs := map[string]bool{}     // declared role=input: what was asked, not measured
	gaps := map[string]*unitGap{}
	newUnits := map[string][]string{} // unit -> benchmarks that report it in the candidate only
	for _, name := range names {
		var onlyBase, onlyCand []string
		for _, unit := range sortedUnits(b[name], c[name]) {
			bv, inB := b[name][unit]
			cv, inC := c[name][unit]
			better := units.GetBetter(unit)
			if m := units.Get(unit, "role"); m != nil && m.Value == "input" && !slices.Contains(o.Units, unit) {
				inputs[unit] = true // an offered rate is a setting: a change in it is no regression
				continue
			}
			switch {
			case !inB:
				onlyCand = append(onlyCand, unit)
				if better != 0 && asked(unit) {
					newUnits[unit] = append(newUnits[unit], name)
				}
				continue
			case !inC:
				if better != 0 && asked(unit) {
					onlyBase = append(onlyBase, unit)
				}
				continue
			case !asked(unit):
				continue
			case better == 0:
				undirected[unit] = true
				continue
			}
			judged[unit] = true
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
				// A B/op figure that varies by a few bytes from sample to
				// sample in the baseline itself (maps growing at a
				// varying b.N) is not exact there: a rise within the
				// baseline's own spread is no change.
				allowed := max(o.ExactTolerance*math.Abs(bm), slack(unit), spread(bs.Values, bm, better))
				if worse && math.Abs(cm-bm) > allowed {
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
		for _, u := range onlyBase {
			g := gaps[u]
			if g == nil {
				g = &unitGap{instead: map[string]bool{}}
				gaps[u] = g
			}
			g.names = append(g.names, name)
			for _, other := range onlyCand {
				g.instead[other] = true
			}
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
	for _, u := range sortedKeys(keysOf(gaps)) {
		if judged[u] { // compared elsewhere: a gap, not a blind spot
			rep.Warnings = append(rep.Warnings, "not compared: "+gaps[u].text(u))
		}
	}
	replacing := map[string]bool{} // candidate units already named by a gap (ms/op for ns/op)
	for _, g := range gaps {
		for u := range g.instead {
			replacing[u] = true
		}
	}
	for _, u := range sortedKeys(keysOf(newUnits)) {
		// A unit asked for and never compared is already unjudged; the
		// rest would pass unseen: say they were not gated.
		if !replacing[u] && (len(o.Units) == 0 || judged[u]) {
			rep.Warnings = append(rep.Warnings, "not gated: "+newUnitText(u, newUnits[u]))
		}
	}
	if len(undirected) > 0 && len(o.Units) == 0 {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("not gated, better direction unknown: %s; declare it in the files with a line such as `Unit %s better=lower`, as llmbench run's results.txt does",
			strings.Join(sortedKeys(undirected), ", "), sortedKeys(undirected)[0]))
	}
	if len(inputs) > 0 {
		rep.Warnings = append(rep.Warnings, "not gated, inputs of the run rather than measurements: "+strings.Join(sortedKeys(inputs), ", "))
	}
	rep.Unjudged = unjudged(b, c, len(names), o.Units, judged, undirected, gaps, rep)
	if d := scenarioDifference(base, cand); d != "" {
		rep.Unjudged = append(rep.Unjudged, d)
	}
	for _, side := range []struct {
		name string
		ds   *Dataset
	}{{"baseline", base}, {"candidate", cand}} {
		for f, cfg := range side.ds.Configs {
			if cfg["partial"] == "true" {
				rep.Warnings = append(rep.Warnings, fmt.Sprintf("the %s %s is partial (an interrupted run): it has fewer samples than were planned", side.name, f))
			}
		}
	}
	return rep, nil
}

// scenarioDifference says when llmbench run results of two different
// scenarios (source hashes) are compared: the gate then judges the
// scenario's change, not the code's; "" otherwise.
func scenarioDifference(base, cand *Dataset) string {
	hashes := func(ds *Dataset) map[string]bool {
		out := map[string]bool{}
		for _, cfg := range ds.Configs {
			if h := cfg[sourceHashKey]; h != "" {
				out[h] = true
			}
		}
		return out
	}
	bh, ch := hashes(base), hashes(cand)
	for h := range bh {
		if len(ch) > 0 && !ch[h] {
			return fmt.Sprintf("the baseline and the candidate ran different scenarios (%s %.12s… and %.12s…): the gate compares code on one scenario; run both sides with the same scenario and overrides",
				sourceHashKey, h, sortedKeys(ch)[0])
		}
	}
	return ""
}

// unjudged lists why nothing, or not everything asked for, was compared.
func unjudged(b, c map[string]map[string][]float64, common int, asked []string, judged, undirected map[string]bool,
	gaps map[string]*unitGap, rep *Report) []string {
	present := func(m map[string]map[string][]float64) map[string]bool {
		out := map[string]bool{}
		for _, us := range m {
			for u := range us {
				out[u] = true
			}
		}
		return out
	}
	inB, inC := present(b), present(c)
	have := fmt.Sprintf("units present: baseline %s; candidate %s", unitList(inB), unitList(inC))
	if common == 0 {
		example := func(names []string) string {
			if len(names) == 0 {
				return ""
			}
			return " (such as " + names[0] + ")"
		}
		return []string{fmt.Sprintf("no benchmark is in both files: all %d baseline benchmark(s)%s vanished from the candidate, which has %d other(s)%s; renamed? Gate files of the same benchmarks",
			len(b), example(rep.Vanished), len(c), example(rep.New))}
	}
	var out []string
	if len(asked) == 0 {
		// A unit the baseline gates that the candidate never reports: as
		// when every benchmark vanished, the gate would pass blind.
		for _, u := range sortedKeys(keysOf(gaps)) {
			if !judged[u] {
				out = append(out, "never compared: "+gaps[u].text(u))
			}
		}
	}
	for _, u := range asked {
		var why string
		switch {
		case judged[u]:
			continue
		case gaps[u] != nil:
			why = "never compared: " + gaps[u].text(u)
		case undirected[u]:
			why = fmt.Sprintf("its better direction is unknown; declare it in the files with a line `Unit %s better=lower` (or higher)", u)
		case inB[u] && inC[u]:
			why = "on both sides, but never in the same benchmark"
		case inB[u]:
			why = "in the baseline only; " + have
		case inC[u]:
			why = "in the candidate only; " + have
		default:
			why = "found on neither side; " + have
		}
		out = append(out, fmt.Sprintf("--units %s: %s", u, why))
	}
	if len(out) == 0 && rep.Checked == 0 && len(rep.TooFew) == 0 {
		out = append(out, fmt.Sprintf("no benchmark-unit pair to compare: the %d benchmark(s) in both files share no unit whose better direction is known (%s)", common, have))
	}
	return out
}

// unitGap is a unit that benchmarks report in the baseline and not in the
// candidate: ns/op against ms/op, say, which benchfmt does not reconcile
// (it reads ns/op as sec/op and converts no other unit), or a candidate
// run without -benchmem.
type unitGap struct {
	names   []string        // benchmarks that lack it in the candidate
	instead map[string]bool // units those report in the candidate only
}

func (g *unitGap) text(unit string) string {
	which := g.names[0]
	if len(g.names) > 1 {
		which += fmt.Sprintf(" and %d more", len(g.names)-1)
	}
	msg := fmt.Sprintf("%s is reported by the baseline and not by the candidate, for %s", unit, which)
	if len(g.instead) > 0 {
		return msg + fmt.Sprintf(", where the candidate reports %s: give both sides the same unit", unitList(g.instead))
	}
	if unit == "B/op" || unit == "allocs/op" {
		return msg + " (was the candidate run without -benchmem?)"
	}
	return msg
}

// newUnitText says which benchmarks report a unit in the candidate only:
// the baseline has nothing to compare it with (a baseline made without
// -benchmem, say), so the gate cannot see it rise.
func newUnitText(unit string, names []string) string {
	which := names[0]
	if len(names) > 1 {
		which += fmt.Sprintf(" and %d more", len(names)-1)
	}
	msg := fmt.Sprintf("%s is reported by the candidate and not by the baseline, for %s: the baseline has nothing to compare it with", unit, which)
	if unit == "B/op" || unit == "allocs/op" {
		return msg + " (was the baseline run without -benchmem?)"
	}
	return msg
}

func keysOf[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

func unitList(set map[string]bool) string {
	if len(set) == 0 {
		return "none"
	}
	return strings.Join(sortedKeys(set), ", ")
}

func sortedKeys(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for u := range set {
		out = append(out, u)
	}
	sortUnits(out)
	return out
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

// spread is how far the baseline's own samples reach from its median in
// the worse direction.
func spread(sorted []float64, median float64, better int) float64 {
	if len(sorted) == 0 {
		return 0
	}
	if better < 0 {
		return sorted[len(sorted)-1] - median
	}
	return median - sorted[0]
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

// sortedUnits is the union of the maps' units, testing's units first.
func sortedUnits(ms ...map[string][]float64) []string {
	set := map[string]bool{}
	for _, m := range ms {
		for u := range m {
			set[u] = true
		}
	}
	return sortedKeys(set)
}

func sortUnits(us []string) {
	sort.Slice(us, func(i, j int) bool {
		if ri, rj := unitRank(us[i]), unitRank(us[j]); ri != rj {
			return ri < rj
		}
		return us[i] < us[j]
	})
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

// firstConfig is a dataset's configuration lines, the first file's value
// of each key (files in name order).
func firstConfig(ds *Dataset) map[string]string {
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

// machineWarnings notes configuration lines that differ between the two
// sides: figures from different machines are not comparable, nor, where a
// figure depends on b.N (amortised growth in B/op), figures from runs of
// different benchtimes (the benchtime line of scripts/bench.sh).
func machineWarnings(base, cand *Dataset) []string {
	b, c := firstConfig(base), firstConfig(cand)
	var diffs []string
	for _, k := range machineKeys {
		if bv, cv := b[k], c[k]; bv != "" && cv != "" && bv != cv {
			diffs = append(diffs, fmt.Sprintf("%s %q vs %q", k, bv, cv))
		}
	}
	var out []string
	if len(diffs) > 0 {
		out = append(out, "baseline and candidate come from different machines or toolchains ("+strings.Join(diffs, "; ")+"): differences may not be the code's")
	}
	if bv, cv := b[benchtimeKey], c[benchtimeKey]; bv != "" && cv != "" && bv != cv {
		out = append(out, fmt.Sprintf("baseline and candidate ran at different benchtimes (%q vs %q): figures that depend on b.N (B/op of structures that grow by amortised steps) may differ without a change; run the candidate at the baseline's", bv, cv))
	}
	return out
}
