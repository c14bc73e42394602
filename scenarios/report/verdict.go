package report

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/llmbench/llmbench/scenarios/results"
)

// Every variant of a repetition is served the same requests (the mock's
// latency, length and fault are functions of the request's index), so
// variants are compared paired: the difference for request k isolates
// the primitive's cost from the mock's noise. Failed requests count as
// infinitely slow, so that a variant that fails more never looks faster.

// Comparison is one variant against the best on one metric.
type Comparison struct {
	Metric, Best, Variant string
	// Median is the median paired difference (variant − best), Lo and Hi
	// its 95 % interval; HasInterval is false when there are too few pairs.
	Median, Lo, Hi float64
	HasInterval    bool
	Pairs          int
	// Ratio is variant/best for costs (0 when not meaningful).
	Ratio float64
	// BelowFloor: a latency difference smaller than how late this
	// machine's timers fire (results.Floor), which the harness cannot
	// resolve whatever the interval says.
	BelowFloor bool
}

// Shown says whether a difference is shown: the interval excludes 0, and
// the difference is above the harness's floor.
func (c Comparison) Shown() bool { return c.HasInterval && !c.BelowFloor && (c.Lo > 0 || c.Hi < 0) }

type verdictMetric struct {
	name, label string
	// perRequest picks a sample's per-request figures; nil for a
	// per-repetition cost, read by metric from each repetition.
	perRequest func(*results.Sample) []int64
	// paired summarises the per-request pairs (a, b), failures as +∞:
	// the difference, its 95 % interval, and whether it has one. The
	// default is the median paired difference.
	paired func(a, b []float64) (d, lo, hi float64, ok bool)
	// score ranks a variant by its own per-request figures (the best
	// scores lowest); the default is their median.
	score  func(x []float64) float64
	metric string
	format func(float64) string
}

var verdictMetrics = []verdictMetric{
	{name: "e2e", label: "e2e (all requests)", perRequest: func(s *results.Sample) []int64 { return s.E2E }, format: fmtNanos},
	{name: "e2e_p99", label: "e2e p99 (all)", perRequest: func(s *results.Sample) []int64 { return s.E2E }, paired: p99Difference,
		score: func(x []float64) float64 { return quantile(x, 0.99) }, format: fmtNanos},
	{name: "ttft", label: "TTFT", perRequest: func(s *results.Sample) []int64 { return s.TTFT }, format: fmtNanos},
	{name: "error_rate", label: "error rate", perRequest: func(s *results.Sample) []int64 { return s.E2E }, paired: failureDifference,
		score: failureRate, format: func(v float64) string { return fmt.Sprintf("%+.2f%%", 100*v) }},
	{name: "cpu_per_req", label: "CPU/req", metric: "cpu_per_req", format: func(v float64) string { return fmtNanos(v * 1e9) }},
	{name: "allocs_per_req", label: "allocs/req", metric: "allocs_per_req", format: func(v float64) string { return fmt.Sprintf("%+.1f", v) }},
}

func fmtNanos(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+∞ (fails more)"
	case math.IsInf(v, -1):
		return "−∞ (the best fails more)"
	}
	s := results.FormatDuration(time.Duration(math.Round(v)))
	if v > 0 {
		return "+" + s
	}
	return s
}

// Verdict compares every variant with the best one on each metric.
func Verdict(r *results.Results) []Comparison {
	var out []Comparison
	for _, m := range verdictMetrics {
		out = append(out, compareOn(r, m)...)
	}
	return out
}

func compareOn(r *results.Results, m verdictMetric) []Comparison {
	vs := make([]*results.VariantResult, 0, len(r.Variants))
	for i := range r.Variants {
		if len(r.Variants[i].Reps) > 0 {
			vs = append(vs, &r.Variants[i])
		}
	}
	if len(vs) < 2 {
		return nil
	}
	score := func(v *results.VariantResult) (float64, bool) {
		if m.perRequest == nil {
			x, ok := v.Summary().Metric(m.metric)
			return x, ok
		}
		var all []float64
		for _, rep := range v.Reps {
			if rep.Sample != nil {
				for _, x := range m.perRequest(rep.Sample) {
					if x != results.Absent {
						all = append(all, value(x))
					}
				}
			}
		}
		if len(all) == 0 {
			return 0, false
		}
		if m.score != nil {
			return m.score(all), true
		}
		return quantile(all, 0.5), true
	}
	best, bestScore := -1, math.Inf(1)
	for i, v := range vs {
		if s, ok := score(v); ok && (best < 0 || s < bestScore) {
			best, bestScore = i, s
		}
	}
	if best < 0 {
		return nil
	}
	var out []Comparison
	for i, v := range vs {
		if i == best {
			continue
		}
		c := Comparison{Metric: m.label, Best: vs[best].Name, Variant: v.Name}
		if m.perRequest != nil {
			a, b := pairs(vs[best], v, m.perRequest)
			if len(a) == 0 {
				continue
			}
			c.Pairs = len(a)
			if m.paired != nil {
				c.Median, c.Lo, c.Hi, c.HasInterval = m.paired(a, b)
			} else {
				c.Median, c.Lo, c.Hi, c.HasInterval = medianInterval(differences(a, b))
			}
			if m.name != "error_rate" && r.Floor != nil && math.Abs(c.Median) < float64(r.Floor.TimerLateP50) {
				c.BelowFloor = true
			}
		} else {
			d := pairedReps(vs[best], v, m.metric)
			if len(d) == 0 {
				continue
			}
			c.Pairs = len(d)
			c.Median, c.Lo, c.Hi, c.HasInterval = meanInterval(d)
			if s, ok := score(v); ok && bestScore > 0 {
				c.Ratio = s / bestScore
			}
		}
		out = append(out, c)
	}
	return out
}

// value maps a sample figure to a latency, a failure to +∞.
func value(x int64) float64 {
	if x == results.Failed {
		return math.Inf(1)
	}
	return float64(x)
}

// pairs is, for every request both variants measured in the same
// repetition, the best's figure and the variant's (a failure as +∞).
func pairs(best, v *results.VariantResult, pick func(*results.Sample) []int64) (a, b []float64) {
	for r := 0; r < min(len(best.Reps), len(v.Reps)); r++ {
		sa, sb := best.Reps[r].Sample, v.Reps[r].Sample
		if sa == nil || sb == nil || sa.Stride != sb.Stride {
			continue
		}
		xa, xb := pick(sa), pick(sb)
		for k := 0; k < min(len(xa), len(xb)); k++ {
			if xa[k] == results.Absent || xb[k] == results.Absent {
				continue
			}
			a, b = append(a, value(xa[k])), append(b, value(xb[k]))
		}
	}
	return a, b
}

// differences is b − a pair by pair; two failures are a tie.
func differences(a, b []float64) []float64 {
	d := make([]float64, len(a))
	for k := range a {
		if math.IsInf(a[k], 1) && math.IsInf(b[k], 1) {
			continue // both failed: a tie
		}
		d[k] = b[k] - a[k]
	}
	return d
}

// failureDifference is the difference of the failure rates over the
// same requests, with its normal 95 % interval (paired: each request
// counts −1, 0 or +1).
func failureDifference(a, b []float64) (d, lo, hi float64, ok bool) {
	n := float64(len(a))
	var sum, sq float64
	for k := range a {
		x := b2f(math.IsInf(b[k], 1)) - b2f(math.IsInf(a[k], 1))
		sum += x
		sq += x * x
	}
	d = sum / n
	if len(a) < 30 {
		return d, 0, 0, false
	}
	half := 1.96 * math.Sqrt(max(0, sq/n-d*d)/(n-1))
	return d, d - half, d + half, true
}

// failureRate is the share of failures (+∞) in x.
func failureRate(x []float64) float64 {
	n := 0
	for _, v := range x {
		if math.IsInf(v, 1) {
			n++
		}
	}
	return float64(n) / float64(len(x))
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// p99Difference is the difference of the two variants' 99th percentiles
// over the same requests, with a paired bootstrap 95 % interval (1000
// resamples of the pairs, from a fixed seed): the tail that a median of
// differences does not see.
func p99Difference(a, b []float64) (d, lo, hi float64, ok bool) {
	n := len(a)
	p99 := func(x []float64) float64 { return quantile(x, 0.99) }
	d = sub(p99(slices.Clone(b)), p99(slices.Clone(a)))
	if n < 100 {
		return d, 0, 0, false
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const resamples = 1000
	stats := make([]float64, resamples)
	ra, rb := make([]float64, n), make([]float64, n)
	for i := range stats {
		for k := range n {
			j := rng.IntN(n)
			ra[k], rb[k] = a[j], b[j]
		}
		stats[i] = sub(p99(rb), p99(ra))
	}
	slices.Sort(stats)
	return d, stats[resamples*25/1000], stats[resamples*975/1000-1], true
}

// sub is x − y, with ∞ − ∞ a tie.
func sub(x, y float64) float64 {
	if math.IsInf(x, 1) && math.IsInf(y, 1) {
		return 0
	}
	return x - y
}

// quantile is the q-quantile of x (reordered in place), by selection.
func quantile(x []float64, q float64) float64 {
	k := min(len(x)-1, int(math.Ceil(q*float64(len(x))))-1)
	lo, hi := 0, len(x)-1
	for lo < hi {
		p := x[(lo+hi)/2]
		i, j := lo, hi
		for i <= j {
			for x[i] < p {
				i++
			}
			for x[j] > p {
				j--
			}
			if i <= j {
				x[i], x[j] = x[j], x[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return x[k]
		}
	}
	return x[k]
}

// pairedReps is, per repetition, the variant's figure minus the best's.
func pairedReps(best, v *results.VariantResult, metric string) []float64 {
	var d []float64
	for r := 0; r < min(len(best.Reps), len(v.Reps)); r++ {
		a, oka := best.Reps[r].Summary().Metric(metric)
		b, okb := v.Reps[r].Summary().Metric(metric)
		if oka && okb {
			d = append(d, b-a)
		}
	}
	return d
}

// medianInterval is the median of d with its distribution-free 95 %
// interval: the order statistics whose ranks a Binomial(n, ½) puts around
// the median (normal approximation; at least 6 pairs).
func medianInterval(d []float64) (med, lo, hi float64, ok bool) {
	slices.Sort(d)
	n := len(d)
	med = d[n/2]
	if n%2 == 0 {
		med = (d[n/2-1] + d[n/2]) / 2
		if math.IsNaN(med) {
			med = d[n/2]
		}
	}
	if n < 6 {
		return med, 0, 0, false
	}
	half := 1.96 * math.Sqrt(float64(n)) / 2
	l := max(0, int(math.Floor(float64(n)/2-half))-1)
	u := min(n-1, int(math.Ceil(float64(n)/2+half)))
	return med, d[l], d[u], true
}

// meanInterval is the mean of d with Student's t 95 % interval (two or
// more repetitions).
func meanInterval(d []float64) (mean, lo, hi float64, ok bool) {
	n := float64(len(d))
	for _, x := range d {
		mean += x
	}
	mean /= n
	if len(d) < 2 {
		return mean, 0, 0, false
	}
	var ss float64
	for _, x := range d {
		ss += (x - mean) * (x - mean)
	}
	half := tQuantile(len(d)-1) * math.Sqrt(ss/(n-1)/n)
	return mean, mean - half, mean + half, true
}

// tQuantile is the 97.5th percentile of Student's t with df degrees of
// freedom.
func tQuantile(df int) float64 {
	table := []float64{12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
		2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086}
	if df <= len(table) {
		return table[df-1]
	}
	return 1.96 + 2.4/float64(df) // within 0.5 % of the exact value beyond 20
}

// WriteVerdict prints the paired comparison: one line per metric that a
// newcomer reads first, then the table of each variant against the best.
func WriteVerdict(w io.Writer, r *results.Results) error {
	cs := Verdict(r)
	if len(cs) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\nVerdict (variants served identical requests, compared pair by pair; 95% intervals):")
	for _, m := range verdictMetrics {
		var shown, better []string
		best, intervals := "", 0
		for _, c := range cs {
			if c.Metric != m.label {
				continue
			}
			best = c.Best
			if c.HasInterval {
				intervals++
			}
			if c.Shown() && c.Lo > 0 {
				shown = append(shown, fmt.Sprintf("%s by %s", c.Variant, m.format(c.Median)))
			} else if c.Shown() {
				better = append(better, c.Variant)
			}
		}
		switch {
		case best == "":
		case intervals == 0 && allZero(cs, m.label):
			fmt.Fprintf(w, "  %-20s the same for every variant\n", m.label+":")
		case intervals == 0:
			fmt.Fprintf(w, "  %-20s lowest: %s; too few pairs for an interval\n", m.label+":", best)
		case len(shown) == 0 && len(better) == 0:
			fmt.Fprintf(w, "  %-20s no difference shown between the variants%s\n", m.label+":", floorNote(r, cs, m.label))
		default:
			line := fmt.Sprintf("  %-20s best %s", m.label+":", best)
			if len(shown) > 0 {
				line += "; worse: " + strings.Join(shown, ", ")
			}
			if len(better) > 0 {
				line += "; better pair by pair, though not by median: " + strings.Join(better, ", ")
			}
			fmt.Fprintln(w, line)
		}
	}
	t := newTable(w)
	t.Header("metric", "best", "variant", "difference", "95% interval", "pairs", "")
	for _, c := range cs {
		f := formatOf(c.Metric)
		diff := f(c.Median)
		if c.Ratio > 0 {
			diff += fmt.Sprintf(" (%.2f×)", c.Ratio)
		}
		interval, verdict := "-", "too few pairs"
		switch {
		case c.HasInterval:
			interval = "[" + f(c.Lo) + ", " + f(c.Hi) + "]"
			verdict = "no difference shown"
			if c.BelowFloor {
				verdict = "below the harness's floor"
			}
			if c.Shown() && c.Lo > 0 {
				verdict = "worse"
			} else if c.Shown() {
				verdict = "better"
			}
		case c.Pairs < 2:
			verdict = "one repetition"
		}
		if err := t.Append([]string{c.Metric, c.Best, c.Variant, diff, interval, fmt.Sprint(c.Pairs), verdict}); err != nil {
			return err
		}
	}
	return t.Render()
}

func formatOf(label string) func(float64) string {
	for _, m := range verdictMetrics {
		if m.label == label {
			return m.format
		}
	}
	return func(v float64) string { return fmt.Sprint(v) }
}

// floorNote says when differences were set aside as below the floor.
func floorNote(r *results.Results, cs []Comparison, label string) string {
	for _, c := range cs {
		if c.Metric == label && c.BelowFloor && c.HasInterval && (c.Lo > 0 || c.Hi < 0) {
			return fmt.Sprintf(" above this machine's timer floor (%s)", results.FormatDuration(r.Floor.TimerLateP50))
		}
	}
	return ""
}

func allZero(cs []Comparison, label string) bool {
	for _, c := range cs {
		if c.Metric == label && c.Median != 0 {
			return false
		}
	}
	return true
}
