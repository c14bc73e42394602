package live

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/llmbench/llmbench/scenarios/engine"
	"github.com/llmbench/llmbench/scenarios/plan"
)

// BenchmarkEngineScraped is the engine's cost per request (a closed loop
// of 8 users against a zero-latency mock, streamed: its worst case) with no
// live metrics, with them served but not scraped, gathered directly every
// 10 ms (the collection's own cost, at a hundred times Prometheus's usual
// pace), and scraped over HTTP from this process every second and every
// 100 ms.
func BenchmarkEngineScraped(b *testing.B) {
	for _, mode := range []struct {
		name   string
		period time.Duration
		http   bool
	}{{"none", 0, false}, {"served", 0, true}, {"gather-10ms", 10 * time.Millisecond, false}, {"http-1s", time.Second, true}, {"http-100ms", 100 * time.Millisecond, true}} {
		b.Run("scrape="+mode.name, func(b *testing.B) {
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
			if mode.name != "none" {
				opts.Live = engine.NewLive()
			}
			var url string
			if mode.http {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					b.Fatal(err)
				}
				url = "http://" + ln.Addr().String() + "/metrics"
				served := make(chan error, 1)
				go func() { served <- Serve(ctx, ln, NewCollector(opts.Live, "all")) }()
				defer func() { cancel(); <-served }()
			}
			if mode.period > 0 {
				reg := prometheus.NewRegistry()
				reg.MustRegister(NewCollector(opts.Live, "all"))
				stop, done := make(chan struct{}), make(chan struct{})
				go func() {
					defer close(done)
					t := time.NewTicker(mode.period)
					defer t.Stop()
					for {
						select {
						case <-stop:
							return
						case <-t.C:
							if !mode.http {
								_, _ = reg.Gather()
							} else if resp, err := http.Get(url); err == nil {
								_, _ = io.Copy(io.Discard, resp.Body)
								resp.Body.Close()
							}
						}
					}
				}()
				defer func() { close(stop); <-done }()
			}
			b.ReportAllocs()
			b.ResetTimer()
			if _, err := engine.Run(ctx, p, opts); err != nil {
				b.Fatal(err)
			}
		})
	}
}
