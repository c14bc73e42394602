package fanout

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/llmbench/llmbench/core/domain"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fake is a Provider whose Generate is a function; the other methods are
// built on it.
type fake func(ctx context.Context) (string, error)

func (f fake) Generate(ctx context.Context, _ string, _ ...domain.Option) (string, error) {
	return f(ctx)
}

func (f fake) GenerateMessage(ctx context.Context, _ []domain.Message, _ ...domain.Option) (domain.Response, error) {
	s, err := f(ctx)
	return domain.Response{Content: s}, err
}

func (f fake) GenerateWithSchema(ctx context.Context, _ string, _ *domain.Schema, _ ...domain.Option) (any, error) {
	s, err := f(ctx)
	if err != nil {
		return nil, err
	}
	return map[string]any{"answer": s}, nil
}

func (f fake) Stream(ctx context.Context, _ string, _ ...domain.Option) (domain.ResponseStream, error) {
	s, err := f(ctx)
	if err != nil {
		return nil, err
	}
	ch := make(chan domain.Token, 1)
	ch <- domain.Token{Text: s, Finished: true}
	close(ch)
	return ch, nil
}

func (f fake) StreamMessage(ctx context.Context, _ []domain.Message, _ ...domain.Option) (domain.ResponseStream, error) {
	return f.Stream(ctx, "")
}

func answer(s string) fake { return func(context.Context) (string, error) { return s, nil } }

func failing(err error) fake { return func(context.Context) (string, error) { return "", err } }

var errBoom = errors.New("boom")

func providers(ps ...fake) []domain.Provider {
	out := make([]domain.Provider, len(ps))
	for i, p := range ps {
		out[i] = p
	}
	return out
}

func forEachVariant(t *testing.T, fn func(t *testing.T, variant string)) {
	for _, v := range Registry.Names() {
		t.Run("impl="+v, func(t *testing.T) { fn(t, v) })
	}
}

// withDocument is every registered variant and the document's fan-in.
func withDocument(t *testing.T, fn func(t *testing.T, variant string)) {
	for _, v := range append(Registry.Names(), "document") {
		t.Run("impl="+v, func(t *testing.T) { fn(t, v) })
	}
}

// build makes a variant, the document's fan-in included (which ignores cfg:
// it only knows one consensus).
func build(t *testing.T, variant string, ps []domain.Provider, cfg Config) domain.Provider {
	t.Helper()
	if variant == "document" {
		return NewDocumentConsensus(ps)
	}
	return mustNew(t, variant, ps, cfg)
}

// resetSeedGlobals empties the seed's process-wide consensus state, so that
// a test starts from what a fresh process has.
func resetSeedGlobals() {
	seedGlobalConsensusConfig.Store(nil)
	c := seedGlobalGroupCache
	c.mu.Lock()
	c.groups, c.groupRepresentatives, c.similarityThreshold = make(map[string]int, 64), nil, 0
	c.mu.Unlock()
	sc := seedGlobalSimilarityCache
	sc.mu.Lock()
	clear(sc.cache)
	sc.mu.Unlock()
}

// after answers s after d (of the bubble's fake time, in synctest), so that
// tests can fix the order in which answers arrive.
func after(d time.Duration, s string) fake {
	return func(ctx context.Context) (string, error) {
		select {
		case <-time.After(d):
			return s, nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

func mustNew(t *testing.T, variant string, ps []domain.Provider, cfg Config) domain.Provider {
	t.Helper()
	m, err := New(variant, ps, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
