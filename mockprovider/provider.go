// Package mockprovider provides LLM providers that cost nothing and answer
// like real ones: queueing behind a limited capacity, a slow first token,
// tokens streamed at a sampled pace, long tails, rate limits, server errors,
// hangs and cut streams, each drawn from distributions and fault rates that
// a seed makes reproducible request by request.
//
// Timing is scheduled against absolute deadlines: token k is due at
// admission + TTFT + the first k−1 inter-token gaps, so a timer that fires
// late delays one token, never the rest of the stream.
//
// The Provider implements core/domain.Provider. Lower down, Start and
// Call.Next expose the schedule token by token; the OpenAI-compatible HTTP
// server (package openai) and the load engine drive it that way.
package mockprovider

import (
	"context"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llmbench/llmbench/core/domain"
	"github.com/llmbench/llmbench/core/messages"
	"github.com/llmbench/llmbench/core/stream"
)

// Provider is a latency- and fault-injecting mock LLM.
type Provider struct {
	m      *Model
	clock  Clock
	adm    *admission
	next   atomic.Uint64
	epoch  sync.Once // the first request's arrival: pauses count from it
	origin time.Time
	stats  struct {
		requests, rateLimited, queueRejected, serverErrors, timeouts, streamCuts, malformed atomic.Uint64
	}
}

// Option changes how a Provider is built.
type Option func(*Provider)

// WithClock replaces the real clock, for tests.
func WithClock(c Clock) Option { return func(p *Provider) { p.clock = c } }

// New checks cfg and builds a provider. Relative file names in cfg (an
// empirical distribution's file) are read from the working directory; a
// loader that knows the configuration's folder uses Config.Build and
// FromModel instead.
func New(cfg Config, opts ...Option) (*Provider, error) {
	m, err := cfg.Build("", ".")
	if err != nil {
		return nil, err
	}
	return FromModel(m, opts...), nil
}

// FromModel makes a provider of a built model: it cannot fail, and every
// provider of one model (and seed) plans the same requests alike.
func FromModel(m *Model, opts ...Option) *Provider {
	p := &Provider{m: m, clock: realClock{}, adm: newAdmission(m.cfg.Capacity, m.cfg.MaxQueue)}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Config is the provider's configuration, defaults filled in.
func (p *Provider) Config() Config { return p.m.cfg }

// Name is the configured name.
func (p *Provider) Name() string { return p.m.cfg.Name }

// Stats counts what the provider has seen and injected.
type Stats struct {
	Requests, RateLimited, QueueRejected, ServerErrors, Timeouts, StreamCuts, Malformed uint64
	InFlight, Queued, PeakQueued                                                        int
}

// Stats returns the counters now.
func (p *Provider) Stats() Stats {
	inUse, queued, peak := p.adm.state()
	s := &p.stats
	return Stats{
		Requests: s.requests.Load(), RateLimited: s.rateLimited.Load(), QueueRejected: s.queueRejected.Load(),
		ServerErrors: s.serverErrors.Load(), Timeouts: s.timeouts.Load(), StreamCuts: s.streamCuts.Load(),
		Malformed: s.malformed.Load(), InFlight: inUse, Queued: queued, PeakQueued: peak,
	}
}

type ctxKey struct{}

// WithRequestIndex makes the request use plan n instead of the next one in
// arrival order. A load generator that numbers its requests this way gives
// every variant it compares exactly the same requests.
func WithRequestIndex(ctx context.Context, n uint64) context.Context {
	return context.WithValue(ctx, ctxKey{}, &Trace{Index: n, indexed: true})
}

// RequestIndex is the plan index set by WithRequestIndex (or
// Trace.UseIndex), if any.
func RequestIndex(ctx context.Context) (uint64, bool) {
	if t, ok := ctx.Value(ctxKey{}).(*Trace); ok && t.indexed {
		return t.Index, true
	}
	return 0, false
}

// Trace receives what a provider call did; attach one with WithTrace. One
// context value carries both the plan index and the trace, so that a load
// generator pays for one allocation per request, not two.
type Trace struct {
	Index     uint64
	Fault     Fault
	Tokens    int
	QueueWait time.Duration
	indexed   bool // Index was chosen by the caller
	fill      bool // the provider fills the fields
}

// UseIndex makes the request traced by t use plan n.
func (t *Trace) UseIndex(n uint64) { t.Index, t.indexed = n, true }

// WithTrace asks the provider to fill t for the request made with ctx. Only
// one provider may serve a traced request (a fan-out must not share one).
func WithTrace(ctx context.Context, t *Trace) context.Context {
	if n, ok := RequestIndex(ctx); ok && !t.indexed {
		t.UseIndex(n)
	}
	t.fill = true
	return context.WithValue(ctx, ctxKey{}, t)
}

var errQueueFull = errors.New("queue full")

// Call is one admitted request: its plan, and its position in the schedule.
type Call struct {
	p         *Provider
	pcg       rand.PCG
	rng       *rand.Rand
	Index     uint64
	Fault     Fault
	Tokens    int
	QueueWait time.Duration
	start     time.Time
	mult      float64
	ttft      time.Duration
	cutAt     int
	i         int
	due       time.Time
	timer     Timer
}

// Start draws the n-th request's plan, then waits for a slot. A rate-limit
// fault or a full queue is refused at once with a *RateLimitError. The
// caller must Close the Call.
func (p *Provider) Start(ctx context.Context, promptTokens int) (*Call, error) {
	trace, _ := ctx.Value(ctxKey{}).(*Trace)
	var n uint64
	if trace != nil && trace.indexed {
		n = trace.Index
	} else {
		n = p.next.Add(1) - 1
	}
	if trace != nil && !trace.fill {
		trace = nil // an index only: nothing to fill
	}
	p.stats.requests.Add(1)
	c := getCall(p, n)
	// The draws come in a fixed order, so the plan depends on (seed, n) only.
	c.Fault = p.m.fault(c.rng.Float64())
	ttft := p.m.ttft.Sample(c.rng) + float64(p.m.cfg.TTFTPerPromptToken)*float64(promptTokens)
	if p.m.replyWords != nil {
		c.Tokens = len(p.m.replyWords)
	} else {
		c.Tokens = int(min(max(1, math.Round(p.m.outputTokens.Sample(c.rng))), MaxOutputTokens))
	}
	if c.Fault == FaultStreamCut {
		c.cutAt = c.rng.IntN(c.Tokens)
	}
	if trace != nil {
		trace.Index, trace.Fault, trace.Tokens, trace.QueueWait = n, c.Fault, c.Tokens, 0
	}
	if c.Fault == FaultRateLimit {
		p.stats.rateLimited.Add(1)
		putCall(c)
		return nil, &RateLimitError{RetryAfter: p.m.cfg.Faults.RetryAfter}
	}
	queued := p.clock.Now()
	if err := c.wait(ctx, p.resume(queued)); err != nil { // no admission in a pause
		putCall(c)
		return nil, err
	}
	u, err := p.adm.acquire(ctx)
	if err != nil {
		putCall(c)
		if err == errQueueFull {
			p.stats.queueRejected.Add(1)
			return nil, &RateLimitError{RetryAfter: p.m.cfg.Faults.RetryAfter, QueueFull: true}
		}
		return nil, err
	}
	c.start = p.clock.Now()
	c.QueueWait = c.start.Sub(queued)
	if trace != nil {
		trace.QueueWait = c.QueueWait
	}
	c.mult = 1 + p.m.cfg.LoadFactor*u*u
	c.ttft = time.Duration(ttft * c.mult)
	switch c.Fault {
	case FaultServerError:
		p.stats.serverErrors.Add(1)
	case FaultTimeout:
		p.stats.timeouts.Add(1)
	case FaultStreamCut:
		p.stats.streamCuts.Add(1)
	case FaultMalformed:
		p.stats.malformed.Add(1)
	}
	return c, nil
}

func (m *Model) fault(u float64) Fault {
	for i, c := range m.faultCum {
		if u < c {
			return Fault(i + 1)
		}
	}
	return NoFault
}

// CutAt is the token index at which a stream-cut or malformed fault strikes.
func (c *Call) CutAt() int { return c.cutAt }

// advance moves the schedule to token c.i: its absolute deadline.
func (c *Call) advance() {
	if c.i == 0 {
		c.due = c.start.Add(c.ttft)
		return
	}
	c.due = c.due.Add(time.Duration(c.p.m.itl.Sample(c.rng) * c.mult))
}

// Next waits until the next token is due and returns it. It returns io.EOF
// after the last token, the injected fault's error where one strikes, and
// ctx's error as soon as ctx ends.
func (c *Call) Next(ctx context.Context) (domain.Token, error) {
	if c.i >= c.Tokens {
		return domain.Token{}, io.EOF
	}
	if c.Fault == FaultTimeout {
		<-ctx.Done()
		return domain.Token{}, ctx.Err()
	}
	c.advance()
	if err := c.wait(ctx, c.due); err != nil {
		return domain.Token{}, err
	}
	if err := c.faultAt(c.i); err != nil {
		return domain.Token{}, err
	}
	tok := domain.Token{Text: c.word(c.i), Finished: c.i == c.Tokens-1}
	c.i++
	return tok, nil
}

func (c *Call) faultAt(i int) error {
	switch {
	case c.Fault == FaultServerError && i == 0:
		return &ServerError{Status: 500}
	case c.Fault == FaultStreamCut && i == c.cutAt:
		return ErrStreamCut
	}
	return nil
}

// Rest is Next to the end for a non-streamed answer: it computes every
// deadline without waiting, then waits once, until the last one (or until
// the fault strikes), and returns the whole text.
func (c *Call) Rest(ctx context.Context) (string, error) {
	if c.Fault == FaultTimeout {
		<-ctx.Done()
		return "", ctx.Err()
	}
	var b strings.Builder
	for ; c.i < c.Tokens; c.i++ {
		c.advance()
		if err := c.faultAt(c.i); err != nil {
			if werr := c.wait(ctx, c.due); werr != nil {
				return "", werr
			}
			return "", err
		}
		b.WriteString(c.word(c.i))
	}
	if err := c.wait(ctx, c.due); err != nil {
		return "", err
	}
	return b.String(), nil
}

// Deadline is when the token just returned by Next was due.
func (c *Call) Deadline() time.Time { return c.due }

// resume is t, or the end of the pause t falls in.
func (p *Provider) resume(t time.Time) time.Time {
	if len(p.m.cfg.Pauses) == 0 {
		return t
	}
	p.epoch.Do(func() { p.origin = t })
	for _, ps := range p.m.cfg.Pauses {
		from := p.origin.Add(ps.At)
		if to := from.Add(ps.For); !t.Before(from) && t.Before(to) {
			return to
		}
	}
	return t
}

func (c *Call) wait(ctx context.Context, due time.Time) error {
	due = c.p.resume(due)
	d := due.Sub(c.p.clock.Now())
	if d <= 0 {
		return ctx.Err()
	}
	if c.timer == nil {
		c.timer = c.p.clock.NewTimer(d)
	} else {
		c.timer.Reset(d)
	}
	select {
	case <-c.timer.C():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close releases the call's slot and the Call itself, which is reused:
// call it exactly once, and use the Call no more.
func (c *Call) Close() {
	c.p.adm.release()
	putCall(c)
}

// Calls are pooled with their random source: a request at zero latency
// then allocates almost nothing in the mock.
var callPool = sync.Pool{New: func() any {
	c := &Call{}
	c.rng = rand.New(&c.pcg)
	return c
}}

func getCall(p *Provider, n uint64) *Call {
	c := callPool.Get().(*Call)
	rng := c.rng
	*c = Call{p: p, Index: n, rng: rng}
	c.pcg.Seed(p.m.cfg.Seed, n)
	return c
}

// putCall returns c to the pool. Its timer is not kept: a timer belongs to
// where it was made (a synctest bubble, for one), and one that never fired
// costs nothing to drop.
func putCall(c *Call) {
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	c.p = nil
	callPool.Put(c)
}

// vocabulary is what answers are made of when no reply is configured.
var vocabulary = splitWords(`the a model answer token stream latency cache pool worker channel context
request response provider message system user assistant tool schema value result error retry queue
fast slow first last next time budget limit window batch shard lock read write order chunk`)

func splitWords(s string) []string { return strings.Fields(s) }

// word is token i's text: words separated by spaces, the last without one.
func (c *Call) word(i int) string {
	words := c.p.m.replyWords
	var w string
	if words != nil {
		w = words[i%len(words)]
	} else {
		w = vocabulary[(int(c.Index%997)*31+i*7)%len(vocabulary)]
	}
	if i == c.Tokens-1 {
		return w
	}
	return spaced(w)
}

var spacedWords sync.Map // word → word + " ", so tokens cost no allocation

func spaced(w string) string {
	if s, ok := spacedWords.Load(w); ok {
		return s.(string)
	}
	s, _ := spacedWords.LoadOrStore(w, w+" ")
	return s.(string)
}

// PromptTokens estimates a prompt's length as the core's token heuristic does.
func PromptTokens(prompt string) int { return len(prompt) / 4 }

// MessageTokens estimates the prompt length of a conversation.
func MessageTokens(msgs []domain.Message) int {
	n := 0
	for _, m := range msgs {
		n += messages.EstimateTokens(m.Content)
	}
	return n
}

func (p *Provider) generate(ctx context.Context, promptTokens int) (string, error) {
	c, err := p.Start(ctx, promptTokens)
	if err != nil {
		return "", err
	}
	defer c.Close()
	return c.Rest(ctx)
}

// Generate answers after TTFT plus every inter-token gap.
func (p *Provider) Generate(ctx context.Context, prompt string, _ ...domain.Option) (string, error) {
	return p.generate(ctx, PromptTokens(prompt))
}

// GenerateMessage answers a conversation.
func (p *Provider) GenerateMessage(ctx context.Context, msgs []domain.Message, _ ...domain.Option) (domain.Response, error) {
	s, err := p.generate(ctx, MessageTokens(msgs))
	return domain.Response{Content: s}, err
}

// GenerateWithSchema answers with a value shaped by the schema (every
// property present, enums honoured), after the same delays.
func (p *Provider) GenerateWithSchema(ctx context.Context, prompt string, schema *domain.Schema, _ ...domain.Option) (any, error) {
	text, err := p.generate(ctx, PromptTokens(prompt))
	if err != nil {
		return nil, err
	}
	root := domain.Property{Type: schema.Type, Properties: schema.Properties, Required: schema.Required}
	return synthesize(&root, text), nil
}

func synthesize(p *domain.Property, text string) any {
	switch p.Type {
	case "object", "":
		obj := map[string]any{}
		for name, prop := range p.Properties {
			obj[name] = synthesize(&prop, text)
		}
		return obj
	case "array":
		if p.Items == nil {
			return []any{}
		}
		return []any{synthesize(p.Items, text)}
	case "integer", "number":
		v := 1.0
		if p.Minimum != nil {
			v = *p.Minimum
		}
		return v
	case "boolean":
		return true
	default:
		if len(p.Enum) > 0 {
			return p.Enum[0]
		}
		return text
	}
}

var plainStreams, _ = stream.NewPool("unpooled")

// OpenStream starts a request for msgs and streams its tokens into a
// stream opened from pool, each sent with snd, at their deadlines. Start's
// errors are returned at once; later ones end the stream (see
// stream.Stream.Err). The producer goroutine ends with the stream or with
// ctx. The openai Client has the same method, so a load generator drives
// both alike.
func (p *Provider) OpenStream(ctx context.Context, msgs []domain.Message, pool stream.Pool, snd stream.Sender, _ ...domain.Option) (*stream.Stream, error) {
	c, err := p.Start(ctx, MessageTokens(msgs))
	if err != nil {
		return nil, err
	}
	s := pool.Open()
	go func() {
		defer c.Close()
		defer snd.Stop()
		for {
			tok, err := c.Next(ctx)
			if err == io.EOF {
				s.CloseSend(ctx, nil)
				return
			}
			if err == nil {
				err = snd.Send(ctx, s, tok)
			}
			if err != nil {
				s.CloseSend(ctx, err)
				return
			}
		}
	}()
	return s, nil
}

// ctxSender bounds sends by the context only.
var ctxSender = func() stream.Sender { s, _ := stream.NewSender("ctx", 0); return s }()

// Stream streams the answer on a plain channel, closed at the end. As with
// the original library, a cut stream is told apart only by its missing
// Finished token.
func (p *Provider) Stream(ctx context.Context, prompt string, _ ...domain.Option) (domain.ResponseStream, error) {
	s, err := p.OpenStream(ctx, []domain.Message{domain.NewTextMessage(domain.RoleUser, prompt)}, plainStreams, ctxSender)
	if err != nil {
		return nil, err
	}
	return s.C, nil
}

// StreamMessage streams the answer to a conversation.
func (p *Provider) StreamMessage(ctx context.Context, msgs []domain.Message, _ ...domain.Option) (domain.ResponseStream, error) {
	s, err := p.OpenStream(ctx, msgs, plainStreams, ctxSender)
	if err != nil {
		return nil, err
	}
	return s.C, nil
}
