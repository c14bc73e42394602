package spec

import "time"

// Sweep configures `llmbench sweep`, the capacity search: a geometric
// ramp of the offered rate (or, with Concurrency, of closed-loop users)
// to the first failing step, then bisection to Precision. Every field is
// optional, and the command line's flags override them.
type Sweep struct {
	// From and To bound the search: requests per second, or users.
	From float64 `yaml:"from"`
	To   float64 `yaml:"to"`
	// Precision is the bisection's relative stopping width, a
	// percentage with its sign: "5%".
	Precision string `yaml:"precision"`
	// StepDuration is the measured length of each step.
	StepDuration time.Duration `yaml:"step_duration"`
	// Concurrency sweeps closed-loop users instead of an open loop's rate.
	Concurrency bool `yaml:"concurrency"`
	// Repeat is the independent searches run side by side (interleaved
	// in every step), which give each capacity its range.
	Repeat int `yaml:"repeat"`
	// SLO are distribution checks every step must pass, written as
	// thresholds are ("ttft.p99 < 200ms"); per-request limits, which
	// define goodput, stay in the scenario's slo:.
	SLO []Threshold `yaml:"slo"`
}
