package fanout

import (
	"context"

	"github.com/llmbench/llmbench/core/domain"
)

type fixedMulti struct {
	providers []domain.Provider
	cfg       Config
}

func newFixed(p []domain.Provider, cfg Config) *fixedMulti {
	if len(cfg.Weights) == 0 {
		cfg.Weights = make([]float64, len(p))
		for i := range cfg.Weights {
			cfg.Weights[i] = 1
		}
	}
	return &fixedMulti{providers: p, cfg: cfg}
}

// fanOut calls every provider under a context it cancels on return, and
// feeds each result to decide until decide says it is done. Every goroutine
// sends into a buffered channel, so none outlives its provider call, and
// cancelled calls end as soon as their providers honour the context.
func (m *fixedMulti) fanOut(ctx context.Context, c call, decide func(result) bool) ([]result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan result, len(m.providers))
	for i, p := range m.providers {
		go func() {
			v, text, err := c(ctx, p)
			ch <- result{idx: i, val: v, text: text, err: err}
		}()
	}
	all := make([]result, 0, len(m.providers))
	for range m.providers {
		select {
		case r := <-ch:
			all = append(all, r)
			if decide(r) {
				return all, nil
			}
		case <-ctx.Done():
			return all, ctx.Err()
		}
	}
	return all, nil
}

func (m *fixedMulti) run(ctx context.Context, c call) (any, error) {
	switch m.cfg.Strategy {
	case Primary:
		return primaryWithFallback(ctx, m.providers, m.cfg.Primary, c)
	case Consensus:
		return m.consensus(ctx, c)
	default:
		var winner *result
		all, err := m.fanOut(ctx, c, func(r result) bool {
			if r.err == nil {
				winner = &r
				return true
			}
			return false
		})
		if winner != nil {
			return winner.val, nil
		}
		if err != nil {
			return nil, err
		}
		return nil, joinErrs(all)
	}
}

func (m *fixedMulti) consensus(ctx context.Context, c call) (any, error) {
	n := len(m.providers)
	counts := map[string]int{}
	all, err := m.fanOut(ctx, c, func(r result) bool {
		if r.err != nil || m.cfg.Method != Majority {
			return false
		}
		k := normalize(r.text)
		counts[k]++
		return counts[k]*2 > n // a strict majority cannot be overturned
	})
	beforeConsensus()
	ok := successes(all)
	if len(ok) == 0 {
		if err != nil {
			return nil, err
		}
		return nil, joinErrs(all)
	}
	// When ctx ends first, the answers already in are decided on rather
	// than dropped (the document's fan-in drops them).
	sortByIndex(ok)
	switch m.cfg.Method {
	case Similarity:
		ones := make([]float64, n)
		for i := range ones {
			ones[i] = 1
		}
		w, _ := fixedWeighted(ok, ones, m.cfg.SimilarityThreshold)
		return w.val, nil
	case Weighted:
		w, _ := fixedWeighted(ok, m.cfg.Weights, m.cfg.SimilarityThreshold)
		return w.val, nil
	default:
		return fixedMajority(ok).val, nil
	}
}

func sortByIndex(rs []result) {
	for i := 1; i < len(rs); i++ { // insertion sort: a handful of providers
		for j := i; j > 0 && rs[j].idx < rs[j-1].idx; j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}

// fixedMajority: the most frequent answer; among equally frequent ones,
// the one given by the lowest provider index. ok is sorted by index.
func fixedMajority(ok []result) result {
	counts := map[string]int{}
	top := 0
	for _, r := range ok {
		k := normalize(r.text)
		counts[k]++
		top = max(top, counts[k])
	}
	for _, r := range ok {
		if counts[normalize(r.text)] == top {
			return r
		}
	}
	return ok[0]
}

// fixedWeighted puts each response in exactly one group, the first (in
// provider order) whose representative it resembles, and picks the heaviest
// group, ties to the lowest index. It returns the total weight counted,
// which always equals the sum of the weights of ok.
func fixedWeighted(ok []result, weights []float64, threshold float64) (result, float64) {
	type group struct {
		rep    result
		words  map[string]struct{}
		weight float64
	}
	var groups []*group
	total := 0.0
	for _, r := range ok {
		words := wordSet(r.text)
		var home *group
		for _, g := range groups {
			if jaccard(words, g.words) >= threshold {
				home = g
				break
			}
		}
		if home == nil {
			home = &group{rep: r, words: words}
			groups = append(groups, home)
		}
		home.weight += weights[r.idx]
		total += weights[r.idx]
	}
	best := groups[0]
	for _, g := range groups[1:] {
		if g.weight > best.weight {
			best = g
		}
	}
	return best.rep, total
}

func (m *fixedMulti) Generate(ctx context.Context, prompt string, opts ...domain.Option) (string, error) {
	v, err := m.run(ctx, generateCall(prompt, opts))
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

func (m *fixedMulti) GenerateMessage(ctx context.Context, msgs []domain.Message, opts ...domain.Option) (domain.Response, error) {
	v, err := m.run(ctx, messageCall(msgs, opts))
	if err != nil {
		return domain.Response{}, err
	}
	return v.(domain.Response), nil
}

func (m *fixedMulti) GenerateWithSchema(ctx context.Context, prompt string, schema *domain.Schema, opts ...domain.Option) (any, error) {
	return m.run(ctx, schemaCall(prompt, schema, opts))
}

func (m *fixedMulti) Stream(ctx context.Context, prompt string, opts ...domain.Option) (domain.ResponseStream, error) {
	return streamPrimary(ctx, m.providers, m.cfg.Primary, func(p domain.Provider) (domain.ResponseStream, error) {
		return p.Stream(ctx, prompt, opts...)
	})
}

func (m *fixedMulti) StreamMessage(ctx context.Context, msgs []domain.Message, opts ...domain.Option) (domain.ResponseStream, error) {
	return streamPrimary(ctx, m.providers, m.cfg.Primary, func(p domain.Provider) (domain.ResponseStream, error) {
		return p.StreamMessage(ctx, msgs, opts...)
	})
}

func successes(res []result) []result {
	var ok []result
	for _, r := range res {
		if r.err == nil {
			ok = append(ok, r)
		}
	}
	return ok
}

// primaryWithFallback tries the primary, then the others in ring order,
// and keeps every error.
func primaryWithFallback(ctx context.Context, providers []domain.Provider, primary int, c call) (any, error) {
	var res []result
	for i := range providers {
		idx := (primary + i) % len(providers)
		v, _, err := c(ctx, providers[idx])
		if err == nil {
			return v, nil
		}
		res = append(res, result{idx: idx, err: err})
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	return nil, joinErrs(res)
}
