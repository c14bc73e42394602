package mockprovider

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/llmbench/llmbench/internal/strictyaml"
)

// Config describes one mock provider. Every field has a sensible zero value
// except the latency distributions, which Default fills in.
type Config struct {
	// Name identifies the provider in results.
	Name string `yaml:"name" json:"name"`
	// Model is the model name the HTTP server reports.
	Model string `yaml:"model" json:"model"`
	// Seed makes every request's latencies, length and fault reproducible:
	// the n-th request is the same whatever the interleaving.
	Seed uint64 `yaml:"seed" json:"seed"`
	// Capacity is how many requests are served at once; 0 is unlimited.
	Capacity int `yaml:"capacity" json:"capacity"`
	// MaxQueue bounds the requests waiting for a slot (FIFO); beyond it a
	// request is refused with a rate-limit error. Absent: unbounded.
	MaxQueue *int `yaml:"max_queue" json:"max_queue,omitempty"`
	// LoadFactor stretches latencies as the provider fills up: every delay
	// is multiplied by 1 + LoadFactor × u², u being the share of capacity in
	// use when the request is admitted.
	LoadFactor float64 `yaml:"load_factor" json:"load_factor"`
	// TTFT is the time to the first token, from admission.
	TTFT DistSpec `yaml:"ttft" json:"-"`
	// TTFTPerPromptToken adds prefill time per prompt token (len/4 of the prompt).
	TTFTPerPromptToken time.Duration `yaml:"ttft_per_prompt_token" json:"ttft_per_prompt_token"`
	// ITL is the gap between consecutive tokens.
	ITL DistSpec `yaml:"itl" json:"-"`
	// OutputTokens is the number of tokens of a response (at least 1).
	OutputTokens DistSpec `yaml:"output_tokens" json:"-"`
	// Reply, when set, is the text answered, word by word (OutputTokens is
	// then ignored); otherwise words are drawn from a fixed vocabulary.
	Reply string `yaml:"reply" json:"reply,omitempty"`
	// Faults are per-request probabilities; at most one fault hits a request.
	Faults Faults `yaml:"faults" json:"faults"`
	// Pauses freeze the whole provider (a GC storm, a failover): from At
	// after its first request, for For, nothing is admitted and no token is
	// sent; what was due meanwhile goes out when the pause ends.
	Pauses []Pause `yaml:"pauses" json:"pauses,omitempty"`
}

// Pause is a window in which the provider answers nothing.
type Pause struct {
	At  time.Duration `yaml:"at" json:"at"`
	For time.Duration `yaml:"for" json:"for"`
}

// Faults are injected per request, each with its probability.
type Faults struct {
	// RateLimit refuses the request at once with a RateLimitError.
	RateLimit float64 `yaml:"rate_limit" json:"rate_limit"`
	// RetryAfter is what a rate-limit error asks the client to wait.
	RetryAfter time.Duration `yaml:"retry_after" json:"retry_after"`
	// ServerError fails the request when its first token is due.
	ServerError float64 `yaml:"server_error" json:"server_error"`
	// Timeout hangs the request (holding its slot) until the caller's
	// context ends.
	Timeout float64 `yaml:"timeout" json:"timeout"`
	// StreamCut ends the response part-way with ErrStreamCut.
	StreamCut float64 `yaml:"stream_cut" json:"stream_cut"`
	// Malformed makes the HTTP server send a broken chunk part-way; in
	// process it has no effect.
	Malformed float64 `yaml:"malformed" json:"malformed"`
}

// Bounds of a configuration: beyond them a mock would only exhaust the
// machine's memory. A sampled response length is clamped to
// [1, MaxOutputTokens].
const (
	MaxCapacity     = 1_000_000
	MaxOutputTokens = 100_000
)

// DefaultRetryAfter is used when a rate limit has no retry_after.
const DefaultRetryAfter = time.Second

// Default is a quick, realistic-looking model: lognormal TTFT (median 50 ms,
// p99 250 ms), 10 ± 3 ms between tokens, 20 to 100 tokens, 256 slots.
func Default() Config {
	ms := func(v float64) *Quantity {
		return &Quantity{V: v * 1e6, IsDuration: true, Text: fmt.Sprintf("%gms", v)}
	}
	n := func(v float64) *Quantity { return &Quantity{V: v, Text: fmt.Sprint(v)} }
	return Config{
		Name:         "mock",
		Model:        "mock-gpt",
		Seed:         1,
		Capacity:     256,
		TTFT:         DistSpec{Dist: "lognormal", Median: ms(50), P99: ms(250)},
		ITL:          DistSpec{Dist: "normal", Mean: ms(10), Stddev: ms(3)},
		OutputTokens: DistSpec{Dist: "uniform", Min: n(20), Max: n(100)},
	}
}

// WithDefaults fills the unset latency distributions and names from Default.
func (c Config) WithDefaults() Config {
	d := Default()
	if c.Name == "" {
		c.Name = d.Name
	}
	if c.Model == "" {
		c.Model = d.Model
	}
	if c.TTFT.Dist == "" && c.TTFT.Line == 0 {
		c.TTFT = d.TTFT
	}
	if c.ITL.Dist == "" && c.ITL.Line == 0 {
		c.ITL = d.ITL
	}
	if c.OutputTokens.Dist == "" && c.OutputTokens.Line == 0 {
		c.OutputTokens = d.OutputTokens
	}
	if c.Faults.RetryAfter == 0 {
		c.Faults.RetryAfter = DefaultRetryAfter
	}
	return c
}

// Model is a checked Config with its distributions built: what a Provider
// runs. Build it once (files read, every parameter checked), then make
// providers from it, with a different seed for each repetition if need be.
type Model struct {
	cfg          Config
	ttft, itl    Dist
	outputTokens Dist
	replyWords   []string
	faultCum     [5]float64 // cumulative: rate limit, server, timeout, cut, malformed
}

// Config is the model's configuration, defaults filled in.
func (m *Model) Config() Config { return m.cfg }

// WithSeed is the same model drawing from another seed.
func (m *Model) WithSeed(seed uint64) *Model {
	c := *m
	c.cfg.Seed = seed
	return &c
}

// Check validates the configuration; see Build.
func (c Config) Check(where, baseDir string) error {
	_, err := c.Build(where, baseDir)
	return err
}

// Build checks the configuration and builds its distributions. Problems
// come as FieldErrors, each with the field's path (prefixed by where) and
// its YAML line where known. Files are read relative to baseDir.
func (c Config) Build(where, baseDir string) (*Model, error) {
	c = c.WithDefaults()
	field := func(name string) string {
		if where == "" {
			return name
		}
		return where + "." + name
	}
	var errs FieldErrors
	bad := func(name, format string, args ...any) {
		errs = append(errs, &FieldError{Path: field(name), Msg: fmt.Sprintf(format, args...)})
	}
	if c.Capacity < 0 || c.Capacity > MaxCapacity {
		bad("capacity", "must be between 0 and %d (got %d); 0 means unlimited", MaxCapacity, c.Capacity)
	}
	if c.MaxQueue != nil && (*c.MaxQueue < 0 || *c.MaxQueue > MaxCapacity) {
		bad("max_queue", "must be between 0 and %d (got %d); leave it out for an unbounded queue", MaxCapacity, *c.MaxQueue)
	}
	if !(c.LoadFactor >= 0) || math.IsInf(c.LoadFactor, 0) {
		bad("load_factor", "must be a finite number >= 0 (got %g)", c.LoadFactor)
	}
	if c.TTFTPerPromptToken < 0 {
		bad("ttft_per_prompt_token", "must not be negative")
	}
	m := &Model{cfg: c}
	var err error
	if m.ttft, err = c.TTFT.Build(Duration, field("ttft"), baseDir); err != nil {
		errs = append(errs, fieldErrors(err)...)
	}
	if m.itl, err = c.ITL.Build(Duration, field("itl"), baseDir); err != nil {
		errs = append(errs, fieldErrors(err)...)
	}
	if m.outputTokens, err = c.OutputTokens.Build(Count, field("output_tokens"), baseDir); err != nil {
		errs = append(errs, fieldErrors(err)...)
	} else if med := m.outputTokens.Quantile(0.5); med < 0.5 || med > MaxOutputTokens {
		errs = append(errs, &FieldError{Path: field("output_tokens"), Line: c.OutputTokens.Line,
			Msg: fmt.Sprintf("a response has 1 to %d tokens; this distribution's median is %g", MaxOutputTokens, med)})
	}
	f := c.Faults
	rates := []struct {
		name string
		v    float64
	}{{"rate_limit", f.RateLimit}, {"server_error", f.ServerError}, {"timeout", f.Timeout}, {"stream_cut", f.StreamCut}, {"malformed", f.Malformed}}
	total := 0.0
	for i, r := range rates {
		if !(r.v >= 0 && r.v <= 1) {
			bad("faults."+r.name, "is a probability in [0, 1] (got %g)", r.v)
		}
		total += r.v
		m.faultCum[i] = total
	}
	if total > 1+1e-9 {
		bad("faults", "rates add up to %g; at most one fault hits a request, so they must add up to 1 or less", total)
	}
	if f.RetryAfter < 0 {
		bad("faults.retry_after", "must not be negative")
	}
	for i, p := range c.Pauses {
		if p.At < 0 || p.For <= 0 {
			bad(fmt.Sprintf("pauses[%d]", i), "needs at >= 0 and for > 0 (got at %s, for %s)", p.At, p.For)
		}
	}
	if c.Reply != "" {
		m.replyWords = splitWords(c.Reply)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return m, nil
}

// Files lists the files the configuration's distributions read (as
// written: relative to the configuration's folder unless absolute).
func (c Config) Files() []string {
	var out []string
	for _, d := range []DistSpec{c.TTFT, c.ITL, c.OutputTokens} {
		out = append(out, d.Files()...)
	}
	return out
}

// LoadModel reads a provider configuration from a YAML file and builds
// it, files read relative to the file's folder. Unknown fields are errors
// with a suggestion; every message starts with the file name and line.
func LoadModel(path string) (*Model, error) {
	data, err := strictyaml.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c Config
	errs := &strictyaml.Problems{}
	var root yaml.Node
	if err := strictyaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %s", path, strictyaml.SourceError(err, data))
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, fmt.Errorf("%s: the file is empty", path)
	}
	w := strictyaml.NewWalker(errs)
	w.Special[reflect.TypeFor[DistSpec]()] = WalkDist
	w.Walk(&root, reflect.TypeFor[Config](), "")
	if err := errs.Err(path); err != nil {
		return nil, err
	}
	if err := root.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %s", path, strictyaml.SyntaxMessage(err))
	}
	m, err := c.Build("", filepath.Dir(path))
	if err != nil {
		for _, fe := range fieldErrors(err) {
			line := fe.Line
			if line == 0 {
				line = lineOf(w.Lines, fe.Path)
			}
			errs.Add(line, fe.Path, "%s", fe.Msg)
		}
		return nil, errs.Err(path)
	}
	return m, nil
}

// lineOf is the line of path or of its nearest recorded ancestor.
func lineOf(lines map[string]int, path string) int {
	for p := path; p != ""; {
		if l, ok := lines[p]; ok {
			return l
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0
}

// WalkDist is the strictyaml walk of a distribution: it decodes the node
// and files what is wrong under path. Register it for DistSpec in a
// Walker's Special table.
func WalkDist(w *strictyaml.Walker, n *yaml.Node, path string) {
	var d DistSpec
	if err := n.Decode(&d); err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			w.Errs.Add(fe.Line, strictyaml.Join(path, fe.Path), "%s", fe.Msg)
			return
		}
		w.Errs.Add(n.Line, path, "%s", strictyaml.SyntaxMessage(err))
	}
}
