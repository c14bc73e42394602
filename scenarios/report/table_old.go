package scenarios

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// WriteTables prints the end-of-run tables: latency percentiles per variant,
// then throughput, outcomes and thresholds.
func (r *Results) WriteTables(w io.Writer) error {
	title := fmt.Sprintf("%s: %d variant(s)", r.Scenario, len(r.Variants))
	if r.Partial {
		title += " (partial: interrupted)"
	}
	fmt.Fprintln(w, title)
	lat := newTable(w)
	lat.Header("variant", "latency", "p50", "p90", "p99", "p99.9", "max", "n")
	sums := make([]*Summary, len(r.Variants))
	for i := range r.Variants {
		sums[i] = r.Variants[i].Summarize()
	}
	for i, v := range r.Variants {
		for _, m := range []struct{ hist, label string }{
			{"ttft", "TTFT"}, {"itl", "ITL"}, {"e2e", "end to end"}, {"e2e_uncorrected", "e2e uncorrected"},
			{"queue_wait", "queue wait"}, {"generator_lag", "generator lag"},
		} {
			h := sums[i].Hists[m.hist]
			if h.TotalCount() == 0 {
				continue
			}
			q := func(p float64) string { return FormatDuration(time.Duration(h.ValueAtQuantile(p))) }
			if err := lat.Append([]string{v.Name, m.label, q(50), q(90), q(99), q(99.9), FormatDuration(time.Duration(h.Max())), fmt.Sprint(h.TotalCount())}); err != nil {
				return err
			}
		}
	}
	if err := lat.Render(); err != nil {
		return err
	}
	tp := newTable(w)
	tp.Header("variant", "req/s", "tokens/s", "ok", "errors", "timeouts", "dropped", "error %", "cache hits", "leaks", "cpu/req", "thresholds")
	for i, v := range r.Variants {
		s := sums[i]
		rps, _ := s.Metric("rps")
		tps, _ := s.Metric("tokens_per_s")
		er, _ := s.Metric("error_rate")
		cpu, _ := s.Metric("cpu_per_req")
		hits := "-"
		if s.CacheLookups > 0 {
			hr, _ := s.Metric("cache_hit_ratio")
			hits = fmt.Sprintf("%.1f%%", 100*hr)
		}
		errs := fmt.Sprint(s.Errors)
		if len(s.ErrorKinds) > 0 {
			var parts []string
			for _, k := range slices.Sorted(maps.Keys(s.ErrorKinds)) {
				parts = append(parts, fmt.Sprintf("%s %d", k, s.ErrorKinds[k]))
			}
			errs += " (" + strings.Join(parts, ", ") + ")"
		}
		if err := tp.Append([]string{v.Name, fmt.Sprintf("%.1f", rps), fmt.Sprintf("%.0f", tps), fmt.Sprint(s.OK), errs,
			fmt.Sprint(s.Timeouts), fmt.Sprint(s.Dropped), fmt.Sprintf("%.2f", 100*er), hits, fmt.Sprint(s.GoroutinesLeaked),
			FormatDuration(time.Duration(cpu * 1e9)), thresholdCell(v.Thresholds)}); err != nil {
			return err
		}
	}
	if err := tp.Render(); err != nil {
		return err
	}
	for _, v := range r.Variants {
		for _, t := range v.Thresholds {
			mark := "PASS"
			if !t.Passed {
				mark = "FAIL"
			}
			fmt.Fprintf(w, "%s  %-40s %s (measured %s)\n", mark, t.Expr, v.Name, fmtValue(t.Expr, t.Value))
		}
	}
	for _, msg := range r.Warnings {
		fmt.Fprintln(w, "warning:", msg)
	}
	return nil
}

// newTable is a table with headers printed as written.
func newTable(w io.Writer) *tablewriter.Table {
	return tablewriter.NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off), tablewriter.WithRowAutoWrap(tw.WrapNone))
}

func thresholdCell(ts []ThresholdResult) string {
	if len(ts) == 0 {
		return "-"
	}
	passed := 0
	for _, t := range ts {
		if t.Passed {
			passed++
		}
	}
	if passed == len(ts) {
		return fmt.Sprintf("%d/%d pass", passed, len(ts))
	}
	return fmt.Sprintf("%d/%d FAIL", len(ts)-passed, len(ts))
}

// fmtValue prints a threshold's measured value in the unit the threshold
// was written in.
func fmtValue(expr string, v float64) string {
	c, err := parseCheck(expr)
	if err != nil {
		return fmt.Sprint(v)
	}
	kind, _ := metricKindOf(c.metric)
	switch kind {
	case kindDuration:
		return FormatDuration(time.Duration(v * 1e9))
	case kindRatio:
		return fmt.Sprintf("%.3g%%", 100*v)
	}
	return fmt.Sprintf("%.4g", v)
}

// FormatDuration prints a duration with three significant digits: 850µs,
// 12.3ms, 1.02s.
func FormatDuration(d time.Duration) string {
	// Round to three digits first, so that 999.9ms prints as 1s.
	if d != 0 {
		digits := math.Floor(math.Log10(math.Abs(float64(d)))) + 1
		if scale := math.Pow(10, digits-3); scale > 1 {
			d = time.Duration(math.Round(float64(d)/scale) * scale)
		}
	}
	switch {
	case d == 0:
		return "0"
	case d < time.Microsecond:
		return fmt.Sprintf("%dns", d.Nanoseconds())
	case d < time.Millisecond:
		return fmt.Sprintf("%.3gµs", float64(d)/1e3)
	case d < time.Second:
		return fmt.Sprintf("%.3gms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.3gs", d.Seconds())
}
