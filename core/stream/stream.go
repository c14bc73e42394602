// Package stream is token streaming as Go-LLMs does it: a producer sends
// Tokens into a channel, a consumer reads until the Finished token, and a
// ChannelPool is meant to recycle the channels.
//
// Pools (Pools registry):
//   - seed:     the original ChannelPool: a sync.Pool of chan Token (buffer 20),
//     used as the original's providers use it: Get, and the producer closes.
//     Nobody calls Put, so every stream allocates a channel and pays for the
//     pool on top. Put exists (and its defects are shown by tests): it drains,
//     then drops a closed channel and pools a momentarily empty one, which a
//     live producer may still send into or close: the next owner receives
//     stale tokens or a foreign close, and its own producer then panics.
//   - unpooled: a new channel per stream, closed by the producer.
//   - safe:     pooled and correct. The channel is never closed; the end is a
//     Finished token. Producer and consumer each hold a reference, and the
//     channel returns to the pool only when both have let go, so no one can
//     still send into it or read from it.
//
// Senders (Senders registry), how a producer bounds each send:
//   - timeafter: the document's streamTokens: a time.After per token (one
//     timer allocated per token), and nothing else: it does not watch the
//     context or the consumer, so an abandoned stream's producer waits out
//     its timeout on every send;
//   - timer:     one timer per stream, Reset per token, and the context;
//   - ctx:       the context only (the document's streamWithContext).
package stream

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/llmbench/llmbench/core/domain"
	"github.com/llmbench/llmbench/core/registry"
)

// Buffer is the original's channel buffer size.
const Buffer = 20

// Errors a stream can end with.
var (
	// ErrAbandoned: the consumer let go before the end.
	ErrAbandoned = errors.New("stream: consumer abandoned the stream")
	// ErrSendTimeout: a send waited longer than the sender's timeout.
	ErrSendTimeout = errors.New("stream: send timed out")
)

// Pool opens streams.
type Pool interface {
	Open() *Stream
	Stats() PoolStats
}

// PoolStats counts channels.
type PoolStats struct {
	Opened    int64 // streams opened
	Allocated int64 // channels made because none could be reused
}

// Pools holds the pool variants by name.
var Pools = registry.New[func() Pool]("stream pool")

func init() {
	Pools.Register("seed", "Go-LLMs ChannelPool: sync.Pool, producer closes, Put drains", func() Pool { return newSeedPool() })
	Pools.Register("unpooled", "a new channel per stream", func() Pool { return &unpooled{} })
	Pools.Register("safe", "pooled; end sentinel, channel returned when both sides let go", func() Pool { return newSafePool() })
}

// NewPool builds the named pool.
func NewPool(name string) (Pool, error) {
	ctor, err := Pools.Get(name)
	if err != nil {
		return nil, err
	}
	return ctor(), nil
}

// Stream is one token stream: a producer sends into C (through a Sender)
// and calls CloseSend once; a consumer calls Recv until it reports the end,
// or stops early, and calls Done once.
type Stream struct {
	C chan domain.Token
	// quit is closed when a safe stream's consumer abandons it; nil (never
	// ready) for the other pools.
	quit chan struct{}
	owner
	err          error // why the producer stopped early; read after the end
	lastFinished bool  // producer side: the last token sent was Finished
	sawEnd       bool  // consumer side
}

// owner is what a pool does when each side lets go.
type owner interface {
	closeSend(s *Stream, ctx context.Context)
	done(s *Stream)
}

// CloseSend ends the producer's side. err, when not nil, says why the stream
// stopped early; the consumer sees it through Err after the end.
func (s *Stream) CloseSend(ctx context.Context, err error) {
	if err != nil {
		s.err = err // published to the consumer by the end marker that follows
	}
	s.owner.closeSend(s, ctx)
}

// Recv returns the next token. ok is false once the stream has ended
// without a further token (a closed channel). A Finished token is the last.
func (s *Stream) Recv() (tok domain.Token, ok bool) {
	tok, ok = <-s.C
	if !ok || tok.Finished {
		s.sawEnd = true
	}
	return tok, ok
}

// RecvContext is Recv bounded by ctx.
func (s *Stream) RecvContext(ctx context.Context) (domain.Token, bool, error) {
	select {
	case tok, ok := <-s.C:
		if !ok || tok.Finished {
			s.sawEnd = true
		}
		return tok, ok, nil
	case <-ctx.Done():
		return domain.Token{}, false, ctx.Err()
	}
}

// Err is why the producer stopped early, once Recv has reported the end.
func (s *Stream) Err() error { return s.err }

// Done ends the consumer's side, whether it read to the end or not.
func (s *Stream) Done() { s.owner.done(s) }

// Consume reads a stream to its end and releases it: the text, the number
// of tokens that carried text, and the producer's error.
func Consume(s *Stream) (text string, tokens int, err error) {
	var buf []byte
	for {
		tok, ok := s.Recv()
		if !ok {
			break
		}
		if tok.Text != "" {
			buf = append(buf, tok.Text...)
			tokens++
		}
		if tok.Finished {
			break
		}
	}
	err = s.Err()
	s.Done()
	return string(buf), tokens, err
}

// unpooled makes a channel per stream.
type unpooled struct{ opened atomic.Int64 }

func (p *unpooled) Open() *Stream {
	p.opened.Add(1)
	return &Stream{C: make(chan domain.Token, Buffer), owner: p}
}

func (p *unpooled) closeSend(s *Stream, _ context.Context) { close(s.C) }
func (p *unpooled) done(*Stream)                           {}
func (p *unpooled) Stats() PoolStats {
	n := p.opened.Load()
	return PoolStats{Opened: n, Allocated: n}
}

// seedPool is a seed-faithful port of Go-LLMs v0.2.6
// pkg/llm/domain/pool.go: ChannelPool (GetChannelPool, NewChannelPool, Get,
// Put, GetResponseStream). Open is Get as the original's providers use it
// (GetResponseStream, then the producer closes); done does nothing because
// nobody calls Put in the original.
type seedPool struct {
	pool      sync.Pool
	opened    atomic.Int64
	allocated atomic.Int64
}

var (
	seedChannelPool     *seedPool
	seedChannelPoolOnce sync.Once
)

// SeedChannelPool is the original's process-wide singleton, created once.
func SeedChannelPool() Pool {
	seedChannelPoolOnce.Do(func() { seedChannelPool = newSeedPool() })
	return seedChannelPool
}

func newSeedPool() *seedPool {
	p := &seedPool{}
	p.pool.New = func() any {
		p.allocated.Add(1)
		return make(chan domain.Token, Buffer)
	}
	return p
}

func (p *seedPool) Open() *Stream {
	p.opened.Add(1)
	return &Stream{C: p.pool.Get().(chan domain.Token), owner: p}
}

func (p *seedPool) closeSend(s *Stream, _ context.Context) { close(s.C) }

// done does nothing: the original's providers and consumers never Put.
func (p *seedPool) done(*Stream) {}

// testHookDrained runs after each token a pool drains (the seed's Put, the
// safe pool's last release), so that a test can count them or stand for a
// producer still sending.
var testHookDrained func()

// Put is the original's: drain, then drop a closed channel and pool an
// empty one. Defects: "empty" is a moment, not a state; a live producer may
// send right after, into a channel that now belongs to someone else. And
// while a producer keeps sending, the drain keeps receiving: Put spins,
// eating the producer's tokens, for as long as it sends.
func (p *seedPool) Put(ch chan domain.Token) {
	if ch == nil {
		return
	}
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
			if testHookDrained != nil {
				testHookDrained()
			}
		default:
			p.pool.Put(ch)
			return
		}
	}
}

func (p *seedPool) Stats() PoolStats {
	return PoolStats{Opened: p.opened.Load(), Allocated: p.allocated.Load()}
}
