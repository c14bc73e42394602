package stream

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/llmbench/llmbench/core/domain"
	"github.com/llmbench/llmbench/core/internal/testkit"
)

// Each TestSeedDefect test runs on every pool, sender or helper of its
// kind from one table: the seed's (or the document's) shows the defect,
// the corrected ones do not; a row says why where one does not apply.

const noPut = "no Put: a channel has one owner for life and the producer closes it"

func TestSeedDefectStreamPutHandsLiveChannelToNewOwner(t *testing.T) {
	table := map[string]string{"seed": "", "safe": "", "unpooled": noPut}
	for _, name := range Pools.Names() {
		t.Run("pool="+name, func(t *testing.T) {
			if why := testkit.Want(t, name, table); why != "" {
				t.Skip(why)
			}
			testkit.Within(t, testkit.Bound, "the abandon-and-reopen sequence", func() {
				if name == "seed" {
					seedPutHandsOver(t)
				} else {
					safeNoHandOver(t)
				}
			})
		})
	}
}

// seedPutHandsOver: a consumer reads one token, abandons and Puts the
// channel as the original's documentation suggests, while its producer
// goes on: the next stream gets the old producer's token, then its close,
// and its own producer panics.
func seedPutHandsOver(t *testing.T) {
	p := newSeedPool()
	// sync.Pool may drop a Put (at random under -race): retry until the
	// pool hands the abandoned channel to the next Open.
	for range 100 {
		old := p.Open()
		old.C <- domain.Token{Text: "old-1"} // the old producer
		<-old.C                              // the consumer reads one token...
		p.Put(old.C)                         // ...abandons, and Puts
		old.C <- domain.Token{Text: "old-2"} // the old producer goes on
		next := p.Open()
		if next.C != old.C {
			continue
		}
		tok := <-next.C
		assert.Equal(t, "old-2", tok.Text, "the new owner receives the old stream's token")
		close(old.C) // the old producer finishes
		assert.Panics(t, func() { next.C <- domain.Token{Text: "new-1"} }, "the new producer sends on a closed channel")
		return
	}
	t.Fatal("the pool never handed the abandoned channel out again")
}

// safeNoHandOver: the same abandonment with the safe pool: the old producer
// is stopped, and the recycled stream carries only its own tokens.
func safeNoHandOver(t *testing.T) {
	p := newSafePool()
	for range 100 {
		ctx := context.Background()
		old := p.Open()
		produced := make(chan error, 1)
		go func() { produced <- Produce(ctx, old, ctxSender{}, words(100, "old")) }()
		_, ok := old.Recv()
		require.True(t, ok)
		old.Done() // abandon without cancelling anything
		assert.ErrorIs(t, <-produced, ErrAbandoned)

		next := p.Open()
		go Produce(ctx, next, ctxSender{}, []string{"new"})
		text, _, err := Consume(next)
		require.NoError(t, err)
		assert.Equal(t, "new", text, "no stale token")
	}
}

func TestSeedDefectStreamPutSpinsWhileProducerSends(t *testing.T) {
	// The seed's Put drains until the channel is momentarily empty: a
	// producer that sends as fast as Put drains (the hook sends one token
	// for each one drained, 1000 times) keeps it receiving, and every one
	// of those tokens is thrown away. The safe pool drains only once both
	// sides have let go: its producer is stopped first, so at most a
	// buffer's worth is left to drain.
	type row struct {
		drainedAtMost int
		na            string
	}
	table := map[string]row{"seed": {drainedAtMost: 1 << 30}, "safe": {drainedAtMost: Buffer}, "unpooled": {na: noPut}}
	for _, name := range Pools.Names() {
		t.Run("pool="+name, func(t *testing.T) {
			w := testkit.Want(t, name, table)
			if w.na != "" {
				t.Skip(w.na)
			}
			var drained atomic.Int32
			defer func() { testHookDrained = nil }()
			testkit.Within(t, testkit.Bound, "Put", func() {
				if name == "seed" {
					p := newSeedPool()
					ch := p.Open().C
					ch <- domain.Token{Text: "t"}
					testHookDrained = func() {
						if drained.Add(1) <= 1000 {
							ch <- domain.Token{Text: "t"} // the producer, still sending
						}
					}
					p.Put(ch)
					return
				}
				testHookDrained = func() { drained.Add(1) }
				p := newSafePool()
				s := p.Open()
				produced := make(chan error, 1)
				go func() { produced <- Produce(context.Background(), s, ctxSender{}, words(1000, "t")) }()
				_, ok := s.Recv()
				require.True(t, ok)
				s.Done()
				assert.ErrorIs(t, <-produced, ErrAbandoned, "the producer is stopped")
			})
			t.Logf("tokens drained: %d", drained.Load())
			if name == "seed" {
				assert.Equal(t, int32(1001), drained.Load(), "Put received every token the producer sent")
			} else {
				assert.LessOrEqual(t, int(drained.Load()), w.drainedAtMost)
			}
		})
	}
}

func TestSeedDefectStreamPoolNeverReuses(t *testing.T) {
	type row struct {
		allAllocated bool
		why          string
	}
	table := map[string]row{
		"seed":     {allAllocated: true, why: "nobody Puts, so the pool only adds cost"},
		"unpooled": {allAllocated: true, why: "a new channel per stream is what it is"},
		"safe":     {allAllocated: false},
	}
	for _, name := range Pools.Names() {
		t.Run("pool="+name, func(t *testing.T) {
			w := testkit.Want(t, name, table)
			p, _ := NewPool(name)
			testkit.Within(t, testkit.Bound, "100 streams", func() {
				for range 100 {
					s := p.Open()
					go Produce(context.Background(), s, ctxSender{}, words(3, "w"))
					_, _, err := Consume(s)
					require.NoError(t, err)
				}
			})
			st := p.Stats()
			t.Logf("channels allocated for %d streams: %d", st.Opened, st.Allocated)
			if w.allAllocated {
				assert.Equal(t, st.Opened, st.Allocated, w.why)
			} else {
				assert.Less(t, st.Allocated, st.Opened/2)
			}
		})
	}
}

func TestSeedDefectStreamAbandonedProducerLeaks(t *testing.T) {
	// The consumer stops reading and lets go without cancelling: the
	// document's producers block on a full buffer for good (a leak goleak
	// finds); the safe pool's quit channel stops them.
	leaks := map[string]bool{"seed": true, "unpooled": true, "safe": false}
	for _, name := range Pools.Names() {
		t.Run("pool="+name, func(t *testing.T) {
			want := testkit.Want(t, name, leaks)
			p, _ := NewPool(name)
			before := goleak.IgnoreCurrent()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			s := p.Open()
			exited := make(chan struct{})
			go func() {
				defer close(exited)
				Produce(ctx, s, ctxSender{}, words(100, "w"))
			}()
			s.Recv()
			s.Done()
			leak := goleak.Find(before) // retries for a while before reporting
			assert.Equal(t, want, leak != nil, "the producer is still blocked: %v", leak)
			cancel()
			<-exited
		})
	}
}

func TestSeedDefectStreamTimeAfterIgnoresCancel(t *testing.T) {
	// The consumer reads two tokens, cancels its context and leaves. The
	// document's streamTokens has no context case: its producer waits out
	// the send timeout. The other senders return at once.
	lingers := map[string]bool{"timeafter": true, "timer": false, "ctx": false}
	for _, name := range Senders.Names() {
		t.Run("sender="+name, func(t *testing.T) {
			want := testkit.Want(t, name, lingers)
			synctest.Test(t, func(t *testing.T) {
				s := (&unpooled{}).Open()
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				go func() { done <- Produce(ctx, s, mustSender(t, name, time.Minute), words(1000, "y")) }()
				s.Recv()
				s.Recv()
				start := time.Now()
				cancel()
				s.Done()
				err := <-done
				waited := time.Since(start)
				t.Logf("producer returned %v after the cancel: %v", waited, err)
				assert.Equal(t, want, waited == time.Minute, "the producer waited out its send timeout")
				for range s.C { // let the bubble end
				}
			})
		})
	}
}

func TestSeedDefectStreamSafeSendLosesTokens(t *testing.T) {
	// Ten sends into a buffer of 4 that nobody reads: the caller counts the
	// tokens it is told went out; the channel holds what really did.
	sends := map[string]func(ch chan domain.Token) (delivered bool){
		"SafeSend":    func(ch chan domain.Token) bool { return !SafeSend(ch, domain.Token{Text: "t"}) },
		"TrySendSafe": func(ch chan domain.Token) bool { sent, _ := TrySendSafe(ch, domain.Token{Text: "t"}); return sent },
	}
	lost := map[string]int{"SafeSend": 6, "TrySendSafe": 0}
	for name, send := range sends {
		t.Run("func="+name, func(t *testing.T) {
			ch := make(chan domain.Token, 4)
			believed := 0
			for range 10 {
				if send(ch) {
					believed++
				}
			}
			t.Logf("tokens reported sent but lost: %d of %d", believed-len(ch), believed)
			assert.Equal(t, testkit.Want(t, name, lost), believed-len(ch))
		})
	}
}

func TestSeedDefectStreamTrySendPanicsOnClosed(t *testing.T) {
	// The document's comment says TrySend returns false for "full or
	// closed"; on a closed channel it panics.
	sends := map[string]func(ch chan domain.Token) bool{
		"TrySend":     func(ch chan domain.Token) bool { return TrySend(ch, domain.Token{}) },
		"TrySendSafe": func(ch chan domain.Token) bool { sent, _ := TrySendSafe(ch, domain.Token{}); return sent },
	}
	panics := map[string]bool{"TrySend": true, "TrySendSafe": false}
	for name, send := range sends {
		t.Run("func="+name, func(t *testing.T) {
			ch := make(chan domain.Token, 1)
			close(ch)
			panicked := func() (p bool) {
				defer func() { p = recover() != nil }()
				send(ch)
				return false
			}()
			assert.Equal(t, testkit.Want(t, name, panics), panicked)
		})
	}
	_, closed := TrySendSafe(closedChan(), domain.Token{})
	assert.True(t, closed, "the corrected send reports the closed channel")
}

func closedChan() chan domain.Token {
	ch := make(chan domain.Token)
	close(ch)
	return ch
}

func TestSeedDefectStreamTryReceiveCannotTellClosed(t *testing.T) {
	// What a poller sees on an empty channel and on a closed one: the
	// document's TryReceive returns the same for both.
	recvs := map[string]func(ch chan domain.Token) any{
		"TryReceive": func(ch chan domain.Token) any {
			tok, ok := TryReceive(ch)
			return [2]any{tok, ok}
		},
		"TryRecv": func(ch chan domain.Token) any {
			tok, ok, closed := TryRecv(ch)
			return [3]any{tok, ok, closed}
		},
	}
	same := map[string]bool{"TryReceive": true, "TryRecv": false}
	for name, recv := range recvs {
		t.Run("func="+name, func(t *testing.T) {
			empty := recv(make(chan domain.Token, 1))
			closed := recv(closedChan())
			assert.Equal(t, testkit.Want(t, name, same), empty == closed, "empty %v, closed %v", empty, closed)
		})
	}
}

func TestSeedDefectStreamTimerPerToken(t *testing.T) {
	// Allocations per token sent, on both paths a send can take: room in
	// the buffer, and a full buffer, where the send waits (here it gives up
	// at once on an ended context, or after the timeout for the document's
	// sender, which ignores the context: fake time, in a bubble).
	timerPerToken := map[string]bool{"timeafter": true, "timer": false, "ctx": false}
	for _, name := range Senders.Names() {
		t.Run("sender="+name, func(t *testing.T) {
			want := testkit.Want(t, name, timerPerToken)
			synctest.Test(t, func(t *testing.T) {
				s := (&unpooled{}).Open()
				snd := mustSender(t, name, time.Second)
				defer snd.Stop()
				room := testing.AllocsPerRun(200, func() {
					_ = snd.Send(context.Background(), s, domain.Token{Text: "a"})
					<-s.C
				})
				for range Buffer {
					s.C <- domain.Token{}
				}
				ended, cancel := context.WithCancel(context.Background())
				cancel()
				full := testing.AllocsPerRun(200, func() { _ = snd.Send(ended, s, domain.Token{Text: "a"}) })
				t.Logf("allocations per token sent: %.1f with room, %.1f waiting", room, full)
				assert.Equal(t, want, room >= 1 || full >= 1, "a new timer for every token")
			})
		})
	}
}
