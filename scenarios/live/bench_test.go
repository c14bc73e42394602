package live

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/llmbench/llmbench/scenarios/engine"
	"github.com/llmbench/llmbench/scenarios/plan"
)

// BenchmarkEngineScraped is the engine's cost per request (a closed loop
// of 8 users against a zero-latency mock, streamed) with no live metrics,
// with them served but not scraped, and scraped every 10 ms, a hundred
// times Prometheus's usual pace: what scraping costs the measured run.
func BenchmarkEngineScraped(b *testing.B) {
	for _, mode := range []string{"none", "served", "every-10ms"} {
		b.Run("scrape="+mode, func(b *testing.B) {
			p, err := plan.Resolve([]byte(fmt.Sprintf(`
providers: {llm: {ttft: 0s, itl: 0s, output_tokens: 4, capacity: 0}}
workload: {concurrency: 8, requests: %d, timeout: 10s, prompt: {tokens: 8}}
pipeline: {stream: {impl: safe, sender: ctx}}
`, b.N)), "bench.yaml", ".", plan.Overrides{})
			if err != nil {
				b.Fatal(err)
			}
			opts := engine.Options{SkipFloor: true}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if mode != "none" {
				opts.Live = engine.NewLive()
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					b.Fatal(err)
				}
				served := make(chan error, 1)
				go func() { served <- Serve(ctx, ln, NewCollector(opts.Live, "all")) }()
				defer func() { cancel(); <-served }()
				if mode == "every-10ms" {
					stop := make(chan struct{})
					done := make(chan struct{})
					go func() {
						defer close(done)
						t := time.NewTicker(10 * time.Millisecond)
						defer t.Stop()
						for {
							select {
							case <-stop:
								return
							case <-t.C:
								if resp, err := http.Get("http://" + ln.Addr().String() + "/metrics"); err == nil {
									io.Copy(io.Discard, resp.Body)
									resp.Body.Close()
								}
							}
						}
					}()
					defer func() { close(stop); <-done }()
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			if _, err := engine.Run(ctx, p, opts); err != nil {
				b.Fatal(err)
			}
		})
	}
}
