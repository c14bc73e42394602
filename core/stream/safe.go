package stream

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/llmbench/llmbench/core/domain"
)

// safePool is this package's corrected pool (no original counterpart): it
// recycles whole Streams. A Stream carries a reference count of 2
// (producer and consumer); the one who lets go last drains it and puts it
// back, so a recycled channel can hold nothing and be written by nobody.
type safePool struct {
	pool      sync.Pool
	opened    atomic.Int64
	allocated atomic.Int64
}

// safeStream is a Stream with its reference count; the pool holds these.
type safeStream struct {
	Stream
	refs atomic.Int32
}

func newSafePool() *safePool {
	p := &safePool{}
	p.pool.New = func() any {
		p.allocated.Add(1)
		s := &safeStream{}
		s.C = make(chan domain.Token, Buffer)
		s.quit = make(chan struct{})
		return s
	}
	return p
}

func (p *safePool) Open() *Stream {
	p.opened.Add(1)
	s := p.pool.Get().(*safeStream)
	s.refs.Store(2)
	s.owner = ownerFor(p, s)
	return &s.Stream
}

// safeOwner binds the pool to the safeStream, so that the Stream methods,
// which only see the embedded Stream, can reach the reference count.
type safeOwner struct {
	p *safePool
	s *safeStream
}

func ownerFor(p *safePool, s *safeStream) owner {
	if o, ok := s.owner.(*safeOwner); ok {
		return o // reused with the stream: no allocation
	}
	return &safeOwner{p, s}
}

// closeSend marks the end with a Finished token unless the last token was
// one, then lets go. It gives up when the consumer has left or ctx ends.
func (o *safeOwner) closeSend(s *Stream, ctx context.Context) {
	if !s.lastFinished {
		select {
		case s.C <- domain.Token{Finished: true}:
		case <-s.quit:
		case <-ctx.Done():
		}
	}
	o.release()
}

// done lets the consumer go. Leaving before the end closes quit, which
// stops the producer's sends.
func (o *safeOwner) done(s *Stream) {
	if !s.sawEnd {
		close(s.quit)
	}
	o.release()
}

func (o *safeOwner) release() {
	if o.s.refs.Add(-1) != 0 {
		return
	}
	s := &o.s.Stream
	for len(s.C) > 0 {
		<-s.C // nobody else holds the stream now
		if testHookDrained != nil {
			testHookDrained()
		}
	}
	select {
	case <-s.quit:
		s.quit = make(chan struct{}) // a closed channel cannot be reopened
	default:
	}
	s.err, s.lastFinished, s.sawEnd = nil, false, false
	o.p.pool.Put(o.s)
}

func (p *safePool) Stats() PoolStats {
	return PoolStats{Opened: p.opened.Load(), Allocated: p.allocated.Load()}
}
