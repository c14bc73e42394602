package fanout

import (
	"context"

	"github.com/llmbench/llmbench/core/domain"
)

// documentConsensus is the design document's fan-out/fan-in
// (concurrency-patterns.md, "Fan-Out/Fan-In Pattern":
// ConsensusProvider.Complete), as written: one goroutine per provider, a
// buffered channel, and a collector that returns ctx.Err() the moment the
// context ends. Defects: the answers already collected are dropped when the
// context ends; failed providers are skipped in silence, so when every
// provider fails the caller gets an empty answer and no error.
// findConsensus is left open by the document ("conceptual"); here it is
// the most frequent answer, the first to arrive on a tie.
type documentConsensus struct{ providers []domain.Provider }

// NewDocumentConsensus builds the document's consensus provider.
func NewDocumentConsensus(providers []domain.Provider) domain.Provider {
	return &documentConsensus{providers: providers}
}

func (p *documentConsensus) complete(ctx context.Context, c call) (any, error) {
	responseChannel := make(chan result, len(p.providers))
	for i, prov := range p.providers {
		go func() {
			v, text, err := c(ctx, prov)
			responseChannel <- result{idx: i, val: v, text: text, err: err}
		}()
	}
	var responses []result
	for range p.providers {
		select {
		case r := <-responseChannel:
			if r.err == nil {
				responses = append(responses, r)
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	beforeConsensus()
	return findConsensus(responses).val, nil
}

func findConsensus(responses []result) result {
	counts := map[string]int{}
	var best result
	top := 0
	for _, r := range responses {
		counts[r.text]++
		if counts[r.text] > top {
			best, top = r, counts[r.text]
		}
	}
	return best
}

func (p *documentConsensus) Generate(ctx context.Context, prompt string, opts ...domain.Option) (string, error) {
	v, err := p.complete(ctx, generateCall(prompt, opts))
	s, _ := v.(string)
	return s, err
}

func (p *documentConsensus) GenerateMessage(ctx context.Context, msgs []domain.Message, opts ...domain.Option) (domain.Response, error) {
	v, err := p.complete(ctx, messageCall(msgs, opts))
	r, _ := v.(domain.Response)
	return r, err
}

func (p *documentConsensus) GenerateWithSchema(ctx context.Context, prompt string, schema *domain.Schema, opts ...domain.Option) (any, error) {
	return p.complete(ctx, schemaCall(prompt, schema, opts))
}

// Stream and StreamMessage: the document has no streaming fan-out; they
// use the first provider.
func (p *documentConsensus) Stream(ctx context.Context, prompt string, opts ...domain.Option) (domain.ResponseStream, error) {
	return p.providers[0].Stream(ctx, prompt, opts...)
}

func (p *documentConsensus) StreamMessage(ctx context.Context, msgs []domain.Message, opts ...domain.Option) (domain.ResponseStream, error) {
	return p.providers[0].StreamMessage(ctx, msgs, opts...)
}
