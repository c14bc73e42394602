package results

import (
	"slices"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Kind says what a metric's values are, and so how they are written.
type Kind uint8

// Metric kinds.
const (
	Duration Kind = iota // seconds; written 800ms
	Ratio                // a fraction; written 1% or 0.01
	Rate                 // per second
	Count                // a number
)

// Metric is one figure of a run. Its value is in base units: seconds for
// durations, fractions for ratios, per second for rates. A metric with no
// value (nothing measured) is absent, never 0.
type Metric struct {
	Name string
	Kind Kind
	// Covers says which requests the figure counts.
	Covers string
	Doc    string
	// Unit is the metric's unit in results.txt ("" = not written there),
	// Scale converts the base value to it, Better is its direction
	// (lower or higher) and Exact marks figures without noise.
	Unit   string
	Scale  float64
	Better string
	Exact  bool
	// Input marks a figure the run was asked for rather than measured
	// (the offered rate): results.txt declares it role=input, and the
	// gate does not judge it.
	Input bool
	value func(*Summary) (float64, bool)
}

// Value is the metric's value in s, and whether it has one.
func (m *Metric) Value(s *Summary) (float64, bool) { return m.value(s) }

// latencies are the latency histograms a threshold may name, each with
// the statistics of latencyStats; txt lists the statistics results.txt
// carries.
var latencies = []struct {
	name, covers, doc string
	txt               []string
	hist              func(*Summary) *hdr.Histogram
}{
	{"e2e", "successful requests", "end-to-end latency from the intended send time (coordinated omission corrected)", []string{"p50", "p99"}, hist(HistE2E)},
	{"e2e_all", "every completed request: successes, errors and timeouts", "end-to-end latency of every request that came back, failures with their real latency", []string{"p50", "p99"}, func(s *Summary) *hdr.Histogram { return s.all }},
	{"e2e_failed", "requests that failed or timed out", "end-to-end latency of the failures alone", nil, hist(HistE2EFailed)},
	{"e2e_uncorrected", "successful requests", "end-to-end latency from the actual send time (not corrected)", nil, hist(HistE2EUncorrected)},
	{"ttft", "successful requests", "time to first token, from the intended send time", []string{"p50", "p99"}, hist(HistTTFT)},
	{"ttft_uncorrected", "successful requests", "time to first token from the actual send time", nil, hist(HistTTFTUncorrected)},
	{"itl", "tokens of successful streamed requests", "gap between consecutive tokens", []string{"p50", "p99"}, hist(HistITL)},
	{"tpot", "successful streamed requests", "time per output token after the first, per request", nil, hist(HistTPOT)},
	{"queue_wait", "requests that reached a mock provider", "wait for a slot at the mock provider", nil, hist(HistQueueWait)},
	{"generator_lag", "requests sent", "how late the generator sent, after the intended time", nil, hist(HistGeneratorLag)},
}

func hist(i int) func(*Summary) *hdr.Histogram {
	return func(s *Summary) *hdr.Histogram { return s.Hists[i] }
}

// latencyStats are the statistics a latency metric offers, in order.
var latencyStats = []struct {
	name string
	q    float64 // percentile; -1 mean
}{{"p50", 50}, {"p90", 90}, {"p95", 95}, {"p99", 99}, {"p999", 99.9}, {"max", 100}, {"min", 0}, {"mean", -1}}

// scalars are the metrics that are not latency statistics, in the order
// tables and results.txt show them.
var scalars = []Metric{
	{Name: "offered_rate", Kind: Rate, Covers: "the schedule", Doc: "requests the schedule offered per second of its measured window (a Poisson schedule's actual draw; absent for an unpaced closed loop, which offers what it gets)", Unit: "offered-req/s", Scale: 1, Better: "higher", Input: true,
		value: func(s *Summary) (float64, bool) {
			if s.nominal == 0 {
				return 0, false
			}
			return per(float64(s.Scheduled), s.Window.Seconds())
		}},
	{Name: "sent_rate", Kind: Rate, Covers: "requests sent", Doc: "requests sent per second of the send span (the window, stretched by the generator's final lag)", Unit: "sent-req/s", Scale: 1, Better: "higher",
		value: func(s *Summary) (float64, bool) { return per(float64(s.Sent), s.SendSpan.Seconds()) }},
	{Name: "throughput", Kind: Rate, Covers: "every completed request", Doc: "completions (successes, errors, timeouts) per second from the first intended send to the last completion", Unit: "req/s", Scale: 1, Better: "higher",
		value: func(s *Summary) (float64, bool) { return s.perSpan(s.Outcomes.Completed()) }},
	{Name: "goodput", Kind: Rate, Covers: "successful requests within the SLO", Doc: "successes that met every per-request SLO, per second of the same span as throughput", Unit: "goodput-req/s", Scale: 1, Better: "higher",
		value: func(s *Summary) (float64, bool) { return s.perSpan(s.Good) }},
	{Name: "tokens_per_s", Kind: Rate, Covers: "successful requests", Doc: "output tokens per second of the same span", Unit: "tokens/s", Scale: 1, Better: "higher",
		value: func(s *Summary) (float64, bool) { return s.perSpan(s.Tokens) }},
	{Name: "error_rate", Kind: Ratio, Covers: "scheduled requests", Doc: "share of scheduled requests that did not succeed: errors, timeouts, cancelled and dropped", Unit: "failed/req", Scale: 1, Better: "lower",
		value: func(s *Summary) (float64, bool) { return per(float64(s.Outcomes.NotOK()), float64(s.Scheduled)) }},
	{Name: "timeout_rate", Kind: Ratio, Covers: "scheduled requests", Doc: "share of scheduled requests that timed out",
		value: func(s *Summary) (float64, bool) { return per(float64(s.Outcomes.Timeout), float64(s.Scheduled)) }},
	{Name: "drop_rate", Kind: Ratio, Covers: "scheduled requests", Doc: "share of scheduled requests never sent (max_in_flight reached, or the generator behind at the schedule's end)",
		value: func(s *Summary) (float64, bool) { return per(float64(s.Outcomes.Dropped), float64(s.Scheduled)) }},
	{Name: "cache_hit_ratio", Kind: Ratio, Covers: "cache lookups", Doc: "share of cache lookups that hit", Unit: "hits/lookup", Scale: 1, Better: "higher",
		value: func(s *Summary) (float64, bool) { return per(float64(s.CacheHits), float64(s.CacheLookups)) }},
	{Name: "allocs_per_req", Kind: Count, Covers: "requests sent", Doc: "heap allocations per request sent, harness and mocks included", Unit: "allocs/req", Scale: 1, Better: "lower",
		value: func(s *Summary) (float64, bool) { return per(float64(s.AllocObjects), float64(s.Sent)) }},
	{Name: "bytes_per_req", Kind: Count, Covers: "requests sent", Doc: "heap bytes allocated per request sent", Unit: "B/req", Scale: 1, Better: "lower",
		value: func(s *Summary) (float64, bool) { return per(float64(s.AllocBytes), float64(s.Sent)) }},
	{Name: "cpu_per_req", Kind: Duration, Covers: "requests sent", Doc: "process CPU time per request sent, harness and mocks included", Unit: "cpu-ns/req", Scale: 1e9, Better: "lower",
		value: func(s *Summary) (float64, bool) { return per(s.CPU.Seconds(), float64(s.Sent)) }},
	{Name: "gc_pause", Kind: Duration, Covers: "the run", Doc: "total stop-the-world GC pause",
		value: func(s *Summary) (float64, bool) { return s.GCPause.Seconds(), s.Reps > 0 }},
	{Name: "goroutines_leaked", Kind: Count, Covers: "the run", Doc: "goroutines left after the run, over the count before it", Unit: "goroutines-leaked", Scale: 1, Better: "lower", Exact: true,
		value: func(s *Summary) (float64, bool) { return float64(s.GoroutinesLeaked), s.Reps > 0 }},
	{Name: "requests", Kind: Count, Covers: "scheduled requests", Doc: "requests scheduled (after the warm-up)", value: count(func(s *Summary) int64 { return s.Scheduled })},
	{Name: "ok", Kind: Count, Covers: "scheduled requests", Doc: "requests that succeeded", value: count(func(s *Summary) int64 { return s.Outcomes.OK })},
	{Name: "errors", Kind: Count, Covers: "scheduled requests", Doc: "requests that failed with an error", value: count(func(s *Summary) int64 { return s.Outcomes.ErrorCount() })},
	{Name: "timeouts", Kind: Count, Covers: "scheduled requests", Doc: "requests that timed out", value: count(func(s *Summary) int64 { return s.Outcomes.Timeout })},
	{Name: "dropped", Kind: Count, Covers: "scheduled requests", Doc: "requests never sent", value: count(func(s *Summary) int64 { return s.Outcomes.Dropped })},
	{Name: "cancelled", Kind: Count, Covers: "scheduled requests", Doc: "requests cancelled by an interrupt", value: count(func(s *Summary) int64 { return s.Outcomes.Cancelled })},
}

func count(f func(*Summary) int64) func(*Summary) (float64, bool) {
	return func(s *Summary) (float64, bool) { return float64(f(s)), s.Reps > 0 }
}

// per is n/d, absent when d is 0.
func per(n, d float64) (float64, bool) {
	if d == 0 {
		return 0, false
	}
	return n / d, true
}

// perSpan is n per second of the span from the first intended send to the
// last completion; when nothing completed, per second of the window (a
// rate of 0, measured); absent when nothing was scheduled.
func (s *Summary) perSpan(n int64) (float64, bool) {
	if s.Scheduled == 0 {
		return 0, false
	}
	span := s.Span
	if span <= 0 {
		span = s.Window
	}
	return per(float64(n), span.Seconds())
}

var metrics, metricIndex = buildMetrics()

func buildMetrics() ([]*Metric, map[string]*Metric) {
	var all []*Metric
	for _, l := range latencies {
		for _, st := range latencyStats {
			m := &Metric{Name: l.name + "." + st.name, Kind: Duration, Covers: l.covers, Doc: st.name + " of " + l.doc}
			if slices.Contains(l.txt, st.name) {
				m.Unit, m.Scale, m.Better = l.name+"-"+st.name+"-ns", 1e9, "lower"
				if l.name == "e2e_all" {
					m.Unit = "e2e-all-" + st.name + "-ns"
				}
			}
			h, q := l.hist, st.q
			m.value = func(s *Summary) (float64, bool) { return stat(h(s), q) }
			all = append(all, m)
		}
	}
	for i := range scalars {
		all = append(all, &scalars[i])
	}
	index := map[string]*Metric{}
	for _, m := range all {
		index[m.Name] = m
	}
	return all, index
}

func stat(h *hdr.Histogram, q float64) (float64, bool) {
	if h == nil || h.TotalCount() == 0 {
		return 0, false
	}
	switch q {
	case -1:
		return h.Mean() / 1e9, true
	case 100:
		return float64(h.Max()) / 1e9, true
	case 0:
		return float64(h.Min()) / 1e9, true
	}
	return float64(h.ValueAtQuantile(q)) / 1e9, true
}

// Metrics lists every metric: latency statistics, then the others.
func Metrics() []*Metric { return metrics }

// Lookup finds a metric by name.
func Lookup(name string) (*Metric, bool) {
	m, ok := metricIndex[name]
	return m, ok
}

// LatencyNames lists the latency histograms a metric may name.
func LatencyNames() []string {
	out := make([]string, len(latencies))
	for i, l := range latencies {
		out[i] = l.name
	}
	return out
}

// ScalarNames lists the metrics that are not latency statistics.
func ScalarNames() []string {
	out := make([]string, len(scalars))
	for i := range scalars {
		out[i] = scalars[i].Name
	}
	return out
}

// Summary is one repetition, or a variant's repetitions merged: counts
// added, histograms merged, spans added (so that a rate over repetitions
// is their total count over their total time).
type Summary struct {
	Reps                            int
	Scheduled, Sent, Good           int64
	Outcomes                        Outcomes
	Tokens, CacheHits, CacheLookups int64
	GoroutinesLeaked                int
	AllocBytes, AllocObjects        uint64
	CPU, GCPause                    time.Duration
	Window, SendSpan, Span          time.Duration
	Hists                           [NumHists]*hdr.Histogram
	nominal                         float64 // Σ nominal offered rate × window: 0 for an unpaced closed loop
	all                             *hdr.Histogram
}

// Metric is the named metric's value, and whether it has one; false also
// for a name that is no metric.
func (s *Summary) Metric(name string) (float64, bool) {
	m, ok := metricIndex[name]
	if !ok {
		return 0, false
	}
	return m.value(s)
}

// Hist is a latency histogram by name (e2e_all included); nil if unknown.
func (s *Summary) Hist(name string) *hdr.Histogram {
	for _, l := range latencies {
		if l.name == name {
			return l.hist(s)
		}
	}
	if i := slices.Index(HistNames[:], name); i >= 0 {
		return s.Hists[i]
	}
	return nil
}

func newSummary() *Summary {
	s := &Summary{all: NewHist()}
	for i := range s.Hists {
		s.Hists[i] = NewHist()
	}
	return s
}

func (s *Summary) add(r *RepResult) {
	s.Reps++
	s.Scheduled += r.Scheduled
	s.Sent += r.Sent
	s.Good += r.Good
	s.Outcomes.Add(r.Outcomes)
	s.Tokens += r.Tokens
	s.CacheHits += r.CacheHits
	s.CacheLookups += r.CacheLookups
	s.GoroutinesLeaked = max(s.GoroutinesLeaked, r.GoroutinesLeaked)
	s.AllocBytes += r.AllocBytes
	s.AllocObjects += r.AllocObjects
	s.CPU += r.CPU
	s.GCPause += r.GCPause
	s.Window += r.Window
	s.SendSpan += r.SendSpan
	s.Span += r.Span
	s.nominal += r.Offered * r.Window.Seconds()
	for i, name := range HistNames {
		if h, ok := r.Histograms[name]; ok {
			s.Hists[i].Merge(h.Histogram())
		}
	}
}

func (s *Summary) finish() *Summary {
	s.all.Merge(s.Hists[HistE2E])
	s.all.Merge(s.Hists[HistE2EFailed])
	return s
}

// Summary is the repetition's figures, computed once (not safe for
// concurrent first calls: results are summarised after the run).
func (r *RepResult) Summary() *Summary {
	if r.sum == nil {
		s := newSummary()
		s.add(r)
		r.sum = s.finish()
	}
	return r.sum
}

// Summary is the variant's repetitions merged, computed once.
func (v *VariantResult) Summary() *Summary {
	if v.sum == nil {
		s := newSummary()
		for i := range v.Reps {
			s.add(&v.Reps[i])
		}
		v.sum = s.finish()
	}
	return v.sum
}
