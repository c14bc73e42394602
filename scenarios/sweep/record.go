package sweep

import (
	"time"

	"github.com/llmbench/llmbench/scenarios/results"
)

// Version is the version of the sweep.json layout.
const Version = 1

// Sweep is what a capacity search measured; sweep.json holds it.
type Sweep struct {
	Version     int    `json:"version"`
	Scenario    string `json:"scenario"`
	Description string `json:"description,omitempty"`
	File        string `json:"file"`
	Mode        Mode   `json:"mode"`
	// From, To, Precision, StepDuration and Repeat are the search's
	// settings, defaults applied; Checks the distribution SLOs of a step.
	From         float64       `json:"from"`
	To           float64       `json:"to"`
	Precision    float64       `json:"precision"`
	StepDuration time.Duration `json:"step_duration_ns"`
	Repeat       int           `json:"repeat"`
	Checks       []string      `json:"checks,omitempty"`
	// SLO is the per-request objective goodput counts against.
	SLO *results.SLO `json:"slo,omitempty"`
	// Source is the scenario as given (each step records it with its load).
	Source    string              `json:"source"`
	Overrides []string            `json:"overrides,omitempty"`
	Seed      uint64              `json:"seed"`
	Env       results.Environment `json:"environment"`
	Floor     *results.Floor      `json:"floor,omitempty"`
	Started   time.Time           `json:"started"`
	Finished  time.Time           `json:"finished"`
	// Partial: interrupted; the steps done so far are kept, the last one
	// (cut short) is not judged.
	Partial    bool       `json:"partial"`
	Steps      []Step     `json:"steps"`
	Capacities []Capacity `json:"capacities"`
	Warnings   []string   `json:"warnings,omitempty"`
}

// Step is one run of every variant at one load.
type Step struct {
	N int `json:"step"` // 1-based
	// Phase is ramp (geometric, up), down (below a first step that
	// failed) or bisect.
	Phase   string        `json:"phase"`
	Load    float64       `json:"load"` // offered requests/s, or users
	Started time.Time     `json:"started"`
	Elapsed time.Duration `json:"elapsed_ns"`
	// Source is the scenario as this step ran it, load and duration
	// applied; Results is its results.json, relative to the sweep's folder,
	// which `llmbench run` repeats and `llmbench report` draws.
	Source     string        `json:"source"`
	SourceHash string        `json:"source_sha256"`
	Overrides  []string      `json:"overrides"`
	Results    string        `json:"results,omitempty"`
	Partial    bool          `json:"partial,omitempty"`
	Variants   []StepVariant `json:"variants"`

	res *results.Results
}

// StepVariant is one variant in a step: each repetition judged, and the
// repetitions merged for the curves.
type StepVariant struct {
	Name   string    `json:"name"`
	Passed int       `json:"passed"` // repetitions that passed
	Reps   []StepRep `json:"repetitions"`
	Figures
}

// StepRep is one repetition of one variant in a step, judged.
type StepRep struct {
	Rep    int  `json:"rep"`
	Passed bool `json:"passed"`
	// Judged is false for a repetition cut short by an interrupt.
	Judged  bool     `json:"judged"`
	Reasons []string `json:"reasons,omitempty"`
	Figures
	Saturated  bool   `json:"saturated,omitempty"`
	Bottleneck string `json:"bottleneck,omitempty"`
}

// Figures are a step's rates and percentiles (seconds); nil when not
// measured.
type Figures struct {
	Offered    *float64 `json:"offered_rate,omitempty"`
	Sent       *float64 `json:"sent_rate,omitempty"`
	Throughput *float64 `json:"throughput,omitempty"`
	Goodput    *float64 `json:"goodput,omitempty"`
	// GoodShare is the share of scheduled requests that succeeded within
	// the per-request SLO.
	GoodShare *float64 `json:"good_share,omitempty"`
	ErrorRate *float64 `json:"error_rate,omitempty"`
	// CPUPerReq is the process's CPU per request sent, harness included:
	// where a primitive's cost decides the capacity, it shows here.
	CPUPerReq *float64     `json:"cpu_per_req,omitempty"`
	E2E       *Percentiles `json:"e2e,omitempty"`
	TTFT      *Percentiles `json:"ttft,omitempty"`
}

// Percentiles of a latency, in seconds.
type Percentiles struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Capacity is one variant's result: the highest load that passed.
type Capacity struct {
	Variant string            `json:"variant"`
	Params  map[string]string `json:"params"`
	// Capacity is the median over repetitions of each one's highest
	// passing load; nil when none passed. Low and High are its range
	// over repetitions.
	Capacity *float64 `json:"capacity"`
	Low      *float64 `json:"low,omitempty"`
	High     *float64 `json:"high,omitempty"`
	// AtLeast: no repetition failed above its highest pass (each passed
	// at To, the search's top, or the sweep was interrupted first); Below:
	// none passed at the lowest load tried.
	AtLeast bool `json:"at_least,omitempty"`
	Below   bool `json:"below,omitempty"`
	// Throughput, E2EP99 and CPUPerReq are measured at the capacity
	// (medians over repetitions): in a users sweep, Throughput is the
	// capacity in requests/s.
	Throughput *float64 `json:"throughput,omitempty"`
	E2EP99     *float64 `json:"e2e_p99,omitempty"`
	CPUPerReq  *float64 `json:"cpu_per_req,omitempty"`
	// FailedAt is the lowest failing load above the capacity, Why what
	// failed there (first repetition that failed).
	FailedAt *float64      `json:"failed_at,omitempty"`
	Why      []string      `json:"why,omitempty"`
	Reps     []RepCapacity `json:"repetitions"`
	// Contradictions counts steps that passed above a failure (which the
	// pass overturned) or failed below a pass: noise.
	Contradictions int `json:"contradictions,omitempty"`
}

// RepCapacity is one repetition's search.
type RepCapacity struct {
	Rep      int      `json:"rep"`
	Capacity *float64 `json:"capacity"`
	// Throughput is what it carried at its capacity, requests/s.
	Throughput *float64 `json:"throughput,omitempty"`
	FailedAt   *float64 `json:"failed_at,omitempty"`
	Why        []string `json:"why,omitempty"`
}
