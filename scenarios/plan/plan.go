// Package plan turns a scenario (and the overrides of a command line) into
// a Plan: every distribution built, every file read relative to the
// scenario's folder and digested, every seed derived by one function, every
// provider model built and every variant checked by building it once.
// Everything that can fail fails here, before the first request; the engine
// runs only a Plan and never rebuilds anything from text.
package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"hash/fnv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/llmbench/llmbench/core/cache"
	"github.com/llmbench/llmbench/core/domain"
	"github.com/llmbench/llmbench/core/fanout"
	"github.com/llmbench/llmbench/core/messages"
	"github.com/llmbench/llmbench/core/stream"
	"github.com/llmbench/llmbench/core/validate"
	"github.com/llmbench/llmbench/core/workerpool"
	"github.com/llmbench/llmbench/mockprovider"
	"github.com/llmbench/llmbench/mockprovider/openai"
	"github.com/llmbench/llmbench/scenarios/results"
	"github.com/llmbench/llmbench/scenarios/spec"
)

// Defaults applied to what a scenario leaves out.
const (
	DefaultTimeout       = 30 * time.Second
	DefaultMaxInFlight   = 10000
	DefaultPromptTokens  = 64
	DefaultCacheKeys     = 1000
	DefaultConversations = 64
	DefaultModelTokens   = 4096
	DefaultPoolLimit     = 64
	DefaultSendTimeout   = time.Second
)

// MaxRate is the highest open-loop rate a plan accepts: above it a single
// generator cannot even draw the schedule in time (this engine sustains
// about 200 000 requests/s against a zero-latency mock on 2 cores).
const MaxRate = 1e7

// Bounds of what a scenario may ask for: beyond them a run would only
// exhaust the machine's memory before its first request.
const (
	MaxUsers         = 100_000
	MaxInFlight      = 10_000_000
	MaxConversations = 100_000
	MaxCacheCapacity = 10_000_000
	MaxPoolLimit     = 100_000
)

// Plan is a scenario resolved for running.
type Plan struct {
	Name, Description string
	// Path is the scenario file as given; Dir is the folder its relative
	// file names were read from.
	Path, Dir string
	// Source is the scenario as it runs (overrides applied), SourceHash
	// its SHA-256; Overrides are the changes, as given.
	Source     []byte
	SourceHash string
	Overrides  []string
	// Files are the files the scenario read, with their digests.
	Files      []results.FileRef
	Seed       uint64
	Repeat     int
	Load       Load
	Providers  map[string]*Provider
	Pipeline   Pipeline
	Variants   []Variant
	Thresholds []results.Threshold
	SLO        results.SLO
	// Segment, when set, is the share of the schedule this process sends.
	Segment *Segment
	// Sweep is the scenario's sweep: block (llmbench sweep).
	Sweep Sweep
}

// Load is the resolved workload.
type Load struct {
	// Arrival is constant, poisson, ramp or burst; "" for a closed loop.
	Arrival     string
	Rate        float64
	Stages      []spec.Stage
	Burst       *spec.Burst
	Users       int
	Think       mockprovider.Dist // nil: no think time
	Duration    time.Duration
	Requests    int64
	Warmup      time.Duration
	Timeout     time.Duration
	MaxInFlight int
	// PromptTokens and PromptTurns draw each request's prompt.
	PromptTokens, PromptTurns mockprovider.Dist
	Multimodal                float64
}

// Open reports whether the load is an open loop.
func (l *Load) Open() bool { return l.Arrival != "" }

// RunLength is how long the schedule lasts, warm-up included (0 when it
// ends by a request count).
func (l *Load) RunLength() time.Duration {
	if l.Arrival == "ramp" {
		var d time.Duration
		for _, s := range l.Stages {
			d += s.Duration
		}
		return d
	}
	if l.Duration > 0 {
		return l.Warmup + l.Duration
	}
	return 0
}

// Offered is the schedule's nominal rate over the measured window, in
// requests per second; 0 for an unpaced closed loop, which offers what it
// gets.
func (l *Load) Offered() float64 {
	switch l.Arrival {
	case "constant", "poisson":
		return l.Rate
	case "burst":
		return float64(l.Burst.Size) / l.Burst.Every.Seconds()
	case "ramp":
		if w := l.RunLength() - l.Warmup; w > 0 {
			return l.rampRequests(l.Warmup, l.RunLength()) / w.Seconds()
		}
		return 0
	}
	return l.Rate // a paced closed loop, or 0
}

// Window is the schedule's measured length: the measured duration, or for
// a run that counts requests, their span at the offered rate (0 when that
// is unknown: an unpaced closed loop counting requests).
func (l *Load) Window() time.Duration {
	if d := l.RunLength(); d > 0 || l.Arrival == "ramp" {
		return max(0, d-l.Warmup)
	}
	if r := l.Offered(); r > 0 && l.Requests > 0 {
		return time.Duration(float64(l.Requests) / r * 1e9)
	}
	return 0
}

// rampRequests is the integral of a ramp's rate from a to b.
func (l *Load) rampRequests(a, b time.Duration) float64 {
	var n, t, r0 float64
	for _, st := range l.Stages {
		d := st.Duration.Seconds()
		lo, hi := max(t, a.Seconds()), min(t+d, b.Seconds())
		if hi > lo {
			rate := func(x float64) float64 { return r0 + (st.Rate-r0)*(x-t)/d }
			n += (rate(lo) + rate(hi)) / 2 * (hi - lo)
		}
		t += d
		r0 = st.Rate
	}
	return n
}

// scheduled is how many measured requests the schedule sends when that is
// known: its request count, or an open loop's rate over its window (0 for
// a closed loop run for a duration).
func (l *Load) scheduled() float64 {
	if l.Requests > 0 {
		return float64(l.Requests)
	}
	if l.Open() {
		return l.Offered() * l.Window().Seconds()
	}
	return 0
}

// Expected is about how many measured requests a repetition schedules (a
// guess for a closed loop without a rate).
func (l *Load) Expected() int64 {
	if l.Requests > 0 {
		return l.Requests
	}
	if r := l.Offered(); r > 0 {
		return int64(r*l.Window().Seconds()) + 1
	}
	return int64(l.Users) * 1000
}

// Provider is a provider, built.
type Provider struct {
	Name  string
	Kind  spec.ProviderKind
	Model *mockprovider.Model // kinds mock and mock-http
	// seedSet: the scenario gave this mock its own seed.
	seedSet bool
	OpenAI  openai.ClientConfig
}

// Pipeline is the stages, defaults applied.
type Pipeline struct {
	Provider   string
	Messages   *spec.MessagesStage
	Cache      *spec.CacheStage
	Fanout     *spec.FanoutStage
	Stream     *spec.StreamStage
	Validate   *spec.ValidateStage
	WorkerPool *spec.WorkerPoolStage
}

// Variant is one combination of variant names; Params holds the varied
// families only, and Name prints them as key=value parts.
type Variant struct {
	Name   string
	Params map[string]string
}

// Impl is the variant's choice for a family, or def.
func (v Variant) Impl(family, def string) string {
	if n, ok := v.Params[family]; ok {
		return n
	}
	return def
}

// SeedFor derives the seed of one random stream ("arrivals", "prompts",
// "users", "provider:NAME") for a repetition: the one function every seed
// of a run comes from, so that a run is repeated from its scenario's seed.
// Repetitions differ; variants of one repetition share every stream, so
// that they see identical requests.
func (p *Plan) SeedFor(stream string, rep int) uint64 {
	base := p.Seed
	if name, ok := strings.CutPrefix(stream, "provider:"); ok {
		if pr := p.Providers[name]; pr != nil && pr.seedSet {
			base = pr.Model.Config().Seed // the provider's own seed
		}
	}
	h := fnv.New64a()
	h.Write([]byte(stream))
	return splitmix(base ^ splitmix(h.Sum64()^uint64(rep)))
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Mock is provider name's model with the seed of repetition rep.
func (p *Plan) Mock(name string, rep int) *mockprovider.Model {
	return p.Providers[name].Model.WithSeed(p.SeedFor("provider:"+name, rep))
}

// NewHistories makes the messages stage's histories for variant v.
func (p *Plan) NewHistories(v Variant) ([]messages.Manager, error) {
	m := p.Pipeline.Messages
	out := make([]messages.Manager, m.Conversations)
	for i := range out {
		var err error
		if out[i], err = messages.New(v.Impl("messages", m.Impl), m.Config); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// NewCache makes the cache stage for variant v.
func (p *Plan) NewCache(v Variant) (cache.Cache, error) {
	c := p.Pipeline.Cache
	return cache.New(v.Impl("cache", c.Impl), c.Config)
}

// NewExecutor makes the worker-pool stage for variant v ("fixed:16" sets
// the limit too).
func (p *Plan) NewExecutor(v Variant) (workerpool.Executor, error) {
	wp := p.Pipeline.WorkerPool
	name, limit, err := splitPoolVariant(v.Impl("workerpool", wp.Impl))
	if err != nil {
		return nil, err
	}
	if limit == 0 {
		limit = wp.Limit
	}
	return workerpool.New(name, workerpool.Config{Limit: limit, Timeout: wp.Timeout})
}

// NewStreamPool makes the stream stage's channel pool for variant v.
func (p *Plan) NewStreamPool(v Variant) (stream.Pool, error) {
	return stream.NewPool(v.Impl("stream", p.Pipeline.Stream.Impl))
}

// NewSender makes one stream's per-token sender for variant v.
func (p *Plan) NewSender(v Variant) (stream.Sender, error) {
	st := p.Pipeline.Stream
	return stream.NewSender(v.Impl("sender", st.Sender), st.SendTimeout)
}

// NewValidator makes the validate stage for variant v.
func (p *Plan) NewValidator(v Variant) (validate.Validator, error) {
	val := p.Pipeline.Validate
	return validate.New(v.Impl("validate", val.Impl), validate.Options{Regex: val.Regex, Pool: val.Pool})
}

// NewFanout makes the fan-out stage over providers for variant v.
func (p *Plan) NewFanout(v Variant, providers []domain.Provider) (domain.Provider, error) {
	f := p.Pipeline.Fanout
	return fanout.New(v.Impl("fanout", f.Impl), providers, f.Config)
}

// checkFanout builds the fan-out over stand-in providers.
func (p *Plan) checkFanout(v Variant) error {
	ps := make([]domain.Provider, len(p.Pipeline.Fanout.Providers))
	for i := range ps {
		ps[i] = nopProvider{}
	}
	_, err := p.NewFanout(v, ps)
	return err
}

type nopProvider struct{ domain.Provider }

// digest is a file's SHA-256, hex.
func digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// fileRefs digests the files a scenario names, read from dir.
func fileRefs(dir string, names []string) ([]results.FileRef, error) {
	var out []results.FileRef
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			continue
		}
		seen[n] = true
		path := n
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, n)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		out = append(out, results.FileRef{Path: n, SHA256: digest(data)})
	}
	slices.SortFunc(out, func(a, b results.FileRef) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}
