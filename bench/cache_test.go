package bench

import (
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	cmap "github.com/orcaman/concurrent-map/v2"
	"github.com/puzpuzpuz/xsync/v4"

	"github.com/llmbench/llmbench/core/cache"
	"github.com/llmbench/llmbench/core/domain"
)

// kv is what the map benchmark needs of a cache or a peer map.
type kv interface {
	get(k cache.Key) bool
	set(k cache.Key)
}

var answer = domain.Response{Content: "cached answer"}

type coreKV struct{ c cache.Cache }

func (a coreKV) get(k cache.Key) bool { _, ok := a.c.GetKey(k); return ok }
func (a coreKV) set(k cache.Key)      { a.c.SetKey(k, answer, "bench") }

// Peers are plain concurrent maps: no TTL, capacity, usage counts or
// eviction, so they bound from below what a cache's bookkeeping costs.
type syncMapKV struct{ m sync.Map }

func (a *syncMapKV) get(k cache.Key) bool { _, ok := a.m.Load(k); return ok }
func (a *syncMapKV) set(k cache.Key)      { a.m.Store(k, &answer) }

type xsyncKV struct {
	m *xsync.Map[cache.Key, *domain.Response]
}

func (a xsyncKV) get(k cache.Key) bool { _, ok := a.m.Load(k); return ok }
func (a xsyncKV) set(k cache.Key)      { a.m.Store(k, &answer) }

type cmapKV struct {
	m cmap.ConcurrentMap[cache.Key, *domain.Response]
}

func (a cmapKV) get(k cache.Key) bool { _, ok := a.m.Get(k); return ok }
func (a cmapKV) set(k cache.Key)      { a.m.Set(k, &answer) }

func keyShard(k cache.Key) uint32 { return binary.LittleEndian.Uint32(k[:4]) }

// cacheImpls lists the core variants, then the peers.
func cacheImpls(capacity int) []struct {
	name string
	make func() (kv, cache.Cache)
} {
	var out []struct {
		name string
		make func() (kv, cache.Cache)
	}
	for _, v := range cache.Registry.Names() {
		out = append(out, struct {
			name string
			make func() (kv, cache.Cache)
		}{v, func() (kv, cache.Cache) {
			c, _ := cache.New(v, cache.Config{Capacity: capacity})
			return coreKV{c}, c
		}})
	}
	peer := func(name string, mk func() kv) {
		out = append(out, struct {
			name string
			make func() (kv, cache.Cache)
		}{name, func() (kv, cache.Cache) { return mk(), nil }})
	}
	peer("peer-syncmap", func() kv { return &syncMapKV{} })
	peer("peer-xsync", func() kv { return xsyncKV{xsync.NewMap[cache.Key, *domain.Response]()} })
	peer("peer-cmap", func() kv { return cmapKV{cmap.NewWithCustomShardingFunction[cache.Key, *domain.Response](keyShard)} })
	return out
}

func makeKeys(n int) []cache.Key {
	keys := make([]cache.Key, n)
	for i := range keys {
		keys[i] = cache.KeyOf([]domain.Message{domain.NewTextMessage(domain.RoleUser, fmt.Sprint("prompt ", i))}, nil)
	}
	return keys
}

var keySets sync.Map // n → []cache.Key, built once per process

func keysOf(n int) []cache.Key {
	if k, ok := keySets.Load(n); ok {
		return k.([]cache.Key)
	}
	k, _ := keySets.LoadOrStore(n, makeKeys(n))
	return k.([]cache.Key)
}

// BenchmarkCache: lookups and overwrites of a pre-filled cache from every
// goroutine; reads is the share of lookups. The read share is swept on 1000
// Zipf-skewed keys; 100 000 keys and uniform keys are run at 90 % (and the
// large key space at 50 %) rather than the whole cartesian product, to keep
// the suite inside its time.
// lost-usage/op counts usage increments lost per operation: the seed's
// stale write-back.
func BenchmarkCache(b *testing.B) {
	type shape struct {
		reads, keys int
		zipf        bool
	}
	var shapes []shape
	for _, reads := range []int{100, 99, 90, 75, 50} {
		shapes = append(shapes, shape{reads, 1000, true})
	}
	shapes = append(shapes, shape{90, 100000, true}, shape{50, 100000, true},
		shape{90, 1000, false}, shape{90, 100000, false})
	// Capacity is twice the key space: this measures lookups and
	// overwrites, not eviction (BenchmarkCacheEvict does).
	for _, impl := range cacheImpls(200000) {
		for _, s := range shapes {
			dist := "uniform"
			if s.zipf {
				dist = "zipf"
			}
			b.Run(fmt.Sprintf("impl=%s/reads=%d/keys=%d/dist=%s", impl.name, s.reads, s.keys, dist), func(b *testing.B) {
				benchKV(b, impl.make, s.keys, NewWorkload(s.keys, s.reads, s.zipf, 1))
			})
		}
	}
}

// filled is the pre-filled cache of the sub-benchmark being run. The
// framework calls a benchmark function several times while it sizes b.N;
// filling 100 000 keys each time would cost more than the measurement.
// Only one is kept, so no earlier benchmark's heap weighs on the next GC.
var filled struct {
	name  string
	m     kv
	c     cache.Cache
	usage int64 // total usage counted at the end of the previous call
}

func benchKV(b *testing.B, mk func() (kv, cache.Cache), nkeys int, w *Workload) {
	keys := keysOf(nkeys)
	if filled.name != b.Name() {
		filled.m, filled.c = nil, nil
		m, c := mk()
		for _, k := range keys {
			m.set(k)
		}
		filled.name, filled.m, filled.c, filled.usage = b.Name(), m, c, usageOf(c, keys)
	}
	m, c := filled.m, filled.c
	var hits, sets atomic.Int64
	slow := slowdownFor(b)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		cur := w.Cursor()
		extra := counter{s: slow}
		var h, s int64
		for pb.Next() {
			i, write := cur.Next()
			for again := true; again; again = extra.extra() {
				if write {
					m.set(keys[i])
					s++
				} else if m.get(keys[i]) {
					h++
				}
			}
		}
		hits.Add(h)
		sets.Add(s)
	})
	b.StopTimer()
	reportOpsPerSec(b)
	if c == nil {
		return
	}
	now := usageOf(c, keys)
	expected := hits.Load() + sets.Load()
	b.ReportMetric(float64(expected-(now-filled.usage))/float64(b.N), "lost-usage/op")
	filled.usage = now
}

func usageOf(c cache.Cache, keys []cache.Key) int64 {
	if c == nil {
		return 0
	}
	var total int64
	for _, k := range keys {
		if e, ok := c.Peek(k); ok {
			total += e.UsageCount
		}
	}
	return total
}

// reportOpsPerSec adds throughput, which reads better than ns/op for
// parallel benchmarks.
func reportOpsPerSec(b *testing.B) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "ops/s")
	}
}

// BenchmarkCacheEvict: inserts of new keys into a full cache, each one
// evicting another. The seed scans for expired entries and sorts the whole
// map on every insert; CLOCK touches a few entries.
func BenchmarkCacheEvict(b *testing.B) {
	for _, impl := range cache.Registry.Names() {
		for _, capacity := range []int{1000, 10000} {
			b.Run(fmt.Sprintf("impl=%s/capacity=%d", impl, capacity), func(b *testing.B) {
				keys := keysOf(4 * capacity)
				c, _ := cache.New(impl, cache.Config{Capacity: capacity})
				for _, k := range keys[:capacity] {
					c.SetKey(k, answer, "bench")
				}
				b.ReportAllocs()
				i := capacity
				for b.Loop() {
					c.SetKey(keys[i], answer, "bench")
					if i++; i == len(keys) {
						i = 0
					}
				}
			})
		}
	}
}

// BenchmarkResponseCacheGet: full Get with key hashing, 90 % reads of 1000
// conversations of `history` messages. The seed hashes (JSON + SHA-256)
// under its lock; the others hash before locking.
func BenchmarkResponseCacheGet(b *testing.B) {
	for _, impl := range cache.Registry.Names() {
		for _, history := range []int{1, 16} {
			b.Run(fmt.Sprintf("impl=%s/history=%d", impl, history), func(b *testing.B) {
				convs := make([][]domain.Message, 1000)
				for i := range convs {
					for j := range history {
						convs[i] = append(convs[i], domain.NewTextMessage(domain.RoleUser, fmt.Sprintf("turn %d of conversation %d, with some words in it", j, i)))
					}
				}
				opts := []domain.Option{domain.WithTemperature(0.2)}
				c, _ := cache.New(impl, cache.Config{Capacity: len(convs)})
				for _, conv := range convs {
					c.Set(conv, opts, answer, "bench")
				}
				w := NewWorkload(len(convs), 90, true, 2)
				b.ReportAllocs()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					cur := w.Cursor()
					for pb.Next() {
						i, write := cur.Next()
						if write {
							c.Set(convs[i], opts, answer, "bench")
						} else {
							c.Get(convs[i], opts)
						}
					}
				})
				b.StopTimer()
				reportOpsPerSec(b)
			})
		}
	}
}
