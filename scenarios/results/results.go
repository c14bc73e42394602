// Package results is what a run measured, typed: per variant and
// repetition the outcomes of every scheduled request, the rates (offered,
// sent, throughput, goodput), mergeable HDR histograms of every latency,
// one-second windows and the runtime's costs; the scenario as it ran; the
// harness's own floor. It holds the one table of metrics that thresholds,
// tables, results.txt and the report read, computes each summary once,
// and reads and writes results.json (validated field by field) and
// results.txt (the Go benchmark format, for benchstat and llmbench gate).
package results

import (
	"time"
)

// Version is the version of the results.json layout. Version 2 has typed
// rates (offered, sent, throughput, goodput), failed requests' latency and
// the scenario as it ran; version 1 files are refused with a message.
const Version = 2

// Results is everything a run measured; results.json holds it.
type Results struct {
	Version     int    `json:"version"`
	Scenario    string `json:"scenario"`
	Description string `json:"description,omitempty"`
	// File is the scenario file's path as given; relative file names in
	// the scenario are read from its folder.
	File string `json:"file"`
	// Dir is the folder (absolute) the scenario's relative file names
	// were read from.
	Dir string `json:"dir,omitempty"`
	// Source is the scenario as it ran: the file with every override
	// (--rate, --duration, --seed, --repeat, --variant) applied, so that
	// `llmbench run results.json` repeats the run.
	Source     string    `json:"source"`
	SourceHash string    `json:"source_hash"` // SHA-256 of Source
	Overrides  []string  `json:"overrides,omitempty"`
	Files      []FileRef `json:"files,omitempty"` // files the scenario read
	Seed       uint64    `json:"seed"`
	// Segment is set when this run was one segment of a split schedule;
	// MergedFrom counts the segments merged into these results.
	Segment    *Segment        `json:"segment,omitempty"`
	MergedFrom int             `json:"merged_from,omitempty"`
	Started    time.Time       `json:"started"`
	Finished   time.Time       `json:"finished"`
	Partial    bool            `json:"partial"` // interrupted: not every repetition ran
	Env        Environment     `json:"environment"`
	Floor      *Floor          `json:"floor,omitempty"`
	SLO        *SLO            `json:"slo,omitempty"`
	Variants   []VariantResult `json:"variants"`
	Warnings   []string        `json:"warnings,omitempty"`
}

// FileRef is a file a scenario read, with the digest of what was read.
type FileRef struct {
	Path   string `json:"path"` // as the scenario names it
	SHA256 string `json:"sha256"`
}

// Segment says which part of a split schedule a run sent.
type Segment struct {
	Index int       `json:"index"` // 1-based
	Count int       `json:"count"`
	Start time.Time `json:"start"` // the instant every segment started at
}

// SLO is the per-request objective goodput counts against (0: no limit).
type SLO struct {
	TTFT time.Duration `json:"ttft_ns,omitempty"`
	ITL  time.Duration `json:"itl_ns,omitempty"`
	TPOT time.Duration `json:"tpot_ns,omitempty"`
	E2E  time.Duration `json:"e2e_ns,omitempty"`
}

// Environment is where the run happened.
type Environment struct {
	GoVersion  string `json:"go_version"`
	GOOS       string `json:"goos"`
	GOARCH     string `json:"goarch"`
	CPU        string `json:"cpu"`
	NumCPU     int    `json:"num_cpu"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	Commit     string `json:"commit,omitempty"`
}

// Floor is the harness's own resolution on this machine, measured just
// before the run: differences below it are not the primitives'.
type Floor struct {
	// TimerLateP50 and TimerLateP99 are how late a short timer fires.
	TimerLateP50 time.Duration `json:"timer_late_p50_ns"`
	TimerLateP99 time.Duration `json:"timer_late_p99_ns"`
	// EngineCPUPerReq is the process CPU per request of the engine against
	// a zero-latency provider with no stage.
	EngineCPUPerReq time.Duration `json:"engine_cpu_per_req_ns"`
	EngineRequests  int64         `json:"engine_requests"`
}

// VariantResult is one variant: its repetitions and its thresholds.
type VariantResult struct {
	Name       string            `json:"name"`
	Params     map[string]string `json:"params"`
	Reps       []RepResult       `json:"repetitions"`
	Thresholds []ThresholdResult `json:"thresholds,omitempty"`

	sum *Summary // computed once, by Summary
}

// RepResult is one repetition of one variant.
type RepResult struct {
	Rep     int       `json:"rep"`
	Started time.Time `json:"started"`
	// Offered is the schedule's nominal rate in requests per second (0 for
	// a closed loop that is not paced: it offers what it gets); the
	// offered_rate metric is what the schedule actually drew.
	Offered float64 `json:"offered_rate,omitempty"`
	// Window is the schedule's measured length: the measured duration, or
	// for a run that counts requests, their span at the offered rate.
	Window time.Duration `json:"window_ns"`
	// Scheduled requests (after the warm-up) and those actually sent.
	Scheduled int64 `json:"scheduled"`
	Sent      int64 `json:"sent"`
	// SendSpan is the window stretched by how late the last send was: the
	// sent rate is Sent/SendSpan.
	SendSpan time.Duration `json:"send_span_ns"`
	// Span is from the start of the measured window (the warm-up's end)
	// to the last completion, the tail included, and at least the window:
	// throughput and goodput are per second of it. WindowStart and
	// LastDone are those two instants, so that segments' spans can be
	// merged.
	Span        time.Duration `json:"span_ns"`
	WindowStart time.Time     `json:"window_start,omitzero"`
	LastDone    time.Time     `json:"last_done,omitzero"`
	// Outcomes: every scheduled request is in exactly one.
	Outcomes Outcomes `json:"outcomes"`
	// ErrorSamples is the first message of each error kind seen.
	ErrorSamples map[string]string `json:"error_samples,omitempty"`
	// Good counts requests that succeeded and met every SLO.
	Good             int64           `json:"good"`
	Tokens           int64           `json:"tokens"`
	CacheHits        int64           `json:"cache_hits"`
	CacheLookups     int64           `json:"cache_lookups"`
	GoroutinesLeaked int             `json:"goroutines_leaked"`
	AllocBytes       uint64          `json:"alloc_bytes"`
	AllocObjects     uint64          `json:"alloc_objects"`
	CPU              time.Duration   `json:"cpu_ns"`
	GCPause          time.Duration   `json:"gc_pause_ns"`
	NumGC            uint64          `json:"num_gc"`
	RSS              uint64          `json:"rss_bytes"` // resident set after the repetition (Linux)
	Histograms       map[string]Hist `json:"histograms"`
	Windows          []Window        `json:"windows"`
	// Sample holds per-request latencies of a fixed subset of request
	// indexes, the same for every variant, for paired comparisons.
	Sample *Sample `json:"sample,omitempty"`
	// Saturated: the open loop could not be served at the offered rate;
	// Bottleneck says what the harness saw.
	Saturated   bool     `json:"saturated,omitempty"`
	Bottleneck  string   `json:"bottleneck,omitempty"`
	Warnings    []string `json:"warnings,omitempty"`
	Interrupted bool     `json:"interrupted,omitempty"`

	sum *Summary // computed once, by Summary
}

// Window is one second of a run (T is its end, in seconds from the start).
type Window struct {
	T        float64 `json:"t"`
	Warmup   bool    `json:"warmup,omitempty"`
	Done     int64   `json:"done"`
	OK       int64   `json:"ok"`
	Errors   int64   `json:"errors"`
	Dropped  int64   `json:"dropped"`
	InFlight int64   `json:"in_flight"`
	RPS      float64 `json:"rps"`     // completions per second
	E2EP50   float64 `json:"e2e_p50"` // seconds, successful requests
	E2EP99   float64 `json:"e2e_p99"`
	TTFTP50  float64 `json:"ttft_p50"`
	TTFTP99  float64 `json:"ttft_p99"`
}

// Sample is per-request figures for request indexes 0, Stride, 2·Stride…:
// E2E[k] and TTFT[k] belong to request k·Stride, in nanoseconds, or
// Failed (the request did not succeed) or Absent (not measured).
type Sample struct {
	Stride uint64  `json:"stride"`
	E2E    []int64 `json:"e2e_ns"`
	TTFT   []int64 `json:"ttft_ns,omitempty"`
}

// Sample codes.
const (
	Failed = -1 // scheduled and measured, but not a success
	Absent = -2 // not a measured request
)

// ThresholdResult is a threshold applied to a variant. Value is nil when
// the metric has no value (nothing was measured): the threshold fails.
type ThresholdResult struct {
	Expr   string   `json:"expr"`
	Metric string   `json:"metric"`
	Value  *float64 `json:"value"` // base units: seconds, fractions, counts
	Passed bool     `json:"passed"`
	Reason string   `json:"reason,omitempty"`
}

// Failed reports whether any threshold failed.
func (r *Results) Failed() bool {
	for i := range r.Variants {
		for _, t := range r.Variants[i].Thresholds {
			if !t.Passed {
				return true
			}
		}
	}
	return false
}

// NoSuccess lists the variants that measured requests of which none
// succeeded.
func (r *Results) NoSuccess() []string {
	var out []string
	for i := range r.Variants {
		v := &r.Variants[i]
		if s := v.Summary(); s.Scheduled > 0 && s.Outcomes.OK == 0 {
			out = append(out, v.Name)
		}
	}
	return out
}

// Unmeasured lists the variants that measured no request at all.
func (r *Results) Unmeasured() []string {
	var out []string
	for i := range r.Variants {
		v := &r.Variants[i]
		if s := v.Summary(); s.Scheduled == 0 {
			out = append(out, v.Name)
		}
	}
	return out
}
