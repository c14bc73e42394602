package domain

import "context"

// Token is one streamed piece of a response. Finished marks the last one.
type Token struct {
	Text     string
	Finished bool
}

// ResponseStream is the receive side of a token stream.
type ResponseStream <-chan Token

// Response is a complete, non-streamed answer.
type Response struct {
	Content string
}

// ProviderOptions are the generation settings an Option changes.
type ProviderOptions struct {
	Temperature      float64
	MaxTokens        int
	StopSequences    []string
	TopP             float64
	FrequencyPenalty float64
	PresencePenalty  float64
	Model            string
}

// Defaults the original library applies before any Option.
const (
	DefaultTemperature = 0.7
	DefaultMaxTokens   = 1024
)

// Option changes ProviderOptions. Options are functions, so their values can
// only be learnt by applying them; printing one shows a code pointer.
type Option func(*ProviderOptions)

// DefaultOptions returns the options every request starts from.
func DefaultOptions() ProviderOptions {
	return ProviderOptions{Temperature: DefaultTemperature, MaxTokens: DefaultMaxTokens}
}

// ApplyOptions returns the defaults with opts applied in order.
func ApplyOptions(opts ...Option) ProviderOptions {
	o := DefaultOptions()
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o
}

// WithTemperature sets the sampling temperature.
func WithTemperature(t float64) Option { return func(o *ProviderOptions) { o.Temperature = t } }

// WithMaxTokens caps the output length.
func WithMaxTokens(n int) Option { return func(o *ProviderOptions) { o.MaxTokens = n } }

// WithStopSequences sets sequences that end generation.
func WithStopSequences(s ...string) Option {
	return func(o *ProviderOptions) { o.StopSequences = append([]string(nil), s...) }
}

// WithTopP sets nucleus sampling.
func WithTopP(p float64) Option { return func(o *ProviderOptions) { o.TopP = p } }

// WithFrequencyPenalty sets the frequency penalty.
func WithFrequencyPenalty(p float64) Option {
	return func(o *ProviderOptions) { o.FrequencyPenalty = p }
}

// WithPresencePenalty sets the presence penalty.
func WithPresencePenalty(p float64) Option {
	return func(o *ProviderOptions) { o.PresencePenalty = p }
}

// WithModel selects a model.
func WithModel(m string) Option { return func(o *ProviderOptions) { o.Model = m } }

// Provider is an LLM back end, as Go-LLMs defines it.
type Provider interface {
	Generate(ctx context.Context, prompt string, opts ...Option) (string, error)
	GenerateMessage(ctx context.Context, messages []Message, opts ...Option) (Response, error)
	GenerateWithSchema(ctx context.Context, prompt string, schema *Schema, opts ...Option) (any, error)
	Stream(ctx context.Context, prompt string, opts ...Option) (ResponseStream, error)
	StreamMessage(ctx context.Context, messages []Message, opts ...Option) (ResponseStream, error)
}
