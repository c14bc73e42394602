package compare

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
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

func cellText(c *Cell, sc benchunit.Scaler) string {
	if c == nil {
		return "-"
	}
	return sc.Format(c.Summary.Center) + " ± " + c.Summary.PctRangeString()
}

func deltaText(c *Cell) string {
	if c == nil || c.Cmp == nil {
		return ""
	}
	d := "~"
	if c.Significant() {
		d = fmt.Sprintf("%+.2f%%", 100*c.Delta)
		if math.IsInf(c.Delta, 0) {
			d = "+∞"
		}
	}
	return d + " (" + c.Cmp.String() + ")"
}

func keyText(k benchproc.Key) string {
	if s := k.StringValues(); s != "" {
		return s
	}
	return "all"
}

func writeTables(w io.Writer, tables []*Table, markdown bool) error {
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
						if msg == "all samples are equal" {
							continue // expected of exact units; not a problem
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
	return nil
}

func cmpWarnings(c *Cell) []error {
	if c.Cmp == nil {
		return nil
	}
	return c.Cmp.Warnings
}

type jsonCell struct {
	Benchmark string   `json:"benchmark"`
	Column    string   `json:"column"`
	Unit      string   `json:"unit"`
	Median    float64  `json:"median"`
	Lo        float64  `json:"lo"`
	Hi        float64  `json:"hi"`
	N         int      `json:"n"`
	Delta     *float64 `json:"delta,omitempty"`
	P         *float64 `json:"p,omitempty"`
	Signif    bool     `json:"significant,omitempty"`
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
					Lo: c.Summary.Lo, Hi: c.Summary.Hi, N: len(c.Sample.Values)}
				if c.Cmp != nil {
					d, p := c.Delta, c.Cmp.P
					jc.Delta, jc.P, jc.Signif = &d, &p, c.Significant()
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
	if err := cw.Write([]string{"benchmark", "column", "unit", "median", "lo", "hi", "n", "delta", "p", "significant"}); err != nil {
		return err
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for _, c := range flatten(tables) {
		rec := []string{c.Benchmark, c.Column, c.Unit, f(c.Median), f(c.Lo), f(c.Hi), strconv.Itoa(c.N), "", "", ""}
		if c.Delta != nil {
			rec[7], rec[8], rec[9] = f(*c.Delta), f(*c.P), strconv.FormatBool(c.Signif)
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
	for _, tf := range r.TooFew {
		fmt.Fprintf(w, "too few samples: %s %s: %d baseline and %d candidate; the gate needs at least %d of each (-count %d)\n",
			tf.Name, tf.Unit, tf.BaseN, tf.CandN, tf.Need, tf.Need)
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
	switch {
	case len(r.TooFew) > 0:
		fmt.Fprintln(w, "gate: NOT JUDGED: too few samples")
	case r.Failed():
		fmt.Fprintf(w, "gate: FAIL: %d regression(s)\n", len(r.Offenses))
	default:
		fmt.Fprintf(w, "gate: PASS (%d improvement(s))\n", r.Improved)
	}
	return nil
}
