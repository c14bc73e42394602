package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/llmbench/llmbench/scenarios/plan"
)

// BenchmarkEngine is the harness's own cost per request: a closed loop of
// users against a zero-latency in-process mock with no stage, so that all
// that is measured is scheduling, recording and the mock (ns/op and
// allocs/op per request). stream=safe adds a streamed answer of 4 tokens.
func BenchmarkEngine(b *testing.B) {
	for _, streamed := range []bool{false, true} {
		name := "stream=none"
		pipeline := ""
		if streamed {
			name, pipeline = "stream=safe", "pipeline: {stream: {impl: safe, sender: ctx}}\n"
		}
		b.Run(name, func(b *testing.B) {
			p, err := plan.Resolve([]byte(fmt.Sprintf(`
providers: {llm: {ttft: 0s, itl: 0s, output_tokens: 4, capacity: 0}}
workload: {concurrency: 8, requests: %d, timeout: 10s, prompt: {tokens: 8}}
%s`, b.N, pipeline)), "bench.yaml", ".", plan.Overrides{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			res, err := Run(context.Background(), p, Options{SkipFloor: true})
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if ok := res.Variants[0].Reps[0].Outcomes.OK; ok != int64(b.N) {
				b.Fatalf("%d of %d requests ok", ok, b.N)
			}
		})
	}
}
