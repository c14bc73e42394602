package bench

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/montanaflynn/stats"

	"github.com/llmbench/llmbench/core/stream"
	"github.com/llmbench/llmbench/mockprovider"
	"github.com/llmbench/llmbench/mockprovider/openai"
)

func instantProvider(b *testing.B, tokens int) *mockprovider.Provider {
	return scheduledProvider(b, 0, 0, tokens, 0)
}

func scheduledProvider(b *testing.B, ttft, itl time.Duration, tokens, capacity int) *mockprovider.Provider {
	d := func(v time.Duration) mockprovider.DistSpec {
		return mockprovider.DistSpec{Dist: "constant", Value: &mockprovider.Quantity{V: float64(v), IsDuration: true}}
	}
	p, err := mockprovider.New(mockprovider.Config{
		Capacity:     capacity,
		TTFT:         d(ttft),
		ITL:          d(itl),
		OutputTokens: mockprovider.DistSpec{Dist: "constant", Value: &mockprovider.Quantity{V: float64(tokens)}},
	})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkMockRequest: the in-process mock's own cost for a request at
// zero latency, non-streamed (one token).
func BenchmarkMockRequest(b *testing.B) {
	p := instantProvider(b, 1)
	ctx := context.Background()
	if _, err := p.Generate(ctx, "q"); err != nil { // first-use setup, before the timer
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N { // not b.Loop: the mock schedules on its own goroutines (see doc.go)
		if _, err := p.Generate(ctx, "q"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMockStream: its cost per streamed token at zero latency, through
// the safe pool with the ctx sender (ns/token, allocs counted per stream).
func BenchmarkMockStream(b *testing.B) {
	for _, tokens := range []int{16, 256} {
		b.Run(fmt.Sprintf("tokens=%d", tokens), func(b *testing.B) {
			p := instantProvider(b, tokens)
			pool, _ := stream.NewPool("safe")
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N { // not b.Loop: producer and consumer run in parallel (see doc.go)
				snd, _ := stream.NewSender("ctx", 0)
				s, err := p.OpenStream(ctx, userMsg, pool, snd)
				if err != nil {
					b.Fatal(err)
				}
				if _, n, err := stream.Consume(s); err != nil || n != tokens {
					b.Fatalf("%d tokens, %v", n, err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*tokens), "ns/token")
		})
	}
}

// BenchmarkMockFidelity: 500 concurrent streams, TTFT 50 ms, 100 tokens
// 10 ms apart, as a consumer sees them. It reports the TTFT error (arrival −
// due) at p50 and p99 and the lateness of the last token, in ms. It takes a
// second per op: make bench skips it, make fidelity runs it.
func BenchmarkMockFidelity(b *testing.B) {
	const streams, tokens = 500, 100
	const ttft, itl = 50 * time.Millisecond, 10 * time.Millisecond
	p := scheduledProvider(b, ttft, itl, tokens, 0)
	pool, _ := stream.NewPool("unpooled")
	var ttftErr, endErr []float64
	var mu sync.Mutex
	b.ResetTimer()
	for range b.N { // not b.Loop: 500 streams in parallel (see doc.go)
		var wg sync.WaitGroup
		for range streams {
			wg.Go(func() {
				snd, _ := stream.NewSender("ctx", 0)
				start := time.Now()
				s, err := p.OpenStream(context.Background(), nil, pool, snd)
				if err != nil {
					b.Error(err)
					return
				}
				var first, last time.Time
				for {
					tok, ok := s.Recv()
					if !ok {
						break
					}
					if first.IsZero() {
						first = time.Now()
					}
					last = time.Now()
					if tok.Finished {
						break
					}
				}
				s.Done()
				mu.Lock()
				ttftErr = append(ttftErr, ms(first.Sub(start)-ttft))
				endErr = append(endErr, ms(last.Sub(start)-ttft-(tokens-1)*itl))
				mu.Unlock()
			})
		}
		wg.Wait()
	}
	for name, xs := range map[string][]float64{"ttft-err": ttftErr, "end-err": endErr} {
		p50, _ := stats.Percentile(xs, 50)
		p99, _ := stats.Percentile(xs, 99)
		b.ReportMetric(p50, name+"-p50-ms")
		b.ReportMetric(p99, name+"-p99-ms")
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkOpenAIServer: requests/s of the HTTP mock on loopback at zero
// latency, client and server on this machine; 16 tokens, as one JSON
// answer or as 16 SSE events.
func BenchmarkOpenAIServer(b *testing.B) {
	for _, mode := range []string{"json", "sse"} {
		b.Run("mode="+mode, func(b *testing.B) {
			srv := httptest.NewServer(openai.NewServer(instantProvider(b, 16)))
			defer srv.Close()
			c, err := openai.NewClient(openai.ClientConfig{BaseURL: srv.URL + "/v1", Model: "mock-gpt"}) // the mock's default model
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			pool, _ := stream.NewPool("unpooled")
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer() // starting the server and client is setup
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if mode == "json" {
						if _, err := c.Generate(ctx, "q"); err != nil {
							b.Error(err)
							return
						}
						continue
					}
					snd, _ := stream.NewSender("ctx", 0)
					s, err := c.OpenStream(ctx, userMsg, pool, snd)
					if err != nil {
						b.Error(err)
						return
					}
					if _, _, err := stream.Consume(s); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			reportOpsPerSec(b)
		})
	}
}
