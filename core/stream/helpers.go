package stream

import (
	"sync"

	"github.com/llmbench/llmbench/core/domain"
)

// SafeSend, TrySend and TryReceive follow the document's "Concurrency Best
// Practices" 5 and 6 (concurrency-patterns.md) as written; TrySendSafe and
// TryRecv are their corrected counterparts.

// SafeSend is the document's: a send that recovers from a closed channel.
// Defect: on a full buffer it takes the default branch and reports
// closed=false, so the caller believes the token went out: it is lost.
func SafeSend(ch chan<- domain.Token, tok domain.Token) (closed bool) {
	defer func() {
		if recover() != nil {
			closed = true
		}
	}()
	select {
	case ch <- tok:
		return false
	default:
		return false
	}
}

// TrySend is the document's non-blocking send. Its comment says it returns
// false when the channel is "full or closed"; a send on a closed channel
// panics, select or not.
func TrySend(ch chan<- domain.Token, tok domain.Token) bool {
	select {
	case ch <- tok:
		return true
	default:
		return false
	}
}

// TrySendSafe is the corrected non-blocking send: sent says whether the
// token went out (false on a full buffer, which SafeSend hides), closed
// whether the channel was closed (where TrySend panics).
func TrySendSafe(ch chan<- domain.Token, tok domain.Token) (sent, closed bool) {
	defer func() {
		if recover() != nil {
			sent, closed = false, true
		}
	}()
	select {
	case ch <- tok:
		return true, false
	default:
		return false, false
	}
}

// TryReceive is the document's non-blocking receive. Defect: ok is false
// both when the channel is empty and when it is closed, so a consumer
// polling it cannot tell "nothing yet" from "never again".
func TryReceive(ch <-chan domain.Token) (domain.Token, bool) {
	select {
	case tok, ok := <-ch:
		return tok, ok
	default:
		return domain.Token{}, false
	}
}

// TryRecv is the corrected non-blocking receive: closed tells a closed
// channel from an empty one.
func TryRecv(ch <-chan domain.Token) (tok domain.Token, ok, closed bool) {
	select {
	case t, open := <-ch:
		return t, open, !open
	default:
		return domain.Token{}, false, false
	}
}

// The original's value pools (pkg/llm/domain/pool.go: TokenPool.NewToken,
// ResponsePool.NewResponse) take an object from a sync.Pool, fill it, copy
// it out and put it back: the copy is what the caller gets, so the pool
// saves nothing.

// SeedTokenPool is the original TokenPool.
type SeedTokenPool struct{ pool sync.Pool }

// NewToken returns a token by value, through the pool.
func (p *SeedTokenPool) NewToken(text string, finished bool) domain.Token {
	t, _ := p.pool.Get().(*domain.Token)
	if t == nil {
		t = new(domain.Token)
	}
	t.Text, t.Finished = text, finished
	out := *t
	*t = domain.Token{}
	p.pool.Put(t)
	return out
}

// SeedResponsePool is the original ResponsePool.
type SeedResponsePool struct{ pool sync.Pool }

// NewResponse returns a response by value, through the pool.
func (p *SeedResponsePool) NewResponse(content string) domain.Response {
	r, _ := p.pool.Get().(*domain.Response)
	if r == nil {
		r = new(domain.Response)
	}
	r.Content = content
	out := *r
	*r = domain.Response{}
	p.pool.Put(r)
	return out
}

// ObjectPool pools pointers for pipelines that pass *Token or *Response:
// the object itself travels and comes back, so pooling saves its allocation.
type ObjectPool[T any] struct{ pool sync.Pool }

// Get returns a zeroed object.
func (p *ObjectPool[T]) Get() *T {
	if v, ok := p.pool.Get().(*T); ok {
		return v
	}
	return new(T)
}

// Put zeroes v and keeps it for reuse; v must not be used afterwards.
func (p *ObjectPool[T]) Put(v *T) {
	var zero T
	*v = zero
	p.pool.Put(v)
}
