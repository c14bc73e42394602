package bench

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/llmbench/llmbench/core/domain"
	"github.com/llmbench/llmbench/core/stream"
)

var tokenCounts = []int{1, 16, 256}

func tokenTexts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "tok" + strconv.Itoa(i) + " "
	}
	return out
}

// streamOnce runs one stream end to end: a producer goroutine sends every
// token, the consumer reads to the end and releases the stream.
func streamOnce(b *testing.B, pool stream.Pool, sender string, texts []string) {
	s := pool.Open()
	snd, _ := stream.NewSender(sender, time.Second)
	go stream.Produce(context.Background(), s, snd, texts)
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
				for b.Loop() {
					for again := true; again; again = extra.extra() {
						streamOnce(b, pool, "ctx", texts)
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
				for b.Loop() {
					streamOnce(b, pool, impl, texts)
				}
				b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "tokens/s")
			})
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
