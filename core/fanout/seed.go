package fanout

import (
	"context"
	"sync"

	"github.com/llmbench/llmbench/core/domain"
)

// The original keeps consensus settings and a group cache at package level.
var (
	// seedThreshold is written by every constructor without synchronisation:
	// the last MultiProvider built sets it for all.
	seedThreshold = DefaultSimilarityThreshold
	// seedGroups maps every answer ever seen to a group id; it is never pruned.
	seedGroupsMu sync.Mutex
	seedGroups   = map[string]int{}
)

type seedMulti struct {
	providers []domain.Provider
	cfg       Config
}

func newSeed(p []domain.Provider, cfg Config) *seedMulti {
	seedThreshold = cfg.SimilarityThreshold
	return &seedMulti{providers: p, cfg: cfg}
}

// fanOut calls every provider with the caller's context and waits for all
// of them: nothing is cancelled, and a hung provider hangs the call.
func (m *seedMulti) fanOut(ctx context.Context, c call) []result {
	ch := make(chan result, len(m.providers))
	for i, p := range m.providers {
		go func() {
			v, text, err := c(ctx, p)
			ch <- result{idx: i, val: v, text: text, err: err}
		}()
	}
	out := make([]result, 0, len(m.providers))
	for range m.providers {
		out = append(out, <-ch)
	}
	return out
}

func (m *seedMulti) run(ctx context.Context, c call) (any, error) {
	switch m.cfg.Strategy {
	case Primary:
		return primaryWithFallback(ctx, m.providers, m.cfg.Primary, c)
	case Consensus:
		res := m.fanOut(ctx, c)
		ok := successes(res)
		if len(ok) == 0 {
			return nil, joinErrs(res)
		}
		switch m.cfg.Method {
		case Similarity:
			return seedSimilarity(ok).val, nil
		case Weighted:
			w, _ := seedWeighted(ok, m.cfg.Weights)
			return w.val, nil
		default:
			return seedMajority(ok).val, nil
		}
	default: // Fastest, in name only
		res := m.fanOut(ctx, c)
		var ctxErr error
		var first *result
		for i := range res { // in arrival order
			r := &res[i]
			if r.err != nil {
				if isContextErr(r.err) {
					ctxErr = r.err
				}
				continue
			}
			if first == nil {
				first = r
			}
		}
		// Defect: one provider's context error beats every success.
		if ctxErr != nil {
			return nil, ctxErr
		}
		if first == nil {
			return nil, joinErrs(res)
		}
		return first.val, nil
	}
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

// seedMajority counts identical answers in a map and takes the first
// maximum the map's iteration yields: ties go to a random answer.
func seedMajority(ok []result) result {
	counts := map[string]int{}
	first := map[string]result{}
	for _, r := range ok {
		k := normalize(r.text)
		counts[k]++
		if _, seen := first[k]; !seen {
			first[k] = r
		}
	}
	best, bestN := "", -1
	for k, n := range counts {
		if n > bestN {
			best, bestN = k, n
		}
	}
	return first[best]
}

// seedGroupOf assigns an answer to a group through the global cache,
// comparing with the global threshold.
func seedGroupOf(text string, reps map[int]map[string]struct{}) int {
	seedGroupsMu.Lock()
	defer seedGroupsMu.Unlock()
	if g, ok := seedGroups[text]; ok {
		return g
	}
	words := wordSet(text)
	for g, rep := range reps {
		if jaccard(words, rep) >= seedThreshold {
			seedGroups[text] = g
			return g
		}
	}
	g := len(seedGroups) + 1
	seedGroups[text] = g
	return g
}

func seedSimilarity(ok []result) result {
	reps := map[int]map[string]struct{}{}
	counts := map[int]int{}
	first := map[int]result{}
	for _, r := range ok {
		g := seedGroupOf(r.text, reps)
		if _, seen := reps[g]; !seen {
			reps[g] = wordSet(r.text)
			first[g] = r
		}
		counts[g]++
	}
	best, bestN := 0, -1
	for g, n := range counts {
		if n > bestN {
			best, bestN = g, n
		}
	}
	return first[best]
}

// seedWeighted makes every distinct answer a group and adds each response's
// weight to every group it resembles: a response similar to two groups is
// counted in both. It also returns the total weight it counted.
func seedWeighted(ok []result, weights []float64) (result, float64) {
	type group struct {
		rep    result
		words  map[string]struct{}
		weight float64
	}
	groups := map[string]*group{}
	for _, r := range ok {
		k := normalize(r.text)
		if _, seen := groups[k]; !seen {
			groups[k] = &group{rep: r, words: wordSet(r.text)}
		}
	}
	total := 0.0
	for _, r := range ok {
		words := wordSet(r.text)
		for _, g := range groups {
			if jaccard(words, g.words) >= seedThreshold {
				g.weight += weights[r.idx]
				total += weights[r.idx]
			}
		}
	}
	var best *group
	for _, g := range groups {
		if best == nil || g.weight > best.weight {
			best = g
		}
	}
	return best.rep, total
}

// primaryWithFallback tries the primary, then the others in order. Both
// variants share it: the original's sequential fallback is sound.
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

func (m *seedMulti) Generate(ctx context.Context, prompt string, opts ...domain.Option) (string, error) {
	v, err := m.run(ctx, generateCall(prompt, opts))
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

func (m *seedMulti) GenerateMessage(ctx context.Context, msgs []domain.Message, opts ...domain.Option) (domain.Response, error) {
	v, err := m.run(ctx, messageCall(msgs, opts))
	if err != nil {
		return domain.Response{}, err
	}
	return v.(domain.Response), nil
}

func (m *seedMulti) GenerateWithSchema(ctx context.Context, prompt string, schema *domain.Schema, opts ...domain.Option) (any, error) {
	return m.run(ctx, schemaCall(prompt, schema, opts))
}

func (m *seedMulti) Stream(ctx context.Context, prompt string, opts ...domain.Option) (domain.ResponseStream, error) {
	return streamPrimary(ctx, m.providers, m.cfg.Primary, func(p domain.Provider) (domain.ResponseStream, error) {
		return p.Stream(ctx, prompt, opts...)
	})
}

func (m *seedMulti) StreamMessage(ctx context.Context, msgs []domain.Message, opts ...domain.Option) (domain.ResponseStream, error) {
	return streamPrimary(ctx, m.providers, m.cfg.Primary, func(p domain.Provider) (domain.ResponseStream, error) {
		return p.StreamMessage(ctx, msgs, opts...)
	})
}
