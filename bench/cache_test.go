package bench

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	cmap "github.com/orcaman/concurrent-map/v2"
	"github.com/puzpuzpuz/xsync/v4"

	"github.com/llmbench/llmbench/core/cache"
	"github.com/llmbench/llmbench/core/domain"
)

// kv is what the map benchmarks need of a cache or a peer map: a lookup
// and an overwrite of key i of the fixed key set it was built with.
type kv interface {
	get(i int) bool
	set(i int)
}

// usageKV is a kv that counts uses; usage is their total over the key set,
// read without counting one.
type usageKV interface {
	kv
	usage() int64
}

var answer = domain.Response{Content: "cached answer"}

type coreKV struct {
	c    cache.Cache
	keys []cache.Key
}

func (a coreKV) get(i int) bool { _, ok := a.c.GetKey(a.keys[i]); return ok }
func (a coreKV) set(i int)      { a.c.SetKey(a.keys[i], answer, "bench") }
func (a coreKV) usage() int64 {
	var total int64
	for _, k := range a.keys {
		if e, ok := a.c.Peek(k); ok {
			total += e.UsageCount
		}
	}
	return total
}

// seedStepKV drives the seed cache with ready hex keys, so that its
// GetKey/SetKey's hex encoding (under the lock) is left out; noUpgrade also
// leaves out the lock upgrade and write-back of a hit (and so its usage
// count). See cache.SeedReadyKeys.
type seedStepKV struct {
	s         cache.SeedReadyKeys
	keys      []string
	noUpgrade bool
}

func (a seedStepKV) get(i int) bool {
	if a.noUpgrade {
		_, ok := a.s.GetNoUpgrade(a.keys[i])
		return ok
	}
	_, ok := a.s.Get(a.keys[i])
	return ok
}
func (a seedStepKV) set(i int) { a.s.Set(a.keys[i], answer, "bench") }

// seedReadyKV is seedStepKV with the upgrade kept, which counts uses.
type seedReadyKV struct{ seedStepKV }

func (a seedReadyKV) usage() int64 {
	var total int64
	for _, k := range a.keys {
		total += a.s.Usage(k)
	}
	return total
}

// Peers are plain concurrent maps: no TTL, capacity, usage counts or
// eviction, so they bound from below what a cache's bookkeeping costs.
type syncMapKV struct {
	m    *sync.Map
	keys []cache.Key
}

func (a syncMapKV) get(i int) bool { _, ok := a.m.Load(a.keys[i]); return ok }
func (a syncMapKV) set(i int)      { a.m.Store(a.keys[i], &answer) }

type xsyncKV struct {
	m    *xsync.Map[cache.Key, *domain.Response]
	keys []cache.Key
}

func (a xsyncKV) get(i int) bool { _, ok := a.m.Load(a.keys[i]); return ok }
func (a xsyncKV) set(i int)      { a.m.Store(a.keys[i], &answer) }

type cmapKV struct {
	m    cmap.ConcurrentMap[cache.Key, *domain.Response]
	keys []cache.Key
}

func (a cmapKV) get(i int) bool { _, ok := a.m.Get(a.keys[i]); return ok }
func (a cmapKV) set(i int)      { a.m.Set(a.keys[i], &answer) }

func keyShard(k cache.Key) uint32 { return binary.LittleEndian.Uint32(k[:4]) }

// cacheImpl builds one variant or peer over a key set, with a capacity.
type cacheImpl struct {
	name string
	make func(capacity int, keys []cache.Key) kv
}

func coreCacheImpl(variant string) cacheImpl {
	return cacheImpl{variant, func(capacity int, keys []cache.Key) kv {
		c, _ := cache.New(variant, cache.Config{Capacity: capacity})
		return coreKV{c, keys}
	}}
}

// cacheImpls lists the core variants, then the peers.
func cacheImpls() []cacheImpl {
	var out []cacheImpl
	for _, v := range cache.Registry.Names() {
		out = append(out, coreCacheImpl(v))
	}
	return append(out,
		cacheImpl{"peer-syncmap", func(_ int, keys []cache.Key) kv { return syncMapKV{&sync.Map{}, keys} }},
		cacheImpl{"peer-xsync", func(_ int, keys []cache.Key) kv {
			return xsyncKV{xsync.NewMap[cache.Key, *domain.Response](), keys}
		}},
		cacheImpl{"peer-cmap", func(_ int, keys []cache.Key) kv {
			return cmapKV{cmap.NewWithCustomShardingFunction[cache.Key, *domain.Response](keyShard), keys}
		}})
}

// seedStepImpls are the seed with one step left out at a time, and the
// corrected rwmutex beside them (BenchmarkCacheSeedSteps).
func seedStepImpls() []cacheImpl {
	step := func(name string, noUpgrade bool) cacheImpl {
		return cacheImpl{name, func(capacity int, keys []cache.Key) kv {
			s := seedStepKV{cache.NewSeedReadyKeys(cache.Config{Capacity: capacity}), hexKeys(keys), noUpgrade}
			if noUpgrade {
				return s
			}
			return seedReadyKV{s}
		}}
	}
	return []cacheImpl{coreCacheImpl("seed"), step("seed-readykey", false), step("seed-noupgrade", true), coreCacheImpl("rwmutex")}
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

func hexKeys(keys []cache.Key) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.String()
	}
	return out
}

// cacheShape is a workload: the share of lookups, the key space (every key
// present, so every lookup hits) and the key distribution.
type cacheShape struct {
	reads, keys int
	zipf        bool
}

func (s cacheShape) String() string {
	dist := "uniform"
	if s.zipf {
		dist = "zipf"
	}
	return fmt.Sprintf("reads=%d/keys=%d/dist=%s", s.reads, s.keys, dist)
}

// BenchmarkCache: lookups and overwrites of a pre-filled cache from every
// goroutine; reads is the share of lookups. The read share is swept on 1000
// Zipf-skewed keys; 100 000 keys and uniform keys are run at 90 % (and the
// large key space at 50 %) rather than the whole cartesian product, to keep
// the suite inside its time. Every key is present and the capacity is twice
// the key space: every lookup hits, nothing is evicted, nothing grows
// (BenchmarkCacheEvict measures eviction).
// lost-usage/op counts usage increments lost per operation: the seed's
// stale write-back.
func BenchmarkCache(b *testing.B) {
	var shapes []cacheShape
	for _, reads := range []int{100, 99, 90, 75, 50} {
		shapes = append(shapes, cacheShape{reads, 1000, true})
	}
	shapes = append(shapes, cacheShape{90, 100000, true}, cacheShape{50, 100000, true},
		cacheShape{90, 1000, false}, cacheShape{90, 100000, false})
	for _, impl := range cacheImpls() {
		for _, s := range shapes {
			b.Run(fmt.Sprintf("impl=%s/%s", impl.name, s), func(b *testing.B) {
				benchKV(b, impl, s, NewWorkload(s.keys, s.reads, s.zipf, 1))
			})
		}
	}
}

// BenchmarkCacheSeedSteps separates the causes of the seed's cost on the
// map benchmark's main shapes: seed (GetKey/SetKey: the key hex-encoded
// under the lock, then the lookup and the lock upgrade) against
// seed-readykey (the same given the hex key: the encoding's share),
// seed-noupgrade (also without the upgrade and write-back: the upgrade's
// share) and rwmutex (the corrected design).
func BenchmarkCacheSeedSteps(b *testing.B) {
	for _, impl := range seedStepImpls() {
		for _, reads := range []int{100, 90, 50} {
			s := cacheShape{reads, 1000, true}
			b.Run(fmt.Sprintf("impl=%s/%s", impl.name, s), func(b *testing.B) {
				benchKV(b, impl, s, NewWorkload(s.keys, s.reads, s.zipf, 1))
			})
		}
	}
}

// filled is the pre-filled cache of the sub-benchmark being run. The
// framework calls a benchmark function several times while it sizes b.N;
// filling 100 000 keys each time would cost more than the measurement.
// Only one is kept, so no earlier benchmark's heap weighs on the next GC.
// It is keyed by GOMAXPROCS too: b.Name() does not carry the -cpu suffix,
// and the sharded variant sizes itself by GOMAXPROCS.
var filled struct {
	name  string
	m     kv
	usage int64 // total usage counted at the end of the previous call
}

func benchKV(b *testing.B, impl cacheImpl, s cacheShape, w *Workload) {
	keys := keysOf(s.keys)
	name := fmt.Sprintf("%s@%d", b.Name(), runtime.GOMAXPROCS(0))
	if filled.name != name {
		filled.m = nil
		m := impl.make(2*s.keys, keys)
		for i := range keys {
			m.set(i)
		}
		filled.name, filled.m, filled.usage = name, m, 0
		if u, ok := m.(usageKV); ok {
			filled.usage = u.usage()
		}
	}
	m := filled.m
	var hits, sets, misses atomic.Int64
	slow := slowdownFor(b)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		cur := w.Cursor()
		extra := counter{s: slow}
		var h, s, miss int64
		for pb.Next() {
			i, write := cur.Next()
			for again := true; again; again = extra.extra() {
				if write {
					m.set(i)
					s++
				} else if m.get(i) {
					h++
				} else {
					miss++
				}
			}
		}
		hits.Add(h)
		sets.Add(s)
		misses.Add(miss)
	})
	b.StopTimer()
	if n := misses.Load(); n > 0 {
		b.Fatalf("%d lookups missed: the workload is all hits by design", n)
	}
	reportOpsPerSec(b)
	u, ok := m.(usageKV)
	if !ok {
		return
	}
	now := u.usage()
	expected := hits.Load() + sets.Load()
	b.ReportMetric(float64(expected-(now-filled.usage))/float64(b.N), "lost-usage/op")
	filled.usage = now
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
				// One cycle through the 4 × capacity keys before the timer:
				// in its first cycle a CLOCK variant inserts keys its maps
				// never held and leaves tombstones that a rehash clears
				// later in the cycle, so a short run would report the first
				// cycle and a long one the steady state. The seed's insert
				// sorts the whole map (ms): a cycle would take minutes, and
				// the sort is its figure.
				i := capacity
				if impl != "seed" {
					for range len(keys) {
						c.SetKey(keys[i], answer, "bench")
						if i++; i == len(keys) {
							i = 0
						}
					}
				}
				b.ReportAllocs()
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

// conversations are the 1000 conversations of `history` messages the
// full-API benchmarks look up, with the options they are asked with.
func conversations(history int) ([][]domain.Message, []domain.Option) {
	convs := make([][]domain.Message, 1000)
	for i := range convs {
		for j := range history {
			convs[i] = append(convs[i], domain.NewTextMessage(domain.RoleUser, fmt.Sprintf("turn %d of conversation %d, with some words in it", j, i)))
		}
	}
	return convs, []domain.Option{domain.WithTemperature(0.2)}
}

// BenchmarkResponseCacheGet: the full API (key function included), 90 %
// Gets and 10 % Sets of 1000 conversations of `history` messages, all
// present, in a cache of twice that capacity: every Get hits and nothing is
// evicted, in every variant. The seed computes its key under its read lock,
// the others before locking; BenchmarkCacheKeyFunc times the key functions
// alone.
func BenchmarkResponseCacheGet(b *testing.B) {
	for _, impl := range cache.Registry.Names() {
		for _, history := range []int{1, 16} {
			b.Run(fmt.Sprintf("impl=%s/history=%d", impl, history), func(b *testing.B) {
				convs, opts := conversations(history)
				c, _ := cache.New(impl, cache.Config{Capacity: 2 * len(convs)})
				for _, conv := range convs {
					c.Set(conv, opts, answer, "bench")
				}
				w := NewWorkload(len(convs), 90, true, 2)
				var misses atomic.Int64
				b.ReportAllocs()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					cur := w.Cursor()
					var miss int64
					for pb.Next() {
						i, write := cur.Next()
						if write {
							c.Set(convs[i], opts, answer, "bench")
						} else if _, ok := c.Get(convs[i], opts); !ok {
							miss++
						}
					}
					misses.Add(miss)
				})
				b.StopTimer()
				if n, ev := misses.Load(), c.Stats().Evictions; n > 0 || ev > 0 {
					b.Fatalf("%d misses, %d evictions: the workload is all hits by design", n, ev)
				}
				reportOpsPerSec(b)
			})
		}
	}
}

var sinkKey cache.Key
var sinkSeedKey string

// BenchmarkCacheKeyFunc: the key functions alone, serially, on the
// conversations of BenchmarkResponseCacheGet: the seed's (JSON of the
// messages and options, SHA-256, hex) and KeyOf, which every corrected
// variant uses (SHA-256 of length-prefixed fields, no encoding).
func BenchmarkCacheKeyFunc(b *testing.B) {
	for _, impl := range []string{"seed", "keyof"} {
		for _, history := range []int{1, 16} {
			b.Run(fmt.Sprintf("impl=%s/history=%d", impl, history), func(b *testing.B) {
				convs, opts := conversations(history)
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if impl == "seed" {
						sinkSeedKey = cache.SeedKey(convs[i], opts)
					} else {
						sinkKey = cache.KeyOf(convs[i], opts)
					}
					if i++; i == len(convs) {
						i = 0
					}
				}
			})
		}
	}
}
