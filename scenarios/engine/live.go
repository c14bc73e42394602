package engine

import (
	"sync"
	"time"

	"github.com/llmbench/llmbench/scenarios/results"
)

// Live is a run's state for live metrics: per variant, the totals of its
// repetitions done plus the repetition under way, read from the recorder
// when asked (a scrape), never pushed from the measured path. With a Live,
// the recorder also counts latencies into a few fixed buckets (after a
// request's end time is taken, as all its recording), so that a scrape
// adds small arrays instead of merging HDR histograms, and allocates
// nothing.
type Live struct {
	mu      sync.Mutex
	current string    // the variant under way
	rec     *recorder // its recorder; nil between repetitions
	done    map[string]*LiveFigures
	order   []string
	view    map[string]*LiveFigures // what Visit shows, reused
}

// LiveBuckets are the live histograms' upper bounds: 1 ms to 60 s.
var LiveBuckets = [...]time.Duration{time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond, 10 * time.Millisecond,
	25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2500 * time.Millisecond, 5 * time.Second, 10 * time.Second, 30 * time.Second, time.Minute}

// LiveHist is a histogram over LiveBuckets: Counts[i] values at most
// LiveBuckets[i] and above the bound before (the last, above them all),
// and their Sum.
type LiveHist struct {
	Counts [len(LiveBuckets) + 1]uint64
	Sum    time.Duration
}

func (h *LiveHist) record(d time.Duration) {
	i := 0
	for i < len(LiveBuckets) && d > LiveBuckets[i] {
		i++
	}
	h.Counts[i]++
	h.Sum += d
}

func (h *LiveHist) add(o *LiveHist) {
	for i, c := range o.Counts {
		h.Counts[i] += c
	}
	h.Sum += o.Sum
}

// Total is the number of values.
func (h *LiveHist) Total() uint64 {
	var n uint64
	for _, c := range h.Counts {
		n += c
	}
	return n
}

// The live histograms.
const (
	LiveE2E = iota
	LiveTTFT
	LiveITL
	numLive
)

// LiveFigures are a variant's figures so far. Sent counts every request
// sent, warm-up included; the outcomes, tokens and histograms count the
// measured ones.
type LiveFigures struct {
	Variant        string
	Sent, InFlight int64
	Outcomes       results.Outcomes
	Tokens         int64
	Hists          [numLive]LiveHist
}

// NewLive makes an empty Live.
func NewLive() *Live {
	return &Live{done: map[string]*LiveFigures{}, view: map[string]*LiveFigures{}}
}

func newLiveFigures(variant string) *LiveFigures { return &LiveFigures{Variant: variant} }

func (l *Live) begin(variant string, rec *recorder) {
	l.mu.Lock()
	defer l.mu.Unlock()
	rec.live = true
	l.current, l.rec = variant, rec
	if l.done[variant] == nil {
		l.done[variant] = newLiveFigures(variant)
		l.view[variant] = newLiveFigures(variant)
		l.order = append(l.order, variant)
	}
}

func (l *Live) end(variant string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	d := l.done[variant]
	d.Sent += l.rec.sent.Load()
	l.rec.mergeLive(d)
	l.rec = nil
}

// Visit calls f with every variant's figures so far, in the order they
// started. The figures are valid only during the call.
func (l *Live) Visit(f func(*LiveFigures)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, name := range l.order {
		v, d := l.view[name], l.done[name]
		*v = *d
		if l.rec != nil && name == l.current {
			v.Sent += l.rec.sent.Load()
			v.InFlight = l.rec.inFlight.Load()
			l.rec.mergeLive(v)
		}
		f(v)
	}
}

// mergeLive adds the repetition's figures so far to v, shard by shard.
func (rec *recorder) mergeLive(v *LiveFigures) {
	for i := range rec.shards {
		s := &rec.shards[i]
		s.mu.Lock()
		v.Outcomes.Add(s.outcomes)
		v.Tokens += s.tokens
		for h := range v.Hists {
			v.Hists[h].add(&s.live[h])
		}
		s.mu.Unlock()
	}
	v.Outcomes.Dropped += rec.dropped.Load()
}
