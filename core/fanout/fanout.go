// Package fanout is Go-LLMs' MultiProvider: one request sent to several
// providers, answered by the fastest, by a primary with fallback, or by a
// consensus (majority, similarity, weighted).
//
// Variants (Registry):
//   - seed:  the original's code (see seed.go): every call gets a 30 s
//     timeout; "fastest" waits for every provider, cancels none and sorts
//     by elapsed time; primary tries the others in index order and loses
//     their errors; the consensus settings go through a process-wide
//     variable written on every call; majority ties go by map order; the
//     similarity consensus keeps a process-wide group cache, keyed by the
//     first 64 characters and length, whose group numbers leak from one
//     call into the next; weighted consensus ignores the configured
//     threshold; consensus over GenerateMessage always fails; a failed or
//     over-long stream ends in an error-text token or a silent cut.
//   - fixed: the first success wins and the other calls are cancelled;
//     errors are wrapped and kept; ties go to the lowest provider index; no
//     package state; each response counts once, in one group; majority
//     returns as soon as a strict majority agrees; when the context ends,
//     the answers already in are decided on.
//
// NewDocumentConsensus is the design document's fan-out/fan-in, as written:
// it drops the answers collected when the context ends and returns no error
// when every provider fails. It is not in Registry (benchmarks and
// scenarios iterate Registry); the defect tests include it.
//
// The corrected variant does not race or vote on streams: Stream and
// StreamMessage use the primary with fallback in every strategy, since
// racing streams wastes the losers' tokens and a vote over partial tokens
// means nothing.
package fanout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/llmbench/llmbench/core/domain"
	"github.com/llmbench/llmbench/core/registry"
)

// Strategy chooses how the providers' answers become one.
type Strategy string

// Strategies.
const (
	Fastest   Strategy = "fastest"
	Primary   Strategy = "primary"
	Consensus Strategy = "consensus"
)

// Method is the consensus method.
type Method string

// Consensus methods.
const (
	Majority   Method = "majority"
	Similarity Method = "similarity"
	Weighted   Method = "weighted"
)

// DefaultSimilarityThreshold is the word-set Jaccard index above which two
// answers count as the same.
const DefaultSimilarityThreshold = 0.7

// Config configures a MultiProvider.
type Config struct {
	Strategy            Strategy  `yaml:"strategy" json:"strategy"`
	Primary             int       `yaml:"primary" json:"primary"`
	Method              Method    `yaml:"method" json:"method"`
	SimilarityThreshold float64   `yaml:"similarity_threshold" json:"similarity_threshold"`
	Weights             []float64 `yaml:"weights" json:"weights"`
}

// Validate reports a configuration that cannot work with n providers.
func (c Config) Validate(n int) error {
	if n == 0 {
		return errors.New("fanout: no providers")
	}
	switch c.Strategy {
	case "", Fastest, Primary, Consensus:
	default:
		return fmt.Errorf("fanout: unknown strategy %q (known: fastest, primary, consensus)", c.Strategy)
	}
	switch c.Method {
	case "", Majority, Similarity, Weighted:
	default:
		return fmt.Errorf("fanout: unknown consensus method %q (known: majority, similarity, weighted)", c.Method)
	}
	if c.Primary < 0 || c.Primary >= n {
		return fmt.Errorf("fanout: primary index %d out of range for %d providers", c.Primary, n)
	}
	if c.SimilarityThreshold < 0 || c.SimilarityThreshold > 1 {
		return fmt.Errorf("fanout: similarity_threshold %g not in [0, 1]", c.SimilarityThreshold)
	}
	if len(c.Weights) != 0 && len(c.Weights) != n {
		return fmt.Errorf("fanout: %d weights for %d providers", len(c.Weights), n)
	}
	for i, w := range c.Weights {
		if w < 0 {
			return fmt.Errorf("fanout: weight %d is negative (%g)", i, w)
		}
	}
	return nil
}

func (c Config) withDefaults(n int) Config {
	if c.Strategy == "" {
		c.Strategy = Fastest
	}
	if c.Method == "" {
		c.Method = Majority
	}
	if c.SimilarityThreshold == 0 {
		c.SimilarityThreshold = DefaultSimilarityThreshold
	}
	return c
}

// Registry holds the variants by name.
var Registry = registry.New[func([]domain.Provider, Config) domain.Provider]("fanout")

func init() {
	Registry.Register("seed", "Go-LLMs MultiProvider: waits for all, globals, map-order ties", func(p []domain.Provider, c Config) domain.Provider { return newSeed(p, c) })
	Registry.Register("fixed", "first success wins and cancels the rest; deterministic, no globals", func(p []domain.Provider, c Config) domain.Provider { return newFixed(p, c) })
}

// New builds the named variant over providers.
func New(variant string, providers []domain.Provider, cfg Config) (domain.Provider, error) {
	if err := cfg.Validate(len(providers)); err != nil {
		return nil, err
	}
	ctor, err := Registry.Get(variant)
	if err != nil {
		return nil, err
	}
	return ctor(providers, cfg.withDefaults(len(providers))), nil
}

// ErrNoConsensus: no answer could be chosen.
var ErrNoConsensus = errors.New("fanout: no successful responses")

// call is one provider request; text is what consensus compares.
type call func(ctx context.Context, p domain.Provider) (val any, text string, err error)

// result is one provider's answer.
type result struct {
	idx  int
	val  any
	text string
	err  error
}

func generateCall(prompt string, opts []domain.Option) call {
	return func(ctx context.Context, p domain.Provider) (any, string, error) {
		s, err := p.Generate(ctx, prompt, opts...)
		return s, s, err
	}
}

func messageCall(msgs []domain.Message, opts []domain.Option) call {
	return func(ctx context.Context, p domain.Provider) (any, string, error) {
		r, err := p.GenerateMessage(ctx, msgs, opts...)
		return r, r.Content, err
	}
}

func schemaCall(prompt string, schema *domain.Schema, opts []domain.Option) call {
	return func(ctx context.Context, p domain.Provider) (any, string, error) {
		v, err := p.GenerateWithSchema(ctx, prompt, schema, opts...)
		if err != nil {
			return nil, "", err
		}
		b, err := json.Marshal(v)
		return v, string(b), err
	}
}

// streamPrimary opens a stream on the primary, falling back in order.
func streamPrimary(ctx context.Context, providers []domain.Provider, primary int, open func(domain.Provider) (domain.ResponseStream, error)) (domain.ResponseStream, error) {
	var errs []error
	for i := range providers {
		p := providers[(primary+i)%len(providers)]
		s, err := open(p)
		if err == nil {
			return s, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// normalize is what majority voting compares: case and surrounding space
// do not make answers different.
func normalize(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// wordSet is the set of lower-cased words of s.
func wordSet(s string) map[string]struct{} {
	set := map[string]struct{}{}
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		set[w] = struct{}{}
	}
	return set
}

// jaccard is |a ∩ b| / |a ∪ b|; two empty sets are identical.
func jaccard(a, b map[string]struct{}) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 1
	}
	inter := 0
	for w := range a {
		if _, ok := b[w]; ok {
			inter++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

func joinErrs(res []result) error {
	var errs []error
	for _, r := range res {
		if r.err != nil {
			errs = append(errs, fmt.Errorf("provider %d: %w", r.idx, r.err))
		}
	}
	if len(errs) == 0 {
		return ErrNoConsensus
	}
	return errors.Join(errs...)
}
