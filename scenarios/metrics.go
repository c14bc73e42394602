package scenarios

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Latency histograms, recorded per request, in nanoseconds.
const (
	histE2E             = iota // end to end, from the intended send time
	histE2EUncorrected         // end to end, from the actual send time
	histTTFT                   // time to first token, from the intended send time
	histTTFTUncorrected        // time to first token, from the actual send time
	histITL                    // gaps between tokens, the first excluded
	histTPOT                   // (end − first token) / (tokens − 1), per request
	histQueueWait              // waiting for a slot at a mock provider
	histGeneratorLag           // actual − intended send time (open loop)
	numHists
)

// HistNames are the histograms' names in results and thresholds.
var HistNames = [numHists]string{"e2e", "e2e_uncorrected", "ttft", "ttft_uncorrected", "itl", "tpot", "queue_wait", "generator_lag"}

// latencyStats are the statistics a latency metric offers.
var latencyStats = map[string]float64{"p50": 50, "p90": 90, "p95": 95, "p99": 99, "p999": 99.9, "max": 100, "min": 0, "mean": -1}

// metricKind says how a threshold's value is written.
type metricKind int

const (
	kindDuration metricKind = iota // 800ms
	kindRatio                      // 1% or 0.01
	kindNumber                     // 500
)

// scalarMetrics are the metrics that are not latency statistics.
var scalarMetrics = map[string]struct {
	kind metricKind
	doc  string
}{
	"rps":               {kindNumber, "successful requests per second"},
	"achieved_rate":     {kindNumber, "requests sent per second by the open loop (the target rate when it keeps up)"},
	"tokens_per_s":      {kindNumber, "output tokens per second"},
	"error_rate":        {kindRatio, "share of scheduled requests that failed, timed out or were cancelled"},
	"timeout_rate":      {kindRatio, "share of scheduled requests that timed out"},
	"drop_rate":         {kindRatio, "share of scheduled requests not sent (max_in_flight reached)"},
	"cache_hit_ratio":   {kindRatio, "share of cache lookups that hit"},
	"goroutines_leaked": {kindNumber, "goroutines left after the run, over the count before it"},
	"requests":          {kindNumber, "requests scheduled"},
	"ok":                {kindNumber, "requests that succeeded"},
	"errors":            {kindNumber, "requests that failed with an error"},
	"dropped":           {kindNumber, "requests not sent"},
	"timeouts":          {kindNumber, "requests that timed out"},
	"allocs_per_req":    {kindNumber, "heap allocations per scheduled request, harness included"},
	"bytes_per_req":     {kindNumber, "heap bytes allocated per scheduled request"},
	"cpu_per_req":       {kindDuration, "process CPU time per scheduled request, harness and mocks included"},
	"gc_pause":          {kindDuration, "total stop-the-world GC pause"},
}

// MetricNames lists every metric a threshold may name.
func MetricNames() []string {
	var out []string
	for _, h := range HistNames {
		for st := range latencyStats {
			out = append(out, h+"."+st)
		}
	}
	for m := range scalarMetrics {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

func metricKindOf(name string) (metricKind, bool) {
	if m, ok := scalarMetrics[name]; ok {
		return m.kind, true
	}
	h, st, ok := strings.Cut(name, ".")
	if !ok {
		return 0, false
	}
	if _, ok := latencyStats[st]; !ok {
		return 0, false
	}
	for _, n := range HistNames {
		if n == h {
			return kindDuration, true
		}
	}
	return 0, false
}

// check is a parsed threshold: metric op value, value in base units
// (seconds for durations, fractions for ratios).
type check struct {
	metric string
	op     string
	value  float64
	text   string
}

var ops = []string{"<=", ">=", "==", "!=", "<", ">"}

func parseCheck(expr string) (check, error) {
	expr = strings.TrimSpace(expr)
	for _, op := range ops {
		i := strings.Index(expr, op)
		if i < 0 {
			continue
		}
		metric := strings.TrimSpace(expr[:i])
		text := strings.TrimSpace(expr[i+len(op):])
		kind, ok := metricKindOf(metric)
		if !ok {
			return check{}, fmt.Errorf("unknown metric %q in %q (latency metrics: %s, each with .p50 .p90 .p95 .p99 .p999 .max .min .mean; others: %s)",
				metric, expr, strings.Join(HistNames[:], ", "), strings.Join(scalarNames(), ", "))
		}
		v, err := parseValue(kind, text)
		if err != nil {
			return check{}, fmt.Errorf("%q: %v", expr, err)
		}
		return check{metric: metric, op: op, value: v, text: text}, nil
	}
	return check{}, fmt.Errorf("%q is not \"metric op value\" (op one of %s), e.g. \"ttft.p99 < 800ms\"", expr, strings.Join(ops, " "))
}

func scalarNames() []string {
	out := make([]string, 0, len(scalarMetrics))
	for m := range scalarMetrics {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

func parseValue(kind metricKind, s string) (float64, error) {
	switch kind {
	case kindDuration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("want a duration such as 800ms, got %q", s)
		}
		return d.Seconds(), nil
	case kindRatio:
		if p, ok := strings.CutSuffix(s, "%"); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil {
				return 0, fmt.Errorf("want a percentage such as 1%% or a fraction such as 0.01, got %q", s)
			}
			return f / 100, nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f < 0 || f > 1 {
			return 0, fmt.Errorf("want a percentage such as 1%% or a fraction in [0, 1], got %q", s)
		}
		return f, nil
	default:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, fmt.Errorf("want a number, got %q", s)
		}
		return f, nil
	}
}

func (c check) holds(v float64) bool {
	switch c.op {
	case "<":
		return v < c.value
	case "<=":
		return v <= c.value
	case ">":
		return v > c.value
	case ">=":
		return v >= c.value
	case "==":
		return v == c.value
	default:
		return v != c.value
	}
}
