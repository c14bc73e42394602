package plan

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/llmbench/llmbench/scenarios/results"
	"github.com/llmbench/llmbench/scenarios/spec"
)

// Sweep is the scenario's sweep: block, checked; a zero field was not set
// (the sweep package supplies defaults, and flags override).
type Sweep struct {
	From, To float64
	// Precision is a fraction (0.05 for "5%").
	Precision    float64
	StepDuration time.Duration
	Users        bool
	Repeat       int
	// Checks are the distribution SLOs every step must pass.
	Checks []results.Threshold
}

func (p *Plan) buildSweep(s *spec.Scenario, errs *spec.Problems) {
	sw := s.Sweep
	if sw == nil {
		return
	}
	at := func(path, format string, args ...any) { errs.Add(s.Line(path), path, format, args...) }
	p.Sweep = Sweep{From: sw.From, To: sw.To, StepDuration: sw.StepDuration, Users: sw.Concurrency, Repeat: sw.Repeat}
	for _, f := range []struct {
		name string
		v    float64
	}{{"from", sw.From}, {"to", sw.To}} {
		switch {
		case f.v < 0:
			at("sweep."+f.name, "must be positive (got %g)", f.v)
		case sw.Concurrency && f.v != math.Trunc(f.v):
			at("sweep."+f.name, "a number of users is a whole number (got %g)", f.v)
		case !sw.Concurrency && f.v > MaxRate:
			at("sweep."+f.name, "%g requests/s is beyond what one generator can schedule (at most %g)", f.v, MaxRate)
		}
	}
	if sw.From > 0 && sw.To > 0 && sw.From >= sw.To {
		at("sweep.to", "must be above from (from %g, to %g)", sw.From, sw.To)
	}
	if sw.Precision != "" {
		v, err := ParsePrecision(sw.Precision)
		if err != nil {
			at("sweep.precision", "%v", err)
		}
		p.Sweep.Precision = v
	}
	if sw.StepDuration < 0 {
		at("sweep.step_duration", "must be positive")
	}
	if sw.Repeat < 0 {
		at("sweep.repeat", "must be at least 1 (got %d)", sw.Repeat)
	}
	p.Sweep.Checks = checks(s, sw.SLO, "sweep.slo", errs)
}

// ParsePrecision reads a sweep's precision: a percentage with its sign,
// above 0 and at most 100 ("5%"). A bare number is refused, as the gate's
// thresholds are: 5 and 0.05 would both be guesses.
func ParsePrecision(s string) (float64, error) {
	v, pct := strings.CutSuffix(strings.TrimSpace(s), "%")
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	switch {
	case err != nil || !pct:
		return 0, fmt.Errorf("%q: want a percentage with its sign, such as 5%%", s)
	case !(f > 0 && f <= 100): // NaN fails too
		return 0, fmt.Errorf("%q: must be above 0%% and at most 100%%", s)
	}
	return f / 100, nil
}

// usersEdits makes the scenario an unpaced closed loop of n users: the
// open loop's arrival, rate, stages and burst go.
func (o Overrides) usersEdits(s *spec.Scenario) ([]spec.Edit, []string, error) {
	n := *o.Users
	v := strconv.Itoa(n)
	switch {
	case n < 1:
		return nil, nil, &OverrideError{"users", v, "must be at least 1"}
	case o.Rate != nil:
		return nil, nil, &OverrideError{"users", v, "a closed loop of users is not paced: give users or a rate, not both"}
	}
	edits := []spec.Edit{{Path: []string{"workload", "concurrency"}, Value: n}}
	for _, f := range []string{"arrival", "rate", "stages", "burst"} {
		edits = append(edits, spec.Edit{Path: []string{"workload", f}})
	}
	return edits, []string{"concurrency " + v}, nil
}
