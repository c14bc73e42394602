package report

import (
	"bytes"
	"html/template"
	"image/color"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/llmbench/llmbench/scenarios/results"
)

const (
	chartW = 7.5 * vg.Inch
	chartH = 3.6 * vg.Inch
)

// svgOf renders p as inline SVG (without the XML prolog).
func svgOf(p *plot.Plot, w, h vg.Length) (template.HTML, error) {
	c := vgsvg.New(w, h)
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return "", err
	}
	s := buf.String()
	if i := strings.Index(s, "<svg"); i > 0 {
		s = s[i:]
	}
	return template.HTML(s), nil // drawn by gonum from numbers and our own labels
}

func colorOf(i int) color.Color { return plotutil.Color(i) }

// nines maps a percentile to the spectrum's x axis: log10(1/(1−q)), so
// that 90 %, 99 %, 99.9 % are evenly spaced, as HdrHistogram plots them.
func nines(pct float64) float64 {
	if pct >= 100 {
		return math.Inf(1)
	}
	return math.Log10(100 / (100 - pct))
}

type ninesTicks struct{}

func (ninesTicks) Ticks(min, max float64) []plot.Tick {
	var ticks []plot.Tick
	for _, t := range []struct {
		pct   float64
		label string
	}{{0, "0%"}, {50, "50%"}, {90, "90%"}, {99, "99%"}, {99.9, "99.9%"}, {99.99, "99.99%"}, {99.999, "99.999%"}} {
		if x := nines(t.pct); x >= min-1e-9 && x <= max+1e-9 {
			ticks = append(ticks, plot.Tick{Value: x, Label: t.label})
		}
	}
	return ticks
}

// spectrumCharts draws, per latency metric, the percentile spectrum of
// every variant (corrected solid, uncorrected dashed).
func spectrumCharts(r *results.Results) ([]chart, error) {
	var out []chart
	for _, m := range []struct {
		hist, uncorrected, title string
	}{
		{"e2e", "e2e_uncorrected", "End-to-end latency of successful requests by percentile"},
		{"e2e_failed", "", "End-to-end latency of failed requests by percentile"},
		{"ttft", "ttft_uncorrected", "Time to first token by percentile"},
		{"itl", "", "Inter-token latency by percentile"},
	} {
		p := plot.New()
		p.Title.Text = m.title
		p.X.Label.Text = "percentile"
		p.Y.Label.Text = "latency (ms)"
		p.X.Tick.Marker = ninesTicks{}
		p.Legend.Top, p.Legend.Left = true, true
		p.Add(plotter.NewGrid())
		lines := 0
		maxX := 0.0
		for i := range r.Variants {
			v := &r.Variants[i]
			for _, name := range []string{m.hist, m.uncorrected} {
				if name == "" {
					continue
				}
				h := merged(v, name)
				if h == nil || h.TotalCount() == 0 {
					continue
				}
				var pts plotter.XYs
				for _, b := range h.CumulativeDistributionWithTicks(5) {
					x := nines(b.Quantile)
					if math.IsInf(x, 0) {
						continue
					}
					pts = append(pts, plotter.XY{X: x, Y: float64(b.ValueAt) / 1e6})
					maxX = math.Max(maxX, x)
				}
				if len(pts) == 0 {
					continue
				}
				l, err := plotter.NewLine(pts)
				if err != nil {
					return nil, err
				}
				l.Color = colorOf(i)
				l.Width = vg.Points(1.5)
				label := v.Name
				if name == m.uncorrected {
					l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
					label += " (uncorrected)"
				}
				p.Add(l)
				p.Legend.Add(label, l)
				lines++
			}
		}
		if lines == 0 {
			continue // nothing of this kind measured (no stream: no TTFT)
		}
		p.X.Min, p.X.Max = 0, math.Min(maxX, 5)
		svg, err := svgOf(p, chartW, chartH)
		if err != nil {
			return nil, err
		}
		out = append(out, chart{Title: m.title, SVG: svg, Caption: "Solid: from intended send times (corrected for coordinated omission); dashed: from actual send times. The x axis is in nines: each step right is ten times rarer."})
	}
	return out, nil
}

// overTimeCharts draws each second of the first repetition of every
// variant: rps, requests in flight, p50 and p99 latency, errors; the
// warm-up is shaded.
func overTimeCharts(r *results.Results) ([]chart, error) {
	series := []struct {
		title, unit string
		get         func(w results.Window) float64
		dashed      func(w results.Window) float64
	}{
		{"Completions per second", "req/s", func(w results.Window) float64 { return w.RPS }, nil},
		{"Requests in flight", "requests", func(w results.Window) float64 { return float64(w.InFlight) }, nil},
		{"End-to-end latency, p99 (solid) and p50 (dashed)", "ms", func(w results.Window) float64 { return 1e3 * w.E2EP99 },
			func(w results.Window) float64 { return 1e3 * w.E2EP50 }},
		{"Errors and drops per second", "requests", func(w results.Window) float64 { return float64(w.Errors + w.Dropped) }, nil},
	}
	var out []chart
	for _, s := range series {
		p := plot.New()
		p.Title.Text = s.title
		p.X.Label.Text = "seconds since the start"
		p.Y.Label.Text = s.unit
		p.Legend.Top = true
		p.Add(plotter.NewGrid())
		// The extent first: the warm-up shading goes under the lines.
		var maxY, warm float64
		for i := range r.Variants {
			if reps := r.Variants[i].Reps; len(reps) > 0 {
				for _, w := range reps[0].Windows {
					maxY = math.Max(maxY, s.get(w))
					if s.dashed != nil {
						maxY = math.Max(maxY, s.dashed(w))
					}
					if w.Warmup {
						warm = math.Max(warm, w.T)
					}
				}
			}
		}
		if warm > 0 && maxY > 0 {
			poly, err := plotter.NewPolygon(plotter.XYs{{X: 0, Y: 0}, {X: warm, Y: 0}, {X: warm, Y: maxY}, {X: 0, Y: maxY}})
			if err != nil {
				return nil, err
			}
			poly.Color = color.NRGBA{R: 160, G: 160, B: 160, A: 60}
			poly.LineStyle.Width = 0
			p.Add(poly)
			p.Legend.Add("warm-up", poly)
		}
		for i := range r.Variants {
			v := &r.Variants[i]
			if len(v.Reps) == 0 || len(v.Reps[0].Windows) == 0 {
				continue
			}
			ws := v.Reps[0].Windows
			for k, f := range []func(results.Window) float64{s.get, s.dashed} {
				if f == nil {
					continue
				}
				pts := make(plotter.XYs, len(ws))
				for j, w := range ws {
					pts[j] = plotter.XY{X: w.T, Y: f(w)}
				}
				l, err := plotter.NewLine(pts)
				if err != nil {
					return nil, err
				}
				l.Color = colorOf(i)
				l.Width = vg.Points(1.5)
				if k == 1 {
					l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
				} else {
					p.Legend.Add(v.Name, l)
				}
				p.Add(l)
			}
		}
		svg, err := svgOf(p, chartW, 2.6*vg.Inch)
		if err != nil {
			return nil, err
		}
		out = append(out, chart{Title: s.title, SVG: svg})
	}
	return out, nil
}

// compareCharts draws, for a few figures, one bar per variant at the
// median of its repetitions, with a whisker from the smallest to the
// largest repetition.
func compareCharts(r *results.Results) ([]chart, error) {
	figures := []struct{ metric, title, unit string }{
		{"e2e.p99", "End-to-end p99 across repetitions", "ms"},
		{"ttft.p99", "TTFT p99 across repetitions", "ms"},
		{"throughput", "Throughput (completions per second) across repetitions", "req/s"},
		{"allocs_per_req", "Allocations per request across repetitions", "allocs"},
		{"cpu_per_req", "CPU per request across repetitions", "µs"},
	}
	var out []chart
	for _, f := range figures {
		scale := 1.0
		switch f.unit {
		case "ms":
			scale = 1e3
		case "µs":
			scale = 1e6
		}
		var meds plotter.Values
		var errs plotter.YErrors
		var names []string
		any := false
		for i := range r.Variants {
			v := &r.Variants[i]
			var vals []float64
			for j := range v.Reps {
				if x, ok := v.Reps[j].Summary().Metric(f.metric); ok {
					vals = append(vals, x*scale)
				}
			}
			if len(vals) == 0 {
				meds = append(meds, 0)
				errs = append(errs, struct{ Low, High float64 }{})
				names = append(names, v.Name)
				continue
			}
			any = true
			sort.Float64s(vals)
			med := vals[len(vals)/2]
			if len(vals)%2 == 0 {
				med = (vals[len(vals)/2-1] + vals[len(vals)/2]) / 2
			}
			meds = append(meds, med)
			errs = append(errs, struct{ Low, High float64 }{med - vals[0], vals[len(vals)-1] - med})
			names = append(names, v.Name)
		}
		if !any {
			continue
		}
		p := plot.New()
		p.Title.Text = f.title
		p.Y.Label.Text = f.unit
		bars, err := plotter.NewBarChart(meds, vg.Points(28))
		if err != nil {
			return nil, err
		}
		bars.Color = colorOf(0)
		bars.LineStyle.Width = 0
		p.Add(bars)
		xys := make(plotter.XYs, len(meds))
		for i, m := range meds {
			xys[i] = plotter.XY{X: float64(i), Y: m}
		}
		eb, err := plotter.NewYErrorBars(struct {
			plotter.XYer
			plotter.YErrorer
		}{xys, errs})
		if err != nil {
			return nil, err
		}
		p.Add(eb)
		p.NominalX(names...)
		p.X.Min, p.X.Max = -0.6, float64(len(names))-0.4
		p.X.Tick.Label.Rotation = -0.35
		p.X.Tick.Label.XAlign = draw.XLeft
		p.X.Tick.Label.YAlign = draw.YTop
		svg, err := svgOf(p, chartW, 3.4*vg.Inch)
		if err != nil {
			return nil, err
		}
		out = append(out, chart{Title: f.title, SVG: svg, Caption: "Bar: median of the repetitions; whisker: smallest to largest."})
	}
	return out, nil
}
