package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/llmbench/llmbench/scenarios/results"
)

// consoleLatencies are the latency rows of the console's first table.
var consoleLatencies = []struct{ hist, label string }{
	{"ttft", "TTFT"}, {"itl", "ITL"}, {"e2e", "e2e (ok)"}, {"e2e_all", "e2e (all)"}, {"e2e_uncorrected", "e2e uncorrected"},
	{"queue_wait", "queue wait"}, {"generator_lag", "generator lag"},
}

// WriteTables prints the end-of-run report: latency percentiles per
// variant; rates (offered, sent, throughput, goodput), outcomes that add
// up to what was scheduled, and costs per request; thresholds; saturation
// and warnings; the harness's floor; and, with several variants, the
// verdict of their paired comparison.
func WriteTables(w io.Writer, r *results.Results) error {
	title := fmt.Sprintf("%s: %d variant(s)", r.Scenario, len(r.Variants))
	if r.Partial {
		title += " (partial: interrupted)"
	}
	fmt.Fprintln(w, title)
	lat := newTable(w)
	lat.Header("variant", "latency", "p50", "p90", "p99", "p99.9", "max", "n")
	// e2e of all requests is shown for every variant when one has
	// failures, so that the rows compare.
	failures, cancelled := false, false
	for i := range r.Variants {
		s := r.Variants[i].Summary()
		failures = failures || s.Hist("e2e_failed").TotalCount() > 0
		cancelled = cancelled || s.Outcomes.Cancelled > 0
	}
	for i := range r.Variants {
		v := &r.Variants[i]
		s := v.Summary()
		for _, m := range consoleLatencies {
			h := s.Hist(m.hist)
			if h == nil || h.TotalCount() == 0 {
				continue
			}
			if m.hist == "e2e_all" && !failures {
				continue // no failure anywhere: the same as e2e (ok)
			}
			q := func(p float64) string { return results.FormatDuration(time.Duration(h.ValueAtQuantile(p))) }
			if err := lat.Append([]string{v.Name, m.label, q(50), q(90), q(99), q(99.9), results.FormatDuration(time.Duration(h.Max())), fmt.Sprint(h.TotalCount())}); err != nil {
				return err
			}
		}
	}
	if err := lat.Render(); err != nil {
		return err
	}
	tp := newTable(w)
	header := []any{"variant", "offered/s", "sent/s", "throughput/s", "goodput/s", "scheduled", "ok", "errors", "timeouts", "dropped"}
	if cancelled {
		header = append(header, "cancelled")
	}
	tp.Header(append(header, "error_rate")...)
	costs := newTable(w)
	costs.Header("variant", "cache hits", "cpu/req", "allocs/req", "B/req", "leaks", "thresholds")
	for i := range r.Variants {
		v := &r.Variants[i]
		s := v.Summary()
		errs := fmt.Sprint(s.Outcomes.ErrorCount())
		var kinds []string
		for k, n := range s.Outcomes.Errors {
			if n > 0 {
				kinds = append(kinds, fmt.Sprintf("%s %d", results.ErrorKindNames[k], n))
			}
		}
		if len(kinds) > 0 {
			errs += " (" + strings.Join(kinds, ", ") + ")"
		}
		row := []string{v.Name, metric(s, "offered_rate", "%.1f"), metric(s, "sent_rate", "%.1f"), metric(s, "throughput", "%.1f"),
			metric(s, "goodput", "%.1f"), fmt.Sprint(s.Scheduled), fmt.Sprint(s.Outcomes.OK), errs, fmt.Sprint(s.Outcomes.Timeout), fmt.Sprint(s.Outcomes.Dropped)}
		if cancelled {
			row = append(row, fmt.Sprint(s.Outcomes.Cancelled))
		}
		if err := tp.Append(append(row, metric(s, "error_rate", "%"))); err != nil {
			return err
		}
		if err := costs.Append([]string{v.Name, metric(s, "cache_hit_ratio", "%"), metric(s, "cpu_per_req", "dur"), metric(s, "allocs_per_req", "%.1f"),
			metric(s, "bytes_per_req", "%.0f"), fmt.Sprint(s.GoroutinesLeaked), thresholdCell(v.Thresholds)}); err != nil {
			return err
		}
	}
	if err := tp.Render(); err != nil {
		return err
	}
	if err := costs.Render(); err != nil {
		return err
	}
	if r.SLO != nil {
		fmt.Fprintf(w, "goodput counts successes within the SLO: %s\n", sloText(r.SLO))
	}
	for i := range r.Variants {
		v := &r.Variants[i]
		for _, kind := range results.ErrorKindNames {
			if msg := ErrorSample(v, kind); msg != "" {
				fmt.Fprintf(w, "error %-12s %s: %s\n", kind, v.Name, msg)
			}
		}
	}
	for i := range r.Variants {
		v := &r.Variants[i]
		for _, t := range v.Thresholds {
			fmt.Fprintf(w, "%s  %-32s %s: %s\n", passMark(t), t.Expr, v.Name, thresholdValue(t))
		}
	}
	for i := range r.Variants {
		v := &r.Variants[i]
		for _, rep := range v.Reps {
			if rep.Saturated {
				fmt.Fprintf(w, "SATURATED  %s rep %d: %s\n", v.Name, rep.Rep, rep.Bottleneck)
			}
		}
	}
	for _, msg := range r.Warnings {
		fmt.Fprintln(w, "warning:", msg)
	}
	for _, name := range r.NoSuccess() {
		fmt.Fprintf(w, "NO SUCCESS  %s: not one of its requests succeeded\n", name)
	}
	if f := r.Floor; f != nil {
		fmt.Fprintf(w, "harness floor on this machine: a %s timer fires %s late (p50), %s (p99); the engine costs %s of CPU per request (%d requests against a zero-latency mock). Differences below these are the harness's, not the primitives'.\n",
			results.FormatDuration(200*time.Microsecond), results.FormatDuration(f.TimerLateP50), results.FormatDuration(f.TimerLateP99),
			results.FormatDuration(f.EngineCPUPerReq), f.EngineRequests)
	}
	if len(r.Variants) > 1 {
		return WriteVerdict(w, r)
	}
	return nil
}

// metric formats a summary's metric, "-" when it has no value.
func metric(s *results.Summary, name, format string) string {
	v, ok := s.Metric(name)
	if !ok {
		return "-"
	}
	switch format {
	case "%":
		return fmt.Sprintf("%.2f%%", 100*v)
	case "dur":
		return results.FormatDuration(time.Duration(v * 1e9))
	}
	return fmt.Sprintf(format, v)
}

func sloText(o *results.SLO) string {
	var parts []string
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"ttft", o.TTFT}, {"itl", o.ITL}, {"tpot", o.TPOT}, {"e2e", o.E2E}} {
		if f.d > 0 {
			parts = append(parts, f.name+" <= "+results.FormatDuration(f.d))
		}
	}
	return strings.Join(parts, ", ")
}

func passMark(t results.ThresholdResult) string {
	if t.Passed {
		return "PASS"
	}
	return "FAIL"
}

// thresholdValue is what a threshold measured, in the unit it was written
// in, with the requests it covers; or why it has no value.
func thresholdValue(t results.ThresholdResult) string {
	m, ok := results.Lookup(t.Metric)
	if !ok {
		return "?"
	}
	if t.Value == nil {
		return "no value (" + t.Reason + ")"
	}
	return fmt.Sprintf("measured %s (%s)", results.FormatValue(m, *t.Value), m.Covers)
}

// newTable is a table with headers printed as written.
func newTable(w io.Writer) *tablewriter.Table {
	return tablewriter.NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off), tablewriter.WithRowAutoWrap(tw.WrapNone))
}

func thresholdCell(ts []results.ThresholdResult) string {
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

// ErrorSample is the first message of an error kind a variant saw, cut
// to a line.
func ErrorSample(v *results.VariantResult, kind string) string {
	for _, rep := range v.Reps {
		if msg := rep.ErrorSamples[kind]; msg != "" {
			if len(msg) > 200 {
				msg = msg[:200] + "…"
			}
			return strings.ReplaceAll(msg, "\n", " ")
		}
	}
	return ""
}
