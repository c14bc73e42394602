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
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/llmbench/llmbench/scenarios"
)

//go:embed report.html.tmpl
var templates embed.FS

var page = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
	"dur": scenarios.FormatDuration,
	"pct": func(v float64) string { return fmt.Sprintf("%.2f%%", 100*v) },
	"f1":  func(v float64) string { return fmt.Sprintf("%.1f", v) },
}).ParseFS(templates, "report.html.tmpl"))

// model is what the template renders.
type model struct {
	R        *scenarios.Results
	Date     string
	Variants []variantView
	Spectrum []chart
	OverTime []chart
	Compare  []chart
}

type variantView struct {
	Name       string
	Reps       int
	Latency    []latencyRow
	RPS        float64
	TokensPerS float64
	Outcomes   []outcome
	ErrorRate  float64
	Leaks      int
	Thresholds []scenarios.ThresholdResult
}

type latencyRow struct {
	Metric               string
	P50, P90, P99, P999  time.Duration
	Count                int64
	Corrected, Available bool
}

type outcome struct {
	Name  string
	Count int64
}

type chart struct {
	Title, Caption string
	SVG            template.HTML
}

// Write renders r as HTML.
func Write(w io.Writer, r *scenarios.Results) error {
	m := model{R: r, Date: r.Started.UTC().Format(time.RFC1123)}
	sums := make([]*scenarios.Summary, len(r.Variants))
	for i := range r.Variants {
		v := &r.Variants[i]
		s := v.Summarize()
		sums[i] = s
		vv := variantView{Name: v.Name, Reps: len(v.Reps), Leaks: s.GoroutinesLeaked, Thresholds: v.Thresholds}
		for _, h := range []struct{ name, label string }{{"e2e", "end to end"}, {"ttft", "TTFT"}, {"itl", "ITL"}} {
			hist := s.Hists[h.name]
			row := latencyRow{Metric: h.label, Available: hist.TotalCount() > 0, Count: hist.TotalCount()}
			if row.Available {
				q := func(p float64) time.Duration { return time.Duration(hist.ValueAtQuantile(p)) }
				row.P50, row.P90, row.P99, row.P999 = q(50), q(90), q(99), q(99.9)
			}
			vv.Latency = append(vv.Latency, row)
		}
		vv.RPS, _ = s.Metric("rps")
		vv.TokensPerS, _ = s.Metric("tokens_per_s")
		vv.ErrorRate, _ = s.Metric("error_rate")
		vv.Outcomes = append(vv.Outcomes, outcome{"ok", s.OK})
		for _, k := range slices.Sorted(maps.Keys(s.ErrorKinds)) {
			vv.Outcomes = append(vv.Outcomes, outcome{"error: " + k, s.ErrorKinds[k]})
		}
		vv.Outcomes = append(vv.Outcomes, outcome{"timeout", s.Timeouts}, outcome{"cancelled", s.Cancelled}, outcome{"dropped", s.Dropped})
		m.Variants = append(m.Variants, vv)
	}
	var err error
	if m.Spectrum, err = spectrumCharts(r, sums); err != nil {
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
func WriteFile(path string, r *scenarios.Results) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return scenarios.WriteFileAtomic(path, func(w io.Writer) error { return Write(w, r) })
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._=-]+`)

// WriteHgrm exports every histogram of every variant (repetitions merged)
// as DIR/<variant>.<histogram>.hgrm, values in milliseconds, the format
// HdrHistogram's plotters read. It returns the files written.
func WriteHgrm(dir string, r *scenarios.Results) ([]string, error) {
	var files []string
	for i := range r.Variants {
		v := &r.Variants[i]
		s := v.Summarize()
		for _, name := range scenarios.HistNames {
			h := s.Hists[name]
			if h.TotalCount() == 0 {
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
			if err := scenarios.WriteFileAtomic(path, func(w io.Writer) error { _, err := w.Write(buf.Bytes()); return err }); err != nil {
				return files, err
			}
			files = append(files, path)
		}
	}
	return files, nil
}

// merged is one variant's histogram across repetitions.
func merged(v *scenarios.VariantResult, name string) *hdr.Histogram {
	var h *hdr.Histogram
	for _, rep := range v.Reps {
		if x, ok := rep.Histograms[name]; ok {
			if h == nil {
				h = x.Histogram()
			} else {
				h.Merge(x.Histogram())
			}
		}
	}
	return h
}
