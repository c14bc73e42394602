package fanout

// Seed-faithful port of Go-LLMs v0.2.6 pkg/llm/provider/multi.go
// (MultiProvider: Generate, GenerateMessage, GenerateWithSchema, Stream,
// StreamMessage, concurrentGenerate*, forwardStream, select*Result,
// selectProviderForStreaming, applyTimeoutFromContext, sortResultsByTime),
// multi_sequential.go (sequential*ForPrimary) and consensus.go
// (selectConsensusTextResult, selectMajorityConsensus, groupCache,
// contentHash, selectSimilarityConsensus, selectWeightedConsensus,
// selectBestFromGroup, similarityCache, calculateSimilarity), statement for
// statement. Departures (README, "Departures from the original"): the
// global consensus config is an atomic pointer instead of a plain one, and
// Stream makes its channel instead of taking one from the ChannelPool.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llmbench/llmbench/core/domain"
)

// Errors of the original.
var (
	ErrNoProviders       = errors.New("no providers configured")
	ErrNoSuccessfulCalls = errors.New("no successful responses from any providers")
)

// DefaultTimeout is the timeout the original puts on every call whose
// context has no deadline (NewMultiProvider; WithTimeout changes it).
const DefaultTimeout = 30 * time.Second

type seedProviderWeight struct {
	Provider domain.Provider
	Weight   float64 // 0 when not configured: weighted consensus then votes by majority
	Name     string
}

type seedFallbackResult struct {
	provider    string
	content     string
	response    domain.Response
	structured  any
	err         error
	elapsedTime time.Duration
	weight      float64
}

type seedConsensusConfig struct {
	Strategy            Method
	SimilarityThreshold float64
}

type seedMulti struct {
	providers       []seedProviderWeight
	selectionStrat  Strategy
	defaultTimeout  time.Duration
	primaryProvider int
	consensusConfig seedConsensusConfig
}

func newSeed(ps []domain.Provider, cfg Config) *seedMulti {
	m := &seedMulti{
		selectionStrat:  cfg.Strategy,
		defaultTimeout:  DefaultTimeout,
		consensusConfig: seedConsensusConfig{Strategy: cfg.Method, SimilarityThreshold: cfg.SimilarityThreshold},
	}
	for i, p := range ps {
		w := seedProviderWeight{Provider: p}
		if i < len(cfg.Weights) {
			w.Weight = cfg.Weights[i]
		}
		m.providers = append(m.providers, w)
	}
	if cfg.Primary >= 0 && cfg.Primary < len(ps) {
		m.primaryProvider = cfg.Primary
	}
	return m
}

// seedGlobalConsensusConfig is the original's globalConsensusConfig: every
// consensus call of every MultiProvider writes its own settings here, and
// the consensus functions read them from here (defect: under concurrent
// calls, one call decides with another's settings).
var seedGlobalConsensusConfig atomic.Pointer[seedConsensusConfig]

// testHookBeforeConsensus runs in every variant once the answers are in and
// before they are decided on (for the seed: after the global config is
// written, before it is read), so that a test can run another call there.
var testHookBeforeConsensus func()

func beforeConsensus() {
	if testHookBeforeConsensus != nil {
		testHookBeforeConsensus()
	}
}

func (mp *seedMulti) Generate(ctx context.Context, prompt string, options ...domain.Option) (string, error) {
	if len(mp.providers) == 0 {
		return "", ErrNoProviders
	}
	ctx, cancel := applyTimeoutFromContext(ctx, mp.defaultTimeout)
	defer cancel()
	if mp.selectionStrat == Primary {
		return mp.sequentialGenerateForPrimary(ctx, prompt, options)
	}
	results := mp.concurrent(ctx, func(ctx context.Context, p domain.Provider, r *seedFallbackResult) {
		r.content, r.err = p.Generate(ctx, prompt, options...)
	})
	return mp.selectTextResult(results)
}

func (mp *seedMulti) GenerateMessage(ctx context.Context, messages []domain.Message, options ...domain.Option) (domain.Response, error) {
	if len(mp.providers) == 0 {
		return domain.Response{}, ErrNoProviders
	}
	ctx, cancel := applyTimeoutFromContext(ctx, mp.defaultTimeout)
	defer cancel()
	if mp.selectionStrat == Primary {
		return mp.sequentialGenerateMessageForPrimary(ctx, messages, options)
	}
	// Only response is set, never content: see selectMessageResult.
	results := mp.concurrent(ctx, func(ctx context.Context, p domain.Provider, r *seedFallbackResult) {
		r.response, r.err = p.GenerateMessage(ctx, messages, options...)
	})
	return mp.selectMessageResult(results)
}

func (mp *seedMulti) GenerateWithSchema(ctx context.Context, prompt string, schema *domain.Schema, options ...domain.Option) (any, error) {
	if len(mp.providers) == 0 {
		return nil, ErrNoProviders
	}
	ctx, cancel := applyTimeoutFromContext(ctx, mp.defaultTimeout)
	defer cancel()
	if mp.selectionStrat == Primary {
		return mp.sequentialGenerateWithSchemaForPrimary(ctx, prompt, schema, options)
	}
	results := mp.concurrent(ctx, func(ctx context.Context, p domain.Provider, r *seedFallbackResult) {
		r.structured, r.err = p.GenerateWithSchema(ctx, prompt, schema, options...)
	})
	return mp.selectStructuredResult(results)
}

func (mp *seedMulti) Stream(ctx context.Context, prompt string, options ...domain.Option) (domain.ResponseStream, error) {
	return mp.stream(ctx, func(ctx context.Context, p domain.Provider) (domain.ResponseStream, error) {
		return p.Stream(ctx, prompt, options...)
	})
}

func (mp *seedMulti) StreamMessage(ctx context.Context, messages []domain.Message, options ...domain.Option) (domain.ResponseStream, error) {
	return mp.stream(ctx, func(ctx context.Context, p domain.Provider) (domain.ResponseStream, error) {
		return p.StreamMessage(ctx, messages, options...)
	})
}

// stream is the body the original's Stream and StreamMessage share: the
// selected provider, then the others in order, forwarded by a goroutine
// under the default timeout. Defects: when every provider fails the caller
// gets no error but a token whose text is an error message; and a stream
// that lasts longer than the default timeout is cut off with no error.
func (mp *seedMulti) stream(ctx context.Context, open func(context.Context, domain.Provider) (domain.ResponseStream, error)) (domain.ResponseStream, error) {
	if len(mp.providers) == 0 {
		return nil, ErrNoProviders
	}
	ctx, cancel := applyTimeoutFromContext(ctx, mp.defaultTimeout)
	selectedProviderIdx := mp.selectProviderForStreaming()
	responseCh := make(chan domain.Token, 20) // the original: GetChannelPool().GetResponseStream()
	go func() {
		defer cancel()
		stream, err := open(ctx, mp.providers[selectedProviderIdx].Provider)
		if err == nil {
			mp.forwardStream(ctx, stream, responseCh)
			return
		}
		for i, pw := range mp.providers {
			if i == selectedProviderIdx {
				continue
			}
			select {
			case <-ctx.Done():
				close(responseCh)
				return
			default:
			}
			stream, err := open(ctx, pw.Provider)
			if err == nil {
				mp.forwardStream(ctx, stream, responseCh)
				return
			}
		}
		select {
		case <-ctx.Done():
		case responseCh <- domain.Token{Text: "[ERROR: All providers failed]", Finished: true}:
		}
		close(responseCh)
	}()
	return responseCh, nil
}

// concurrent is concurrentGenerate, concurrentGenerateMessage and
// concurrentGenerateWithSchema, which differ only in the call: one
// goroutine per provider, and the results of all of them. Defect: it waits
// for every provider and cancels none, whatever the strategy.
func (mp *seedMulti) concurrent(ctx context.Context, call func(context.Context, domain.Provider, *seedFallbackResult)) []seedFallbackResult {
	resultCh := make(chan seedFallbackResult, len(mp.providers))
	var wg sync.WaitGroup
	for i, pw := range mp.providers {
		wg.Add(1)
		go func(idx int, providerWeight seedProviderWeight) {
			defer wg.Done()
			providerName := providerWeight.Name
			if providerName == "" {
				providerName = fmt.Sprintf("provider_%d", idx)
			}
			r := seedFallbackResult{provider: providerName, weight: providerWeight.Weight}
			startTime := time.Now()
			call(ctx, providerWeight.Provider, &r)
			r.elapsedTime = time.Since(startTime)
			resultCh <- r
		}(i, pw)
	}
	go func() {
		wg.Wait()
		close(resultCh)
	}()
	var results []seedFallbackResult
	for result := range resultCh {
		results = append(results, result)
	}
	return results
}

func (mp *seedMulti) forwardStream(ctx context.Context, sourceStream domain.ResponseStream, destCh chan domain.Token) {
	for {
		select {
		case <-ctx.Done():
			close(destCh)
			return
		case token, ok := <-sourceStream:
			if !ok {
				close(destCh)
				return
			}
			select {
			case <-ctx.Done():
				close(destCh)
				return
			case destCh <- token:
				if token.Finished {
					close(destCh)
					return
				}
			}
		}
	}
}

// noSuccess is the original's "all providers failed" error. Defect: the
// providers' errors are printed into its text but not wrapped, so a caller
// cannot errors.Is a rate limit or an auth failure.
func noSuccess(results []seedFallbackResult) error {
	var errMsg string
	for _, result := range results {
		if result.err != nil {
			errMsg += fmt.Sprintf("[%s: %v] ", result.provider, result.err)
		}
	}
	return fmt.Errorf("%w: %s", ErrNoSuccessfulCalls, errMsg)
}

func (mp *seedMulti) selectTextResult(results []seedFallbackResult) (string, error) {
	if len(results) == 0 {
		return "", ErrNoSuccessfulCalls
	}
	switch mp.selectionStrat {
	case Fastest:
		sortResultsByTime(results)
		for _, result := range results {
			if result.err == nil {
				return result.content, nil
			}
		}
	case Consensus:
		seedGlobalConsensusConfig.Store(&mp.consensusConfig)
		beforeConsensus()
		return selectConsensusTextResult(results)
	}
	return "", noSuccess(results)
}

// selectMessageResult: defect, consensus never works for messages: the
// results carry a response but no content, and the consensus keeps only
// results with content, so it always fails with ErrNoSuccessfulCalls.
func (mp *seedMulti) selectMessageResult(results []seedFallbackResult) (domain.Response, error) {
	if len(results) == 0 {
		return domain.Response{}, ErrNoSuccessfulCalls
	}
	switch mp.selectionStrat {
	case Fastest:
		sortResultsByTime(results)
		for _, result := range results {
			if result.err == nil {
				return result.response, nil
			}
		}
	case Consensus:
		seedGlobalConsensusConfig.Store(&mp.consensusConfig)
		beforeConsensus()
		consensusText, err := selectConsensusTextResult(results)
		if err != nil {
			return domain.Response{}, err
		}
		return domain.Response{Content: consensusText}, nil // the original: GetResponsePool().NewResponse
	}
	return domain.Response{}, noSuccess(results)
}

func (mp *seedMulti) selectStructuredResult(results []seedFallbackResult) (any, error) {
	if len(results) == 0 {
		return nil, ErrNoSuccessfulCalls
	}
	switch mp.selectionStrat {
	case Fastest:
		sortResultsByTime(results)
		for _, result := range results {
			if result.err == nil {
				return result.structured, nil
			}
		}
	case Consensus:
		seedGlobalConsensusConfig.Store(&mp.consensusConfig)
		beforeConsensus()
		structuredResults := make([]string, 0, len(results))
		structuredMap := make(map[string]any, len(results))
		for _, result := range results {
			if result.err == nil && result.structured != nil {
				if jsonBytes, err := json.Marshal(result.structured); err == nil {
					structuredResults = append(structuredResults, string(jsonBytes))
					structuredMap[string(jsonBytes)] = result.structured
				}
			}
		}
		if len(structuredResults) == 1 {
			return structuredMap[structuredResults[0]], nil
		}
		if len(structuredResults) > 0 {
			textResults := make([]seedFallbackResult, len(structuredResults))
			jsonToResultIndex := make(map[string]int, len(results))
			for i, r := range results {
				if r.err == nil && r.structured != nil {
					if jsonBytes, err := json.Marshal(r.structured); err == nil {
						jsonToResultIndex[string(jsonBytes)] = i
					}
				}
			}
			for i, jsonStr := range structuredResults {
				textResults[i] = seedFallbackResult{content: jsonStr, weight: 1.0}
				if origIndex, ok := jsonToResultIndex[jsonStr]; ok {
					textResults[i].weight = results[origIndex].weight
					textResults[i].elapsedTime = results[origIndex].elapsedTime
					textResults[i].provider = results[origIndex].provider
				}
			}
			consensusJSON, err := selectConsensusTextResult(textResults)
			if err == nil && consensusJSON != "" {
				if structured, ok := structuredMap[consensusJSON]; ok {
					return structured, nil
				}
			}
		}
		for _, result := range results {
			if result.err == nil && result.structured != nil {
				return result.structured, nil
			}
		}
	}
	return nil, noSuccess(results)
}

func (mp *seedMulti) selectProviderForStreaming() int {
	if mp.selectionStrat == Primary && mp.primaryProvider >= 0 && mp.primaryProvider < len(mp.providers) {
		return mp.primaryProvider
	}
	return 0
}

// applyTimeoutFromContext puts the default timeout on a context without a
// deadline.
func applyTimeoutFromContext(ctx context.Context, defaultTimeout time.Duration) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithTimeout(ctx, defaultTimeout)
	}
	if time.Until(deadline) <= 0 {
		return context.WithTimeout(ctx, time.Millisecond)
	}
	return context.WithCancel(ctx)
}

// sortResultsByTime is the original's bubble sort, fastest first.
func sortResultsByTime(results []seedFallbackResult) {
	for i := 0; i < len(results); i++ {
		for j := i + 1; j < len(results); j++ {
			if results[j].elapsedTime < results[i].elapsedTime {
				results[i], results[j] = results[j], results[i]
			}
		}
	}
}

// sequentialPrimary is sequentialGenerateForPrimary and its message and
// schema twins: the primary, then the others in index order. Defect: when
// all fail the caller gets ErrNoSuccessfulCalls alone, without the
// providers' errors.
func sequentialPrimary[T any](ctx context.Context, mp *seedMulti, call func(context.Context, domain.Provider) (T, error)) (T, error) {
	var zero T
	primaryIdx := mp.primaryProvider
	if primaryIdx < 0 || primaryIdx >= len(mp.providers) {
		primaryIdx = 0
	}
	if v, err := call(ctx, mp.providers[primaryIdx].Provider); err == nil {
		return v, nil
	}
	for i, pw := range mp.providers {
		if i == primaryIdx {
			continue
		}
		select {
		case <-ctx.Done():
			return zero, ctx.Err()
		default:
		}
		if v, err := call(ctx, pw.Provider); err == nil {
			return v, nil
		}
	}
	return zero, ErrNoSuccessfulCalls
}

func (mp *seedMulti) sequentialGenerateForPrimary(ctx context.Context, prompt string, options []domain.Option) (string, error) {
	return sequentialPrimary(ctx, mp, func(ctx context.Context, p domain.Provider) (string, error) {
		return p.Generate(ctx, prompt, options...)
	})
}

func (mp *seedMulti) sequentialGenerateMessageForPrimary(ctx context.Context, messages []domain.Message, options []domain.Option) (domain.Response, error) {
	return sequentialPrimary(ctx, mp, func(ctx context.Context, p domain.Provider) (domain.Response, error) {
		return p.GenerateMessage(ctx, messages, options...)
	})
}

func (mp *seedMulti) sequentialGenerateWithSchemaForPrimary(ctx context.Context, prompt string, schema *domain.Schema, options []domain.Option) (any, error) {
	return sequentialPrimary(ctx, mp, func(ctx context.Context, p domain.Provider) (any, error) {
		return p.GenerateWithSchema(ctx, prompt, schema, options...)
	})
}

// ---- consensus.go ----------------------------------------------------

func selectConsensusTextResult(results []seedFallbackResult) (string, error) {
	successfulResults := make([]seedFallbackResult, 0, len(results))
	for _, result := range results {
		if result.err == nil && result.content != "" {
			successfulResults = append(successfulResults, result)
		}
	}
	if len(successfulResults) == 0 {
		return "", ErrNoSuccessfulCalls
	}
	if len(successfulResults) == 1 {
		return successfulResults[0].content, nil
	}
	config := seedGlobalConsensusConfig.Load()
	if config == nil {
		config = &seedConsensusConfig{Strategy: Majority, SimilarityThreshold: DefaultSimilarityThreshold}
	}
	switch config.Strategy {
	case Similarity:
		return selectSimilarityConsensus(successfulResults, config.SimilarityThreshold)
	case Weighted:
		return selectWeightedConsensus(successfulResults)
	default:
		return selectMajorityConsensus(successfulResults)
	}
}

// selectMajorityConsensus counts identical answers in a map and keeps the
// first maximum its iteration yields: defect, ties go to a random answer.
func selectMajorityConsensus(results []seedFallbackResult) (string, error) {
	responseCount := make(map[string]int)
	for _, result := range results {
		responseCount[result.content]++
	}
	var mostCommonResponse string
	maxCount := 0
	for response, count := range responseCount {
		if count > maxCount {
			maxCount = count
			mostCommonResponse = response
		}
	}
	return mostCommonResponse, nil
}

// seedGroupCache is the original's groupCache. Defects: it is one for the
// process, keeps every answer it has seen until the threshold changes,
// keys answers by their first 64 characters and length (so different
// answers collide), and hands out process-wide group numbers that
// selectSimilarityConsensus uses as the numbers of its own call's groups:
// from the second call on, answers are compared with, and put into the
// groups of, answers of earlier calls.
type seedGroupCache struct {
	groups               map[string]int
	groupRepresentatives []string
	similarityThreshold  float64
	mu                   sync.RWMutex
}

var seedGlobalGroupCache = &seedGroupCache{groups: make(map[string]int, 64)}

func contentHash(content string) string {
	prefix := content
	if len(prefix) > 64 {
		prefix = prefix[:64]
	}
	return fmt.Sprintf("%s#%d", prefix, len(content))
}

func (c *seedGroupCache) resetIfThresholdChanged(threshold float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.similarityThreshold != threshold {
		c.groups = make(map[string]int, 64)
		c.groupRepresentatives = nil
		c.similarityThreshold = threshold
	}
}

func (c *seedGroupCache) getGroup(content string) int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	groupIndex, found := c.groups[contentHash(content)]
	if !found {
		return -1
	}
	return groupIndex
}

func (c *seedGroupCache) addToGroup(content string, groupIndex int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.groups[contentHash(content)] = groupIndex
}

func (c *seedGroupCache) addNewGroup(content string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	newGroupIndex := len(c.groupRepresentatives)
	c.groupRepresentatives = append(c.groupRepresentatives, content)
	c.groups[contentHash(content)] = newGroupIndex
	return newGroupIndex
}

func (c *seedGroupCache) getGroupRepresentative(groupIndex int) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if groupIndex < 0 || groupIndex >= len(c.groupRepresentatives) {
		return ""
	}
	return c.groupRepresentatives[groupIndex]
}

func selectSimilarityConsensus(results []seedFallbackResult, similarityThreshold float64) (string, error) {
	if len(results) <= 2 {
		return selectMajorityConsensus(results)
	}
	seedGlobalGroupCache.resetIfThresholdChanged(similarityThreshold)
	groups := make([][]seedFallbackResult, 0, min(len(results), 5))
	groupCounts := make([]int, 0, 5)
	firstResult := results[0]
	groups = append(groups, []seedFallbackResult{firstResult})
	groupCounts = append(groupCounts, 1)
	seedGlobalGroupCache.addNewGroup(firstResult.content)
	largestGroupIndex := 0
	for i := 1; i < len(results); i++ {
		result := results[i]
		foundGroup := false
		groupIndex := seedGlobalGroupCache.getGroup(result.content)
		if groupIndex >= 0 && groupIndex < len(groups) {
			groups[groupIndex] = append(groups[groupIndex], result)
			groupCounts[groupIndex]++
			if groupCounts[groupIndex] > groupCounts[largestGroupIndex] {
				largestGroupIndex = groupIndex
			}
			continue
		}
		for j := range groups {
			representative := seedGlobalGroupCache.getGroupRepresentative(j)
			if calculateSimilarity(result.content, representative) >= similarityThreshold {
				groups[j] = append(groups[j], result)
				groupCounts[j]++
				seedGlobalGroupCache.addToGroup(result.content, j)
				foundGroup = true
				if groupCounts[j] > groupCounts[largestGroupIndex] {
					largestGroupIndex = j
				}
				break
			}
		}
		if !foundGroup {
			newGroupIndex := len(groups)
			groups = append(groups, []seedFallbackResult{result})
			groupCounts = append(groupCounts, 1)
			seedGlobalGroupCache.addNewGroup(result.content)
			if groupCounts[newGroupIndex] > groupCounts[largestGroupIndex] {
				largestGroupIndex = newGroupIndex
			}
		}
	}
	if largestGroup := groups[largestGroupIndex]; len(largestGroup) > 0 {
		return selectBestFromGroup(largestGroup), nil
	}
	return results[0].content, nil
}

// selectWeightedConsensus: identical answers add up their weights (a
// provider without a weight counts 1; with no weights at all it is a
// majority vote); an answer with over 70 % of the weight wins at once;
// otherwise each answer adds the weight of every later, not yet absorbed
// answer it resembles (at 0.65, whatever the configured threshold),
// scaled by the similarity.
func selectWeightedConsensus(results []seedFallbackResult) (string, error) {
	if len(results) <= 1 {
		if len(results) == 1 {
			return results[0].content, nil
		}
		return "", ErrNoSuccessfulCalls
	}
	hasWeights := false
	for _, result := range results {
		if result.weight > 0 {
			hasWeights = true
			break
		}
	}
	if !hasWeights {
		return selectMajorityConsensus(results)
	}
	type weightedResponse struct {
		content     string
		totalWeight float64
		resultCount int
		elapsedTime float64 // average, in milliseconds
		similarTo   []string
	}
	weightedResponses := make(map[string]*weightedResponse, min(len(results), 5))
	totalValidWeight := 0.0
	for _, result := range results {
		if result.err != nil || result.content == "" {
			continue
		}
		weight := result.weight
		if weight <= 0 {
			weight = 1.0
		}
		totalValidWeight += weight
		if wr, exists := weightedResponses[result.content]; exists {
			wr.totalWeight += weight
			wr.resultCount++
			resultElapsedMs := float64(result.elapsedTime.Milliseconds())
			wr.elapsedTime = (wr.elapsedTime*float64(wr.resultCount-1) + resultElapsedMs) / float64(wr.resultCount)
		} else {
			weightedResponses[result.content] = &weightedResponse{
				content:     result.content,
				totalWeight: weight,
				resultCount: 1,
				elapsedTime: float64(result.elapsedTime.Milliseconds()),
				similarTo:   make([]string, 0, 3),
			}
		}
	}
	if len(weightedResponses) == 0 {
		return "", ErrNoSuccessfulCalls
	}
	if len(weightedResponses) == 1 {
		for _, wr := range weightedResponses {
			return wr.content, nil
		}
	}
	responses := make([]*weightedResponse, 0, len(weightedResponses))
	for _, wr := range weightedResponses {
		responses = append(responses, wr)
	}
	sort.Slice(responses, func(i, j int) bool { return responses[i].totalWeight > responses[j].totalWeight })
	topResponse := responses[0]
	if topResponse.totalWeight > 0.7*totalValidWeight {
		return topResponse.content, nil
	}
	const similarityThreshold = 0.65
	for i := 0; i < len(responses); i++ {
		for j := i + 1; j < len(responses); j++ {
			if len(responses[j].similarTo) > 0 {
				continue
			}
			similarity := calculateSimilarity(responses[i].content, responses[j].content)
			if similarity >= similarityThreshold {
				responses[i].similarTo = append(responses[i].similarTo, responses[j].content)
				responses[j].similarTo = append(responses[j].similarTo, responses[i].content)
				responses[i].totalWeight += responses[j].totalWeight * similarity
			}
		}
	}
	sort.Slice(responses, func(i, j int) bool {
		if abs(responses[i].totalWeight-responses[j].totalWeight) < 0.1 {
			if responses[i].resultCount == responses[j].resultCount {
				return responses[i].elapsedTime < responses[j].elapsedTime
			}
			return responses[i].resultCount > responses[j].resultCount
		}
		return responses[i].totalWeight > responses[j].totalWeight
	})
	return responses[0].content, nil
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// selectBestFromGroup returns the shortest non-empty answer of a group.
func selectBestFromGroup(group []seedFallbackResult) string {
	if len(group) == 0 {
		return ""
	}
	if len(group) == 1 {
		return group[0].content
	}
	sort.Slice(group, func(i, j int) bool {
		if len(group[i].content) == 0 {
			return false
		}
		if len(group[j].content) == 0 {
			return true
		}
		return len(group[i].content) < len(group[j].content)
	})
	for _, result := range group {
		if len(result.content) > 0 {
			return result.content
		}
	}
	return group[0].content
}

// seedSimilarityCache is the original's similarityCache: 128 entries, a
// random one evicted when full.
type seedSimilarityCache struct {
	cache      map[string]float64
	maxEntries int
	mu         sync.RWMutex
}

var seedGlobalSimilarityCache = &seedSimilarityCache{cache: make(map[string]float64, 128), maxEntries: 128}

func similarityKey(a, b string) string {
	if a > b {
		a, b = b, a
	}
	return a + "||" + b
}

func (c *seedSimilarityCache) Get(a, b string) (float64, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	score, found := c.cache[similarityKey(a, b)]
	return score, found
}

func (c *seedSimilarityCache) Set(a, b string, score float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.cache) >= c.maxEntries {
		for k := range c.cache {
			delete(c.cache, k)
			break
		}
	}
	c.cache[similarityKey(a, b)] = score
}

// calculateSimilarity is the original's: 1 for equal strings (ignoring case),
// 0.3 when the lengths differ by half, otherwise the Jaccard index of the
// sets of words longer than two bytes (punctuation included), 0.2 when
// either set is empty.
func calculateSimilarity(a, b string) float64 {
	if a == b {
		return 1.0
	}
	if len(a) < 5 || len(b) < 5 {
		if strings.ToLower(a) == strings.ToLower(b) {
			return 1.0
		}
	}
	if score, found := seedGlobalSimilarityCache.Get(a, b); found {
		return score
	}
	aLower, bLower := strings.ToLower(a), strings.ToLower(b)
	if aLower == bLower {
		seedGlobalSimilarityCache.Set(a, b, 1.0)
		return 1.0
	}
	lenA, lenB := len(aLower), len(bLower)
	if float64(min(lenA, lenB))/float64(max(lenA, lenB)) < 0.5 {
		seedGlobalSimilarityCache.Set(a, b, 0.3)
		return 0.3
	}
	aSet := map[string]bool{}
	for _, word := range strings.Fields(aLower) {
		if len(word) > 2 {
			aSet[word] = true
		}
	}
	if len(aSet) == 0 {
		seedGlobalSimilarityCache.Set(a, b, 0.2)
		return 0.2
	}
	bSet := map[string]bool{}
	intersection := 0
	for _, word := range strings.Fields(bLower) {
		if len(word) <= 2 {
			continue
		}
		if !bSet[word] {
			bSet[word] = true
			if aSet[word] {
				intersection++
			}
		}
	}
	if len(bSet) == 0 {
		seedGlobalSimilarityCache.Set(a, b, 0.2)
		return 0.2
	}
	union := len(aSet) + len(bSet) - intersection
	if union == 0 {
		return 0.0
	}
	score := float64(intersection) / float64(union)
	seedGlobalSimilarityCache.Set(a, b, score)
	return score
}
