package report

import (
	"fmt"
	"html/template"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/llmbench/llmbench/scenarios/results"
	"github.com/llmbench/llmbench/scenarios/sweep"
)

// WriteSweepTable prints a sweep's result: per variant its capacity, the
// range over repetitions, what it carried there and how fast, and the
// first load that failed with why; then notes on noise, warnings and the
// harness's floor.
func WriteSweepTable(w io.Writer, sw *sweep.Sweep) error {
	title := fmt.Sprintf("%s: capacity of %d variant(s), %s sweep, %d step(s), precision %g%%", sw.Scenario, len(sw.Capacities), sw.Mode, len(sw.Steps), 100*sw.Precision)
	if sw.Partial {
		title += " (partial: interrupted)"
	}
	fmt.Fprintln(w, title)
	t := newTable(w)
	t.Header("variant", "capacity", fmt.Sprintf("range (%d rep)", sw.Repeat), "throughput there", "e2e p99 there", "cpu/req there", "fails at", "why")
	for _, c := range sw.Capacities {
		why := "-"
		if len(c.Why) > 0 {
			why = c.Why[0]
			if len(c.Why) > 1 {
				why += fmt.Sprintf(" (+%d more)", len(c.Why)-1)
			}
		}
		if err := t.Append([]string{c.Variant, capacityText(sw, c), rangeText(sw, c), orDash(c.Throughput, func(v float64) string { return fmt.Sprintf("%.1f/s", v) }),
			orDash(c.E2EP99, seconds), orDash(c.CPUPerReq, seconds), orDash(c.FailedAt, func(v float64) string { return sweep.FormatLoad(sw.Mode, v) }), why}); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	for _, c := range sw.Capacities {
		if c.Contradictions > 0 {
			fmt.Fprintf(w, "noise: %s passed above a load it had failed, or failed below one it had passed, %d time(s): its capacity is not sharper than that\n", c.Variant, c.Contradictions)
		}
	}
	if len(sw.Checks) > 0 || sw.SLO != nil {
		fmt.Fprintf(w, "a step passes when %s\n", passRule(sw))
	}
	for _, msg := range sw.Warnings {
		fmt.Fprintln(w, "warning:", msg)
	}
	if f := sw.Floor; f != nil {
		fmt.Fprintf(w, "harness floor on this machine: a 200µs timer fires %s late (p50), %s (p99); the engine costs %s of CPU per request.\n",
			results.FormatDuration(f.TimerLateP50), results.FormatDuration(f.TimerLateP99), results.FormatDuration(f.EngineCPUPerReq))
	}
	return nil
}

// capacityText is a capacity as the table reads it: 812/s, "≥ 1000/s"
// when the top passed, "< 50/s" when nothing did.
func capacityText(sw *sweep.Sweep, c sweep.Capacity) string {
	switch {
	case c.Capacity == nil && c.Below && len(sw.Steps) > 0:
		return "< " + sweep.FormatLoad(sw.Mode, sw.LowestLoad())
	case c.Capacity == nil:
		return "-"
	case c.AtLeast:
		return "≥ " + sweep.FormatLoad(sw.Mode, *c.Capacity)
	}
	return sweep.FormatLoad(sw.Mode, *c.Capacity)
}

func rangeText(sw *sweep.Sweep, c sweep.Capacity) string {
	if c.Low == nil || sw.Repeat < 2 {
		return "-"
	}
	return sweep.FormatLoad(sw.Mode, *c.Low) + " – " + sweep.FormatLoad(sw.Mode, *c.High)
}

func orDash(v *float64, f func(float64) string) string {
	if v == nil {
		return "-"
	}
	return f(*v)
}

func seconds(v float64) string { return results.FormatDuration(time.Duration(v * 1e9)) }

// passRule says what a step must meet.
func passRule(sw *sweep.Sweep) string {
	var parts []string
	parts = append(parts, sw.Checks...)
	good := fmt.Sprintf("%g%% of requests succeed", 100*sweep.GoodShare)
	if sw.SLO != nil {
		good += " within " + sloText(sw.SLO)
	}
	parts = append(parts, good)
	if sw.Mode == sweep.Rate {
		parts = append(parts, "and the system keeps up (not saturated)")
	}
	return strings.Join(parts, ", ")
}

// logTicks marks a logarithmic axis at 1, 2 and 5 of every decade
// (labelled, 800 or 2k) and the other digits (unlabelled): a sweep spans
// one or two decades, where powers of ten alone leave an axis bare.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for m := 1.0; m < 10; m++ {
			v := m * math.Pow(10, e)
			if v < lo || v > hi {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = shortNumber(v)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// shortNumber writes 2000 as 2k and 3000000 as 3M.
func shortNumber(v float64) string {
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'g', 3, 64) + "M"
	case v >= 1e3:
		return strconv.FormatFloat(v/1e3, 'g', 3, 64) + "k"
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// sweepModel is what the sweep page renders.
type sweepModel struct {
	S                  *sweep.Sweep
	Date, Unit, Rule   string
	Rows               []sweepRow
	Steps              []stepRow
	Charts             []chart
	VariantNames       []string
	ModeUsers          bool
	StepDur, Precision string
	From, To           string
}

type sweepRow struct {
	Variant, Capacity, Range, Throughput, P99, CPU, FailedAt, Why string
}

type stepRow struct {
	N                int
	Phase, Load      string
	Cells            []stepCell
	Partial, Elapsed string
}

type stepCell struct {
	Passed bool
	Text   string
}

var sweepPage = template.Must(template.New("sweep.html.tmpl").ParseFS(templates, "sweep.html.tmpl", "style.html.tmpl"))

// WriteSweep renders a sweep as one self-contained HTML page: its
// settings, the capacity table, the capacity curves (throughput and
// goodput against the load, and p50/p99 latency against the load, each
// variant's knee marked), every step's verdicts, and the scenario.
func WriteSweep(w io.Writer, sw *sweep.Sweep) error {
	m := sweepModel{S: sw, Date: sw.Started.UTC().Format(time.RFC1123), Rule: passRule(sw), ModeUsers: sw.Mode == sweep.Users,
		StepDur: results.FormatDuration(sw.StepDuration), Precision: fmt.Sprintf("%g%%", 100*sw.Precision),
		From: sweep.FormatLoad(sw.Mode, sw.From), To: sweep.FormatLoad(sw.Mode, sw.To)}
	for _, c := range sw.Capacities {
		why := strings.Join(c.Why, "; ")
		m.Rows = append(m.Rows, sweepRow{Variant: c.Variant, Capacity: capacityText(sw, c), Range: rangeText(sw, c),
			Throughput: orDash(c.Throughput, func(v float64) string { return fmt.Sprintf("%.1f/s", v) }), P99: orDash(c.E2EP99, seconds), CPU: orDash(c.CPUPerReq, seconds),
			FailedAt: orDash(c.FailedAt, func(v float64) string { return sweep.FormatLoad(sw.Mode, v) }), Why: why})
		m.VariantNames = append(m.VariantNames, c.Variant)
	}
	for _, st := range sw.Steps {
		row := stepRow{N: st.N, Phase: st.Phase, Load: sweep.FormatLoad(sw.Mode, st.Load), Elapsed: results.FormatDuration(st.Elapsed)}
		if st.Partial {
			row.Partial = "interrupted: not judged"
		}
		for _, v := range st.Variants {
			cell := stepCell{Passed: v.Passed == len(v.Reps) && len(v.Reps) > 0, Text: fmt.Sprintf("%d/%d pass", v.Passed, len(v.Reps))}
			for _, r := range v.Reps {
				if !r.Passed && len(r.Reasons) > 0 {
					cell.Text += ": " + r.Reasons[0]
					break
				}
			}
			row.Cells = append(row.Cells, cell)
		}
		m.Steps = append(m.Steps, row)
	}
	var err error
	if m.Charts, err = sweepCharts(sw); err != nil {
		return err
	}
	return sweepPage.Execute(w, m)
}

// WriteSweepFile renders a sweep into path, atomically.
func WriteSweepFile(path string, sw *sweep.Sweep) error {
	return writePage(path, func(w io.Writer) error { return WriteSweep(w, sw) })
}

// curve is one variant's figures by load, in load order.
type curve struct {
	name  string
	loads []float64
	figs  []sweep.Figures
	knee  *float64
}

func curves(sw *sweep.Sweep) []curve {
	steps := slices.Clone(sw.Steps)
	slices.SortFunc(steps, func(a, b sweep.Step) int { return int(math.Copysign(1, a.Load-b.Load)) })
	var out []curve
	for i, c := range sw.Capacities {
		cv := curve{name: c.Variant, knee: c.Capacity}
		for _, st := range steps {
			if st.Partial || i >= len(st.Variants) {
				continue
			}
			cv.loads = append(cv.loads, st.Load)
			cv.figs = append(cv.figs, st.Variants[i].Figures)
		}
		out = append(out, cv)
	}
	return out
}

// sweepCharts draws the capacity curves: throughput (solid) and goodput
// (dashed) against the load, with the load itself as a grey diagonal in a
// rate sweep; and p99 (solid) and p50 (dashed) latency of successes
// against the load. Both axes of the latency chart, and the load axes,
// are logarithmic: the steps are geometric and latency explodes past the
// knee. Each variant's knee (its capacity) is a dotted vertical line.
func sweepCharts(sw *sweep.Sweep) ([]chart, error) {
	cvs := curves(sw)
	xLabel := "offered load (requests/s)"
	if sw.Mode == sweep.Users {
		xLabel = "users"
	}
	type series struct {
		get    func(sweep.Figures) (float64, bool)
		dashed bool
	}
	rate := func(f func(sweep.Figures) *float64) func(sweep.Figures) (float64, bool) {
		return func(g sweep.Figures) (float64, bool) {
			if v := f(g); v != nil && *v > 0 {
				return *v, true
			}
			return 0, false
		}
	}
	lat := func(f func(*sweep.Percentiles) float64) func(sweep.Figures) (float64, bool) {
		return func(g sweep.Figures) (float64, bool) {
			if g.E2E == nil || f(g.E2E) <= 0 {
				return 0, false
			}
			return 1e3 * f(g.E2E), true
		}
	}
	specs := []struct {
		title, yLabel, caption string
		logY, diagonal         bool
		series                 []series
	}{
		{"Throughput (solid) and goodput (dashed) against load", "requests/s",
			"A variant keeps up while its line follows the grey diagonal (what was offered); past its knee, throughput flattens and goodput falls. Dotted verticals: each variant's capacity.",
			false, sw.Mode == sweep.Rate,
			[]series{{rate(func(f sweep.Figures) *float64 { return f.Throughput }), false}, {rate(func(f sweep.Figures) *float64 { return f.Goodput }), true}}},
		{"End-to-end latency, p99 (solid) and p50 (dashed), against load", "latency of successes (ms)",
			"Latency stays flat below the knee and climbs past it, where requests queue. Both axes are logarithmic.",
			true, false,
			[]series{{lat(func(p *sweep.Percentiles) float64 { return p.P99 }), false}, {lat(func(p *sweep.Percentiles) float64 { return p.P50 }), true}}},
	}
	var out []chart
	for _, sp := range specs {
		p := plot.New() // untitled: the page's heading names it
		p.X.Label.Text = xLabel
		p.Y.Label.Text = sp.yLabel
		p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, logTicks{}
		if sp.logY {
			p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, logTicks{}
		}
		p.Legend.Top, p.Legend.Left = true, true
		p.Add(plotter.NewGrid())
		yMin, yMax := math.Inf(1), math.Inf(-1)
		var lines []plot.Plotter
		for i, cv := range cvs {
			for _, s := range sp.series {
				var pts plotter.XYs
				for j, f := range cv.figs {
					if y, ok := s.get(f); ok {
						pts = append(pts, plotter.XY{X: cv.loads[j], Y: y})
						yMin, yMax = math.Min(yMin, y), math.Max(yMax, y)
					}
				}
				if len(pts) == 0 {
					continue
				}
				l, sc, err := plotter.NewLinePoints(pts)
				if err != nil {
					return nil, err
				}
				l.Color, l.Width = colorOf(i), vg.Points(1.5)
				sc.Color, sc.Radius, sc.Shape = colorOf(i), vg.Points(2), draw.CircleGlyph{}
				if s.dashed {
					l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
				} else {
					p.Legend.Add(cv.name, l)
				}
				lines = append(lines, l, sc)
			}
		}
		if len(lines) == 0 {
			continue
		}
		if sp.diagonal {
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, cv := range cvs {
				for _, x := range cv.loads {
					lo, hi = math.Min(lo, x), math.Max(hi, x)
				}
			}
			d, err := plotter.NewLine(plotter.XYs{{X: lo, Y: lo}, {X: hi, Y: hi}})
			if err != nil {
				return nil, err
			}
			d.Color, d.Width = color.Gray{Y: 160}, vg.Points(1)
			p.Add(d)
			p.Legend.Add("offered", d)
			yMin, yMax = math.Min(yMin, lo), math.Max(yMax, hi)
		}
		for i, cv := range cvs {
			if cv.knee == nil {
				continue
			}
			k, err := plotter.NewLine(plotter.XYs{{X: *cv.knee, Y: yMin}, {X: *cv.knee, Y: yMax}})
			if err != nil {
				return nil, err
			}
			k.Color, k.Width, k.Dashes = colorOf(i), vg.Points(1), []vg.Length{vg.Points(1), vg.Points(3)}
			p.Add(k)
		}
		p.Add(lines...)
		svg, err := svgOf(p, chartW, chartH)
		if err != nil {
			return nil, err
		}
		out = append(out, chart{Title: sp.title, SVG: svg, Caption: sp.caption})
	}
	return out, nil
}
