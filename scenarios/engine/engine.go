package scenarios

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/llmbench/llmbench/mockprovider"
)

// Options tune a run; the zero value is a quiet run.
type Options struct {
	// Progress receives a progress bar (a terminal), or nothing when nil.
	Progress io.Writer
	// Log receives warnings as they happen (nil: kept in the results only).
	Log io.Writer
	// Grace is how long requests in flight may finish after an interrupt
	// (default: the request timeout, at most 10 s).
	Grace time.Duration
	// Commit is recorded in the results.
	Commit string
}

// Run runs every repetition of every variant, interleaved (A B C A B C ...),
// and returns what it measured. When ctx ends (an interrupt), it stops
// scheduling, lets requests in flight finish for Options.Grace, and returns
// the results gathered so far marked Partial, with ctx's error.
func Run(ctx context.Context, s *Scenario, o Options) (*Results, error) {
	variants := s.Expand()
	res := &Results{Version: ResultsVersion, Scenario: s.Name, Description: s.Description, File: s.Path,
		Source: s.Source, Seed: s.Seed, Started: time.Now(), Env: environment(o.Commit)}
	res.Variants = make([]VariantResult, len(variants))
	for i, v := range variants {
		res.Variants[i] = VariantResult{Name: v.Name, Params: v.Params}
	}
	var keys *zipfTable
	if c := s.Pipeline.Cache; c != nil {
		keys = newZipfTable(c.Keys, c.Skew)
	}
	if o.Grace == 0 {
		o.Grace = min(s.Workload.Timeout, 10*time.Second)
	}
	rec := newRecorder()
	total := s.Repeat * len(variants)
	done := 0
	var err error
reps:
	for rep := range s.Repeat {
		for i, v := range variants {
			if ctx.Err() != nil {
				break reps
			}
			done++
			label := fmt.Sprintf("[%d/%d] %s rep %d/%d", done, total, v.Name, rep+1, s.Repeat)
			var rr RepResult
			rr, err = runOne(ctx, s, v, rep, keys, rec, o, label)
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
	res.evaluate(s)
	return res, err
}

func environment(commit string) Environment {
	env := Environment{GoVersion: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, CPU: cpuModel(),
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

// cpuModel is the processor's name, as Linux reports it.
func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// evaluate applies the thresholds to every variant they select.
func (r *Results) evaluate(s *Scenario) {
	for i := range r.Variants {
		v := &r.Variants[i]
		if len(v.Reps) == 0 {
			continue
		}
		sum := v.Summarize()
		for _, th := range s.Thresholds {
			if !selects(th.Variant, v.Params) {
				continue
			}
			val, _ := sum.Metric(th.check.metric)
			v.Thresholds = append(v.Thresholds, ThresholdResult{Expr: th.Expr, Value: val, Passed: th.check.holds(val)})
		}
	}
}

func selects(sel, params map[string]string) bool {
	for k, v := range sel {
		if params[k] != v {
			return false
		}
	}
	return true
}

// Failed reports whether any threshold failed.
func (r *Results) Failed() bool {
	for _, v := range r.Variants {
		for _, t := range v.Thresholds {
			if !t.Passed {
				return true
			}
		}
	}
	return false
}

// runtime figures read around each repetition.
var runtimeSamples = []metrics.Sample{
	{Name: "/gc/heap/allocs:bytes"},
	{Name: "/gc/heap/allocs:objects"},
	{Name: "/gc/cycles/total:gc-cycles"},
	{Name: "/sched/pauses/total/gc:seconds"},
}

type runtimeFigures struct {
	allocBytes, allocObjects, numGC uint64
	pause                           float64
}

func readRuntime() runtimeFigures {
	s := make([]metrics.Sample, len(runtimeSamples))
	copy(s, runtimeSamples)
	metrics.Read(s)
	f := runtimeFigures{}
	if s[0].Value.Kind() == metrics.KindUint64 {
		f.allocBytes = s[0].Value.Uint64()
	}
	if s[1].Value.Kind() == metrics.KindUint64 {
		f.allocObjects = s[1].Value.Uint64()
	}
	if s[2].Value.Kind() == metrics.KindUint64 {
		f.numGC = s[2].Value.Uint64()
	}
	if s[3].Value.Kind() == metrics.KindFloat64Histogram {
		h := s[3].Value.Float64Histogram()
		for i, c := range h.Counts {
			lo, hi := h.Buckets[i], h.Buckets[i+1]
			if math.IsInf(lo, -1) {
				lo = 0
			}
			if math.IsInf(hi, 1) {
				hi = lo
			}
			f.pause += float64(c) * (lo + hi) / 2
		}
	}
	return f
}

// runOne runs one repetition of one variant.
func runOne(ctx context.Context, s *Scenario, v Variant, rep int, keys *zipfTable, rec *recorder, o Options, label string) (RepResult, error) {
	before := runtime.NumGoroutine()
	p, err := newPipeline(ctx, s, v, rep, keys)
	if err != nil {
		return RepResult{}, err
	}
	w := &s.Workload
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
	stopGrace := context.AfterFunc(ctx, func() {
		t := time.NewTimer(o.Grace)
		defer t.Stop()
		select {
		case <-t.C:
			cancelInflight()
		case <-inflight.Done():
		}
	})
	defer stopGrace()

	runtime.GC() // start every repetition from a collected heap
	rt0 := readRuntime()
	cpu0 := processCPU()
	start := time.Now()
	rec.reset(start, w.Warmup)
	stopWin, winDone := make(chan struct{}), make(chan struct{})
	go rec.runWindows(stopWin, winDone)
	stopProgress := startProgress(o.Progress, label, s, rec)

	var scheduled atomic.Int64
	var wg sync.WaitGroup
	serve := func(idx uint64, intended time.Time, measured bool) {
		defer wg.Done()
		r := getRequest()
		r.index, r.intended, r.measured = idx, intended, measured
		r.sent = time.Now()
		parent := inflights[idx%numShards]
		reqCtx, cancel := context.WithTimeout(parent, w.Timeout)
		// One context value carries the plan index, and the trace where one
		// provider serves the request.
		if p.traced {
			r.trace.UseIndex(idx)
			reqCtx = mockprovider.WithTrace(reqCtx, &r.trace)
		} else {
			reqCtx = mockprovider.WithRequestIndex(reqCtx, idx)
		}
		err := p.do(reqCtx, r)
		r.end = time.Now()
		if err != nil {
			r.outcome, r.errKind = classify(err, reqCtx, parent)
		}
		cancel()
		rec.record(r)
		rec.inFlight.Add(-1)
		putRequest(r)
	}
	var lag lagWatch
	if w.Arrival != "" {
		openLoop(ctx, w, s.Seed+uint64(rep), start, rec, &scheduled, &wg, serve, &lag)
	} else {
		closedLoop(ctx, w, s.Seed+uint64(rep), start, rec, &scheduled, &wg, serve)
	}
	wg.Wait()
	close(stopWin)
	<-winDone
	stopProgress()
	p.close()
	rt1 := readRuntime()
	cpu1 := processCPU()
	leaked := settleGoroutines(before)

	hists, outcomes, kinds, tokens, hits, lookups := rec.merged()
	rr := RepResult{
		Rep: rep + 1, Started: start, Scheduled: scheduled.Load(),
		Outcomes: outcomeMap(outcomes, kinds), Tokens: tokens, CacheHits: hits, CacheLookups: lookups,
		GoroutinesLeaked: leaked,
		AllocBytes:       rt1.allocBytes - rt0.allocBytes, AllocObjects: rt1.allocObjects - rt0.allocObjects,
		CPU: cpu1 - cpu0, GCPause: time.Duration((rt1.pause - rt0.pause) * 1e9),
		NumGC: rt1.numGC - rt0.numGC, Histograms: map[string]Hist{}, Windows: rec.windows,
		Interrupted: ctx.Err() != nil, RSS: residentBytes(),
	}
	// Rates are per second of the measured window: the configured one for
	// a run that lasts a duration (completions of its tail included), or
	// from the warm-up's end to the last completion for a run that counts
	// requests or was interrupted.
	if window := w.RunLength() - w.Warmup; window > 0 && ctx.Err() == nil {
		rr.Measured = window
	} else if last := rec.lastDone(); !last.IsZero() {
		rr.Measured = last.Sub(rec.measure)
	}
	for i, h := range hists {
		if h.TotalCount() > 0 {
			rr.Histograms[HistNames[i]] = histOf(h)
		}
	}
	if lag.sent > 1 {
		rr.SendSpan = lag.last.Sub(lag.first)
	}
	if msg := lag.warning(w.Rate); msg != "" {
		rr.Warnings = append(rr.Warnings, msg)
	}
	if leaked > 0 {
		rr.Warnings = append(rr.Warnings, fmt.Sprintf("%d goroutines still running after the run", leaked))
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

// lagWatch follows how late the generator sends.
type lagWatch struct {
	late, sent  int64
	worst       time.Duration
	first, last time.Time // first measured intended time, last actual send
}

// lateAfter is the lateness from which a send counts as late: well above
// a timer's overshoot (0.2 to 2 ms on a loaded machine), so that a warning
// means the generator could not keep up, not that a timer woke late.
const lateAfter = 10 * time.Millisecond

func (l *lagWatch) warning(rate float64) string {
	if l.sent == 0 || float64(l.late) < 0.01*float64(l.sent) {
		return ""
	}
	return fmt.Sprintf("the generator fell behind: %.1f%% of requests were sent more than %s late (worst %s); latencies are corrected from intended times, but the target rate (%.0f/s) may be beyond this machine",
		100*float64(l.late)/float64(l.sent), lateAfter, l.worst.Round(time.Microsecond), rate)
}

// openLoop sends requests at their intended times, whatever the system
// does; a request due while max_in_flight requests are in progress is
// counted as dropped. It sleeps to the next due time and sends every
// request already due on waking, so a late wake-up sends a batch on time
// rather than drifting.
func openLoop(ctx context.Context, w *Workload, seed uint64, start time.Time, rec *recorder, scheduled *atomic.Int64,
	wg *sync.WaitGroup, serve func(uint64, time.Time, bool), lag *lagWatch) {
	workers := newWorkerPool(serve)
	defer func() {
		wg.Wait()
		workers.close()
	}()
	arr := newArrivals(w, seed)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	limit := int64(w.MaxInFlight)
	for idx := uint64(0); ; idx++ {
		off, ok := arr.next()
		if !ok {
			return
		}
		intended := start.Add(off)
		if d := time.Until(intended); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return
			}
		} else if ctx.Err() != nil {
			return
		}
		measured := off >= w.Warmup
		if measured {
			scheduled.Add(1)
		}
		if limit > 0 && rec.inFlight.Load() >= limit {
			rec.drop(measured)
			continue
		}
		if measured {
			now := time.Now()
			late := now.Sub(intended)
			if lag.sent == 0 {
				lag.first = intended
			}
			lag.sent++
			lag.last = now
			if late > lateAfter {
				lag.late++
			}
			lag.worst = max(lag.worst, late)
		}
		rec.inFlight.Add(1)
		wg.Add(1)
		workers.submit(job{idx, intended, measured})
	}
}

// job is one request for a worker.
type job struct {
	idx      uint64
	intended time.Time
	measured bool
}

// workerPool runs the open loop's requests. A request goes to an idle
// worker if there is one, or to a new one: workers keep their grown stacks
// from request to request, where a goroutine per request would grow a new
// stack every time (a measurable share of the harness's cost at high rates).
type workerPool struct {
	work  chan job
	serve func(uint64, time.Time, bool)
	wg    sync.WaitGroup
}

func newWorkerPool(serve func(uint64, time.Time, bool)) *workerPool {
	return &workerPool{work: make(chan job), serve: serve}
}

func (p *workerPool) submit(j job) {
	select {
	case p.work <- j:
	default:
		p.wg.Add(1)
		go p.worker(j)
	}
}

func (p *workerPool) worker(j job) {
	defer p.wg.Done()
	for ok := true; ok; j, ok = <-p.work {
		p.serve(j.idx, j.intended, j.measured)
	}
}

// close stops the idle workers, once every request has been served.
func (p *workerPool) close() {
	close(p.work)
	p.wg.Wait()
}

// closedLoop runs Concurrency users, each sending its next request when the
// last one ends (after a think time). Unpaced, a request's intended time is
// when its user sends it, so corrected and uncorrected latencies agree: a
// stall hides the requests it prevented (coordinated omission). Paced by a
// rate, intended times follow the schedule, and a request sent late because
// its user was stuck counts its latency from when it was due.
func closedLoop(ctx context.Context, w *Workload, seed uint64, start time.Time, rec *recorder, scheduled *atomic.Int64,
	wg *sync.WaitGroup, serve func(uint64, time.Time, bool)) {
	var think mockprovider.Dist
	if w.ThinkTime != nil {
		think, _ = w.ThinkTime.Build(mockprovider.Duration, "", ".")
	}
	end := w.RunLength()
	var next, measuredN atomic.Int64
	var users sync.WaitGroup
	for u := range w.Concurrency {
		users.Go(func() {
			r := rand.New(rand.NewPCG(seed, 1<<40+uint64(u)))
			timer := time.NewTimer(time.Hour)
			defer timer.Stop()
			for k := 0; ctx.Err() == nil; k++ {
				now := time.Now()
				intended := now
				if w.Rate > 0 {
					intended = start.Add(time.Duration(float64(k*w.Concurrency+u) / w.Rate * 1e9))
					if d := intended.Sub(now); d > 0 {
						timer.Reset(d)
						select {
						case <-timer.C:
						case <-ctx.Done():
							return
						}
					}
				}
				off := intended.Sub(start)
				if end > 0 && off >= end {
					return
				}
				measured := off >= w.Warmup
				if measured && w.Requests > 0 && measuredN.Add(1) > w.Requests {
					return
				}
				if measured {
					scheduled.Add(1)
				}
				idx := uint64(next.Add(1) - 1)
				rec.inFlight.Add(1)
				wg.Add(1)
				serve(idx, intended, measured)
				if think != nil {
					timer.Reset(time.Duration(think.Sample(r)))
					select {
					case <-timer.C:
					case <-ctx.Done():
						return
					}
				}
			}
		})
	}
	users.Wait()
}

// startProgress shows a bar on a terminal: elapsed against the run's
// length (or requests done against the count), with rps, requests in
// flight and errors. It returns the function that removes it.
func startProgress(out io.Writer, label string, s *Scenario, rec *recorder) func() {
	if out == nil {
		return func() {}
	}
	w := &s.Workload
	length := w.RunLength()
	max := int64(length / (100 * time.Millisecond))
	byCount := length == 0
	if byCount {
		max = w.Requests
	}
	bar := progressbar.NewOptions64(max, progressbar.OptionSetWriter(out), progressbar.OptionSetDescription(label),
		progressbar.OptionClearOnFinish(), progressbar.OptionSetWidth(20), progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionSetRenderBlankState(true))
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				_ = bar.Finish()
				return
			case <-t.C:
				ok, errs, doneN := rec.progress()
				elapsed := time.Since(rec.start)
				if byCount {
					_ = bar.Set64(doneN)
				} else {
					_ = bar.Set64(int64(elapsed / (100 * time.Millisecond)))
				}
				bar.Describe(fmt.Sprintf("%s  %5.1fs  rps %.0f  in flight %d  errors %d", label, elapsed.Seconds(),
					float64(ok)/max64(elapsed.Seconds(), 1e-9), rec.inFlight.Load(), errs))
			}
		}
	}()
	return func() {
		close(stop)
		<-done
	}
}

func max64(a, b float64) float64 {
	if a > b {
		return a
	}
	return b
}

// progress sums what has completed so far (windows closed and current).
func (rec *recorder) progress() (ok, errs, done int64) {
	rec.mu.Lock()
	for _, w := range rec.windows {
		ok += w.OK
		errs += w.Errors
		done += w.Done
	}
	rec.mu.Unlock()
	for i := range rec.shards {
		s := &rec.shards[i]
		s.mu.Lock()
		ok += s.winOK
		errs += s.winErr
		done += s.winDone
		s.mu.Unlock()
	}
	return
}

// residentBytes is the process's resident set size (0 where unknown).
func residentBytes() uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb uint64
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
			return kb << 10
		}
	}
	return 0
}
