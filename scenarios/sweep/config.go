package sweep

import (
	"fmt"
	"math"
	"time"

	"github.com/llmbench/llmbench/scenarios/plan"
	"github.com/llmbench/llmbench/scenarios/results"
)

// Mode says what a sweep varies.
type Mode string

// Modes.
const (
	// Rate sweeps an open loop's offered rate, in requests per second.
	Rate Mode = "rate"
	// Users sweeps the users of an unpaced closed loop.
	Users Mode = "users"
)

// Defaults of what neither the command line nor the scenario's sweep:
// block sets.
const (
	DefaultPrecision    = 0.05
	DefaultStepDuration = 2 * time.Second
	DefaultMaxUsers     = 10000
	// Factor is the geometric ramp's growth from one step to the next.
	Factor = 2.0
	// GoodShare is the share of a step's requests that must succeed within
	// the per-request SLO.
	GoodShare = 0.99
	// MaxSteps bounds a sweep whatever its inputs.
	MaxSteps = 60
	// minStepRequests is the fewest requests a step may schedule: the least
	// for a median and a trend that mean something.
	minStepRequests = 20
)

// Config is a sweep, resolved: what the search varies, between which
// bounds, to what precision, and what each step must pass.
type Config struct {
	Mode     Mode
	From, To float64
	// FromSet: From was given, so the search never goes below it.
	FromSet      bool
	Precision    float64 // a fraction: 0.05
	StepDuration time.Duration
	Repeat       int
	// Checks are the distribution SLOs every step must pass.
	Checks []results.Threshold
}

// Flags are the command line's settings; nil (or empty Checks) is not given.
type Flags struct {
	Users        bool
	From, To     *float64
	Precision    *float64
	StepDuration *time.Duration
	Repeat       *int
	Checks       []results.Threshold
}

// ConfigError is a setting that cannot be used; Name is the setting (from,
// to, precision, step-duration, repeat, slo, concurrency), as its flag
// spells it.
type ConfigError struct {
	Name, Msg string
}

func (e *ConfigError) Error() string { return e.Name + ": " + e.Msg }

// Configure resolves the sweep of plan p: flags over the scenario's sweep:
// block over the defaults, each checked against the scenario. Checks come
// from the flags when any is given, otherwise from the block's slo: and the
// scenario's thresholds.
func Configure(p *plan.Plan, f Flags) (Config, error) {
	sw := p.Sweep
	c := Config{Mode: Rate, From: sw.From, To: sw.To, Precision: sw.Precision, StepDuration: sw.StepDuration, Repeat: sw.Repeat}
	if f.Users || sw.Users {
		c.Mode = Users
	}
	c.FromSet = sw.From > 0 || f.From != nil
	c.Checks = append(append([]results.Threshold(nil), sw.Checks...), p.Thresholds...)
	if len(f.Checks) > 0 {
		c.Checks = f.Checks
	}
	// Defaults fill what neither sets; a flag given as 0 is checked, not
	// replaced.
	set(&c.From, f.From)
	set(&c.To, f.To)
	set(&c.Precision, f.Precision)
	set(&c.StepDuration, f.StepDuration)
	set(&c.Repeat, f.Repeat)
	if err := c.defaults(p, f); err != nil {
		return c, err
	}
	return c, c.check(p)
}

func set[T any](v *T, flag *T) {
	if flag != nil {
		*v = *flag
	}
}

// unset says whether a setting is left to its default.
func unset[T comparable](v T, flag *T) bool {
	var zero T
	return v == zero && flag == nil
}

func (c *Config) defaults(p *plan.Plan, f Flags) error {
	l := &p.Load
	if c.Mode == Rate {
		switch l.Arrival {
		case "constant", "poisson":
		case "":
			return &ConfigError{"concurrency", fmt.Sprintf("the scenario is a closed loop of %d users: sweep its users with --concurrency, or give it an open loop (arrival: constant or poisson)", l.Users)}
		default:
			return &ConfigError{"concurrency", fmt.Sprintf("a rate sweep needs an open loop of one rate (arrival: constant or poisson), not %s", l.Arrival)}
		}
	}
	if unset(c.From, f.From) {
		c.From = 1
		switch {
		case c.Mode == Rate:
			c.From = l.Rate
		case l.Users > 0:
			c.From = float64(l.Users)
		}
	}
	if unset(c.To, f.To) {
		c.To = plan.MaxRate
		if c.Mode == Users {
			c.To = max(DefaultMaxUsers, 2*c.From)
		}
	}
	if unset(c.Precision, f.Precision) {
		c.Precision = DefaultPrecision
	}
	if unset(c.StepDuration, f.StepDuration) {
		c.StepDuration = DefaultStepDuration
		if l.Duration > 0 {
			c.StepDuration = l.Duration
		}
	}
	if unset(c.Repeat, f.Repeat) {
		c.Repeat = 1
	}
	return nil
}

func (c *Config) check(p *plan.Plan) error {
	finite := func(name string, v float64) error {
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0) || v <= 0:
			return &ConfigError{name, fmt.Sprintf("%g: must be a finite number above 0", v)}
		case c.Mode == Users && v != math.Trunc(v):
			return &ConfigError{name, fmt.Sprintf("%g: a number of users is a whole number", v)}
		case c.Mode == Rate && v > plan.MaxRate:
			return &ConfigError{name, fmt.Sprintf("%g: beyond what one generator can schedule (at most %g/s)", v, plan.MaxRate)}
		}
		return nil
	}
	if err := finite("from", c.From); err != nil {
		return err
	}
	if err := finite("to", c.To); err != nil {
		return err
	}
	switch {
	case c.From >= c.To:
		return &ConfigError{"to", fmt.Sprintf("%g: must be above from (%g)", c.To, c.From)}
	case !(c.Precision > 0 && c.Precision <= 1):
		return &ConfigError{"precision", fmt.Sprintf("%g%%: must be above 0%% and at most 100%%", 100*c.Precision)}
	case c.StepDuration <= 0:
		return &ConfigError{"step-duration", fmt.Sprintf("%s: must be positive", c.StepDuration)}
	case c.Repeat < 1:
		return &ConfigError{"repeat", fmt.Sprintf("%d: must be at least 1", c.Repeat)}
	case c.Mode == Rate && c.From*c.StepDuration.Seconds() < minStepRequests:
		return &ConfigError{"from", fmt.Sprintf("%g: a step of %s measures %.3g requests; at least %d are needed: raise --from or --step-duration",
			c.From, c.StepDuration, c.From*c.StepDuration.Seconds(), minStepRequests)}
	case c.Mode == Users && !c.boundsLatency(p):
		return &ConfigError{"concurrency", "a closed loop is never saturated: its latency grows instead; say how slow is too slow with --slo 'e2e.p99 < 500ms' or the scenario's slo: {e2e: 500ms}"}
	}
	return nil
}

// boundsLatency says whether a step can fail for being slow: a per-request
// SLO, or a check on a latency.
func (c *Config) boundsLatency(p *plan.Plan) bool {
	if p.SLO != (results.SLO{}) {
		return true
	}
	for _, th := range c.Checks {
		if th.Check.Metric.Kind == results.Duration {
			return true
		}
	}
	return false
}
