// Package spec is the scenario language: a scenario file decoded into a
// Scenario, strictly (an unknown field is an error, with a suggestion), with
// the line of every field kept for later messages. It has no behaviour: the
// plan package checks what the values mean and builds what they describe.
//
//	spec (YAML → Scenario) → plan (→ Plan) → engine (→ measurements) → results → report
package spec

import (
	"time"

	"github.com/llmbench/llmbench/core/cache"
	"github.com/llmbench/llmbench/core/fanout"
	"github.com/llmbench/llmbench/core/messages"
	"github.com/llmbench/llmbench/mockprovider"
	"github.com/llmbench/llmbench/mockprovider/openai"
)

// Scenario is a scenario file: what load to drive, through which pipeline
// of primitives, against which providers, with which variants compared.
type Scenario struct {
	Name        string                  `yaml:"name"`
	Description string                  `yaml:"description"`
	Seed        uint64                  `yaml:"seed"`
	Providers   map[string]ProviderSpec `yaml:"providers"`
	Workload    Workload                `yaml:"workload"`
	Pipeline    Pipeline                `yaml:"pipeline"`
	Variants    Variants                `yaml:"variants"`
	Repeat      *int                    `yaml:"repeat"` // nil: once
	// SLO is what each request must meet to count as good (goodput).
	SLO        *SLO        `yaml:"slo"`
	Thresholds []Threshold `yaml:"thresholds"`
	// Sweep configures llmbench sweep (ignored by run).
	Sweep *Sweep `yaml:"sweep"`

	// Path names the file in messages; its folder anchors relative file
	// names. Source is the text the scenario was parsed from.
	Path   string `yaml:"-"`
	Source []byte `yaml:"-"`
	lines  map[string]int
}

// Line is the line of a field path ("workload.rate"), or of its nearest
// ancestor that has one; 0 when unknown.
func (s *Scenario) Line(path string) int {
	for p := path; p != ""; {
		if l, ok := s.lines[p]; ok {
			return l
		}
		i := lastSep(p)
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0
}

func lastSep(p string) int {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '.' || p[i] == '[' {
			return i
		}
	}
	return -1
}

// ProviderKind says what a provider entry is.
type ProviderKind string

// Provider kinds.
const (
	// KindMock is an in-process mock provider (the default).
	KindMock ProviderKind = "mock"
	// KindMockHTTP is a mock provider behind the OpenAI-compatible HTTP
	// server, which the run starts on a free loopback port and reaches
	// with the HTTP client: the whole network path, no setup.
	KindMockHTTP ProviderKind = "mock-http"
	// KindOpenAI is any OpenAI-compatible endpoint.
	KindOpenAI ProviderKind = "openai"
)

// ProviderSpec is one provider: a mock configuration, or an endpoint.
type ProviderSpec struct {
	Kind   ProviderKind
	Mock   mockprovider.Config
	OpenAI openai.ClientConfig
	Line   int
}

// Workload says how requests arrive and how long the run lasts.
type Workload struct {
	// Arrival is the open-loop process: constant, poisson, ramp or burst.
	// Leave it out and set Concurrency for a closed loop.
	Arrival string `yaml:"arrival"`
	// Rate is the open-loop rate in requests per second. With Concurrency
	// it paces a closed loop, as wrk2 does: user u sends its k-th request at
	// (k·Concurrency + u)/Rate, or as soon as its previous one ends if that
	// is later, and latency counts from the intended time.
	Rate float64 `yaml:"rate"`
	// Stages of a ramp: the rate moves linearly from the previous stage's
	// rate (0 at first) to each stage's rate over its duration.
	Stages []Stage `yaml:"stages"`
	// Burst sends Size requests at once, every Every.
	Burst *Burst `yaml:"burst"`
	// Concurrency is the number of closed-loop users, each sending its next
	// request when the last one ends, after ThinkTime.
	Concurrency int                    `yaml:"concurrency"`
	ThinkTime   *mockprovider.DistSpec `yaml:"think_time"`
	// Duration (measured, after Warmup) or Requests (measured) end a run.
	Duration time.Duration `yaml:"duration"`
	Requests int64         `yaml:"requests"`
	// Warmup runs the load first without recording it.
	Warmup time.Duration `yaml:"warmup"`
	// Timeout bounds each request.
	Timeout time.Duration `yaml:"timeout"`
	// MaxInFlight caps requests in progress in an open loop; a request due
	// while the cap is reached is not sent and counted as dropped.
	MaxInFlight int `yaml:"max_in_flight"`
	// Prompt shapes the requests.
	Prompt PromptShape `yaml:"prompt"`
}

// Stage is one segment of a ramp.
type Stage struct {
	Duration time.Duration `yaml:"duration"`
	Rate     float64       `yaml:"rate"`
}

// Burst is a burst arrival.
type Burst struct {
	Size  int           `yaml:"size"`
	Every time.Duration `yaml:"every"`
}

// PromptShape draws each request's prompt.
type PromptShape struct {
	// Tokens is the length of the new user message, in tokens.
	Tokens *mockprovider.DistSpec `yaml:"tokens"`
	// Turns is how many earlier messages a request carries when there is
	// no messages stage (which keeps real histories instead).
	Turns *mockprovider.DistSpec `yaml:"turns"`
	// Multimodal is the share of requests that carry an image.
	Multimodal float64 `yaml:"multimodal"`
}

// SLO is a per-request service level objective, as vLLM's --goodput takes
// it: a request is good when it succeeded and met every limit set here.
type SLO struct {
	// TTFT bounds the time to first token (from the intended send time).
	TTFT time.Duration `yaml:"ttft"`
	// ITL bounds every gap between two tokens of the request.
	ITL time.Duration `yaml:"itl"`
	// TPOT bounds the request's mean time per output token after the first.
	TPOT time.Duration `yaml:"tpot"`
	// E2E bounds the end-to-end latency (from the intended send time).
	E2E time.Duration `yaml:"e2e"`
}

// Pipeline is what every request goes through, in this order: message
// history, response cache, worker-pool bound, provider call (through
// fan-out, or streamed through a channel pool), output validation.
type Pipeline struct {
	// Provider is the provider called, unless Fanout names several.
	Provider   string           `yaml:"provider"`
	Messages   *MessagesStage   `yaml:"messages"`
	Cache      *CacheStage      `yaml:"cache"`
	Fanout     *FanoutStage     `yaml:"fanout"`
	Stream     *StreamStage     `yaml:"stream"`
	Validate   *ValidateStage   `yaml:"validate"`
	WorkerPool *WorkerPoolStage `yaml:"workerpool"`
}

// MessagesStage keeps a conversation history per conversation: each
// request adds its user turn, sends the model view, and adds the answer.
type MessagesStage struct {
	Impl            string `yaml:"impl"`
	messages.Config `yaml:",inline"`
	// Conversations is how many histories requests are spread over (round
	// robin); requests of one conversation contend for its history.
	Conversations int `yaml:"conversations"`
	// ModelTokens is the model's context, for GetMessagesForModel.
	ModelTokens int `yaml:"model_tokens"`
}

// CacheStage puts a response cache in front of the provider. Requests ask
// one of Keys questions, Zipf-skewed by Skew (0: uniform).
type CacheStage struct {
	Impl         string `yaml:"impl"`
	cache.Config `yaml:",inline"`
	Keys         int     `yaml:"keys"`
	Skew         float64 `yaml:"skew"`
}

// FanoutStage sends each request to several providers.
type FanoutStage struct {
	Impl          string   `yaml:"impl"`
	Providers     []string `yaml:"providers"`
	fanout.Config `yaml:",inline"`
}

// StreamStage streams answers through a channel pool, each token sent
// with Sender and bounded by SendTimeout.
type StreamStage struct {
	Impl        string        `yaml:"impl"`
	Sender      string        `yaml:"sender"`
	SendTimeout time.Duration `yaml:"send_timeout"`
}

// ValidateStage checks each answer, wrapped as {"answer": text, "tokens":
// n}, against a schema: small (two fields) or large (patterns and formats).
type ValidateStage struct {
	Impl   string `yaml:"impl"`
	Regex  string `yaml:"regex"`
	Pool   string `yaml:"pool"`
	Schema string `yaml:"schema"`
}

// WorkerPoolStage bounds provider calls (streams included) with an
// executor, each call bounded by Timeout (0: only the request's timeout).
// As a variant, "fixed:16" also sets the limit, so that one run compares
// pool sizes.
type WorkerPoolStage struct {
	Impl    string        `yaml:"impl"`
	Limit   int           `yaml:"limit"`
	Timeout time.Duration `yaml:"timeout"`
}

// Variants is the variant matrix (family → names, run as the cartesian
// product) or an explicit list of combinations.
type Variants struct {
	Matrix map[string][]string
	// Order is the matrix's families in the order written.
	Order []string
	List  []map[string]string
	Line  int
}

// Threshold is a pass/fail criterion, such as "ttft.p99 < 800ms", applied
// to every variant or to those matching Variant.
type Threshold struct {
	Expr    string
	Variant map[string]string
	Line    int
}
