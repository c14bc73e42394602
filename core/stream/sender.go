package stream

import (
	"context"
	"time"

	"github.com/llmbench/llmbench/core/domain"
	"github.com/llmbench/llmbench/core/registry"
)

// Sender sends one token into a stream, giving up when the send waits too
// long (the timed senders) and, except for the document's timeafter, when
// the consumer has left or ctx ends. One Sender serves one stream; Stop
// releases what it holds.
type Sender interface {
	Send(ctx context.Context, s *Stream, tok domain.Token) error
	Stop()
}

// Senders holds the sender variants by name; timeout 0 means no timeout.
var Senders = registry.New[func(timeout time.Duration) Sender]("stream sender")

func init() {
	Senders.Register("timeafter", "the document's streamTokens: time.After per token, no context case", func(d time.Duration) Sender { return timeAfterSender{d} })
	Senders.Register("timer", "one timer per stream, Reset per token", func(d time.Duration) Sender { return &timerSender{timeout: d} })
	Senders.Register("ctx", "context only, no timer", func(time.Duration) Sender { return ctxSender{} })
}

// NewSender builds the named sender.
func NewSender(name string, timeout time.Duration) (Sender, error) {
	ctor, err := Senders.Get(name)
	if err != nil {
		return nil, err
	}
	return ctor(timeout), nil
}

func sent(s *Stream, tok domain.Token) error {
	s.lastFinished = tok.Finished
	return nil
}

// timeAfterSender is the document's streamTokens send: the token, or a
// time.After per token. It has no context or consumer case (the
// document's has none), so a producer whose consumer has left or whose
// context has ended only gives up when the timeout passes; with timeout 0
// it waits for a reader for ever.
type timeAfterSender struct{ timeout time.Duration }

func (t timeAfterSender) Send(_ context.Context, s *Stream, tok domain.Token) error {
	var expired <-chan time.Time
	if t.timeout > 0 {
		expired = time.After(t.timeout)
	}
	select {
	case s.C <- tok:
		return sent(s, tok)
	case <-expired:
		return ErrSendTimeout
	}
}

func (timeAfterSender) Stop() {}

type timerSender struct {
	timeout time.Duration
	t       *time.Timer
}

func (t *timerSender) Send(ctx context.Context, s *Stream, tok domain.Token) error {
	select { // fast path: room in the buffer, no timer touched
	case s.C <- tok:
		return sent(s, tok)
	default:
	}
	var expired <-chan time.Time
	if t.timeout > 0 {
		if t.t == nil {
			t.t = time.NewTimer(t.timeout)
		} else {
			t.t.Reset(t.timeout) // since Go 1.23 no stale tick survives a Reset
		}
		expired = t.t.C
	}
	select {
	case s.C <- tok:
		return sent(s, tok)
	case <-expired:
		return ErrSendTimeout
	case <-s.quit:
		return ErrAbandoned
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (t *timerSender) Stop() {
	if t.t != nil {
		t.t.Stop()
	}
}

type ctxSender struct{}

func (ctxSender) Send(ctx context.Context, s *Stream, tok domain.Token) error {
	select {
	case s.C <- tok:
		return sent(s, tok)
	case <-s.quit:
		return ErrAbandoned
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (ctxSender) Stop() {}

// Produce sends texts as tokens (the last one Finished) and closes the
// stream: the document's streamTokens with a pluggable sender.
func Produce(ctx context.Context, s *Stream, snd Sender, texts []string) error {
	defer snd.Stop()
	for i, text := range texts {
		if err := snd.Send(ctx, s, domain.Token{Text: text, Finished: i == len(texts)-1}); err != nil {
			s.CloseSend(ctx, err)
			return err
		}
	}
	s.CloseSend(ctx, nil)
	return nil
}
