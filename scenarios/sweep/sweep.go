// Package sweep is the capacity search of llmbench sweep: how much load
// each variant carries before it breaks its SLOs.
//
// A geometric ramp (×2 per step) finds each variant's first failing load,
// then bisection (at the geometric mean) narrows the bracket between its
// highest passing load and the lowest failing one above it to the
// requested precision. The highest pass wins over a failure below it (see
// searcher): on a shared machine, failures have causes of their own.
// Every step is one engine run of every variant, interleaved, on identical
// request schedules, at one load applied to the scenario's text (so each
// step records the scenario as it ran). A repetition fails its step on a
// distribution SLO, on fewer than 99 % of its requests succeeding within
// the per-request SLO, or on saturation; the engine stops a collapsed
// repetition early rather than let it drain.
//
// With repetitions, each is its own search (every step runs them all);
// a variant's capacity is the median of theirs, with their range.
//
//	spec → plan → sweep (→ engine, many times) → Sweep → sweep.json, results.txt, report
package sweep

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/llmbench/llmbench/scenarios/engine"
	"github.com/llmbench/llmbench/scenarios/plan"
	"github.com/llmbench/llmbench/scenarios/results"
)

// Options tune a sweep.
type Options struct {
	// Engine is passed to every step, with StopOnSaturation set and the
	// floor skipped (it is measured once, before the first step, unless
	// SkipFloor); Progress labels are prefixed with the step and its load.
	Engine engine.Options
	// OnStep is called after every step with the sweep so far (its
	// capacities updated), e.g. to write it.
	OnStep func(*Sweep, *Step) error
	// runStep runs one step's plan; tests may replace engine.Run.
	runStep func(context.Context, *plan.Plan, engine.Options) (*results.Results, error)
}

// searcher is the search of one repetition of one variant: the highest
// load it passed and the lowest it failed above that (0 and +Inf: none
// yet).
//
// The highest pass wins: a pass above a failure overturns it, and a
// failure below a pass is noise. On a shared machine a step fails for
// reasons of its own (the process stalls, a burst of other work), while
// nothing makes a system pass beyond its real knee: a queue that builds
// does not vanish by chance. Both cases are counted as contradictions.
type searcher struct {
	lo, hi         float64
	why            []string // what failed at hi
	fails          []failure
	done           bool // its bracket cannot be split further
	contradictions int
}

type failure struct {
	load float64
	why  []string
}

func (s *searcher) pass(load float64) {
	if load <= s.lo {
		return
	}
	if load >= s.hi {
		s.contradictions++ // overturns the failure at hi
	}
	s.lo, s.hi, s.why, s.done = load, math.Inf(1), nil, false
	for _, f := range s.fails {
		if f.load > s.lo && f.load < s.hi {
			s.hi, s.why = f.load, f.why
		}
	}
}

func (s *searcher) fail(load float64, why []string) {
	s.fails = append(s.fails, failure{load, why})
	switch {
	case load <= s.lo:
		s.contradictions++ // below a pass: noise
	case load < s.hi:
		s.hi, s.why, s.done = load, why, false
	}
}

// Run runs the sweep of base. When ctx ends it stops, keeps the steps
// done (the last one, cut short, not judged) and returns the sweep marked
// Partial with ctx's error.
func Run(ctx context.Context, base *plan.Plan, c Config, o Options) (*Sweep, error) {
	if o.runStep == nil {
		o.runStep = engine.Run
	}
	sw := &Sweep{Version: Version, Scenario: base.Name, Description: base.Description, File: base.Path, Mode: c.Mode,
		From: c.From, To: c.To, Precision: c.Precision, StepDuration: c.StepDuration, Repeat: c.Repeat,
		Source: string(base.Source), Overrides: base.Overrides, Seed: base.Seed, Started: time.Now()}
	for _, th := range c.Checks {
		sw.Checks = append(sw.Checks, th.Expr)
	}
	if base.SLO != (results.SLO{}) {
		slo := base.SLO
		sw.SLO = &slo
	}
	if !o.Engine.SkipFloor {
		f, err := engine.MeasureFloor(ctx)
		if err != nil && ctx.Err() == nil {
			return nil, fmt.Errorf("measuring the harness's floor: %w", err)
		}
		sw.Floor = f
	}
	ss := make([][]searcher, len(base.Variants))
	for i := range ss {
		ss[i] = make([]searcher, c.Repeat)
		for k := range ss[i] {
			ss[i][k].hi = math.Inf(1)
		}
	}
	sc := &search{c: &c, ss: ss, variants: base.Variants}
	var err error
	for {
		load, phase, ok := sc.next()
		if !ok {
			break
		}
		if len(sw.Steps) == MaxSteps {
			sw.Warnings = append(sw.Warnings, fmt.Sprintf("stopped after %d steps; the search had not converged", MaxSteps))
			break
		}
		if err = ctx.Err(); err != nil {
			break
		}
		var st *Step
		st, err = runStep(ctx, base, &c, o, len(sw.Steps)+1, load, phase)
		if st == nil {
			break
		}
		sw.Env = st.res.Env
		sw.Steps = append(sw.Steps, *st)
		sc.record(st)
		sw.summarize(sc)
		if o.OnStep != nil {
			if werr := o.OnStep(sw, &sw.Steps[len(sw.Steps)-1]); werr != nil && err == nil {
				err = werr
			}
		}
		if err != nil {
			break
		}
	}
	sw.Finished = time.Now()
	sw.Partial = ctx.Err() != nil
	if sw.Partial && err == nil {
		err = ctx.Err()
	}
	sw.summarize(sc)
	return sw, err
}

// runStep runs every variant at one load; a nil step means nothing ran.
func runStep(ctx context.Context, base *plan.Plan, c *Config, o Options, n int, load float64, phase string) (*Step, error) {
	ov := plan.Overrides{Duration: &c.StepDuration, Repeat: &c.Repeat}
	if c.Mode == Users {
		users := int(load)
		ov.Users = &users
	} else {
		ov.Rate = &load
	}
	p, err := plan.Resolve(base.Source, base.Path, base.Dir, ov)
	if err != nil {
		return nil, fmt.Errorf("step %d at %s: %w", n, FormatLoad(c.Mode, load), err)
	}
	p.Overrides = append(slices.Clone(base.Overrides), p.Overrides...)
	eo := o.Engine
	eo.SkipFloor, eo.StopOnSaturation = true, true
	if report := o.Engine.Progress; report != nil {
		prefix := fmt.Sprintf("step %d %s ", n, FormatLoad(c.Mode, load))
		eo.Progress = func(pr engine.Progress) {
			pr.Label = prefix + pr.Label
			report(pr)
		}
	}
	st := &Step{N: n, Phase: phase, Load: load, Started: time.Now(), Source: string(p.Source), SourceHash: p.SourceHash, Overrides: p.Overrides}
	res, err := o.runStep(ctx, p, eo)
	st.Elapsed = time.Since(st.Started)
	if res == nil {
		return nil, err
	}
	st.res, st.Partial = res, res.Partial
	for i := range res.Variants {
		v := &res.Variants[i]
		sv := StepVariant{Name: v.Name, Figures: figuresOf(v.Summary())}
		for j := range v.Reps {
			sr := judge(c, v, &v.Reps[j])
			if sr.Passed {
				sv.Passed++
			}
			sv.Reps = append(sv.Reps, sr)
		}
		st.Variants = append(st.Variants, sv)
	}
	return st, err
}

// search chooses the loads: up the ramp while a repetition has not
// failed, down while one has not passed (unless From was given), then
// bisection of the widest open bracket.
type search struct {
	c           *Config
	ss          [][]searcher // by variant, then repetition
	variants    []plan.Variant
	top, bottom float64 // highest and lowest load tried
	steps       int
}

func (sc *search) each(f func(s *searcher)) {
	for i := range sc.ss {
		for k := range sc.ss[i] {
			f(&sc.ss[i][k])
		}
	}
}

func (sc *search) next() (load float64, phase string, ok bool) {
	c := sc.c
	if sc.steps == 0 {
		return c.From, "ramp", true
	}
	unfailed, unpassed := false, false
	sc.each(func(s *searcher) {
		unfailed = unfailed || math.IsInf(s.hi, 1)
		unpassed = unpassed || s.lo == 0
	})
	if unfailed && sc.top < c.To {
		up := c.To // as given, not rounded: the top is tried exactly
		if next := sc.round(sc.top * Factor); next < c.To {
			up = next
		}
		return up, "ramp", true
	}
	if unpassed && !c.FromSet {
		if down := sc.round(sc.bottom / Factor); down < sc.bottom && down >= sc.floor() {
			return down, "down", true
		}
	}
	for {
		var widest *searcher
		sc.each(func(s *searcher) {
			if s.done || s.lo == 0 || math.IsInf(s.hi, 1) || sc.narrow(s) {
				return
			}
			if widest == nil || s.hi/s.lo > widest.hi/widest.lo {
				widest = s
			}
		})
		if widest == nil {
			return 0, "", false
		}
		if mid := sc.round(math.Sqrt(widest.lo * widest.hi)); mid > widest.lo && mid < widest.hi {
			return mid, "bisect", true
		}
		if sc.c.Mode == Users && widest.hi-widest.lo > 1 {
			return widest.lo + 1, "bisect", true
		}
		widest.done = true // narrower than a load can be written
	}
}

// narrow says whether a bracket is within the precision (for users, also
// when no whole number lies inside).
func (sc *search) narrow(s *searcher) bool {
	return (s.hi-s.lo)/s.lo <= sc.c.Precision || sc.c.Mode == Users && s.hi-s.lo <= 1
}

// floor is the lowest load a step may have: minStepRequests measured, or
// one user.
func (sc *search) floor() float64 {
	if sc.c.Mode == Users {
		return 1
	}
	return minStepRequests / sc.c.StepDuration.Seconds()
}

// round keeps a load to a few significant digits (enough for the
// precision), so that it reads well and keys the same in every file; a
// number of users is whole.
func (sc *search) round(x float64) float64 {
	if sc.c.Mode == Users {
		return math.Round(x)
	}
	sig := max(3, int(math.Ceil(-math.Log10(sc.c.Precision)))+1)
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', sig, 64), 64)
	return v
}

// record narrows every searcher by the step's verdicts.
func (sc *search) record(st *Step) {
	sc.steps++
	if st.Load > sc.top {
		sc.top = st.Load
	}
	if sc.bottom == 0 || st.Load < sc.bottom {
		sc.bottom = st.Load
	}
	for i, sv := range st.Variants {
		for _, r := range sv.Reps {
			if !r.Judged || i >= len(sc.ss) || r.Rep < 1 || r.Rep > len(sc.ss[i]) {
				continue
			}
			s := &sc.ss[i][r.Rep-1]
			if r.Passed {
				s.pass(st.Load)
			} else {
				s.fail(st.Load, r.Reasons)
			}
		}
	}
}

// summarize computes every variant's capacity from the searches so far.
func (sw *Sweep) summarize(sc *search) {
	sw.Capacities = sw.Capacities[:0]
	for i := range sc.ss {
		cp := Capacity{Variant: sc.variants[i].Name, Params: sc.variants[i].Params}
		var caps, through, p99, cpu []float64
		cp.AtLeast, cp.Below = true, true
		for k := range sc.ss[i] {
			s := &sc.ss[i][k]
			rc := RepCapacity{Rep: k + 1}
			cp.Contradictions += s.contradictions
			if s.lo > 0 {
				rc.Capacity = ptr(s.lo)
				caps = append(caps, s.lo)
				if f := sw.figuresAt(i, k+1, s.lo); f != nil {
					if f.Throughput != nil {
						rc.Throughput = f.Throughput
						through = append(through, *f.Throughput)
					}
					if f.E2E != nil {
						p99 = append(p99, f.E2E.P99)
					}
					if f.CPUPerReq != nil {
						cpu = append(cpu, *f.CPUPerReq)
					}
				}
			} else {
				caps = append(caps, 0)
			}
			if !math.IsInf(s.hi, 1) {
				rc.FailedAt, rc.Why = ptr(s.hi), s.why
				if cp.FailedAt == nil || s.hi < *cp.FailedAt {
					cp.FailedAt, cp.Why = ptr(s.hi), s.why
				}
			}
			// No failing load found (the top passed, or the sweep was
			// interrupted first): the highest pass is a lower bound.
			cp.AtLeast = cp.AtLeast && s.lo > 0 && math.IsInf(s.hi, 1)
			cp.Below = cp.Below && s.lo == 0 && !math.IsInf(s.hi, 1)
			cp.Reps = append(cp.Reps, rc)
		}
		if m := median(caps); m > 0 {
			cp.Capacity = ptr(m)
			cp.Low, cp.High = ptr(slices.Min(caps)), ptr(slices.Max(caps))
		}
		if len(through) > 0 {
			cp.Throughput = ptr(median(through))
		}
		if len(p99) > 0 {
			cp.E2EP99 = ptr(median(p99))
		}
		if len(cpu) > 0 {
			cp.CPUPerReq = ptr(median(cpu))
		}
		sw.Capacities = append(sw.Capacities, cp)
	}
}

// figuresAt is what repetition rep of variant i measured at load.
func (sw *Sweep) figuresAt(i, rep int, load float64) *Figures {
	for s := range sw.Steps {
		st := &sw.Steps[s]
		if st.Load != load || i >= len(st.Variants) {
			continue
		}
		for _, r := range st.Variants[i].Reps {
			if r.Rep == rep && r.Judged {
				return &r.Figures
			}
		}
	}
	return nil
}

// LowestLoad is the lowest load a step tried (0 before the first step).
func (sw *Sweep) LowestLoad() float64 {
	lo := 0.0
	for i, st := range sw.Steps {
		if i == 0 || st.Load < lo {
			lo = st.Load
		}
	}
	return lo
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	c := slices.Clone(xs)
	slices.Sort(c)
	if n := len(c); n%2 == 0 {
		return (c[n/2-1] + c[n/2]) / 2
	}
	return c[len(c)/2]
}

func ptr(v float64) *float64 { return &v }

// FormatLoad prints a load as the sweep's mode counts it: "400/s", "8 users".
func FormatLoad(m Mode, load float64) string {
	if m == Users {
		return strconv.FormatFloat(load, 'f', 0, 64) + " users"
	}
	return strconv.FormatFloat(load, 'f', -1, 64) + "/s"
}

// LoadKey is a load as results.txt keys a step: offered=400 or users=8.
func LoadKey(m Mode, load float64) string {
	if m == Users {
		return "users=" + strconv.FormatFloat(load, 'f', 0, 64)
	}
	return "offered=" + strconv.FormatFloat(load, 'f', -1, 64)
}
