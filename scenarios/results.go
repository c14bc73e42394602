package scenarios

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// ResultsVersion is the version of the results.json layout.
const ResultsVersion = 1

// Results is everything a run measured; results.json holds it.
type Results struct {
	Version     int             `json:"version"`
	Scenario    string          `json:"scenario"`
	Description string          `json:"description,omitempty"`
	File        string          `json:"file"`
	Source      string          `json:"source"` // the scenario file as run
	Seed        uint64          `json:"seed"`
	Started     time.Time       `json:"started"`
	Finished    time.Time       `json:"finished"`
	Partial     bool            `json:"partial"` // interrupted: not every repetition ran
	Env         Environment     `json:"environment"`
	Variants    []VariantResult `json:"variants"`
	Warnings    []string        `json:"warnings,omitempty"`
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

// VariantResult is one variant: its repetitions and its thresholds.
type VariantResult struct {
	Name       string            `json:"name"`
	Params     map[string]string `json:"params"`
	Reps       []RepResult       `json:"repetitions"`
	Thresholds []ThresholdResult `json:"thresholds,omitempty"`
}

// RepResult is one repetition of one variant.
type RepResult struct {
	Rep       int           `json:"rep"`
	Started   time.Time     `json:"started"`
	Measured  time.Duration `json:"measured_ns"` // from the warm-up's end to the last completion
	Scheduled int64         `json:"scheduled"`
	// SendSpan is how long the open loop took to send the measured
	// requests (first intended to last actual send): the achieved rate is
	// Scheduled/SendSpan, the target's when the generator keeps up.
	SendSpan time.Duration `json:"send_span_ns,omitempty"`
	// Outcomes: ok, timeout, cancelled, dropped and error:<kind>; they add
	// up to Scheduled.
	Outcomes         map[string]int64 `json:"outcomes"`
	Tokens           int64            `json:"tokens"`
	CacheHits        int64            `json:"cache_hits"`
	CacheLookups     int64            `json:"cache_lookups"`
	GoroutinesLeaked int              `json:"goroutines_leaked"`
	AllocBytes       uint64           `json:"alloc_bytes"`
	AllocObjects     uint64           `json:"alloc_objects"`
	CPU              time.Duration    `json:"cpu_ns"`
	GCPause          time.Duration    `json:"gc_pause_ns"`
	NumGC            uint64           `json:"num_gc"`
	RSS              uint64           `json:"rss_bytes"` // resident set after the repetition (Linux)
	Histograms       map[string]Hist  `json:"histograms"`
	Windows          []Window         `json:"windows"`
	Warnings         []string         `json:"warnings,omitempty"`
	Interrupted      bool             `json:"interrupted,omitempty"`
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
	RPS      float64 `json:"rps"`
	E2EP50   float64 `json:"e2e_p50"` // seconds
	E2EP99   float64 `json:"e2e_p99"`
	TTFTP50  float64 `json:"ttft_p50"`
	TTFTP99  float64 `json:"ttft_p99"`
}

// ThresholdResult is a threshold applied to a variant.
type ThresholdResult struct {
	Expr   string  `json:"expr"`
	Value  float64 `json:"value"` // base units: seconds, fractions, counts
	Passed bool    `json:"passed"`
}

// Hist is an HDR histogram in a compact, mergeable form: the non-zero
// counts by bucket index.
type Hist struct {
	Lowest  int64      `json:"lowest"`
	Highest int64      `json:"highest"`
	SigFigs int64      `json:"sig_figs"`
	Counts  [][2]int64 `json:"counts"` // [index, count]
	Total   int64      `json:"total"`
}

func histOf(h *hdr.Histogram) Hist {
	snap := h.Export()
	out := Hist{Lowest: snap.LowestTrackableValue, Highest: snap.HighestTrackableValue, SigFigs: snap.SignificantFigures, Total: h.TotalCount()}
	for i, c := range snap.Counts {
		if c != 0 {
			out.Counts = append(out.Counts, [2]int64{int64(i), c})
		}
	}
	return out
}

// Histogram rebuilds the HDR histogram.
func (h Hist) Histogram() *hdr.Histogram {
	if h.Highest == 0 {
		return newHist()
	}
	snap := &hdr.Snapshot{LowestTrackableValue: h.Lowest, HighestTrackableValue: h.Highest, SignificantFigures: h.SigFigs}
	tmpl := hdr.New(h.Lowest, h.Highest, int(h.SigFigs))
	snap.Counts = make([]int64, len(tmpl.Export().Counts))
	for _, c := range h.Counts {
		if int(c[0]) < len(snap.Counts) {
			snap.Counts[c[0]] = c[1]
		}
	}
	return hdr.Import(snap)
}

// Summary merges a variant's repetitions.
type Summary struct {
	Scheduled, OK, Errors, Timeouts, Cancelled, Dropped int64
	ErrorKinds                                          map[string]int64
	Measured, SendSpan                                  time.Duration
	Tokens, CacheHits, CacheLookups                     int64
	GoroutinesLeaked                                    int
	AllocBytes, AllocObjects                            uint64
	CPU, GCPause                                        time.Duration
	Hists                                               map[string]*hdr.Histogram
}

// Summarize merges the repetitions of v.
func (v *VariantResult) Summarize() *Summary {
	s := &Summary{ErrorKinds: map[string]int64{}, Hists: map[string]*hdr.Histogram{}}
	for _, name := range HistNames {
		s.Hists[name] = newHist()
	}
	for _, r := range v.Reps {
		s.Scheduled += r.Scheduled
		s.OK += r.Outcomes["ok"]
		s.Timeouts += r.Outcomes["timeout"]
		s.Cancelled += r.Outcomes["cancelled"]
		s.Dropped += r.Outcomes["dropped"]
		for k, n := range r.Outcomes {
			if kind, ok := strings.CutPrefix(k, "error:"); ok {
				s.Errors += n
				s.ErrorKinds[kind] += n
			}
		}
		s.Measured += r.Measured
		s.SendSpan += r.SendSpan
		s.Tokens += r.Tokens
		s.CacheHits += r.CacheHits
		s.CacheLookups += r.CacheLookups
		s.GoroutinesLeaked = max(s.GoroutinesLeaked, r.GoroutinesLeaked)
		s.AllocBytes += r.AllocBytes
		s.AllocObjects += r.AllocObjects
		s.CPU += r.CPU
		s.GCPause += r.GCPause
		for name, h := range r.Histograms {
			if dst, ok := s.Hists[name]; ok {
				dst.Merge(h.Histogram())
			}
		}
	}
	return s
}

// Metric is a metric's value in base units (seconds, fractions, counts).
func (s *Summary) Metric(name string) (float64, bool) {
	per := func(n, d float64) float64 {
		if d == 0 {
			return 0
		}
		return n / d
	}
	secs := s.Measured.Seconds()
	sched := float64(s.Scheduled)
	switch name {
	case "rps":
		return per(float64(s.OK), secs), true
	case "achieved_rate":
		return per(sched, s.SendSpan.Seconds()), true
	case "tokens_per_s":
		return per(float64(s.Tokens), secs), true
	case "error_rate":
		return per(float64(s.Errors+s.Timeouts+s.Cancelled), sched), true
	case "timeout_rate":
		return per(float64(s.Timeouts), sched), true
	case "drop_rate":
		return per(float64(s.Dropped), sched), true
	case "cache_hit_ratio":
		return per(float64(s.CacheHits), float64(s.CacheLookups)), true
	case "goroutines_leaked":
		return float64(s.GoroutinesLeaked), true
	case "requests":
		return sched, true
	case "ok":
		return float64(s.OK), true
	case "errors":
		return float64(s.Errors), true
	case "dropped":
		return float64(s.Dropped), true
	case "timeouts":
		return float64(s.Timeouts), true
	case "allocs_per_req":
		return per(float64(s.AllocObjects), sched), true
	case "bytes_per_req":
		return per(float64(s.AllocBytes), sched), true
	case "cpu_per_req":
		return per(s.CPU.Seconds(), sched), true
	case "gc_pause":
		return s.GCPause.Seconds(), true
	}
	hname, stat, ok := strings.Cut(name, ".")
	h, hok := s.Hists[hname]
	q, qok := latencyStats[stat]
	if !ok || !hok || !qok {
		return 0, false
	}
	if h.TotalCount() == 0 {
		return 0, true
	}
	switch stat {
	case "mean":
		return h.Mean() / 1e9, true
	case "max":
		return float64(h.Max()) / 1e9, true
	case "min":
		return float64(h.Min()) / 1e9, true
	}
	return float64(h.ValueAtQuantile(q)) / 1e9, true
}

// WriteFileAtomic writes a file so that it is either complete or absent:
// the data goes to a temporary file in the same directory, then is renamed.
func WriteFileAtomic(path string, write func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriter(tmp)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Chmod(tmp.Name(), 0o644); err != nil { // CreateTemp makes it private
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// WriteFiles writes results.json and results.txt into dir.
func (r *Results) WriteFiles(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := WriteFileAtomic(filepath.Join(dir, "results.json"), func(w io.Writer) error {
		return json.NewEncoder(w).Encode(r) // compact: histograms are long lists of numbers
	}); err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(dir, "results.txt"), r.WriteBenchfmt)
}

// ReadResults reads a results.json file, or the one in a directory.
func ReadResults(path string) (*Results, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, "results.json")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Results
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: not a results.json file: %v", path, err)
	}
	if r.Version != ResultsVersion {
		return nil, fmt.Errorf("%s: results version %d, this llmbench reads version %d", path, r.Version, ResultsVersion)
	}
	return &r, nil
}

// benchUnits are the per-repetition figures of results.txt, with their
// direction for benchstat and llmbench gate.
var benchUnits = []struct {
	unit, metric, better string
	scale                float64
	exact                bool
}{
	{"e2e-p50-ns", "e2e.p50", "lower", 1e9, false},
	{"e2e-p99-ns", "e2e.p99", "lower", 1e9, false},
	{"ttft-p50-ns", "ttft.p50", "lower", 1e9, false},
	{"ttft-p99-ns", "ttft.p99", "lower", 1e9, false},
	{"itl-p50-ns", "itl.p50", "lower", 1e9, false},
	{"itl-p99-ns", "itl.p99", "lower", 1e9, false},
	{"req/s", "rps", "higher", 1, false},
	{"tokens/s", "tokens_per_s", "higher", 1, false},
	{"errors/req", "error_rate", "lower", 1, false},
	{"hits/lookup", "cache_hit_ratio", "higher", 1, false},
	{"allocs/req", "allocs_per_req", "lower", 1, false},
	{"B/req", "bytes_per_req", "lower", 1, false},
	{"cpu-ns/req", "cpu_per_req", "lower", 1e9, false},
	{"goroutines-leaked", "goroutines_leaked", "lower", 1, true},
}

// WriteBenchfmt writes the results in the Go benchmark format (one line per
// variant and repetition) so that benchstat and llmbench compare read them:
//
//	go tool benchstat -col /cache results.txt
func (r *Results) WriteBenchfmt(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "goos: %s\ngoarch: %s\ncpu: %s\ngo: %s\n", r.Env.GOOS, r.Env.GOARCH, r.Env.CPU, r.Env.GoVersion)
	if r.Env.Commit != "" {
		fmt.Fprintf(bw, "commit: %s\n", r.Env.Commit)
	}
	fmt.Fprintf(bw, "scenario: %s\nseed: %d\n", r.Scenario, r.Seed)
	if r.Partial {
		fmt.Fprintf(bw, "partial: true\n")
	}
	for _, u := range benchUnits {
		fmt.Fprintf(bw, "Unit %s better=%s", u.unit, u.better)
		if u.exact {
			fmt.Fprint(bw, " assume=exact")
		}
		fmt.Fprintln(bw)
	}
	for _, v := range r.Variants {
		name := "BenchmarkScenario/scenario=" + r.Scenario
		if v.Name != "default" {
			name += "/" + v.Name
		}
		if r.Env.GOMAXPROCS > 1 {
			name += fmt.Sprintf("-%d", r.Env.GOMAXPROCS)
		}
		for _, rep := range v.Reps {
			one := VariantResult{Reps: []RepResult{rep}}
			s := one.Summarize()
			fmt.Fprintf(bw, "%s\t%d", name, rep.Scheduled)
			for _, u := range benchUnits {
				val, _ := s.Metric(u.metric)
				if strings.HasPrefix(u.metric, "ttft") || strings.HasPrefix(u.metric, "itl") {
					if s.Hists[strings.Split(u.metric, ".")[0]].TotalCount() == 0 {
						continue // nothing streamed: no such figure
					}
				}
				if u.metric == "cache_hit_ratio" && s.CacheLookups == 0 {
					continue
				}
				fmt.Fprintf(bw, "\t%s %s", formatFloat(val*u.scale), u.unit)
			}
			fmt.Fprintln(bw)
		}
	}
	return bw.Flush()
}

func formatFloat(v float64) string {
	s := fmt.Sprintf("%.6g", v)
	if strings.ContainsAny(s, "e") {
		s = fmt.Sprintf("%.0f", v)
	}
	return s
}

// outcomeMap names outcome counts for results.json.
func outcomeMap(outcomes [outDropped + 1]int64, kinds [numErrKinds]int64) map[string]int64 {
	m := map[string]int64{"ok": outcomes[outOK], "timeout": outcomes[outTimeout], "cancelled": outcomes[outCancelled], "dropped": outcomes[outDropped]}
	for k, n := range kinds {
		if n > 0 {
			m["error:"+ErrorKinds[k]] = n
		}
	}
	return m
}
