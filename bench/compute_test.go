package bench

import (
	"crypto/sha256"
	"fmt"
	"runtime"
	"strconv"
	"testing"

	"github.com/llmbench/llmbench/core/compute"
)

// expensive stands for a costly computation (about 2 µs of hashing).
func expensive(key string) string {
	var buf [4096]byte
	copy(buf[len(buf)-len(key):], key)
	sum := sha256.Sum256(buf[:])
	return string(sum[:8])
}

// A round of BenchmarkCompute: roundKeys lookups per goroutine, one per key,
// every coldEvery-th key absent at the start of the round.
const (
	roundKeys = 4096
	coldEvery = 16
	coldKeys  = roundKeys / coldEvery
)

// BenchmarkCompute: one op is a round. GOMAXPROCS goroutines, started
// before the timer, are released together and each looks up the same 4096
// keys in the same order; the cache is rebuilt before each round (timer
// stopped) with every key but one in 16, so every round has the same
// 256 cold keys, the same hit ratio (15/16 for the first goroutine to reach
// a key) and the same burst: the goroutines reach each cold key at about
// the same time. Nothing carries over from one round to the next, so no
// figure depends on b.N. ns/lookup is per lookup of one goroutine;
// dup-computes/lookup counts computations beyond one per cold key, per
// lookup (computes of a value someone else was computing).
func BenchmarkCompute(b *testing.B) {
	keys := make([]string, roundKeys)
	computes := make([]func() string, roundKeys) // built once: no closure allocated per lookup
	for i := range keys {
		keys[i] = "k" + strconv.Itoa(i)
		computes[i] = func() string { return expensive(keys[i]) }
	}
	for _, impl := range compute.Variants {
		b.Run(fmt.Sprintf("impl=%s", impl), func(b *testing.B) {
			g := runtime.GOMAXPROCS(0)
			var c compute.Cache[string] // replaced between rounds, while the crew waits
			crew := startCrew(g, func(int) {
				for i, k := range keys {
					c.GetOrCompute(k, computes[i])
				}
			})
			defer crew.stop()
			var dups int64
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N { // not b.Loop: the crew's size is GOMAXPROCS (see doc.go)
				b.StopTimer()
				c, _ = compute.New[string](impl)
				for i, k := range keys {
					if i%coldEvery != 0 {
						c.GetOrCompute(k, func() string { return k })
					}
				}
				before := c.Computes()
				b.StartTimer()
				crew.run()
				dups += c.Computes() - before - coldKeys
			}
			lookups := float64(b.N) * float64(g*roundKeys)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/lookups, "ns/lookup")
			b.ReportMetric(float64(dups)/lookups, "dup-computes/lookup")
		})
	}
}
