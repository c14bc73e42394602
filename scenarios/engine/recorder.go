package engine

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/llmbench/llmbench/mockprovider"
	"github.com/llmbench/llmbench/scenarios/results"
)

// Per-second windows use 2 significant digits: they feed plots, not
// comparisons.
const windowDigits = 2

func newWindowHist() *hdr.Histogram {
	return hdr.New(results.HistLowest, results.HistHighest, windowDigits)
}

// outcome is the one bucket every scheduled request ends in.
type outcome uint8

const (
	outOK outcome = iota
	outError
	outTimeout
	outCancelled
)

// request is one request's measurements, pooled: the hot path allocates no
// record and no token buffer in steady state.
type request struct {
	index     uint64
	measured  bool // after the warm-up
	intended  time.Time
	sent      time.Time
	first     time.Time
	end       time.Time
	tokens    int
	itl       []time.Duration
	maxGap    time.Duration
	outcome   outcome
	errKind   results.ErrorKind
	err       error // what failed it, for one example per kind
	cacheHit  bool
	cacheUsed bool
	trace     mockprovider.Trace
	text      []byte
	lastTok   time.Time
	streamed  bool // tokens arrived one by one (ITL and TPOT apply)
	firstByte bool // the pipeline streams, so time to first content means something
	pcg       rand.PCG
	rng       *rand.Rand // draws the request's prompt; reseeded per request
}

var requestPool = sync.Pool{New: func() any {
	r := &request{itl: make([]time.Duration, 0, 64)}
	r.rng = rand.New(&r.pcg)
	return r
}}

func getRequest() *request { return requestPool.Get().(*request) }

func putRequest(r *request) {
	itl, text, rng := r.itl[:0], r.text[:0], r.rng
	*r = request{itl: itl, text: text, rng: rng}
	requestPool.Put(r)
}

// token notes a token's arrival.
func (r *request) token(now time.Time) {
	if r.tokens == 0 {
		r.first = now
	} else {
		gap := now.Sub(r.lastTok)
		r.itl = append(r.itl, gap)
		r.maxGap = max(r.maxGap, gap)
	}
	r.tokens++
	r.lastTok = now
}

// good says whether a successful request met every limit of the SLO.
func (r *request) good(slo results.SLO) bool {
	if slo.E2E > 0 && r.end.Sub(r.intended) > slo.E2E {
		return false
	}
	if slo.TTFT > 0 && (r.first.IsZero() || r.first.Sub(r.intended) > slo.TTFT) {
		return false
	}
	if slo.ITL > 0 && r.maxGap > slo.ITL {
		return false
	}
	if slo.TPOT > 0 && r.tokens > 1 && r.end.Sub(r.first)/time.Duration(r.tokens-1) > slo.TPOT {
		return false
	}
	return true
}

// numShards spreads recording over locks; a request picks one by index.
const numShards = 8

// shard holds the histograms and counters of some requests. The pad keeps
// shards on separate cache lines.
type shard struct {
	mu        sync.Mutex
	hist      [results.NumHists]*hdr.Histogram
	outcomes  results.Outcomes
	good      int64
	tokens    int64
	cacheHits int64
	lookups   int64
	lastDone  time.Time // latest end of a measured request
	live      [numLive]LiveHist
	errMsgs   [results.NumErrorKinds]string // the first message of each kind
	// the current window
	winE2E, winTTFT        *hdr.Histogram
	winOK, winErr, winDone int64
	_                      [64]byte
}

// recorder gathers one repetition of one variant.
type recorder struct {
	shards   [numShards]shard
	inFlight atomic.Int64
	sent     atomic.Int64 // requests sent, warm-up included (live metrics)
	live     bool         // keep the live histograms (set before the repetition starts)
	dropped  atomic.Int64 // measured requests not sent
	start    time.Time    // the run's start (windows count from here)
	measure  time.Time    // the end of the warm-up
	slo      results.SLO
	mu       sync.Mutex
	windows  []results.Window
	// sample: per-request e2e and TTFT of request indexes that are
	// multiples of stride, written once each (by the request's own
	// goroutine) and read after every request has ended.
	stride     uint64
	sampleE2E  []int64
	sampleTTFT []int64
}

// sampleSize bounds the per-request sample of a repetition: enough for a
// paired median's interval, small in results.json.
const sampleSize = 2048

// newRecorder allocates the histograms (about 2 MB a shard), once per run:
// reset prepares the recorder for each repetition.
func newRecorder() *recorder {
	rec := &recorder{sampleE2E: make([]int64, sampleSize), sampleTTFT: make([]int64, sampleSize)}
	for i := range rec.shards {
		s := &rec.shards[i]
		for h := range s.hist {
			s.hist[h] = results.NewHist()
		}
		s.winE2E, s.winTTFT = newWindowHist(), newWindowHist()
	}
	return rec
}

// reset empties the recorder for a repetition starting at start that
// schedules about expected requests (warm-up included).
func (rec *recorder) reset(start time.Time, warmup time.Duration, slo results.SLO, expected int64) {
	for i := range rec.shards {
		s := &rec.shards[i]
		for _, h := range s.hist {
			h.Reset()
		}
		s.winE2E.Reset()
		s.winTTFT.Reset()
		s.outcomes, s.good = results.Outcomes{}, 0
		s.tokens, s.cacheHits, s.lookups = 0, 0, 0
		s.winOK, s.winErr, s.winDone = 0, 0, 0
		s.lastDone = time.Time{}
		s.live = [numLive]LiveHist{}
		s.errMsgs = [results.NumErrorKinds]string{}
	}
	rec.inFlight.Store(0)
	rec.sent.Store(0)
	rec.live = false
	rec.dropped.Store(0)
	rec.start, rec.measure, rec.slo = start, start.Add(warmup), slo
	rec.windows = nil
	rec.stride = uint64(max(1, (expected+sampleSize-1)/sampleSize))
	for i := range rec.sampleE2E {
		rec.sampleE2E[i], rec.sampleTTFT[i] = results.Absent, results.Absent
	}
}

// record files a finished request. It runs after the request's end time is
// taken, so the lock it takes is never inside a measured interval.
func (rec *recorder) record(r *request) {
	if r.measured && r.index%rec.stride == 0 && r.index/rec.stride < sampleSize {
		k := r.index / rec.stride
		e2e, ttft := int64(results.Failed), int64(results.Failed)
		if r.outcome == outOK {
			e2e = int64(r.end.Sub(r.intended))
			if r.firstByte && r.tokens > 0 {
				ttft = int64(r.first.Sub(r.intended))
			}
		}
		if r.outcome != outCancelled {
			rec.sampleE2E[k], rec.sampleTTFT[k] = e2e, ttft
		}
	}
	s := &rec.shards[r.index%numShards]
	s.mu.Lock()
	s.winDone++
	if r.outcome == outOK {
		s.winOK++
		s.winE2E.RecordValue(int64(r.end.Sub(r.intended)))
		if r.firstByte && r.tokens > 0 {
			s.winTTFT.RecordValue(int64(r.first.Sub(r.intended)))
		}
	} else {
		s.winErr++
	}
	if r.measured {
		rec.file(s, r)
		if r.end.After(s.lastDone) {
			s.lastDone = r.end
		}
	}
	s.mu.Unlock()
}

// file records a measured request into the shard (locked).
func (rec *recorder) file(s *shard, r *request) {
	switch r.outcome {
	case outOK:
		s.outcomes.OK++
	case outError:
		s.outcomes.Errors[r.errKind]++
		if s.errMsgs[r.errKind] == "" && r.err != nil {
			s.errMsgs[r.errKind] = r.err.Error()
		}
	case outTimeout:
		s.outcomes.Timeout++
	case outCancelled:
		s.outcomes.Cancelled++
	}
	if r.cacheUsed {
		s.lookups++
		if r.cacheHit {
			s.cacheHits++
		}
	}
	s.hist[results.HistGeneratorLag].RecordValue(max(0, int64(r.sent.Sub(r.intended))))
	if r.trace.QueueWait > 0 || r.trace.Tokens > 0 {
		s.hist[results.HistQueueWait].RecordValue(int64(r.trace.QueueWait))
	}
	if r.outcome == outCancelled {
		return // interrupted: no latency to speak of
	}
	s.hist[results.HistDone].RecordValue(max(1, int64(r.end.Sub(rec.measure))))
	e2e := int64(r.end.Sub(r.intended))
	if r.outcome != outOK {
		s.hist[results.HistE2EFailed].RecordValue(e2e)
		return
	}
	if r.good(rec.slo) {
		s.good++
	}
	s.tokens += int64(r.tokens)
	s.hist[results.HistE2E].RecordValue(e2e)
	if rec.live {
		rec.fileLive(s, r, e2e)
	}
	s.hist[results.HistE2EUncorrected].RecordValue(int64(r.end.Sub(r.sent)))
	if r.firstByte && r.tokens > 0 {
		s.hist[results.HistTTFT].RecordValue(int64(r.first.Sub(r.intended)))
		s.hist[results.HistTTFTUncorrected].RecordValue(int64(r.first.Sub(r.sent)))
	}
	if !r.streamed {
		return
	}
	for _, gap := range r.itl {
		s.hist[results.HistITL].RecordValue(int64(gap))
	}
	if r.tokens > 1 {
		s.hist[results.HistTPOT].RecordValue(int64(r.end.Sub(r.first)) / int64(r.tokens-1))
	}
}

// drop files request idx, which was not sent: it failed to be served.
func (rec *recorder) drop(idx uint64, measured bool) {
	if !measured {
		return
	}
	rec.dropped.Add(1)
	if idx%rec.stride == 0 && idx/rec.stride < sampleSize {
		rec.sampleE2E[idx/rec.stride], rec.sampleTTFT[idx/rec.stride] = results.Failed, results.Failed
	}
}

// closeWindow merges the shards' current window into one Window.
func (rec *recorder) closeWindow(now time.Time, droppedBefore int64) int64 {
	e2e, ttft := newWindowHist(), newWindowHist()
	var w results.Window
	for i := range rec.shards {
		s := &rec.shards[i]
		s.mu.Lock()
		e2e.Merge(s.winE2E)
		ttft.Merge(s.winTTFT)
		s.winE2E.Reset()
		s.winTTFT.Reset()
		w.Done += s.winDone
		w.OK += s.winOK
		w.Errors += s.winErr
		s.winDone, s.winOK, s.winErr = 0, 0, 0
		s.mu.Unlock()
	}
	dropped := rec.dropped.Load()
	w.T = now.Sub(rec.start).Seconds()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	from := 0.0
	if n := len(rec.windows); n > 0 {
		from = rec.windows[n-1].T
	}
	w.Warmup = from < rec.measure.Sub(rec.start).Seconds() // the window holds warm-up traffic
	w.InFlight = rec.inFlight.Load()
	w.Dropped = dropped - droppedBefore
	w.E2EP50, w.E2EP99 = pct(e2e, 50), pct(e2e, 99)
	w.TTFTP50, w.TTFTP99 = pct(ttft, 50), pct(ttft, 99)
	if w.T > from {
		w.RPS = float64(w.Done) / (w.T - from)
	}
	rec.windows = append(rec.windows, w)
	return dropped
}

// pct is a percentile in seconds, 0 for an empty histogram.
func pct(h *hdr.Histogram, q float64) float64 {
	if h.TotalCount() == 0 {
		return 0
	}
	return float64(h.ValueAtQuantile(q)) / 1e9
}

// runWindows closes a window every second until stop is closed; watch,
// when set, sees the windows so far after each one closes.
func (rec *recorder) runWindows(stop <-chan struct{}, done chan<- struct{}, watch func([]results.Window)) {
	defer close(done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var dropped int64
	for {
		select {
		case now := <-t.C:
			dropped = rec.closeWindow(now, dropped)
			if watch != nil {
				rec.mu.Lock()
				ws := rec.windows
				rec.mu.Unlock()
				watch(ws)
			}
		case <-stop:
			rec.closeWindow(time.Now(), dropped)
			return
		}
	}
}

// totals are the shards folded into one repetition's figures.
type totals struct {
	hists                       [results.NumHists]*hdr.Histogram
	outcomes                    results.Outcomes
	good, tokens, hits, lookups int64
	lastDone                    time.Time
	errMsgs                     map[string]string
}

// merged folds the shards into one set of histograms and counters.
func (rec *recorder) merged() totals {
	var t totals
	for h := range t.hists {
		t.hists[h] = results.NewHist()
	}
	for i := range rec.shards {
		s := &rec.shards[i]
		s.mu.Lock()
		for h := range t.hists {
			t.hists[h].Merge(s.hist[h])
		}
		t.outcomes.Add(s.outcomes)
		t.good += s.good
		t.tokens += s.tokens
		t.hits += s.cacheHits
		t.lookups += s.lookups
		if s.lastDone.After(t.lastDone) {
			t.lastDone = s.lastDone
		}
		for k, m := range s.errMsgs {
			if m != "" && t.errMsgs[results.ErrorKindNames[k]] == "" {
				if t.errMsgs == nil {
					t.errMsgs = map[string]string{}
				}
				t.errMsgs[results.ErrorKindNames[k]] = m
			}
		}
		s.mu.Unlock()
	}
	t.outcomes.Dropped += rec.dropped.Load()
	return t
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

// sample copies the repetition's per-request sample (all of it that the
// schedule reached).
func (rec *recorder) sample(scheduledTotal uint64) *results.Sample {
	n := min(uint64(sampleSize), (scheduledTotal+rec.stride-1)/rec.stride)
	s := &results.Sample{Stride: rec.stride, E2E: append([]int64(nil), rec.sampleE2E[:n]...)}
	for _, v := range rec.sampleTTFT[:n] {
		if v >= 0 {
			s.TTFT = append([]int64(nil), rec.sampleTTFT[:n]...)
			break
		}
	}
	return s
}

// fileLive counts a successful request into the live histograms (locked).
func (rec *recorder) fileLive(s *shard, r *request, e2e int64) {
	s.live[LiveE2E].record(time.Duration(e2e))
	if r.firstByte && r.tokens > 0 {
		s.live[LiveTTFT].record(r.first.Sub(r.intended))
	}
	if r.streamed {
		for _, gap := range r.itl {
			s.live[LiveITL].record(gap)
		}
	}
}
