package results

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Part is one segment's results and where they came from (for messages).
type Part struct {
	Name string
	R    *Results
}

// MergeError is a set of parts that cannot be merged. PartialMix: the
// parts mix interrupted and complete segments, which a merge that allows
// partial segments takes.
type MergeError struct {
	Msg        string
	PartialMix bool
}

func (e *MergeError) Error() string { return e.Msg }

// Merge combines the results of the segments of one schedule into the
// results of the whole; see Merger.
func Merge(parts []Part, allowPartial bool) (*Results, error) {
	m := NewMerger(allowPartial)
	for _, p := range parts {
		if err := m.Add(p); err != nil {
			return nil, err
		}
	}
	return m.Result()
}

// Merger combines the results of the segments of one schedule into the
// results of the whole, one segment at a time (its memory does not grow
// with the number of segments), losslessly where it matters: counts are
// added, histograms merged bucket by bucket (HDR histograms of one range
// and precision add exactly), spans taken from the earliest intended send
// to the last completion, per-request samples joined by request index.
// The one-second windows, meant for plots, are aligned by wall-clock time:
// their counts are added, their percentiles are the largest of the
// segments' (an upper bound; the windows keep no histogram). Thresholds
// are not carried over: evaluate the merged results (Evaluate).
//
// The parts must be segments 1..n of one scenario (one source hash), each
// exactly once; a mix of partial (interrupted) and complete segments is
// refused unless allowPartial.
type Merger struct {
	allowPartial      bool
	first             Part
	m                 *Results
	seen              map[int]string
	partial, complete []string
	reps              [][]*repAcc // by variant, by repetition
}

// repAcc is one repetition being merged.
type repAcc struct {
	out         RepResult
	sum         *Summary
	windows     map[int64]*Window // by end, in Unix seconds
	bottlenecks []string
	segments    int
	// the last window start among the segments (out.WindowStart is the
	// first): apart by much of the window, the segments did not run
	// together.
	lastStart time.Time
	err       error
}

// NewMerger starts a merge.
func NewMerger(allowPartial bool) *Merger {
	return &Merger{allowPartial: allowPartial, seen: map[int]string{}}
}

// Add folds one segment in, after checking it belongs with the others.
func (g *Merger) Add(p Part) error {
	r := p.R
	if g.m == nil {
		if r.Segment == nil {
			return &MergeError{Msg: fmt.Sprintf("%s: not a segment (run with --segment i/n)", p.Name)}
		}
		m := *r
		m.Segment, m.Variants, m.Warnings, m.Floor = nil, nil, nil, nil
		g.first, g.m = p, &m
		g.reps = make([][]*repAcc, len(r.Variants))
		for i := range r.Variants {
			m.Variants = append(m.Variants, VariantResult{Name: r.Variants[i].Name, Params: r.Variants[i].Params})
		}
	}
	first := g.first
	switch {
	case r.Segment == nil:
		return &MergeError{Msg: fmt.Sprintf("%s: not a segment (run with --segment i/n)", p.Name)}
	case r.SourceHash != first.R.SourceHash:
		return &MergeError{Msg: fmt.Sprintf("%s and %s ran different scenarios (source SHA-256 %.12s and %.12s)", first.Name, p.Name, first.R.SourceHash, r.SourceHash)}
	case r.Segment.Count != first.R.Segment.Count:
		return &MergeError{Msg: fmt.Sprintf("%s is a segment of %d, %s of %d", first.Name, first.R.Segment.Count, p.Name, r.Segment.Count)}
	case len(r.Variants) != len(g.m.Variants):
		return &MergeError{Msg: fmt.Sprintf("%s and %s ran different variants", first.Name, p.Name)}
	}
	for i := range r.Variants {
		if r.Variants[i].Name != g.m.Variants[i].Name {
			return &MergeError{Msg: fmt.Sprintf("%s and %s ran different variants (%s, %s)", first.Name, p.Name, g.m.Variants[i].Name, r.Variants[i].Name)}
		}
	}
	if other, dup := g.seen[r.Segment.Index]; dup {
		return &MergeError{Msg: fmt.Sprintf("segment %d/%d is given twice: %s and %s", r.Segment.Index, r.Segment.Count, other, p.Name)}
	}
	g.seen[r.Segment.Index] = p.Name
	if r.Partial {
		g.partial = append(g.partial, p.Name)
	} else {
		g.complete = append(g.complete, p.Name)
	}
	m := g.m
	if r.Started.Before(m.Started) {
		m.Started = r.Started
	}
	if r.Finished.After(m.Finished) {
		m.Finished = r.Finished
	}
	m.Partial = m.Partial || r.Partial
	if r.Floor != nil && (m.Floor == nil || r.Floor.TimerLateP50 > m.Floor.TimerLateP50) {
		f := *r.Floor // the coarsest segment's floor bounds the whole
		m.Floor = &f
	}
	seg := r.Segment.Index
	for _, w := range r.Warnings {
		m.Warnings = append(m.Warnings, fmt.Sprintf("segment %d/%d: %s", seg, r.Segment.Count, w))
	}
	for i := range r.Variants {
		for k := range r.Variants[i].Reps {
			for len(g.reps[i]) <= k {
				g.reps[i] = append(g.reps[i], &repAcc{sum: newSummary(), windows: map[int64]*Window{}})
			}
			g.reps[i][k].add(&r.Variants[i].Reps[k], seg)
		}
	}
	return nil
}

func (a *repAcc) add(r *RepResult, seg int) {
	a.segments++
	a.sum.add(r)
	o := &a.out
	if a.segments == 1 {
		o.Rep, o.Started, o.Offered = r.Rep, r.Started, r.Offered
	}
	if r.Started.Before(o.Started) {
		o.Started = r.Started
	}
	o.Window = max(o.Window, r.Window)
	o.SendSpan = max(o.SendSpan, r.SendSpan)
	o.RSS = max(o.RSS, r.RSS)
	o.NumGC += r.NumGC
	o.GoroutinesLeaked += r.GoroutinesLeaked // one count per process
	if !r.WindowStart.IsZero() && (o.WindowStart.IsZero() || r.WindowStart.Before(o.WindowStart)) {
		o.WindowStart = r.WindowStart
	}
	if r.WindowStart.After(a.lastStart) {
		a.lastStart = r.WindowStart
	}
	if r.LastDone.After(o.LastDone) {
		o.LastDone = r.LastDone
	}
	o.Interrupted = o.Interrupted || r.Interrupted
	if r.Saturated {
		o.Saturated = true
		a.bottlenecks = append(a.bottlenecks, fmt.Sprintf("segment %d: %s", seg, r.Bottleneck))
	}
	for _, w := range r.Warnings {
		o.Warnings = append(o.Warnings, fmt.Sprintf("segment %d: %s", seg, w))
	}
	for k, msg := range r.ErrorSamples {
		if o.ErrorSamples == nil {
			o.ErrorSamples = map[string]string{}
		}
		if _, ok := o.ErrorSamples[k]; !ok {
			o.ErrorSamples[k] = msg
		}
	}
	origin := float64(r.Started.UnixNano()) / 1e9
	for _, w := range r.Windows {
		k := int64(math.Ceil(origin + w.T - 1e-9))
		m := a.windows[k]
		if m == nil {
			m = &Window{}
			a.windows[k] = m
		}
		m.Warmup = m.Warmup || w.Warmup
		m.Done += w.Done
		m.OK += w.OK
		m.Errors += w.Errors
		m.Dropped += w.Dropped
		m.InFlight += w.InFlight
		m.RPS += w.RPS
		m.E2EP50, m.E2EP99 = max(m.E2EP50, w.E2EP50), max(m.E2EP99, w.E2EP99)
		m.TTFTP50, m.TTFTP99 = max(m.TTFTP50, w.TTFTP50), max(m.TTFTP99, w.TTFTP99)
	}
	if a.err == nil {
		a.out.Sample, a.err = joinSample(a.out.Sample, r.Sample, a.segments == 1)
	}
}

// Result checks that every segment was given and returns the merge.
func (g *Merger) Result() (*Results, error) {
	if g.m == nil {
		return nil, &MergeError{Msg: "nothing to merge"}
	}
	n := g.first.R.Segment.Count
	var missing []string
	for i := 1; i <= n; i++ {
		if _, ok := g.seen[i]; !ok {
			missing = append(missing, fmt.Sprintf("%d/%d", i, n))
		}
	}
	if len(missing) > 0 {
		return nil, &MergeError{Msg: fmt.Sprintf("segment %s missing: the %d given do not cover the schedule", strings.Join(missing, ", "), len(g.seen))}
	}
	if len(g.partial) > 0 && len(g.complete) > 0 && !g.allowPartial {
		return nil, &MergeError{Msg: fmt.Sprintf("%s interrupted (partial) and %s complete: the merge would not be one schedule", strings.Join(g.partial, ", "), strings.Join(g.complete, ", ")), PartialMix: true}
	}
	g.m.MergedFrom = len(g.seen)
	var apart, window time.Duration // the widest gap between segments' starts
	for i, reps := range g.reps {
		for k, a := range reps {
			if a.err != nil {
				return nil, &MergeError{Msg: fmt.Sprintf("%s repetition %d: %v", g.m.Variants[i].Name, k+1, a.err)}
			}
			if d := a.lastStart.Sub(a.out.WindowStart); d > apart {
				apart, window = d, a.out.Window
			}
			g.m.Variants[i].Reps = append(g.m.Variants[i].Reps, a.result(n))
		}
	}
	// The segments split one schedule only if they sent it together; run
	// one after another (no common start), each carried a share of the
	// load alone, and the merged span, from the first start to the last
	// answer, makes throughput and goodput a fraction of what was sent.
	if window > 0 && apart > window/notTogether {
		g.m.Warnings = append(g.m.Warnings, fmt.Sprintf("the segments did not run together: their measured windows (%s) started up to %s apart, so the load was never the whole schedule's, and throughput and goodput, per second from the first start to the last answer, understate it; start every segment at one instant (--start-at)",
			FormatDuration(window), FormatDuration(apart)))
	}
	return g.m, nil
}

func (a *repAcc) result(n int) RepResult {
	out := a.out
	s := a.sum
	out.Scheduled, out.Sent, out.Good, out.Outcomes = s.Scheduled, s.Sent, s.Good, s.Outcomes
	out.Tokens, out.CacheHits, out.CacheLookups = s.Tokens, s.CacheHits, s.CacheLookups
	out.AllocBytes, out.AllocObjects, out.CPU, out.GCPause = s.AllocBytes, s.AllocObjects, s.CPU, s.GCPause
	out.Bottleneck = strings.Join(a.bottlenecks, "; ")
	if a.segments < n {
		out.Interrupted = true
		out.Warnings = append(out.Warnings, fmt.Sprintf("only %d of %d segments ran this repetition", a.segments, n))
	}
	if !out.WindowStart.IsZero() && !out.LastDone.IsZero() {
		out.Span = max(out.Window, out.LastDone.Sub(out.WindowStart))
	}
	out.Histograms = map[string]Hist{}
	for i, h := range s.Hists {
		if h.TotalCount() > 0 {
			out.Histograms[HistNames[i]] = HistOf(h)
		}
	}
	keys := make([]int64, 0, len(a.windows))
	for k := range a.windows {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	origin := float64(out.Started.UnixNano()) / 1e9
	for _, k := range keys {
		w := *a.windows[k]
		w.T = math.Round((float64(k)-origin)*1000) / 1000
		out.Windows = append(out.Windows, w)
	}
	return out
}

// notTogether: segments whose windows start more than 1/notTogether of
// the window apart did not run together (a common --start-at keeps them
// within milliseconds).
const notTogether = 10

var errTwice = errors.New("a request index was measured by two segments: the segments do not split one schedule")

// joinSample adds a segment's per-request sample to the merged one: each
// request index belongs to one segment.
func joinSample(out, s *Sample, first bool) (*Sample, error) {
	if s == nil {
		return out, nil
	}
	if first || out == nil {
		if !first && out == nil {
			return nil, nil // an earlier segment had none: no sample for the whole
		}
		return &Sample{Stride: s.Stride, E2E: slices.Clone(s.E2E), TTFT: slices.Clone(s.TTFT)}, nil
	}
	if s.Stride != out.Stride {
		return nil, nil // different strides: no paired sample for the whole
	}
	join := func(dst *[]int64, src []int64) error {
		if len(src) > len(*dst) {
			grown := make([]int64, len(src))
			copy(grown, *dst)
			for i := len(*dst); i < len(src); i++ {
				grown[i] = Absent
			}
			*dst = grown
		}
		for k, v := range src {
			switch {
			case v == Absent:
			case (*dst)[k] != Absent:
				return errTwice
			default:
				(*dst)[k] = v
			}
		}
		return nil
	}
	if err := join(&out.E2E, s.E2E); err != nil {
		return nil, err
	}
	if len(s.TTFT) > 0 {
		if len(out.TTFT) == 0 {
			out.TTFT = make([]int64, len(out.E2E))
			for i := range out.TTFT {
				out.TTFT[i] = Absent
			}
		}
		if err := join(&out.TTFT, s.TTFT); err != nil {
			return nil, err
		}
	}
	return out, nil
}
