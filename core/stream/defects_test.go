package stream

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/llmbench/llmbench/core/domain"
)

func TestSeedDefectStreamPutHandsLiveChannelToNewOwner(t *testing.T) {
	t.Run("pool=seed", func(t *testing.T) {
		p := newSeedPool()
		// sync.Pool may drop a Put (at random under -race): retry until the
		// pool hands the abandoned channel to the next Open.
		for attempt := 0; attempt < 100; attempt++ {
			old := p.Open()
			old.C <- domain.Token{Text: "old-1"} // the old producer
			<-old.C                              // the consumer reads one token...
			p.Put(old.C)                         // ...abandons, and Puts as the docs suggest
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
	})
	t.Run("pool=safe", func(t *testing.T) {
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
	})
}

func TestSeedDefectStreamPoolNeverReuses(t *testing.T) {
	for _, name := range Pools.Names() {
		t.Run("pool="+name, func(t *testing.T) {
			p, _ := NewPool(name)
			for range 100 {
				s := p.Open()
				go Produce(context.Background(), s, ctxSender{}, words(3, "w"))
				_, _, err := Consume(s)
				require.NoError(t, err)
			}
			st := p.Stats()
			t.Logf("channels allocated for %d streams: %d", st.Opened, st.Allocated)
			switch name {
			case "seed":
				assert.Equal(t, st.Opened, st.Allocated, "nobody Puts, so the pool only adds cost")
			case "safe":
				assert.Less(t, st.Allocated, st.Opened/2)
			}
		})
	}
}

func TestSeedDefectStreamAbandonedProducerLeaks(t *testing.T) {
	// The consumer stops reading and lets go without cancelling: the
	// document's producers block on a full buffer for good (a leak goleak
	// finds); the safe pool's quit channel stops them.
	for _, name := range Pools.Names() {
		t.Run("pool="+name, func(t *testing.T) {
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
			if name == "safe" {
				assert.NoError(t, leak)
			} else {
				assert.Error(t, leak, "the producer is still blocked")
			}
			cancel()
			<-exited
		})
	}
}

func TestSeedDefectStreamSafeSendLosesTokens(t *testing.T) {
	ch := make(chan domain.Token, 4)
	lost := 0
	for range 10 {
		if closed := SafeSend(ch, domain.Token{Text: "t"}); !closed {
			continue // the caller's view: delivered
		}
	}
	lost = 10 - len(ch)
	t.Logf("tokens reported sent but lost: %d of 10", lost)
	assert.Equal(t, 6, lost)
	close(ch)
	assert.True(t, SafeSend(ch, domain.Token{}), "a closed channel is reported")
}

func TestSeedDefectStreamTrySendPanicsOnClosed(t *testing.T) {
	ch := make(chan domain.Token, 1)
	close(ch)
	assert.Panics(t, func() { TrySend(ch, domain.Token{}) }, `documented as returning false for "full or closed"`)
}

func TestSeedDefectStreamTimerPerToken(t *testing.T) {
	for _, name := range Senders.Names() {
		t.Run("sender="+name, func(t *testing.T) {
			s := (&unpooled{}).Open()
			snd := mustSender(t, name, time.Second)
			defer snd.Stop()
			ctx := context.Background()
			allocs := testing.AllocsPerRun(200, func() {
				_ = snd.Send(ctx, s, domain.Token{Text: "a"})
				<-s.C
			})
			t.Logf("allocations per token sent: %.1f", allocs)
			if name == "timeafter" {
				assert.GreaterOrEqual(t, allocs, 1.0, "a new timer for every token")
			} else {
				assert.Zero(t, allocs)
			}
		})
	}
}
