// Package report turns a run's results into one self-contained HTML page
// (inline SVG charts drawn with gonum/plot, no script, font or style from
// the network) and exports its histograms in HdrHistogram's percentile
// distribution text format (.hgrm).
package report

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/llmbench/llmbench/scenarios/results"
)

//go:embed *.tmpl
var templates embed.FS

var page = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
	"dur": results.FormatDuration,
	"pct": func(v float64) string { return fmt.Sprintf("%.2f%%", 100*v) },
	"f1":  func(v float64) string { return fmt.Sprintf("%.1f", v) },
}).ParseFS(templates, "report.html.tmpl", "style.html.tmpl"))

// model is what the template renders.
type model struct {
	R        *results.Results
	Date     string
	Variants []variantView
	Floor    string
	Verdict  []verdictRow
	Spectrum []chart
	OverTime []chart
	Compare  []chart
}

type variantView struct {
	Name       string
	Reps       int
	Latency    []latencyRow
	Rates      []figure
	Outcomes   []figure
	Thresholds []thresholdView
	Saturated  []string
}

type latencyRow struct {
	Metric              string
	P50, P90, P99, P999 time.Duration
	Count               int64
}

type figure struct {
	Name, Value string
}

type thresholdView struct {
	Expr, Measured string
	Passed         bool
}

type verdictRow struct {
	Metric, Best, Variant, Difference, Interval, Verdict string
}

type chart struct {
	Title, Caption string
	SVG            template.HTML
}

// Write renders r as HTML.
func Write(w io.Writer, r *results.Results) error {
	m := model{R: r, Date: r.Started.UTC().Format(time.RFC1123)}
	for i := range r.Variants {
		v := &r.Variants[i]
		s := v.Summary()
		vv := variantView{Name: v.Name, Reps: len(v.Reps)}
		for _, h := range []struct{ name, label string }{{"e2e", "end to end (successes)"}, {"e2e_all", "end to end (all requests)"}, {"ttft", "TTFT"}, {"itl", "ITL"}} {
			hist := s.Hist(h.name)
			if hist.TotalCount() == 0 {
				continue
			}
			q := func(p float64) time.Duration { return time.Duration(hist.ValueAtQuantile(p)) }
			vv.Latency = append(vv.Latency, latencyRow{Metric: h.label, P50: q(50), P90: q(90), P99: q(99), P999: q(99.9), Count: hist.TotalCount()})
		}
		for _, name := range []string{"offered_rate", "sent_rate", "throughput", "goodput", "tokens_per_s", "error_rate", "cpu_per_req", "allocs_per_req", "goroutines_leaked"} {
			mt, _ := results.Lookup(name)
			val := "-"
			if x, ok := mt.Value(s); ok {
				val = results.FormatValue(mt, x)
			}
			vv.Rates = append(vv.Rates, figure{name, val})
		}
		vv.Outcomes = append(vv.Outcomes, figure{"scheduled", fmt.Sprint(s.Scheduled)}, figure{"ok", fmt.Sprint(s.Outcomes.OK)})
		for k, n := range s.Outcomes.Errors {
			if n > 0 {
				vv.Outcomes = append(vv.Outcomes, figure{"error: " + results.ErrorKindNames[k], fmt.Sprint(n)})
			}
		}
		vv.Outcomes = append(vv.Outcomes, figure{"timeout", fmt.Sprint(s.Outcomes.Timeout)}, figure{"cancelled", fmt.Sprint(s.Outcomes.Cancelled)}, figure{"dropped", fmt.Sprint(s.Outcomes.Dropped)})
		for _, t := range v.Thresholds {
			vv.Thresholds = append(vv.Thresholds, thresholdView{Expr: t.Expr, Measured: thresholdValue(t), Passed: t.Passed})
		}
		for _, rep := range v.Reps {
			if rep.Saturated {
				vv.Saturated = append(vv.Saturated, fmt.Sprintf("repetition %d: %s", rep.Rep, rep.Bottleneck))
			}
		}
		m.Variants = append(m.Variants, vv)
	}
	if f := r.Floor; f != nil {
		m.Floor = fmt.Sprintf("a 200µs timer fires %s late (p50), %s (p99); the engine costs %s of CPU per request against a zero-latency mock",
			results.FormatDuration(f.TimerLateP50), results.FormatDuration(f.TimerLateP99), results.FormatDuration(f.EngineCPUPerReq))
	}
	for _, c := range Verdict(r) {
		f := formatOf(c.Metric)
		row := verdictRow{Metric: c.Metric, Best: c.Best, Variant: c.Variant, Difference: f(c.Median), Interval: "-", Verdict: "too few pairs"}
		if c.HasInterval {
			row.Interval = "[" + f(c.Lo) + ", " + f(c.Hi) + "]"
			row.Verdict = "no difference shown"
			if c.BelowFloor {
				row.Verdict = "below the harness's floor"
			}
			if c.Shown() {
				row.Verdict = "different"
			}
		}
		m.Verdict = append(m.Verdict, row)
	}
	var err error
	if m.Spectrum, err = spectrumCharts(r); err != nil {
		return err
	}
	if m.OverTime, err = overTimeCharts(r); err != nil {
		return err
	}
	if m.Compare, err = compareCharts(r); err != nil {
		return err
	}
	return page.Execute(w, m)
}

// WriteFile renders r into path, atomically.
func WriteFile(path string, r *results.Results) error {
	return writePage(path, func(w io.Writer) error { return Write(w, r) })
}

// writePage writes a page into path, atomically, making its folder.
func writePage(path string, write func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return results.WriteFileAtomic(path, write)
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._=-]+`)

// WriteHgrm exports every histogram of every variant (repetitions merged)
// as DIR/<variant>.<histogram>.hgrm, values in milliseconds, the format
// HdrHistogram's plotters read. It returns the files written.
func WriteHgrm(dir string, r *results.Results) ([]string, error) {
	var files []string
	for i := range r.Variants {
		v := &r.Variants[i]
		s := v.Summary()
		for _, name := range results.LatencyNames() {
			h := s.Hist(name)
			if h == nil || h.TotalCount() == 0 {
				continue
			}
			var buf bytes.Buffer
			if _, err := h.PercentilesPrint(&buf, 5, 1e6); err != nil {
				return files, err
			}
			path := filepath.Join(dir, unsafeName.ReplaceAllString(strings.ReplaceAll(v.Name, "/", ","), "_")+"."+name+".hgrm")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return files, err
			}
			if err := results.WriteFileAtomic(path, func(w io.Writer) error { _, err := w.Write(buf.Bytes()); return err }); err != nil {
				return files, err
			}
			files = append(files, path)
		}
	}
	return files, nil
}

// merged is one variant's histogram across repetitions.
func merged(v *results.VariantResult, name string) *hdr.Histogram { return v.Summary().Hist(name) }
