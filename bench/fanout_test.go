package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/llmbench/llmbench/core/domain"
	"github.com/llmbench/llmbench/core/fanout"
	"github.com/llmbench/llmbench/mockprovider"
)

func constantProvider(b *testing.B, name string, ttft time.Duration, reply string) *mockprovider.Provider {
	p, err := mockprovider.New(mockprovider.Config{
		Name:         name,
		TTFT:         mockprovider.DistSpec{Dist: "constant", Value: &mockprovider.Quantity{V: float64(ttft), IsDuration: true}},
		ITL:          mockprovider.DistSpec{Dist: "constant", Value: &mockprovider.Quantity{IsDuration: true}},
		OutputTokens: mockprovider.DistSpec{Dist: "constant", Value: &mockprovider.Quantity{V: 1}},
		Reply:        reply,
	})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkFanout: one request to three in-process mock providers that
// answer after 1, 5 and 20 ms (the last one differs from the others). ns/op
// is the time to the answer; calls-running/op counts provider calls still
// running when the answer is returned: the seed's "fastest" waits for all
// and cancels none, so it answers in 20 ms.
func BenchmarkFanout(b *testing.B) {
	strategies := []struct {
		name string
		cfg  fanout.Config
	}{
		{"fastest", fanout.Config{Strategy: fanout.Fastest}},
		{"primary", fanout.Config{Strategy: fanout.Primary}},
		{"majority", fanout.Config{Strategy: fanout.Consensus, Method: fanout.Majority}},
		{"similarity", fanout.Config{Strategy: fanout.Consensus, Method: fanout.Similarity}},
		{"weighted", fanout.Config{Strategy: fanout.Consensus, Method: fanout.Weighted, Weights: []float64{1, 1, 3}}},
	}
	for _, impl := range fanout.Registry.Names() {
		for _, s := range strategies {
			b.Run(fmt.Sprintf("impl=%s/strategy=%s", impl, s.name), func(b *testing.B) {
				ps := []*mockprovider.Provider{
					constantProvider(b, "fast", time.Millisecond, "the answer is 42"),
					constantProvider(b, "mid", 5*time.Millisecond, "the answer is 42"),
					constantProvider(b, "slow", 20*time.Millisecond, "no idea"),
				}
				m, err := fanout.New(impl, []domain.Provider{ps[0], ps[1], ps[2]}, s.cfg)
				if err != nil {
					b.Fatal(err)
				}
				running := 0
				b.ReportAllocs()
				for b.Loop() {
					if _, err := m.Generate(context.Background(), "question"); err != nil {
						b.Fatal(err)
					}
					for _, p := range ps {
						running += p.Stats().InFlight
					}
				}
				b.ReportMetric(float64(running)/float64(b.N), "calls-running/op")
				waitIdle(ps)
			})
		}
	}
}

// waitIdle waits for cancelled provider calls to return, so that no
// benchmark leaves goroutines to the next.
func waitIdle(ps []*mockprovider.Provider) {
	for _, p := range ps {
		for p.Stats().InFlight > 0 {
			time.Sleep(time.Millisecond)
		}
	}
}
