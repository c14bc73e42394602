package bench

import (
	"crypto/sha256"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/llmbench/llmbench/core/compute"
)

var computeInput = make([]byte, 4096)

// expensive stands for a costly computation (about 2 µs of hashing).
func expensive(key string) string {
	sum := sha256.Sum256(append(computeInput[:len(computeInput)-len(key)], key...))
	return string(sum[:8])
}

// BenchmarkCompute: every goroutine walks the same sequence of keys, each
// key new, so goroutines miss on the same key at about the same time: a
// burst on a hot key. dup-computes/op is the share of operations that
// computed a value someone else was computing.
func BenchmarkCompute(b *testing.B) {
	keys := make([]string, 1<<16)
	for i := range keys {
		keys[i] = "k" + strconv.Itoa(i)
	}
	for _, impl := range compute.Variants {
		b.Run(fmt.Sprintf("impl=%s", impl), func(b *testing.B) {
			c, _ := compute.New[string](impl)
			b.ReportAllocs()
			var mu sync.Mutex
			var maxI int
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					k := keys[(i/4)%len(keys)] // four lookups per key and goroutine
					c.GetOrCompute(k, func() string { return expensive(k) })
					i++
				}
				mu.Lock() // once per goroutine, after its loop
				maxI = max(maxI, i)
				mu.Unlock()
			})
			b.StopTimer()
			distinct := min((maxI+3)/4, len(keys))
			b.ReportMetric(float64(c.Computes()-int64(distinct))/float64(b.N), "dup-computes/op")
		})
	}
}
