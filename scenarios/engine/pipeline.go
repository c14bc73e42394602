package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/llmbench/llmbench/core/cache"
	"github.com/llmbench/llmbench/core/domain"
	"github.com/llmbench/llmbench/core/messages"
	"github.com/llmbench/llmbench/core/stream"
	"github.com/llmbench/llmbench/core/validate"
	"github.com/llmbench/llmbench/core/workerpool"
	"github.com/llmbench/llmbench/mockprovider"
	"github.com/llmbench/llmbench/mockprovider/openai"
	"github.com/llmbench/llmbench/scenarios/plan"
	"github.com/llmbench/llmbench/scenarios/results"
	"github.com/llmbench/llmbench/scenarios/spec"
)

// target is a provider a request can stream from: the in-process mock and
// the HTTP client both are.
type target interface {
	domain.Provider
	OpenStream(ctx context.Context, msgs []domain.Message, pool stream.Pool, snd stream.Sender, opts ...domain.Option) (*stream.Stream, error)
}

// pipeline is one variant's instances of every stage, built fresh for each
// repetition so that no state carries over.
type pipeline struct {
	plan       *plan.Plan
	variant    plan.Variant
	call       domain.Provider // what answers: a provider or a fan-out
	primary    target
	histories  []messages.Manager
	modelToks  int
	cache      cache.Cache
	keys       *zipfTable
	exec       workerpool.Executor
	pool       stream.Pool
	validator  validate.Validator
	schema     *domain.Schema
	largeDoc   bool
	keepText   bool
	traced     bool // one provider per request: its trace can be taken
	prompt     promptPlan
	closers    []func()
	sourceName string
}

// promptPlan draws each request's prompt from its index.
type promptPlan struct {
	seed       uint64
	tokens     mockprovider.Dist
	turns      mockprovider.Dist
	multimodal float64
}

// newPipeline builds the stages of variant v for repetition rep.
func newPipeline(ctx context.Context, pl *plan.Plan, v plan.Variant, rep int, keys *zipfTable) (p *pipeline, err error) {
	p = &pipeline{plan: pl, variant: v, keys: keys}
	defer func() {
		if err != nil {
			p.close()
		}
	}()
	l := &pl.Load
	p.prompt = promptPlan{seed: pl.SeedFor("prompts", rep), tokens: l.PromptTokens, turns: l.PromptTurns, multimodal: l.Multimodal}

	targets := map[string]target{}
	need := []string{pl.Pipeline.Provider}
	if pl.Pipeline.Fanout != nil {
		need = pl.Pipeline.Fanout.Providers
	}
	for _, name := range need {
		if _, done := targets[name]; done {
			continue
		}
		t, err := p.newTarget(ctx, name, rep)
		if err != nil {
			return nil, err
		}
		targets[name] = t
	}
	if f := pl.Pipeline.Fanout; f != nil {
		ps := make([]domain.Provider, len(f.Providers))
		for i, name := range f.Providers {
			ps[i] = targets[name]
		}
		if p.call, err = pl.NewFanout(v, ps); err != nil {
			return nil, err
		}
		p.sourceName = "fanout"
	} else {
		p.primary = targets[pl.Pipeline.Provider]
		p.call = p.primary
		p.traced = true
		p.sourceName = pl.Pipeline.Provider
	}
	if m := pl.Pipeline.Messages; m != nil {
		if p.histories, err = pl.NewHistories(v); err != nil {
			return nil, err
		}
		p.modelToks = m.ModelTokens
		p.keepText = true
	}
	if pl.Pipeline.Cache != nil {
		if p.cache, err = pl.NewCache(v); err != nil {
			return nil, err
		}
		p.keepText = true
	}
	if pl.Pipeline.WorkerPool != nil {
		if p.exec, err = pl.NewExecutor(v); err != nil {
			return nil, err
		}
		p.closers = append(p.closers, p.exec.Close)
	}
	if pl.Pipeline.Stream != nil {
		if p.pool, err = pl.NewStreamPool(v); err != nil {
			return nil, err
		}
	}
	if val := pl.Pipeline.Validate; val != nil {
		if p.validator, err = pl.NewValidator(v); err != nil {
			return nil, err
		}
		p.schema, p.largeDoc = answerSchema(val.Schema)
		p.keepText = true
	}
	return p, nil
}

func (p *pipeline) newTarget(ctx context.Context, name string, rep int) (target, error) {
	pr := p.plan.Providers[name]
	where := "providers." + name
	if pr.Kind == spec.KindOpenAI {
		c, err := openai.NewClient(pr.OpenAI)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", where, err)
		}
		p.closers = append(p.closers, c.Close)
		return c, nil
	}
	// Repetitions differ; variants of one repetition see the same requests.
	mock := mockprovider.FromModel(p.plan.Mock(name, rep))
	if pr.Kind == spec.KindMock {
		return mock, nil
	}
	// mock-http: serve it on a free loopback port for this repetition.
	ln, err := openai.Listen("127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("%s: %v", where, err)
	}
	sctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = openai.Serve(sctx, ln, openai.NewServer(mock))
	}()
	c, err := openai.NewClient(openai.ClientConfig{BaseURL: "http://" + ln.Addr().String() + "/v1", Model: mock.Config().Model})
	if err != nil {
		stop()
		<-served
		return nil, err
	}
	p.closers = append(p.closers, func() {
		c.Close()
		stop()
		<-served
	})
	return c, nil
}

func (p *pipeline) close() {
	for i := len(p.closers) - 1; i >= 0; i-- {
		p.closers[i]()
	}
	p.closers = nil
}

// errInvalidAnswer: the answer failed validation.
var errInvalidAnswer = errors.New("answer failed validation")

// do sends request r through the pipeline.
func (p *pipeline) do(ctx context.Context, r *request) error {
	r.pcg.Seed(p.prompt.seed, r.index)
	rng := r.rng
	r.firstByte = p.pool != nil
	user := p.userTurn(r, rng)
	var hist messages.Manager
	var msgs []domain.Message
	if p.histories != nil {
		hist = p.histories[r.index%uint64(len(p.histories))]
		hist.AddMessage(user)
		msgs = hist.GetMessagesForModel(p.modelToks)
	} else {
		msgs = withTurns(user, int(math.Round(p.prompt.turns.Sample(rng))))
	}
	var text string
	var keyMsgs []domain.Message
	hit := false
	if p.cache != nil {
		r.cacheUsed = true
		keyMsgs = []domain.Message{user}
		if resp, ok := p.cache.Get(keyMsgs, nil); ok {
			hit, r.cacheHit, text = true, true, resp.Content
			r.first, r.tokens = time.Now(), 1 // answered in one piece
		}
	}
	if !hit {
		var err error
		if p.exec != nil {
			res := p.exec.Execute(ctx, []workerpool.Task{{Name: "call", Run: func(ctx context.Context) (string, error) {
				return p.answer(ctx, r, msgs)
			}}})
			text, err = res[0].Output, res[0].Err
		} else {
			text, err = p.answer(ctx, r, msgs)
		}
		if err != nil {
			return err
		}
		if p.cache != nil {
			p.cache.Set(keyMsgs, nil, domain.Response{Content: text}, p.sourceName)
		}
	}
	if p.validator != nil {
		if err := p.check(text, r.tokens); err != nil {
			return err
		}
	}
	if hist != nil {
		hist.AddMessage(domain.NewTextMessage(domain.RoleAssistant, text))
	}
	return nil
}

// answer calls the provider, streamed when the pipeline streams.
func (p *pipeline) answer(ctx context.Context, r *request, msgs []domain.Message) (string, error) {
	if p.pool == nil {
		resp, err := p.call.GenerateMessage(ctx, msgs)
		if err != nil {
			return "", err
		}
		r.first = time.Now()
		r.tokens = max(1, strings.Count(resp.Content, " ")+1)
		return resp.Content, nil
	}
	snd, err := p.plan.NewSender(p.variant)
	if err != nil {
		return "", err
	}
	s, err := p.primary.OpenStream(ctx, msgs, p.pool, snd)
	if err != nil {
		snd.Stop()
		return "", err
	}
	r.streamed = true
	for {
		tok, ok, err := s.RecvContext(ctx)
		if err != nil {
			s.Done()
			return "", err
		}
		if !ok {
			break
		}
		if tok.Text != "" {
			r.token(time.Now())
			if p.keepText {
				r.text = append(r.text, tok.Text...)
			}
		}
		if tok.Finished {
			break
		}
	}
	err = s.Err()
	s.Done()
	if err != nil {
		return "", err
	}
	if r.tokens == 0 {
		return "", mockprovider.ErrStreamCut // closed before any token: cut
	}
	if !p.keepText {
		return "", nil
	}
	return string(r.text), nil
}

// filler is prompt text: words of four characters and a space, so that a
// prompt of n tokens is its first 4n bytes or so.
var filler = strings.Repeat("lore ipsu dolo sitt amet ", 13108) // 327 700 bytes: 80k tokens

var image = domain.ContentPart{Type: domain.ContentImage, Image: &domain.ImageContent{Source: domain.SourceInfo{Type: domain.SourceURL, URL: "https://example.org/cat.png"}}}

// userTurn draws request r's user message: its question (a cache key), its
// length and, for a share of requests, an image.
func (p *pipeline) userTurn(r *request, rng *rand.Rand) domain.Message {
	n := min(max(0, int(math.Round(p.prompt.tokens.Sample(rng)))), len(filler)/4)
	var key int
	if p.keys != nil {
		key = p.keys.sample(rng)
	} else {
		key = int(r.index)
	}
	var msg domain.Message
	if p.keys == nil && !p.keepText {
		// Nothing keys on the question: spare the harness a string.
		msg = domain.NewTextMessage(domain.RoleUser, filler[:4*n])
	} else {
		msg = domain.NewTextMessage(domain.RoleUser, question(key)+filler[:4*n])
	}
	if p.prompt.multimodal > 0 && rng.Float64() < p.prompt.multimodal {
		msg.Content = append(msg.Content, image)
	}
	return msg
}

// questions holds the first cache keys' prefixes, so that the common case
// formats no number.
var questions = func() []string {
	out := make([]string, 4096)
	for i := range out {
		out[i] = "question " + strconv.Itoa(i) + ": "
	}
	return out
}()

func question(k int) string {
	if k < len(questions) {
		return questions[k]
	}
	return "question " + strconv.Itoa(k) + ": "
}

// history is the pool of earlier turns a request without a messages stage
// carries; read-only.
var history = func() []domain.Message {
	out := make([]domain.Message, 64)
	for i := range out {
		role := domain.RoleUser
		if i%2 == 1 {
			role = domain.RoleAssistant
		}
		out[i] = domain.NewTextMessage(role, "earlier turn "+strconv.Itoa(i)+": "+filler[:160])
	}
	return out
}()

func withTurns(user domain.Message, turns int) []domain.Message {
	turns = min(max(turns, 0), len(history))
	msgs := make([]domain.Message, 0, turns+1)
	msgs = append(msgs, history[:turns]...)
	return append(msgs, user)
}

func answerSchema(size string) (*domain.Schema, bool) {
	one, zero := 1, 0.0
	s := &domain.Schema{Type: "object", Required: []string{"answer", "tokens"}, Properties: map[string]domain.Property{
		"answer": {Type: "string", MinLength: &one},
		"tokens": {Type: "integer", Minimum: &zero},
	}}
	if size != "large" {
		return s, false
	}
	s.Required = append(s.Required, "id", "created", "source")
	s.Properties["answer"] = domain.Property{Type: "string", MinLength: &one, Pattern: `^[A-Za-z0-9 .,;:!?'-]*$`}
	s.Properties["id"] = domain.Property{Type: "string", Format: "uuid"}
	s.Properties["created"] = domain.Property{Type: "string", Format: "date-time"}
	s.Properties["source"] = domain.Property{Type: "string", Format: "uri"}
	s.Properties["labels"] = domain.Property{Type: "array", Items: &domain.Property{Type: "string", Enum: []string{"fast", "slow", "cached"}}}
	return s, true
}

type answerDoc struct {
	Answer  string   `json:"answer"`
	Tokens  int      `json:"tokens"`
	ID      string   `json:"id,omitempty"`
	Created string   `json:"created,omitempty"`
	Source  string   `json:"source,omitempty"`
	Labels  []string `json:"labels,omitempty"`
}

// check validates the answer, wrapped as a JSON document.
func (p *pipeline) check(text string, tokens int) error {
	doc := answerDoc{Answer: text, Tokens: tokens}
	if p.largeDoc {
		doc.ID, doc.Created, doc.Source = "123e4567-e89b-12d3-a456-426614174000", "2026-11-27T10:00:00Z", "https://example.org/answers"
		doc.Labels = []string{"fast"}
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	res, err := p.validator.Validate(p.schema, string(data))
	if err != nil {
		return err
	}
	valid := res.Valid
	p.validator.Release(res)
	if !valid {
		return errInvalidAnswer
	}
	return nil
}

// zipfTable draws key indexes with probability ∝ 1/(k+1)^s (uniform for s = 0).
type zipfTable struct{ cum []float64 }

func newZipfTable(keys int, s float64) *zipfTable {
	t := &zipfTable{cum: make([]float64, keys)}
	acc := 0.0
	for k := range keys {
		acc += math.Pow(float64(k+1), -s)
		t.cum[k] = acc
	}
	for k := range t.cum {
		t.cum[k] /= acc
	}
	return t
}

func (t *zipfTable) sample(r *rand.Rand) int {
	return min(sort.SearchFloat64s(t.cum, r.Float64()), len(t.cum)-1)
}

// classify puts a failed request in its bucket.
func classify(err error, reqCtx, inflight context.Context) (outcome, results.ErrorKind) {
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, workerpool.ErrTimeout):
		if inflight.Err() != nil {
			return outCancelled, 0
		}
		return outTimeout, 0
	case inflight.Err() != nil && (errors.Is(err, context.Canceled) || reqCtx.Err() != nil):
		return outCancelled, 0
	case errors.Is(err, errInvalidAnswer):
		return outError, results.ErrInvalid
	case errors.Is(err, mockprovider.ErrStreamCut), errors.Is(err, openai.ErrTruncated):
		return outError, results.ErrStreamCut
	case errors.Is(err, openai.ErrMalformed):
		return outError, results.ErrMalformed
	}
	var rl *mockprovider.RateLimitError
	var se *mockprovider.ServerError
	var api *openai.APIError
	switch {
	case errors.As(err, &rl):
		return outError, results.ErrRateLimited
	case errors.As(err, &se):
		return outError, results.ErrServer
	case errors.As(err, &api) && api.Status == 429:
		return outError, results.ErrRateLimited
	case errors.As(err, &api) && api.Status >= 500:
		return outError, results.ErrServer
	}
	if reqCtx.Err() != nil {
		return outTimeout, 0
	}
	return outError, results.ErrOther
}
