package results

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/llmbench/llmbench/internal/strictyaml"
)

// Check is a parsed criterion "metric op value", such as "ttft.p99 < 800ms";
// Value is in the metric's base units.
type Check struct {
	Metric *Metric
	Op     string
	Value  float64
	Text   string // the value as written
}

var ops = []string{"<=", ">=", "==", "!=", "<", ">"}

// renamed are metric names of earlier versions whose meaning was split:
// they are refused with the names to use instead of being guessed.
var renamed = map[string]string{
	"rps":           "throughput (completions per second) or goodput (successes within the SLO per second)",
	"achieved_rate": "sent_rate (requests actually sent per second)",
}

// ParseCheck reads "metric op value".
func ParseCheck(expr string) (Check, error) {
	expr = strings.TrimSpace(expr)
	for _, op := range ops {
		i := strings.Index(expr, op)
		if i < 0 {
			continue
		}
		name := strings.TrimSpace(expr[:i])
		text := strings.TrimSpace(expr[i+len(op):])
		m, err := MetricByName(name)
		if err != nil {
			return Check{}, fmt.Errorf("%q: %v", expr, err)
		}
		v, err := ParseValue(m.Kind, text)
		if err != nil {
			return Check{}, fmt.Errorf("%q: %v", expr, err)
		}
		return Check{Metric: m, Op: op, Value: v, Text: text}, nil
	}
	return Check{}, fmt.Errorf("%q is not \"metric op value\" (op one of %s), e.g. \"ttft.p99 < 800ms\"", expr, strings.Join(ops, " "))
}

// MetricByName finds a metric, or says which names exist.
func MetricByName(name string) (*Metric, error) {
	if m, ok := metricIndex[name]; ok {
		return m, nil
	}
	if to, ok := renamed[name]; ok {
		return nil, fmt.Errorf("metric %q is ambiguous and was replaced: use %s", name, to)
	}
	names := make([]string, 0, len(metrics))
	for _, m := range metrics {
		names = append(names, m.Name)
	}
	if s := strictyaml.Suggest(name, names); strings.HasPrefix(s, ";") {
		return nil, fmt.Errorf("unknown metric %q%s", name, s)
	}
	return nil, fmt.Errorf("unknown metric %q (latency metrics: %s, each with .p50 .p90 .p95 .p99 .p999 .max .min .mean; others: %s)",
		name, strings.Join(LatencyNames(), ", "), strings.Join(ScalarNames(), ", "))
}

// ParseValue reads a value written for a metric of the kind.
func ParseValue(kind Kind, s string) (float64, error) {
	switch kind {
	case Duration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("want a duration such as 800ms, got %q", s)
		}
		return d.Seconds(), nil
	case Ratio:
		if p, ok := strings.CutSuffix(s, "%"); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil || !(f >= 0 && f <= 100) {
				return 0, fmt.Errorf("want a percentage in [0%%, 100%%] such as 1%%, or a fraction such as 0.01, got %q", s)
			}
			return f / 100, nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || !(f >= 0 && f <= 1) {
			return 0, fmt.Errorf("want a percentage such as 1%% or a fraction in [0, 1], got %q", s)
		}
		return f, nil
	default:
		f, err := strconv.ParseFloat(strings.TrimSuffix(s, "/s"), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, fmt.Errorf("want a finite number, got %q", s)
		}
		return f, nil
	}
}

// Holds says whether v passes the check.
func (c Check) Holds(v float64) bool {
	switch c.Op {
	case "<":
		return v < c.Value
	case "<=":
		return v <= c.Value
	case ">":
		return v > c.Value
	case ">=":
		return v >= c.Value
	case "==":
		return v == c.Value
	default:
		return v != c.Value
	}
}

// Threshold is a check applied to the variants Variant selects (all when
// empty).
type Threshold struct {
	Expr    string
	Variant map[string]string
	Check   Check
}

// Evaluate applies the thresholds to every variant they select. A metric
// with no value fails its threshold, with the reason: nothing passes on
// nothing.
func (r *Results) Evaluate(ths []Threshold) {
	for i := range r.Variants {
		v := &r.Variants[i]
		v.Thresholds = nil
		if len(v.Reps) == 0 {
			continue // interrupted before it ran
		}
		sum := v.Summary()
		for _, th := range ths {
			if !Selects(th.Variant, v.Params) {
				continue
			}
			tr := ThresholdResult{Expr: th.Expr, Metric: th.Check.Metric.Name}
			if val, ok := th.Check.Metric.Value(sum); ok {
				tr.Value = &val
				tr.Passed = th.Check.Holds(val)
			} else if sum.Scheduled == 0 {
				tr.Reason = "no request was measured"
			} else {
				tr.Reason = "nothing to measure: no " + th.Check.Metric.Covers
			}
			v.Thresholds = append(v.Thresholds, tr)
		}
	}
}

// Selects reports whether params has every family=name of sel.
func Selects(sel, params map[string]string) bool {
	for k, v := range sel {
		if params[k] != v {
			return false
		}
	}
	return true
}

// FormatValue prints a metric's value as thresholds write it: 102ms, 1.5%,
// 1234.5/s, 42.
func FormatValue(m *Metric, v float64) string {
	switch m.Kind {
	case Duration:
		return FormatDuration(time.Duration(math.Round(v * 1e9)))
	case Ratio:
		return fmt.Sprintf("%.3g%%", 100*v)
	case Rate:
		return fmt.Sprintf("%.1f/s", v)
	}
	return fmt.Sprintf("%.4g", v)
}

// FormatDuration prints a duration with three significant digits: 850µs,
// 12.3ms, 1.02s.
func FormatDuration(d time.Duration) string {
	// Round to three digits first, so that 999.9ms prints as 1s.
	if d != 0 {
		digits := math.Floor(math.Log10(math.Abs(float64(d)))) + 1
		if scale := math.Pow(10, digits-3); scale > 1 {
			d = time.Duration(math.Round(float64(d)/scale) * scale)
		}
	}
	switch {
	case d == 0:
		return "0"
	case d < time.Microsecond && d > -time.Microsecond:
		return fmt.Sprintf("%dns", d.Nanoseconds())
	case d < time.Millisecond && d > -time.Millisecond:
		return fmt.Sprintf("%.3gµs", float64(d)/1e3)
	case d < time.Second && d > -time.Second:
		return fmt.Sprintf("%.3gms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.3gs", d.Seconds())
}
