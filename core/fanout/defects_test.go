package fanout

import (
	"context"
	"fmt"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmbench/llmbench/core/domain"
)

func TestSeedDefectFanoutFastestWaitsForAll(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v string) {
		synctest.Test(t, func(t *testing.T) {
			release := make(chan struct{})
			slowSawCancel := make(chan bool, 1)
			slow := fake(func(ctx context.Context) (string, error) {
				select {
				case <-ctx.Done():
					slowSawCancel <- true
					return "", ctx.Err()
				case <-release:
					slowSawCancel <- false
					return "slow", nil
				}
			})
			m := mustNew(t, v, providers(answer("fast"), slow), Config{Strategy: Fastest})
			got := make(chan string, 1)
			go func() {
				s, _ := m.Generate(context.Background(), "q")
				got <- s
			}()
			synctest.Wait() // everything that can happen without the slow provider has
			select {
			case s := <-got:
				assert.NotEqual(t, "seed", v, "the seed must still be waiting for the slow provider")
				assert.Equal(t, "fast", s)
				synctest.Wait()
				assert.True(t, <-slowSawCancel, "the losing call is cancelled")
			default:
				assert.Equal(t, "seed", v, "the corrected variant must answer with the fast provider alone")
				close(release)
				assert.Equal(t, "fast", <-got)
				assert.False(t, <-slowSawCancel, "the seed never cancels the slow call")
			}
		})
	})
}

func TestSeedDefectFanoutContextErrorBeatsSuccess(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v string) {
		// One provider's own client timeout, one good answer.
		m := mustNew(t, v, providers(failing(context.DeadlineExceeded), answer("fine")), Config{Strategy: Fastest})
		got, err := m.Generate(context.Background(), "q")
		if v == "seed" {
			assert.ErrorIs(t, err, context.DeadlineExceeded)
		} else {
			require.NoError(t, err)
			assert.Equal(t, "fine", got)
		}
	})
}

func TestSeedDefectFanoutTieByMapOrder(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v string) {
		m := mustNew(t, v, providers(answer("alpha"), answer("beta")), Config{Strategy: Consensus, Method: Majority})
		seen := map[string]int{}
		for range 200 {
			got, err := m.Generate(context.Background(), "q")
			require.NoError(t, err)
			seen[got]++
		}
		t.Logf("winners of a 1-1 tie over 200 calls: %v", seen)
		if v == "seed" {
			assert.Len(t, seen, 2, "the same inputs give different answers")
		} else {
			assert.Equal(t, map[string]int{"alpha": 200}, seen)
		}
	})
}

func TestSeedDefectFanoutGlobalThreshold(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v string) {
		seedGroups = map[string]int{}
		answers := providers(answer("red green blue"), answer("red green yellow"), answer("orange"), answer("purple"))
		strict := mustNew(t, v, answers, Config{Strategy: Consensus, Method: Weighted, SimilarityThreshold: 0.9,
			Weights: []float64{1, 1, 1.5, 0}})
		before, err := strict.Generate(context.Background(), "q")
		require.NoError(t, err)
		// Building another provider with a loose threshold...
		_ = mustNew(t, v, answers, Config{Strategy: Consensus, SimilarityThreshold: 0.4})
		after, err := strict.Generate(context.Background(), "q")
		require.NoError(t, err)
		if v == "seed" {
			assert.Equal(t, "orange", before)
			assert.NotEqual(t, before, after, "...changed the answers of the first one")
		} else {
			assert.Equal(t, before, after)
		}
	})
}

func TestSeedDefectFanoutGroupCacheGrows(t *testing.T) {
	seedGroups = map[string]int{}
	m := mustNew(t, "seed", providers(answer("x")), Config{Strategy: Consensus, Method: Similarity})
	var n int
	cfg := Config{Strategy: Consensus, Method: Similarity}
	for i := range 500 {
		p := mustNew(t, "seed", providers(answer(fmt.Sprint("answer ", i))), cfg)
		_, err := p.Generate(context.Background(), "q")
		require.NoError(t, err)
	}
	_, _ = m.Generate(context.Background(), "q")
	seedGroupsMu.Lock()
	n = len(seedGroups)
	seedGroupsMu.Unlock()
	t.Logf("process-wide groups after 500 distinct answers: %d", n)
	assert.GreaterOrEqual(t, n, 500, "every answer ever seen is kept")
}

func TestSeedDefectFanoutWeightedDoubleCounts(t *testing.T) {
	// r2 resembles both r1 and r3, which do not resemble each other.
	ok := []result{
		{idx: 0, text: "alpha beta gamma"},
		{idx: 1, text: "alpha beta gamma delta epsilon zeta"},
		{idx: 2, text: "delta epsilon zeta eta"},
		{idx: 3, text: "omega psi chi"},
	}
	weights := []float64{1, 1, 1, 2.5}
	sum := 5.5
	seedThreshold = 0.4
	defer func() { seedThreshold = DefaultSimilarityThreshold }()
	seedWinner, seedTotal := seedWeighted(ok, weights)
	fixedWinner, fixedTotal := fixedWeighted(ok, weights, 0.4)
	t.Logf("weight counted: seed %.1f, fixed %.1f, sum of weights %.1f", seedTotal, fixedTotal, sum)
	assert.Greater(t, seedTotal, sum, "the seed counts weights more than once")
	assert.Equal(t, sum, fixedTotal)
	assert.Equal(t, 1, seedWinner.idx, "the doubly counted middle answer wins")
	assert.Equal(t, 3, fixedWinner.idx, "counted once, the heaviest single answer wins")
}

var _ domain.Provider = fake(nil)
