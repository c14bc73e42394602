package compare

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchproc"
	"golang.org/x/perf/benchunit"
)

// Formats Write knows.
var Formats = []string{"table", "csv", "json", "markdown"}

// Write prints tables in format.
func Write(w io.Writer, tables []*Table, format string) error {
	switch format {
	case "", "table", "markdown":
		return writeTables(w, tables, format == "markdown")
	case "csv":
		return writeCSV(w, tables)
	case "json":
		return writeJSON(w, tables)
	}
	return fmt.Errorf("--format %q: one of table, csv, json, markdown", format)
}

func betterText(b int) string {
	switch b {
	case -1:
		return "lower is better"
	case 1:
		return "higher is better"
	}
	return "direction unknown"
}

func (t *Table) scaler() benchunit.Scaler {
	var vals []float64
	for _, c := range t.Cells {
		vals = append(vals, c.Summary.Center)
	}
	return benchunit.CommonScale(vals, benchunit.ClassOf(t.Unit))
}

// cellText is the median and its interval; without an interval (too few
// samples) the median alone, rather than benchstat's "± ∞".
func cellText(c *Cell, sc benchunit.Scaler) string {
	if c == nil {
		return "-"
	}
	if !c.HasInterval() {
		return sc.Format(c.Summary.Center)
	}
	return sc.Format(c.Summary.Center) + " ± " + c.Summary.PctRangeString()
}

// deltaText is the change against the base: "~" when the test could have
// shown one and did not; the raw change marked "?" when no test could
// (n=1 against n=1 always gives p=1, which is not evidence of no change).
func deltaText(c *Cell) string {
	if c == nil || c.Cmp == nil {
		return ""
	}
	pct := fmt.Sprintf("%+.2f%%", 100*c.Delta)
	if math.IsInf(c.Delta, 0) {
		pct = "+∞"
	}
	switch {
	case c.Significant():
		return pct + " (" + c.Cmp.String() + ")"
	case !c.Testable():
		n := fmt.Sprintf("n=%d+%d", c.Cmp.N1, c.Cmp.N2)
		if c.Cmp.N1 == c.Cmp.N2 {
			n = fmt.Sprintf("n=%d", c.Cmp.N1)
		}
		return pct + " ? (untested, " + n + ")"
	}
	return "~ (" + c.Cmp.String() + ")"
}

// smallSamples are the cells too small for an interval or a test, over
// all tables, for one note at the end rather than one per table.
type smallSamples struct {
	cells, noInterval, compared, untested int
	minN, maxN                            int
	alpha, confidence                     float64
	src                                   source
}

func (s *smallSamples) add(t *Table, c *Cell) {
	s.cells++
	s.alpha, s.confidence, s.src = t.alpha, t.confidence, t.src
	small := false
	if !c.HasInterval() {
		s.noInterval++
		small = true
	}
	if c.Cmp != nil {
		s.compared++
		if !c.Testable() {
			s.untested++
			small = true
		}
	}
	if n := len(c.Sample.Values); small {
		if s.minN == 0 || n < s.minN {
			s.minN = n
		}
		s.maxN = max(s.maxN, n)
	}
}

func (s *smallSamples) write(w io.Writer) {
	if s.noInterval == 0 && s.untested == 0 {
		return
	}
	n := fmt.Sprintf("n=%d", s.minN)
	if s.maxN > s.minN {
		n = fmt.Sprintf("n=%d to %d", s.minN, s.maxN)
	}
	ci, test := ciSamples(s.confidence), minSignificantN(s.alpha)
	var parts []string
	if s.noInterval > 0 {
		parts = append(parts, fmt.Sprintf("an interval in %d of %d cells (%g %% needs %d; medians shown without ±)",
			s.noInterval, s.cells, 100*s.confidence, ci))
	}
	if s.untested > 0 {
		parts = append(parts, fmt.Sprintf("a test of %d of %d changes (alpha %g needs %d a side; ? marks an untested difference)",
			s.untested, s.compared, s.alpha, test))
	}
	fmt.Fprintf(w, "\nnote: %s: too few samples for %s.\n  Rerun with %s for results that can say something.\n",
		n, strings.Join(parts, " and for "), s.src.moreSamples(max(ci, test)))
}

// ciSamples is the fewest samples that give a finite interval of the
// median at this confidence (6 at 95 %).
func ciSamples(confidence float64) int {
	for n := 2; n <= 50; n++ {
		s := benchmath.NewSample(make([]float64, n), &benchmath.DefaultThresholds)
		if sum := benchmath.AssumeNothing.Summary(s, confidence); !math.IsInf(sum.Lo, 0) && !math.IsInf(sum.Hi, 0) {
			return n
		}
	}
	return 51
}

// isSmallSampleWarning tells benchmath's warnings that smallSamples
// gathers into one note.
func isSmallSampleWarning(msg string) bool {
	return strings.HasPrefix(msg, "need ") && (strings.Contains(msg, "for confidence interval") || strings.Contains(msg, "to detect a difference"))
}

func keyText(k benchproc.Key) string {
	if s := k.StringValues(); s != "" {
		return s
	}
	return "all"
}

func writeTables(w io.Writer, tables []*Table, markdown bool) error {
	var small smallSamples
	for i, t := range tables {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s (%s)\n", t.Unit, betterText(t.Better))
		opts := []tablewriter.Option{tablewriter.WithHeaderAutoFormat(tw.Off), tablewriter.WithRowAutoWrap(tw.WrapNone)}
		if markdown {
			opts = append(opts, tablewriter.WithRenderer(renderer.NewMarkdown()))
		}
		tab := tablewriter.NewTable(w, opts...)
		header := []any{"benchmark"}
		for j, col := range t.Cols {
			header = append(header, keyText(col))
			if j > 0 {
				header = append(header, "vs "+keyText(t.Cols[0]))
			}
		}
		tab.Header(header...)
		sc := t.scaler()
		for _, row := range t.Rows {
			line := []string{keyText(row)}
			for j, col := range t.Cols {
				c := t.Cells[[2]benchproc.Key{row, col}]
				if c != nil {
					small.add(t, c)
				}
				line = append(line, cellText(c, sc))
				if j > 0 {
					line = append(line, deltaText(c))
				}
			}
			if err := tab.Append(line); err != nil {
				return err
			}
		}
		if err := tab.Render(); err != nil {
			return err
		}
		// Warnings, once each with how many cells they concern, as
		// benchstat's footnotes.
		var order []string
		count := map[string]int{}
		for _, row := range t.Rows {
			for _, col := range t.Cols {
				if c := t.Cells[[2]benchproc.Key{row, col}]; c != nil {
					for _, warn := range append(c.Summary.Warnings, cmpWarnings(c)...) {
						msg := warn.Error()
						if msg == "all samples are equal" || isSmallSampleWarning(msg) {
							continue // expected of exact units; or said once at the end
						}
						if count[msg] == 0 {
							order = append(order, msg)
						}
						count[msg]++
					}
				}
			}
		}
		for _, msg := range order {
			fmt.Fprintf(w, "  note: %s (%d cell(s))\n", msg, count[msg])
		}
	}
	small.write(w)
	return nil
}

func cmpWarnings(c *Cell) []error {
	if c.Cmp == nil {
		return nil
	}
	return c.Cmp.Warnings
}

// jsonCell is one cell of JSON and CSV output. An interval that does not
// exist (too few samples) and an infinite change (from a zero base) are
// absent: JSON has no infinity.
type jsonCell struct {
	Benchmark string   `json:"benchmark"`
	Column    string   `json:"column"`
	Unit      string   `json:"unit"`
	Median    float64  `json:"median"`
	Lo        *float64 `json:"lo"`
	Hi        *float64 `json:"hi"`
	N         int      `json:"n"`
	Delta     *float64 `json:"delta,omitempty"`
	P         *float64 `json:"p,omitempty"`
	Signif    bool     `json:"significant,omitempty"`
	Untested  bool     `json:"untested,omitempty"` // too few samples for the test to show a change
}

func finite(v float64) *float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return nil
	}
	return &v
}

func flatten(tables []*Table) []jsonCell {
	var out []jsonCell
	for _, t := range tables {
		for _, row := range t.Rows {
			for _, col := range t.Cols {
				c := t.Cells[[2]benchproc.Key{row, col}]
				if c == nil {
					continue
				}
				jc := jsonCell{Benchmark: keyText(row), Column: keyText(col), Unit: t.Unit, Median: c.Summary.Center,
					Lo: finite(c.Summary.Lo), Hi: finite(c.Summary.Hi), N: len(c.Sample.Values)}
				if c.Cmp != nil {
					p := c.Cmp.P
					jc.Delta, jc.P, jc.Signif, jc.Untested = finite(c.Delta), &p, c.Significant(), !c.Testable()
				}
				out = append(out, jc)
			}
		}
	}
	return out
}

func writeJSON(w io.Writer, tables []*Table) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(flatten(tables))
}

func writeCSV(w io.Writer, tables []*Table) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"benchmark", "column", "unit", "median", "lo", "hi", "n", "delta", "p", "significant", "untested"}); err != nil {
		return err
	}
	f := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'g', -1, 64)
	}
	for _, c := range flatten(tables) {
		rec := []string{c.Benchmark, c.Column, c.Unit, f(&c.Median), f(c.Lo), f(c.Hi), strconv.Itoa(c.N), "", "", "", ""}
		if c.P != nil {
			rec[7], rec[8], rec[9], rec[10] = f(c.Delta), f(c.P), strconv.FormatBool(c.Signif), strconv.FormatBool(c.Untested)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteReport prints a gate report: offenders first, then what could not
// be judged, then what changed shape.
func WriteReport(w io.Writer, r *Report, markdown bool) error {
	o := r.Thresholds
	fmt.Fprintf(w, "gate: %d benchmark-unit pairs checked; a regression is significant (U tests, family-wise alpha %g over %d tests, Holm) and worse than %.1f%%; exact units (allocs/op, B/op) fail on a rise beyond %.1f%%\n",
		r.Checked, o.Alpha, r.Tests, 100*o.Threshold, 100*o.ExactTolerance)
	for _, warn := range r.Warnings {
		fmt.Fprintln(w, "warning:", warn)
	}
	if len(r.Offenses) > 0 {
		opts := []tablewriter.Option{tablewriter.WithHeaderAutoFormat(tw.Off), tablewriter.WithRowAutoWrap(tw.WrapNone)}
		if markdown {
			opts = append(opts, tablewriter.WithRenderer(renderer.NewMarkdown()))
		}
		tab := tablewriter.NewTable(w, opts...)
		tab.Header("regressed benchmark", "unit", "baseline", "candidate", "delta", "evidence")
		for _, off := range r.Offenses {
			sc := benchunit.CommonScale([]float64{off.Base, off.Cand}, benchunit.ClassOf(off.Unit))
			ev := fmt.Sprintf("p=%.3f n=%d+%d", off.P, off.BaseN, off.CandN)
			if off.Exact {
				ev = fmt.Sprintf("exact unit, n=%d+%d", off.BaseN, off.CandN)
			}
			d := fmt.Sprintf("%+.2f%%", 100*off.Delta)
			if math.IsInf(off.Delta, 0) {
				d = "+∞"
			}
			if err := tab.Append([]string{off.Name, off.Unit, sc.Format(off.Base), sc.Format(off.Cand), d, ev}); err != nil {
				return err
			}
		}
		if err := tab.Render(); err != nil {
			return err
		}
	}
	listed := func(label string, names []string) {
		const most = 10
		for i, n := range names {
			if i == most {
				fmt.Fprintf(w, "%s: %d more\n", label, len(names)-most)
				break
			}
			fmt.Fprintf(w, "%s: %s\n", label, n)
		}
	}
	listed("new (not gated)", r.New)
	listed("vanished (not gated)", r.Vanished)
	for _, why := range r.Unjudged {
		fmt.Fprintln(w, "not judged:", why)
	}
	if tf := r.TooFewText(); tf != "" {
		fmt.Fprintln(w, "not judged:", tf)
	}
	switch {
	case !r.Judged():
		fmt.Fprintln(w, "gate: NOT JUDGED")
	case r.Failed():
		fmt.Fprintf(w, "gate: FAIL: %d regression(s)\n", len(r.Offenses))
	default:
		fmt.Fprintf(w, "gate: PASS (%d improvement(s))\n", r.Improved)
	}
	return nil
}
