// Package engine runs a plan: it sends every repetition of every variant's
// requests at their intended times (open loop) or from its users (closed
// loop), through the pipeline of primitives, against the providers, and
// records what happened off the measured path: outcomes, rates, HDR
// histograms, one-second windows, a per-request sample for paired
// comparisons, and the runtime's costs. It knows no YAML: only plan.Plan.
package engine

import (
	"context"
	"fmt"
	"io"
	"math"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llmbench/llmbench/mockprovider"
	"github.com/llmbench/llmbench/scenarios/plan"
	"github.com/llmbench/llmbench/scenarios/results"
)

// Options tune a run; the zero value is a quiet run.
type Options struct {
	// Progress, when set, is called about four times a second with what
	// the current repetition has done so far.
	Progress func(Progress)
	// Log receives warnings as they happen (nil: kept in the results only).
	Log io.Writer
	// Grace is how long requests in flight may finish after an interrupt
	// (default: the request timeout, at most 10 s).
	Grace time.Duration
	// Commit is recorded in the results.
	Commit string
	// SkipFloor leaves out the measurement of the harness's own floor
	// (about 0.6 s before the run).
	SkipFloor bool
	// StopOnSaturation ends an open-loop repetition as soon as its
	// one-second windows show the system collapsing (see collapse): the
	// schedule stops, requests in flight are cancelled after Grace, and
	// the repetition is marked Saturated, its Bottleneck saying "stopped
	// early". For capacity searches; a run without it is unchanged.
	StopOnSaturation bool
	// StartAt, when set, starts the run at that instant, and every
	// repetition in a slot of its own after it (the schedule's length,
	// the request timeout and 3 s), so that segments of one schedule
	// started on several machines send it in step. It needs a schedule
	// that lasts a duration.
	StartAt time.Time
	// Live, when set, is kept up to date with the repetition under way,
	// for live metrics; nothing on the measured path touches it.
	Live *Live
	// Abort, when closed after ctx has ended, cancels the requests in
	// flight at once instead of waiting out Grace (a second Ctrl-C).
	Abort <-chan struct{}
}

// Progress is a snapshot of the repetition under way.
type Progress struct {
	Label      string
	Elapsed    time.Duration
	Length     time.Duration // the schedule's length; 0 when it counts requests
	Requests   int64         // the count to reach, when it counts requests
	Done       int64         // requests ended (warm-up included)
	OK, Errors int64
	InFlight   int64
}

// Run runs every repetition of every variant, interleaved (A B C A B C ...),
// and returns what it measured. When ctx ends (an interrupt), it stops
// scheduling, lets requests in flight finish for Options.Grace, and returns
// the results gathered so far marked Partial, with ctx's error.
func Run(ctx context.Context, p *plan.Plan, o Options) (*results.Results, error) {
	res := &results.Results{Version: results.Version, Scenario: p.Name, Description: p.Description, File: p.Path, Dir: p.Dir,
		Source: string(p.Source), SourceHash: p.SourceHash, Overrides: p.Overrides, Files: p.Files, Seed: p.Seed,
		Env: environment(o.Commit)}
	if p.SLO != (results.SLO{}) {
		slo := p.SLO
		res.SLO = &slo
	}
	if p.Segment != nil {
		res.Segment = &results.Segment{Index: p.Segment.Index, Count: p.Segment.Count, Start: o.StartAt}
	}
	if !o.StartAt.IsZero() && p.Load.RunLength() == 0 {
		return nil, fmt.Errorf("a start instant needs a schedule that lasts a duration (this one counts requests)")
	}
	res.Variants = make([]results.VariantResult, len(p.Variants))
	for i, v := range p.Variants {
		res.Variants[i] = results.VariantResult{Name: v.Name, Params: v.Params}
	}
	if !o.SkipFloor {
		f, err := MeasureFloor(ctx)
		if err != nil && ctx.Err() == nil {
			return nil, fmt.Errorf("measuring the harness's floor: %w", err)
		}
		if ctx.Err() == nil {
			res.Floor = f // an interrupted measure measured nothing
		}
	}
	res.Started = time.Now()
	var keys *zipfTable
	if c := p.Pipeline.Cache; c != nil {
		keys = newZipfTable(c.Keys, c.Skew)
	}
	if o.Grace == 0 {
		o.Grace = min(p.Load.Timeout, 10*time.Second)
	}
	rec := newRecorder()
	total := p.Repeat * len(p.Variants)
	slot := p.Load.RunLength() + p.Load.Timeout + 3*time.Second
	done := 0
	var err error
reps:
	for rep := range p.Repeat {
		for i, v := range p.Variants {
			if ctx.Err() != nil {
				break reps
			}
			var at time.Time // when the repetition starts; zero: now
			if !o.StartAt.IsZero() {
				at = o.StartAt.Add(time.Duration(done) * slot)
			}
			done++
			label := fmt.Sprintf("[%d/%d] %s rep %d/%d", done, total, v.Name, rep+1, p.Repeat)
			var rr results.RepResult
			rr, err = runOne(ctx, p, v, rep, keys, rec, o, label, at)
			if err != nil {
				break reps
			}
			res.Variants[i].Reps = append(res.Variants[i].Reps, rr)
			for _, w := range rr.Warnings {
				msg := fmt.Sprintf("%s rep %d: %s", v.Name, rep+1, w)
				res.Warnings = append(res.Warnings, msg)
				if o.Log != nil {
					fmt.Fprintln(o.Log, "warning:", msg)
				}
			}
		}
	}
	res.Finished = time.Now()
	if ctx.Err() != nil {
		res.Partial = true
		if err == nil {
			err = ctx.Err()
		}
	}
	res.Evaluate(p.Thresholds)
	return res, err
}

func environment(commit string) results.Environment {
	env := results.Environment{GoVersion: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, CPU: cpuModel(),
		NumCPU: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), Commit: commit}
	if env.Commit == "" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" {
					env.Commit = s.Value
				}
			}
		}
	}
	return env
}

// runOne runs one repetition of one variant.
func runOne(ctx context.Context, p *plan.Plan, v plan.Variant, rep int, keys *zipfTable, rec *recorder, o Options, label string, at time.Time) (results.RepResult, error) {
	before := runtime.NumGoroutine()
	pl, err := newPipeline(ctx, p, v, rep, keys)
	if err != nil {
		return results.RepResult{}, err
	}
	l := &p.Load
	// In-flight requests live under their own contexts, cancelled only after
	// the grace period that follows an interrupt. A request's context
	// registers with its parent under the parent's lock: sharding the parent
	// keeps that lock from serialising every request of a fast run.
	var inflights [numShards]context.Context
	var cancels [numShards]context.CancelFunc
	for i := range inflights {
		inflights[i], cancels[i] = context.WithCancel(context.Background())
	}
	inflight := inflights[0]
	cancelInflight := func() {
		for _, c := range cancels {
			c()
		}
	}
	defer cancelInflight()
	// The schedule runs under schedCtx, which an early stop ends too; the
	// grace period follows either.
	schedCtx, stopSched := context.WithCancel(ctx)
	defer stopSched()
	stopGrace := context.AfterFunc(schedCtx, func() {
		t := time.NewTimer(o.Grace)
		defer t.Stop()
		select {
		case <-t.C:
			cancelInflight()
		case <-o.Abort:
			cancelInflight()
		case <-inflight.Done():
		}
	})
	defer stopGrace()

	runtime.GC() // start every repetition from a collected heap
	var warnings []string
	if !at.IsZero() {
		if d := time.Until(at); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
			}
		} else if d < -time.Second {
			warnings = append(warnings, fmt.Sprintf("started %s after its slot: out of step with the other segments", (-d).Round(time.Millisecond)))
			at = time.Time{}
		}
	}
	rt0 := readRuntime()
	cpu0 := processCPU()
	start := time.Now()
	if !at.IsZero() && ctx.Err() == nil {
		start = at // the instant every segment's schedule counts from
	}
	expected := l.Expected() + int64(l.Offered()*l.Warmup.Seconds())
	rec.reset(start, l.Warmup, p.SLO, expected)
	if o.Live != nil {
		o.Live.begin(v.Name, rec)
	}
	stopWin, winDone := make(chan struct{}), make(chan struct{})
	// An early stop: written by the window goroutine, read after winDone.
	var early string
	var stoppedAt time.Time
	var watch func([]results.Window)
	if o.StopOnSaturation && l.Open() {
		sendEnd := (l.RunLength() + lateAfter).Seconds()
		watch = func(ws []results.Window) {
			if msg, ok := collapse(ws, l.Offered(), sendEnd); ok && early == "" {
				early, stoppedAt = msg, time.Now()
				stopSched()
			}
		}
	}
	go rec.runWindows(stopWin, winDone, watch)
	stopProgress := startProgress(o.Progress, label, l, rec)

	var sched schedule
	var wg sync.WaitGroup
	serve := func(idx uint64, intended time.Time, measured bool) {
		defer wg.Done()
		r := getRequest()
		r.index, r.intended, r.measured = idx, intended, measured
		r.sent = time.Now()
		parent := inflights[idx%numShards]
		reqCtx, cancel := context.WithTimeout(parent, l.Timeout)
		// One context value carries the plan index, and the trace where one
		// provider serves the request.
		if pl.traced {
			r.trace.UseIndex(idx)
			reqCtx = mockprovider.WithTrace(reqCtx, &r.trace)
		} else {
			reqCtx = mockprovider.WithRequestIndex(reqCtx, idx)
		}
		err := pl.do(reqCtx, r)
		r.end = time.Now()
		if err != nil {
			r.outcome, r.errKind = classify(err, reqCtx, parent)
			r.err = err
		}
		cancel()
		rec.record(r)
		rec.inFlight.Add(-1)
		putRequest(r)
	}
	if l.Open() {
		openLoop(schedCtx, l, p.Segment, p.SeedFor("arrivals", rep), start, rec, &sched, &wg, serve)
	} else {
		closedLoop(schedCtx, l, p.Segment, p.SeedFor("users", rep), start, rec, &sched, &wg, serve)
	}
	wg.Wait()
	close(stopWin)
	<-winDone
	stopProgress()
	pl.close()
	rt1 := readRuntime()
	cpu1 := processCPU()
	leaked := settleGoroutines(before)

	t := rec.merged()
	rr := results.RepResult{
		Rep: rep + 1, Started: start, Offered: l.Offered(), Window: l.Window(),
		Scheduled: sched.scheduled.Load(), Sent: sched.sent,
		Outcomes: t.outcomes, Good: t.good, Tokens: t.tokens, CacheHits: t.hits, CacheLookups: t.lookups,
		GoroutinesLeaked: leaked,
		AllocBytes:       rt1.allocBytes - rt0.allocBytes, AllocObjects: rt1.allocObjects - rt0.allocObjects,
		CPU: cpu1 - cpu0, GCPause: time.Duration((rt1.pause - rt0.pause) * 1e9),
		NumGC: rt1.numGC - rt0.numGC, Histograms: map[string]results.Hist{}, Windows: rec.windows,
		Interrupted: ctx.Err() != nil, RSS: residentBytes(),
		Sample: rec.sample(sched.total), Warnings: warnings, ErrorSamples: t.errMsgs,
	}
	// A schedule cut short covers only what it reached; one stopped while
	// draining was complete.
	cut := ctx.Err() != nil || early != "" && (l.RunLength() == 0 || stoppedAt.Before(start.Add(l.RunLength())))
	rr.Window, rr.SendSpan, rr.Span = sched.spans(l, rec.measure, t.lastDone, cut)
	if rr.Span > 0 {
		rr.WindowStart, rr.LastDone = rec.measure, t.lastDone
	}
	for i, h := range t.hists {
		if h.TotalCount() > 0 {
			rr.Histograms[results.HistNames[i]] = results.HistOf(h)
		}
	}
	if msg := sched.lagWarning(l.Offered()); msg != "" {
		rr.Warnings = append(rr.Warnings, msg)
	}
	if sched.late > 0 {
		rr.Warnings = append(rr.Warnings, fmt.Sprintf("%d requests due before the schedule's end were never sent: the generator was still behind at the end (counted as dropped)", sched.late))
	}
	if leaked > 0 {
		rr.Warnings = append(rr.Warnings, fmt.Sprintf("%d goroutines still running after the run", leaked))
	}
	switch {
	case early != "" && !rr.Interrupted:
		rr.Saturated, rr.Bottleneck = true, "stopped early: "+early
	case l.Open() && !rr.Interrupted:
		rr.Saturated, rr.Bottleneck = saturation(&rr, &sched, t, start)
	}
	if o.Live != nil {
		o.Live.end(v.Name)
	}
	return rr, nil
}

// settleGoroutines waits up to 2 s for the goroutine count to fall back to
// before, and returns how many more are left.
func settleGoroutines(before int) int {
	deadline := time.Now().Add(2 * time.Second)
	for {
		n := runtime.NumGoroutine() - before
		if n <= 0 {
			return 0
		}
		if time.Now().After(deadline) {
			return n
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// schedule follows what the generator did: what it scheduled and sent,
// and how late. Only the generator writes it (scheduled is read by
// progress), and it is read once the generator is done.
type schedule struct {
	scheduled  atomic.Int64 // measured requests scheduled
	total      uint64       // requests scheduled, warm-up included
	sent       int64        // measured requests sent
	late       int64        // measured requests never sent: due before the end, generator behind
	lateSends  int64        // measured sends over lateAfter late
	worst      time.Duration
	lastIntent time.Time // last measured intended time
	lastSend   time.Time // last measured actual send
}

// lateAfter is the lateness from which a send counts as late: well above
// a timer's overshoot (0.2 to 2 ms on a loaded machine), so that a warning
// means the generator could not keep up, not that a timer woke late.
const lateAfter = 10 * time.Millisecond

func (s *schedule) sentOne(intended, now time.Time) {
	s.sent++
	s.lastIntent, s.lastSend = intended, now
	late := now.Sub(intended)
	if late > lateAfter {
		s.lateSends++
	}
	s.worst = max(s.worst, late)
}

func (s *schedule) lagWarning(rate float64) string {
	// One late send in a slow run is the machine's noise, not the rate.
	if s.sent == 0 || float64(s.lateSends) < 0.01*float64(s.sent) || s.lateSends < 5 {
		return ""
	}
	return fmt.Sprintf("the generator fell behind: %.1f%% of requests were sent more than %s late (worst %s); latencies are corrected from intended times, but the offered rate (%.0f/s) may be beyond this machine",
		100*float64(s.lateSends)/float64(s.sent), lateAfter, s.worst.Round(time.Microsecond), rate)
}

// spans are the repetition's time bases: the schedule's measured window,
// the send span (the window stretched by how late the last send was) and
// the span from the window's start to the last completion, at least the
// window (so that a schedule served within its window has a throughput
// of exactly what it sent, not more for ending a gap early).
func (s *schedule) spans(l *plan.Load, measure, lastDone time.Time, interrupted bool) (window, sendSpan, span time.Duration) {
	window = l.Window()
	if s.sent > 0 {
		if window == 0 || interrupted {
			window = s.lastIntent.Sub(measure) // what the schedule reached
		}
		sendSpan = window + max(0, s.lastSend.Sub(s.lastIntent))
		if !lastDone.IsZero() {
			span = max(window, lastDone.Sub(measure))
		}
	}
	return window, sendSpan, span
}

// saturation says whether an open loop could be served at its offered
// rate, and what the harness saw when it could not: the sent rate below
// 99 % of offered (max_in_flight drops, or the generator's lag), or the
// throughput below 95 % of offered while latency grew over the run. The
// growth confirms it: a short run's throughput counts its latency tail
// (N requests over the window plus the last one's latency), which alone
// would call every short run with slow answers saturated.
func saturation(rr *results.RepResult, s *schedule, t totals, start time.Time) (bool, string) {
	if rr.Scheduled == 0 || rr.Window <= 0 {
		return false, ""
	}
	sum := rr.Summary()
	offered, _ := sum.Metric("offered_rate")
	sent, _ := sum.Metric("sent_rate")
	// A short window's sent rate falls below 99 % for one send a few
	// milliseconds late at its end: that alone is the machine's noise.
	// Saturation by sending needs drops, or the lag warning's pattern.
	if sent < 0.99*offered && (rr.Outcomes.Dropped > 0 || s.lagWarning(offered) != "") {
		if full := rr.Outcomes.Dropped - s.late; full > 0 {
			return true, fmt.Sprintf("max_in_flight reached: %d requests dropped; sent %.0f/s of %.0f/s offered", full, sent, offered)
		}
		return true, fmt.Sprintf("generator lag: sent %.0f/s of %.0f/s offered (%d sends over %s late, worst %s; %d never sent)",
			sent, offered, s.lateSends, lateAfter, s.worst.Round(time.Microsecond), s.late)
	}
	through, _ := sum.Metric("throughput")
	if through >= 0.95*offered {
		return false, ""
	}
	early, late, ok := latencyTrend(rr.Sample)
	if !ok || late < 2*early {
		return false, ""
	}
	msg := fmt.Sprintf("latency grew from %s (first third of the requests) to %s (last third): the system served about %.0f/s of %.0f/s offered",
		fmtLatency(early), fmtLatency(late), through, offered)
	if from, to, ok := inFlightGrowth(rr.Windows, s.lastSend.Sub(start).Seconds()); ok {
		msg = fmt.Sprintf("in-flight requests grew from %d to %d while sending; ", from, to) + msg
	}
	return true, msg
}

// latencyTrend is the median latency of the first and the last third of
// the sampled requests, in request order (failures count as infinitely
// slow).
func latencyTrend(s *results.Sample) (early, late float64, ok bool) {
	if s == nil {
		return 0, 0, false
	}
	var xs []float64
	for _, v := range s.E2E {
		switch v {
		case results.Absent:
		case results.Failed:
			xs = append(xs, math.Inf(1))
		default:
			xs = append(xs, float64(v))
		}
	}
	if len(xs) < 30 {
		return 0, 0, false
	}
	third := len(xs) / 3
	return median(xs[:third]), median(xs[len(xs)-third:]), true
}

func median(xs []float64) float64 {
	c := slices.Clone(xs)
	slices.Sort(c)
	return c[len(c)/2]
}

func fmtLatency(ns float64) string {
	if math.IsInf(ns, 1) {
		return "failing"
	}
	return results.FormatDuration(time.Duration(ns))
}

// inFlightGrowth reports the in-flight count in the first and last
// measured windows that end before sendEnd (seconds from the start), when
// it grew.
func inFlightGrowth(ws []results.Window, sendEnd float64) (from, to int64, ok bool) {
	var first, last *results.Window
	for i := range ws {
		if ws[i].Warmup || ws[i].T > sendEnd+0.5 {
			continue
		}
		if first == nil {
			first = &ws[i]
		}
		last = &ws[i]
	}
	if first == nil || last == first || last.InFlight <= first.InFlight {
		return 0, 0, false
	}
	return first.InFlight, last.InFlight, true
}

// startProgress reports progress every 250 ms until the function it
// returns is called.
func startProgress(report func(Progress), label string, l *plan.Load, rec *recorder) func() {
	if report == nil {
		return func() {}
	}
	stop, done := make(chan struct{}), make(chan struct{})
	snapshot := func() Progress {
		ok, errs, n := rec.progress()
		return Progress{Label: label, Elapsed: time.Since(rec.start), Length: l.RunLength(), Requests: l.Requests,
			Done: n, OK: ok, Errors: errs, InFlight: rec.inFlight.Load()}
	}
	go func() {
		defer close(done)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				report(snapshot())
				return
			case <-t.C:
				report(snapshot())
			}
		}
	}()
	return func() {
		close(stop)
		<-done
	}
}
