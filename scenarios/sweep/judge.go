package sweep

import (
	"fmt"
	"math"
	"time"

	"github.com/llmbench/llmbench/scenarios/results"
)

// judge says whether one repetition of one variant passed its step, and
// if not, every reason: a distribution SLO failed (or had nothing to
// measure), fewer than GoodShare of its requests succeeded within the
// per-request SLO, the engine found it saturated, or a queue built up
// (queueing).
//
// The good share compares good requests with scheduled ones over the same
// schedule, rather than goodput's rate with the offered rate: goodput is
// per second of the span up to the last answer, which a short step's
// latency tail stretches although nothing was lost.
func judge(c *Config, v *results.VariantResult, r *results.RepResult) StepRep {
	sum := r.Summary()
	sr := StepRep{Rep: r.Rep, Judged: !r.Interrupted, Figures: figuresOf(sum), Saturated: r.Saturated, Bottleneck: r.Bottleneck}
	if r.Interrupted {
		return sr
	}
	for _, th := range c.Checks {
		if !results.Selects(th.Variant, v.Params) {
			continue
		}
		m := th.Check.Metric
		switch val, ok := m.Value(sum); {
		case !ok:
			sr.Reasons = append(sr.Reasons, fmt.Sprintf("%s: no value (no %s)", th.Expr, m.Covers))
		case !th.Check.Holds(val):
			sr.Reasons = append(sr.Reasons, fmt.Sprintf("%s: measured %s", th.Expr, results.FormatValue(m, val)))
		}
	}
	switch {
	case sum.Scheduled == 0:
		sr.Reasons = append(sr.Reasons, "no request was measured")
	case float64(sum.Good) < GoodShare*float64(sum.Scheduled):
		sr.Reasons = append(sr.Reasons, fmt.Sprintf("%.1f%% of requests succeeded within the SLO (%d of %d; %g%% needed)",
			100*float64(sum.Good)/float64(sum.Scheduled), sum.Good, sum.Scheduled, 100*GoodShare))
	}
	if r.Saturated {
		sr.Reasons = append(sr.Reasons, "saturated: "+r.Bottleneck)
	} else if msg := queueing(r, sum); msg != "" {
		sr.Reasons = append(sr.Reasons, "saturated: "+msg)
	}
	sr.Passed = len(sr.Reasons) == 0
	return sr
}

// figuresOf reads a summary's rates and percentiles.
func figuresOf(s *results.Summary) Figures {
	get := func(name string) *float64 {
		if v, ok := s.Metric(name); ok {
			return &v
		}
		return nil
	}
	f := Figures{Offered: get("offered_rate"), Sent: get("sent_rate"), Throughput: get("throughput"), Goodput: get("goodput"),
		ErrorRate: get("error_rate"), CPUPerReq: get("cpu_per_req"), E2E: percentiles(s, "e2e"), TTFT: percentiles(s, "ttft")}
	if s.Scheduled > 0 {
		share := float64(s.Good) / float64(s.Scheduled)
		f.GoodShare = &share
	}
	return f
}

func percentiles(s *results.Summary, hist string) *Percentiles {
	h := s.Hist(hist)
	if h == nil || h.TotalCount() == 0 {
		return nil
	}
	q := func(p float64) float64 { return float64(h.ValueAtQuantile(p)) / 1e9 }
	return &Percentiles{P50: q(50), P90: q(90), P99: q(99), Max: float64(h.Max()) / 1e9}
}

// queueing is the sweep's own test of an open loop that did not keep up,
// stricter than the engine's: throughput at least 5 % short of offered,
// and latency rising over the step (from the median of the middle third
// of the requests to that of the last third) at least half as fast as a
// queue growing by that shortfall would make it rise. A queue growing by
// offered − throughput per second raises latency by about that share of
// each second; a slow but stable system also falls short of offered (its
// last answers come after the window), but its latency does not rise.
// The middle third, not the first, is the baseline: a step's first
// requests pay for cold connections and caches.
func queueing(r *results.RepResult, s *results.Summary) string {
	offered, ok1 := s.Metric("offered_rate")
	through, ok2 := s.Metric("throughput")
	if !ok1 || !ok2 || offered <= 0 || r.Window <= 0 || r.Sample == nil {
		return ""
	}
	short := 1 - through/offered
	if short < 0.05 {
		return ""
	}
	var xs []float64
	for _, v := range r.Sample.E2E {
		switch v {
		case results.Absent:
		case results.Failed:
			xs = append(xs, math.Inf(1))
		default:
			xs = append(xs, float64(v)/1e9)
		}
	}
	if len(xs) < 3*minThird {
		return ""
	}
	third := len(xs) / 3
	mid, last := median(xs[third:2*third]), median(xs[len(xs)-third:])
	rise := (last - mid) / (r.Window.Seconds() / 3) // seconds of latency per second of the step
	if !(rise >= short/2) {
		return ""
	}
	return fmt.Sprintf("a queue built up: throughput %.0f/s of %.0f/s offered, and latency rose from %s to %s over the last two thirds of the requests",
		through, offered, fmtSeconds(mid), fmtSeconds(last))
}

// minThird is the fewest sampled requests a third needs for its median.
const minThird = 10

func fmtSeconds(v float64) string {
	if math.IsInf(v, 1) {
		return "failing"
	}
	return results.FormatDuration(time.Duration(v * 1e9))
}
