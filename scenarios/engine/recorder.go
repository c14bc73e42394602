package scenarios

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/llmbench/llmbench/mockprovider"
)

// Histogram range and precision: 1 ns to 1 hour at 3 significant digits
// (0.1 %), in bounded memory whatever the run's length. Per-second windows
// use 2 digits: they feed plots, not comparisons.
const (
	histLowest   = 1
	histHighest  = int64(time.Hour)
	histSigFigs  = 3
	windowDigits = 2
)

func newHist() *hdr.Histogram       { return hdr.New(histLowest, histHighest, histSigFigs) }
func newWindowHist() *hdr.Histogram { return hdr.New(histLowest, histHighest, windowDigits) }

// outcome is the one bucket every scheduled request ends in.
type outcome uint8

const (
	outOK outcome = iota
	outError
	outTimeout
	outCancelled
	outDropped
)

// Error kinds, so that outcomes tell a 429 storm from a server failing.
const (
	errRateLimited = iota
	errServer
	errStreamCut
	errMalformed
	errInvalid
	errOther
	numErrKinds
)

// ErrorKinds names the error kinds in results.
var ErrorKinds = [numErrKinds]string{"rate_limited", "server_error", "stream_cut", "malformed", "invalid", "other"}

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
	outcome   outcome
	errKind   int
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
		r.itl = append(r.itl, now.Sub(r.lastTok))
	}
	r.tokens++
	r.lastTok = now
}

// numShards spreads recording over locks; a request picks one by index.
const numShards = 8

// shard holds the histograms and counters of some requests. The pad keeps
// shards on separate cache lines.
type shard struct {
	mu        sync.Mutex
	hist      [numHists]*hdr.Histogram
	outcomes  [outDropped + 1]int64
	errKinds  [numErrKinds]int64
	tokens    int64
	cacheHits int64
	lookups   int64
	lastDone  time.Time // latest end of a measured request
	// the current window
	winE2E, winTTFT        *hdr.Histogram
	winOK, winErr, winDone int64
	_                      [64]byte
}

// recorder gathers one repetition of one variant.
type recorder struct {
	shards   [numShards]shard
	inFlight atomic.Int64
	dropped  atomic.Int64 // measured requests not sent
	start    time.Time    // the run's start (windows count from here)
	measure  time.Time    // the end of the warm-up
	mu       sync.Mutex
	windows  []Window
}

// newRecorder allocates the histograms (about 2 MB a shard), once per run:
// reset prepares the recorder for each repetition.
func newRecorder() *recorder {
	rec := &recorder{}
	for i := range rec.shards {
		s := &rec.shards[i]
		for h := range s.hist {
			s.hist[h] = newHist()
		}
		s.winE2E, s.winTTFT = newWindowHist(), newWindowHist()
	}
	return rec
}

// reset empties the recorder for a repetition starting at start.
func (rec *recorder) reset(start time.Time, warmup time.Duration) {
	for i := range rec.shards {
		s := &rec.shards[i]
		for _, h := range s.hist {
			h.Reset()
		}
		s.winE2E.Reset()
		s.winTTFT.Reset()
		s.outcomes, s.errKinds = [outDropped + 1]int64{}, [numErrKinds]int64{}
		s.tokens, s.cacheHits, s.lookups = 0, 0, 0
		s.winOK, s.winErr, s.winDone = 0, 0, 0
		s.lastDone = time.Time{}
	}
	rec.inFlight.Store(0)
	rec.dropped.Store(0)
	rec.start, rec.measure = start, start.Add(warmup)
	rec.windows = nil
}

// record files a finished request. It runs after the request's end time is
// taken, so the lock it takes is never inside a measured interval.
func (rec *recorder) record(r *request) {
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

// lastDone is the latest end of a measured request, over the shards.
func (rec *recorder) lastDone() time.Time {
	var last time.Time
	for i := range rec.shards {
		s := &rec.shards[i]
		s.mu.Lock()
		if s.lastDone.After(last) {
			last = s.lastDone
		}
		s.mu.Unlock()
	}
	return last
}

// file records a measured request into the shard (locked).
func (rec *recorder) file(s *shard, r *request) {
	s.outcomes[r.outcome]++
	if r.outcome == outError {
		s.errKinds[r.errKind]++
	}
	if r.cacheUsed {
		s.lookups++
		if r.cacheHit {
			s.cacheHits++
		}
	}
	if !r.sent.IsZero() && r.sent.After(r.intended) {
		s.hist[histGeneratorLag].RecordValue(int64(r.sent.Sub(r.intended)))
	} else {
		s.hist[histGeneratorLag].RecordValue(0)
	}
	if r.trace.QueueWait > 0 || r.trace.Tokens > 0 {
		s.hist[histQueueWait].RecordValue(int64(r.trace.QueueWait))
	}
	if r.outcome != outOK {
		return
	}
	s.tokens += int64(r.tokens)
	s.hist[histE2E].RecordValue(int64(r.end.Sub(r.intended)))
	s.hist[histE2EUncorrected].RecordValue(int64(r.end.Sub(r.sent)))
	if r.firstByte && r.tokens > 0 {
		s.hist[histTTFT].RecordValue(int64(r.first.Sub(r.intended)))
		s.hist[histTTFTUncorrected].RecordValue(int64(r.first.Sub(r.sent)))
	}
	if !r.streamed {
		return
	}
	for _, gap := range r.itl {
		s.hist[histITL].RecordValue(int64(gap))
	}
	if r.tokens > 1 {
		s.hist[histTPOT].RecordValue(int64(r.end.Sub(r.first)) / int64(r.tokens-1))
	}
}

// drop files a request that was not sent.
func (rec *recorder) drop(measured bool) {
	if measured {
		rec.dropped.Add(1)
	}
}

// closeWindow merges the shards' current window into one Window.
func (rec *recorder) closeWindow(now time.Time, droppedBefore int64) int64 {
	e2e, ttft := newWindowHist(), newWindowHist()
	var w Window
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
	from := 0.0
	if n := len(rec.windows); n > 0 {
		from = rec.windows[n-1].T
	}
	rec.mu.Unlock()
	w.Warmup = from < rec.measure.Sub(rec.start).Seconds() // the window holds warm-up traffic
	w.InFlight = rec.inFlight.Load()
	w.Dropped = dropped - droppedBefore
	w.E2EP50, w.E2EP99 = pct(e2e, 50), pct(e2e, 99)
	w.TTFTP50, w.TTFTP99 = pct(ttft, 50), pct(ttft, 99)
	rec.mu.Lock()
	if w.T > from {
		w.RPS = float64(w.OK) / (w.T - from)
	}
	rec.windows = append(rec.windows, w)
	rec.mu.Unlock()
	return dropped
}

// pct is a percentile in seconds, 0 for an empty histogram.
func pct(h *hdr.Histogram, q float64) float64 {
	if h.TotalCount() == 0 {
		return 0
	}
	return float64(h.ValueAtQuantile(q)) / 1e9
}

// runWindows closes a window every second until stop is closed.
func (rec *recorder) runWindows(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var dropped int64
	for {
		select {
		case now := <-t.C:
			dropped = rec.closeWindow(now, dropped)
		case <-stop:
			rec.closeWindow(time.Now(), dropped)
			return
		}
	}
}

// merged folds the shards into one set of histograms and counters.
func (rec *recorder) merged() (hists [numHists]*hdr.Histogram, outcomes [outDropped + 1]int64, kinds [numErrKinds]int64, tokens, hits, lookups int64) {
	for h := range hists {
		hists[h] = newHist()
	}
	for i := range rec.shards {
		s := &rec.shards[i]
		s.mu.Lock()
		for h := range hists {
			hists[h].Merge(s.hist[h])
		}
		for o, n := range s.outcomes {
			outcomes[o] += n
		}
		for k, n := range s.errKinds {
			kinds[k] += n
		}
		tokens += s.tokens
		hits += s.cacheHits
		lookups += s.lookups
		s.mu.Unlock()
	}
	outcomes[outDropped] += rec.dropped.Load()
	return
}
