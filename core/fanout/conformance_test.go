package fanout

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmbench/llmbench/core/domain"
	"github.com/llmbench/llmbench/core/internal/testkit"
)

func TestConfigValidate(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		n    int
		want string
	}{
		{Config{}, 0, "no providers"},
		{Config{Strategy: "loudest"}, 2, `unknown strategy "loudest"`},
		{Config{Method: "vibes"}, 2, `unknown consensus method "vibes"`},
		{Config{Primary: 2}, 2, "primary index 2 out of range"},
		{Config{SimilarityThreshold: 1.5}, 2, "not in [0, 1]"},
		{Config{Weights: []float64{1}}, 2, "1 weights for 2 providers"},
		{Config{Weights: []float64{1, -1}}, 2, "weight 1 is negative"},
	} {
		assert.ErrorContains(t, c.cfg.Validate(c.n), c.want)
	}
	assert.NoError(t, Config{Strategy: Consensus, Method: Weighted, Weights: []float64{1, 2}}.Validate(2))
	_, err := New("nope", providers(answer("a")), Config{})
	assert.ErrorContains(t, err, `unknown fanout variant "nope"`)
}

func TestJaccard(t *testing.T) {
	assert.Equal(t, 1.0, jaccard(wordSet("The cat, sat."), wordSet("the CAT sat")))
	assert.InDelta(t, 0.5, jaccard(wordSet("a b"), wordSet("a b c d")), 1e-9)
	assert.Equal(t, 1.0, jaccard(wordSet(""), wordSet("...")))
}

func TestConformance(t *testing.T) {
	ctx := context.Background()
	forEachVariant(t, func(t *testing.T, v string) {
		t.Run("fastest skips failures", func(t *testing.T) {
			m := mustNew(t, v, providers(failing(errBoom), answer("ok")), Config{Strategy: Fastest})
			got, err := m.Generate(ctx, "q")
			require.NoError(t, err)
			assert.Equal(t, "ok", got)
		})
		t.Run("all fail", func(t *testing.T) {
			m := mustNew(t, v, providers(failing(errBoom), failing(errBoom)), Config{})
			_, err := m.Generate(ctx, "q")
			assert.ErrorContains(t, err, "boom") // wrapped or not: TestSeedDefectFanoutAllFailedLosesErrors
		})
		t.Run("primary with fallback", func(t *testing.T) {
			// The seed falls back in index order, the corrected variant
			// from the primary on: both are fine, and differ.
			want := map[string]struct {
				answer string
				calls  []int32
			}{"seed": {"zero", []int32{1, 1, 0}}, "fixed": {"two", []int32{0, 1, 1}}}
			var calls [3]atomic.Int32
			ps := []domain.Provider{
				fake(func(context.Context) (string, error) { calls[0].Add(1); return "zero", nil }),
				fake(func(context.Context) (string, error) { calls[1].Add(1); return "", errBoom }),
				fake(func(context.Context) (string, error) { calls[2].Add(1); return "two", nil }),
			}
			m := mustNew(t, v, ps, Config{Strategy: Primary, Primary: 1})
			got, err := m.Generate(ctx, "q")
			require.NoError(t, err)
			w := testkit.Want(t, v, want)
			assert.Equal(t, w.answer, got)
			assert.Equal(t, w.calls, []int32{calls[0].Load(), calls[1].Load(), calls[2].Load()})
		})
		t.Run("majority", func(t *testing.T) {
			m := mustNew(t, v, providers(answer("B"), answer("a"), answer("a"), failing(errBoom)), Config{Strategy: Consensus})
			got, err := m.Generate(ctx, "q")
			require.NoError(t, err)
			assert.Equal(t, "a", got)
		})
		t.Run("similarity", func(t *testing.T) {
			resetSeedGlobals() // the seed's answers depend on earlier calls: a defect test of its own
			m := mustNew(t, v, providers(answer("a dog barked"), answer("the cat sat on the mat"), answer("The cat sat on the mat")),
				Config{Strategy: Consensus, Method: Similarity, SimilarityThreshold: 0.8})
			got, err := m.Generate(ctx, "q")
			require.NoError(t, err)
			assert.Contains(t, got, "cat sat")
		})
		t.Run("weighted", func(t *testing.T) {
			m := mustNew(t, v, providers(answer("yes"), answer("yes"), answer("no")),
				Config{Strategy: Consensus, Method: Weighted, Weights: []float64{1, 1, 3}})
			got, err := m.Generate(ctx, "q")
			require.NoError(t, err)
			assert.Equal(t, "no", got)
		})
		t.Run("message, schema and stream calls", func(t *testing.T) {
			m := mustNew(t, v, providers(failing(errBoom), answer("hi")), Config{Strategy: Fastest})
			r, err := m.GenerateMessage(ctx, []domain.Message{domain.NewTextMessage(domain.RoleUser, "q")})
			require.NoError(t, err)
			assert.Equal(t, "hi", r.Content)
			s, err := m.GenerateWithSchema(ctx, "q", &domain.Schema{Type: "object"})
			require.NoError(t, err)
			assert.Equal(t, map[string]any{"answer": "hi"}, s)
			stream, err := m.Stream(ctx, "q")
			require.NoError(t, err)
			assert.Equal(t, "hi", (<-stream).Text)
			stream, err = m.StreamMessage(ctx, nil)
			require.NoError(t, err)
			assert.Equal(t, "hi", (<-stream).Text)
		})
		t.Run("cancelled caller", func(t *testing.T) {
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			wait := fake(func(c context.Context) (string, error) { <-c.Done(); return "", c.Err() })
			m := mustNew(t, v, providers(wait, wait), Config{})
			_, err := m.Generate(cctx, "q")
			assert.ErrorContains(t, err, "context canceled") // wrapped or not: TestSeedDefectFanoutAllFailedLosesErrors
		})
	})
}
