package bench

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmbench/llmbench/core/domain"
	"github.com/llmbench/llmbench/core/stream"
)

var tokenCounts = []int{1, 16, 256}

func ctxSender() stream.Sender { s, _ := stream.NewSender("ctx", 0); return s }

func tokenTexts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "tok" + strconv.Itoa(i) + " "
	}
	return out
}

// streamOnce runs one stream end to end: a producer goroutine sends every
// token, the consumer reads to the end and releases the stream.
func streamOnce(b *testing.B, pool stream.Pool, sender func() stream.Sender, texts []string) {
	s := pool.Open()
	go stream.Produce(context.Background(), s, sender(), texts)
	if _, n, err := stream.Consume(s); err != nil || n != len(texts) {
		b.Fatalf("stream: %d of %d tokens, %v", n, len(texts), err)
	}
}

// BenchmarkStreamPool: a whole stream per op through each channel pool
// (sender ctx). chans-alloc/op is the share of streams that needed a new
// channel: 1 for the seed, whose channels are never returned.
func BenchmarkStreamPool(b *testing.B) {
	for _, impl := range stream.Pools.Names() {
		for _, n := range tokenCounts {
			b.Run(fmt.Sprintf("impl=%s/tokens=%d", impl, n), func(b *testing.B) {
				pool, _ := stream.NewPool(impl)
				texts := tokenTexts(n)
				extra := counter{s: slowdownFor(b)}
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N { // not b.Loop: producer and consumer run in parallel (see doc.go)
					for again := true; again; again = extra.extra() {
						streamOnce(b, pool, ctxSender, texts)
					}
				}
				st := pool.Stats()
				b.ReportMetric(float64(st.Allocated)/float64(st.Opened), "chans-alloc/op")
			})
		}
	}
}

// BenchmarkStreamSender: the same with each way of bounding a send
// (unpooled channels). timeafter allocates a timer per token.
func BenchmarkStreamSender(b *testing.B) {
	for _, impl := range stream.Senders.Names() {
		for _, n := range tokenCounts {
			b.Run(fmt.Sprintf("impl=%s/tokens=%d", impl, n), func(b *testing.B) {
				pool, _ := stream.NewPool("unpooled")
				texts := tokenTexts(n)
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N { // not b.Loop: producer and consumer run in parallel (see doc.go)
					streamOnce(b, pool, func() stream.Sender { s, _ := stream.NewSender(impl, time.Second); return s }, texts)
				}
				b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "tokens/s")
			})
		}
	}
}

// senderCell is one cell of BenchmarkStreamSenderSteps: a send bounded by
// a timer made per token (time.After) or by one timer reused for the
// stream, with or without the shortcut of sending at once when the buffer
// has room. Cell after/no mirrors core stream's timeafter sender, cell
// reused/yes its timer sender; the other two are each with one of the two
// changes. No cell has the core senders' case for a consumer that quits:
// it is a nil channel with the unpooled pool, the only one used here, whose
// CloseSend needs nothing else of a sender.
type senderCell struct {
	timeout         time.Duration
	reuse, shortcut bool
	t               *time.Timer
	timed           *atomic.Int64 // sends that armed a timer
}

func (c *senderCell) Send(ctx context.Context, s *stream.Stream, tok domain.Token) error {
	if c.shortcut {
		select {
		case s.C <- tok:
			return nil
		default:
		}
	}
	c.timed.Add(1)
	var expired <-chan time.Time
	if c.reuse {
		if c.t == nil {
			c.t = time.NewTimer(c.timeout)
		} else {
			c.t.Reset(c.timeout)
		}
		expired = c.t.C
	} else {
		expired = time.After(c.timeout)
	}
	select {
	case s.C <- tok:
		return nil
	case <-expired:
		return stream.ErrSendTimeout
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *senderCell) Stop() {
	if c.t != nil {
		c.t.Stop()
	}
}

// BenchmarkStreamSenderSteps separates the two changes between the
// timeafter and timer senders, as a 2×2: timer=after (a time.After per
// send) or reused (one timer per stream), shortcut=no or yes (send at
// once when the buffer has room, touching no timer). timed-sends/token is
// the share of sends that armed a timer.
//
//	go tool benchstat -filter '.name:StreamSenderSteps' -row /timer -col /shortcut FILE
func BenchmarkStreamSenderSteps(b *testing.B) {
	for _, timer := range []string{"after", "reused"} {
		for _, shortcut := range []string{"no", "yes"} {
			for _, n := range []int{16, 256} {
				b.Run(fmt.Sprintf("timer=%s/shortcut=%s/tokens=%d", timer, shortcut, n), func(b *testing.B) {
					pool, _ := stream.NewPool("unpooled")
					texts := tokenTexts(n)
					var timed atomic.Int64
					newCell := func() stream.Sender {
						return &senderCell{timeout: time.Second, reuse: timer == "reused", shortcut: shortcut == "yes", timed: &timed}
					}
					b.ReportAllocs()
					b.ResetTimer()
					for range b.N { // not b.Loop: producer and consumer run in parallel (see doc.go)
						streamOnce(b, pool, newCell, texts)
					}
					b.StopTimer()
					b.ReportMetric(float64(timed.Load())/float64(b.N*n), "timed-sends/token")
				})
			}
		}
	}
}

var (
	sinkToken    domain.Token
	sinkResponse domain.Response
	tokenCh      = make(chan *domain.Token, 1)
)

// BenchmarkTokenPool: making a token. seed and none hand out values; the
// seed's round trip through a sync.Pool only adds time. pointer and alloc
// pass *Token through a channel, where pooling saves the allocation.
func BenchmarkTokenPool(b *testing.B) {
	b.Run("impl=seed", func(b *testing.B) {
		var p stream.SeedTokenPool
		b.ReportAllocs()
		for b.Loop() {
			sinkToken = p.NewToken("hello", false)
		}
	})
	b.Run("impl=none", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkToken = domain.Token{Text: "hello"}
		}
	})
	b.Run("impl=pointer", func(b *testing.B) {
		var p stream.ObjectPool[domain.Token]
		b.ReportAllocs()
		for b.Loop() {
			t := p.Get()
			t.Text = "hello"
			tokenCh <- t
			p.Put(<-tokenCh)
		}
	})
	b.Run("impl=alloc", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			tokenCh <- &domain.Token{Text: "hello"}
			<-tokenCh
		}
	})
}

// BenchmarkResponsePool: the same for responses.
func BenchmarkResponsePool(b *testing.B) {
	b.Run("impl=seed", func(b *testing.B) {
		var p stream.SeedResponsePool
		b.ReportAllocs()
		for b.Loop() {
			sinkResponse = p.NewResponse("hello")
		}
	})
	b.Run("impl=none", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkResponse = domain.Response{Content: "hello"}
		}
	})
}
