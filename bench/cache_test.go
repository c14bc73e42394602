package bench

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/dgraph-io/ristretto/v2"
	"github.com/maypok86/otter/v2"
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

// cacheImpls lists the core variants, then the peers: the caches with a
// bound and a TTL (otter, ristretto), then the plain maps.
func cacheImpls() []cacheImpl {
	var out []cacheImpl
	for _, v := range cache.Registry.Names() {
		out = append(out, coreCacheImpl(v))
	}
	return append(append(out, peerCacheImpls()...), mapPeerImpls()...)
}

// mapPeerImpls are the map-only floor: no TTL, bound or usage count.
func mapPeerImpls() []cacheImpl {
	return []cacheImpl{
		{"peer-syncmap", func(_ int, keys []cache.Key) kv { return syncMapKV{&sync.Map{}, keys} }},
		{"peer-xsync", func(_ int, keys []cache.Key) kv {
			return xsyncKV{xsync.NewMap[cache.Key, *domain.Response](), keys}
		}},
	}
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
// large key space at 50 %): the cells the README's tables and the cache's
// goals read. BenchmarkCacheMatrix runs the whole product, outside make
// bench. Every key is present and the capacity is twice the key space:
// every lookup hits, nothing is evicted, nothing grows (BenchmarkCacheEvict
// measures eviction).
// lost-usage/op counts usage increments lost per operation: the seed's
// stale write-back.
func BenchmarkCache(b *testing.B) {
	var shapes []cacheShape
	for _, reads := range []int{100, 99, 90, 75, 50} {
		shapes = append(shapes, cacheShape{reads, 1000, true})
	}
	shapes = append(shapes, cacheShape{90, 100000, true}, cacheShape{50, 100000, true},
		cacheShape{90, 1000, false}, cacheShape{90, 100000, false})
	benchShapes(b, cacheImpls(), shapes)
}

// CacheMatrixEnv, set to 1, runs BenchmarkCacheMatrix.
const CacheMatrixEnv = "LLMBENCH_CACHE_MATRIX"

// BenchmarkCacheMatrix is the workload matrix of xsync's and
// go-concurrent-map-bench's map benchmarks: reads 100, 99, 90, 75 and 50 %,
// 1000 and 100 000 keys, Zipf and uniform, for the corrected lock-based and
// lock-free variants and the peers. Its 20 shapes cost about 15 s per
// implementation per pass at -cpu 1,2,4 and 80 ms, 7 implementations about
// 105 s a pass, so it runs only with CacheMatrixEnv=1 (make
// bench-cache-matrix), not in make bench, bench-check or bench-smoke; its
// cells are benchKV's, as BenchmarkCache's are.
func BenchmarkCacheMatrix(b *testing.B) {
	if os.Getenv(CacheMatrixEnv) != "1" {
		b.Skipf("%s=1 runs the matrix (make bench-cache-matrix)", CacheMatrixEnv)
	}
	var shapes []cacheShape
	for _, keys := range []int{1000, 100000} {
		for _, zipf := range []bool{true, false} {
			for _, reads := range []int{100, 99, 90, 75, 50} {
				shapes = append(shapes, cacheShape{reads, keys, zipf})
			}
		}
	}
	impls := []cacheImpl{coreCacheImpl("rwmutex"), coreCacheImpl("sharded"), coreCacheImpl("lockfree")}
	benchShapes(b, append(append(impls, peerCacheImpls()...), mapPeerImpls()...), shapes)
}

// BenchmarkCacheDesign separates the causes of the lockfree and sharded
// variants' figures: each is run as registered and with one technique
// switched off (cache.NewAblated), so that a difference between two
// columns has one cause:
//   - lockfree-preciseclock: time.Now on every Get and Set, not the
//     coarse clock;
//   - lockfree-counteachhit, sharded-counteachhit: every hit adds to the
//     entry's count, not to the per-processor usage log;
//   - lockfree-alwaysmark: the CLOCK bit is stored on every hit;
//   - sharded-exclusiveoverwrite: an overwrite takes the shard's write lock;
//   - sharded-oneshard: one shard (sharding's share; against rwmutex, the
//     two hot-key measures' share).
func BenchmarkCacheDesign(b *testing.B) {
	benchShapes(b, designImpls(), []cacheShape{{90, 1000, true}, {75, 1000, true}, {90, 1000, false}})
}

func designImpls() []cacheImpl {
	ablated := func(name, variant string, shards int, a cache.Ablation) cacheImpl {
		return cacheImpl{name, func(capacity int, keys []cache.Key) kv {
			c, err := cache.NewAblated(variant, cache.Config{Capacity: capacity, Shards: shards}, a)
			if err != nil {
				panic(err) // the ablations above are fixed
			}
			return coreKV{c, keys}
		}}
	}
	return []cacheImpl{
		coreCacheImpl("lockfree"),
		ablated("lockfree-preciseclock", "lockfree", 0, cache.Ablation{PreciseClock: true}),
		ablated("lockfree-counteachhit", "lockfree", 0, cache.Ablation{CountEachHit: true}),
		ablated("lockfree-alwaysmark", "lockfree", 0, cache.Ablation{AlwaysMark: true}),
		coreCacheImpl("sharded"),
		ablated("sharded-counteachhit", "sharded", 0, cache.Ablation{CountEachHit: true}),
		ablated("sharded-exclusiveoverwrite", "sharded", 0, cache.Ablation{ExclusiveOverwrite: true}),
		ablated("sharded-oneshard", "sharded", 1, cache.Ablation{}),
		coreCacheImpl("rwmutex"),
	}
}

// benchShapes runs benchKV for every implementation and shape.
func benchShapes(b *testing.B, impls []cacheImpl, shapes []cacheShape) {
	b.Cleanup(dropFilled)
	for _, impl := range impls {
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
	benchShapes(b, seedStepImpls(), []cacheShape{{100, 1000, true}, {90, 1000, true}, {50, 1000, true}})
}

// filled is the pre-filled cache of the sub-benchmark being run. The
// framework calls a benchmark function several times while it sizes b.N;
// filling 100 000 keys each time would cost more than the measurement.
// Only one is kept, so no earlier benchmark's heap weighs on the next GC.
// It is keyed by GOMAXPROCS too: b.Name() does not carry the -cpu suffix,
// and the sharded variant sizes itself by GOMAXPROCS. A peer's goroutines
// are stopped when it is dropped (dropFilled, also at the end of the
// benchmark that made it).
var filled struct {
	name  string
	m     kv
	usage int64 // total usage counted at the end of the previous call
}

func benchKV(b *testing.B, impl cacheImpl, s cacheShape, w *Workload) {
	keys := keysOf(s.keys)
	name := fmt.Sprintf("%s@%d", b.Name(), runtime.GOMAXPROCS(0))
	if filled.name != name {
		dropFilled()
		m := impl.make(2*s.keys, keys)
		for i := range keys {
			m.set(i)
		}
		if st, ok := m.(settler); ok {
			if err := st.settle(); err != nil {
				closeKV(m)
				b.Fatal(err)
			}
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

func dropFilled() {
	if filled.m != nil {
		closeKV(filled.m)
	}
	filled.name, filled.m, filled.usage = "", nil, 0
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
// map on every insert; CLOCK touches a few entries. The peers decide
// otherwise: otter admits by frequency and evicts behind the writes, from
// its buffers; ristretto may reject a new key or drop the Set, which its
// sets-dropped/op counts (rejected by its admission policy or dropped from
// its buffer; its metrics are on here only).
func BenchmarkCacheEvict(b *testing.B) {
	impls := []cacheImpl{}
	for _, v := range cache.Registry.Names() {
		impls = append(impls, coreCacheImpl(v))
	}
	impls = append(impls,
		cacheImpl{"peer-otter", func(capacity int, keys []cache.Key) kv { return otterKV{newOtter(capacity), keys} }},
		cacheImpl{"peer-ristretto", func(capacity int, keys []cache.Key) kv {
			return ristrettoKV{newRistretto(capacity, true), stringKeys(keys)}
		}})
	for _, impl := range impls {
		for _, capacity := range []int{1000, 10000} {
			b.Run(fmt.Sprintf("impl=%s/capacity=%d", impl.name, capacity), func(b *testing.B) {
				m := impl.make(capacity, keysOf(4*capacity))
				defer closeKV(m)
				for i := range capacity {
					m.set(i)
				}
				// One cycle through the 4 × capacity keys before the timer:
				// in its first cycle a CLOCK variant inserts keys its maps
				// never held and leaves tombstones that a rehash clears
				// later in the cycle, so a short run would report the first
				// cycle and a long one the steady state. The seed's insert
				// sorts the whole map (ms): a cycle would take minutes, and
				// the sort is its figure.
				n := 4 * capacity
				i := capacity
				if impl.name != "seed" {
					for range n {
						m.set(i)
						if i++; i == n {
							i = 0
						}
					}
				}
				r, isRistretto := m.(ristrettoKV)
				var before uint64
				if isRistretto {
					r.c.Wait()
					before = r.c.Metrics.SetsDropped() + r.c.Metrics.SetsRejected()
				}
				b.ReportAllocs()
				for b.Loop() {
					m.set(i)
					if i++; i == n {
						i = 0
					}
				}
				if isRistretto {
					r.c.Wait()
					dropped := r.c.Metrics.SetsDropped() + r.c.Metrics.SetsRejected() - before
					b.ReportMetric(float64(dropped)/float64(b.N), "sets-dropped/op")
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

// fullAPI is what BenchmarkResponseCacheGet needs: a lookup and a store by
// conversation and options. The peers key by KeyOf, as the corrected
// variants do.
type fullAPI interface {
	get(msgs []domain.Message, opts []domain.Option) bool
	set(msgs []domain.Message, opts []domain.Option)
}

type coreAPI struct{ c cache.Cache }

func (a coreAPI) get(msgs []domain.Message, opts []domain.Option) bool {
	_, ok := a.c.Get(msgs, opts)
	return ok
}
func (a coreAPI) set(msgs []domain.Message, opts []domain.Option) {
	a.c.Set(msgs, opts, answer, "bench")
}

type otterAPI struct {
	c *otter.Cache[cache.Key, peerValue]
}

func (a otterAPI) get(msgs []domain.Message, opts []domain.Option) bool {
	_, ok := a.c.GetIfPresent(cache.KeyOf(msgs, opts))
	return ok
}
func (a otterAPI) set(msgs []domain.Message, opts []domain.Option) {
	a.c.Set(cache.KeyOf(msgs, opts), peerAnswer)
}

// ristrettoAPI hands ristretto the key as a string over the bytes of a key
// buffer of its own (ristretto keeps only a key's hashes, never the key):
// a string over a local Key would move the Key to the heap on every call,
// which ristretto would be charged for. One per goroutine (perGoroutine).
type ristrettoAPI struct {
	c   *ristretto.Cache[string, peerValue]
	key *cache.Key
}

func (a ristrettoAPI) perGoroutine() fullAPI { return ristrettoAPI{a.c, new(cache.Key)} }

func (a ristrettoAPI) keyString(msgs []domain.Message, opts []domain.Option) string {
	*a.key = cache.KeyOf(msgs, opts)
	return unsafe.String(&a.key[0], len(a.key))
}

func (a ristrettoAPI) get(msgs []domain.Message, opts []domain.Option) bool {
	_, ok := a.c.Get(a.keyString(msgs, opts))
	return ok
}
func (a ristrettoAPI) set(msgs []domain.Message, opts []domain.Option) {
	a.c.SetWithTTL(a.keyString(msgs, opts), peerAnswer, 1, cache.DefaultTTL)
}

// perGoroutine gives a goroutine its own adapter, where one needs state.
func perGoroutine(c fullAPI) fullAPI {
	if p, ok := c.(interface{ perGoroutine() fullAPI }); ok {
		return p.perGoroutine()
	}
	return c
}

// BenchmarkResponseCacheGet: the full API (key function included), 90 %
// Gets and 10 % Sets of 1000 conversations of `history` messages, all
// present, in a cache of twice that capacity: every Get hits and nothing is
// evicted, in every variant. The seed computes its key under its read lock,
// the others before locking; BenchmarkCacheKeyFunc times the key functions
// alone. The peers are given KeyOf's keys.
func BenchmarkResponseCacheGet(b *testing.B) {
	type apiImpl struct {
		name string
		make func(capacity int) (fullAPI, func())
	}
	var impls []apiImpl
	for _, v := range cache.Registry.Names() {
		impls = append(impls, apiImpl{v, func(capacity int) (fullAPI, func()) {
			c, _ := cache.New(v, cache.Config{Capacity: capacity})
			return coreAPI{c}, func() {}
		}})
	}
	impls = append(impls,
		apiImpl{"peer-otter", func(capacity int) (fullAPI, func()) {
			c := newOtter(capacity)
			return otterAPI{c}, func() { c.StopAllGoroutines() }
		}},
		apiImpl{"peer-ristretto", func(capacity int) (fullAPI, func()) {
			c := newRistretto(capacity, false)
			return ristrettoAPI{c, nil}, c.Close
		}})
	for _, impl := range impls {
		for _, history := range []int{1, 16} {
			b.Run(fmt.Sprintf("impl=%s/history=%d", impl.name, history), func(b *testing.B) {
				convs, opts := conversations(history)
				c, stop := impl.make(2 * len(convs))
				defer stop()
				if err := fillConversations(c, convs, opts); err != nil {
					b.Fatal(err)
				}
				w := NewWorkload(len(convs), 90, true, 2)
				var misses atomic.Int64
				b.ReportAllocs()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					cur := w.Cursor()
					c := perGoroutine(c)
					var miss int64
					for pb.Next() {
						i, write := cur.Next()
						if write {
							c.set(convs[i], opts)
						} else if !c.get(convs[i], opts) {
							miss++
						}
					}
					misses.Add(miss)
				})
				b.StopTimer()
				if n := misses.Load(); n > 0 {
					b.Fatalf("%d misses: the workload is all hits by design", n)
				}
				if core, ok := c.(coreAPI); ok {
					if ev := core.c.Stats().Evictions; ev > 0 {
						b.Fatalf("%d evictions: the workload is all hits by design", ev)
					}
				}
				reportOpsPerSec(b)
			})
		}
	}
}

// fillConversations stores every conversation, waiting for a peer's
// buffered writes and setting again what they dropped.
func fillConversations(c fullAPI, convs [][]domain.Message, opts []domain.Option) error {
	c = perGoroutine(c)
	for range 10 {
		if r, ok := c.(ristrettoAPI); ok {
			r.c.Wait()
		}
		missing := 0
		for _, conv := range convs {
			if !c.get(conv, opts) {
				missing++
				c.set(conv, opts)
			}
		}
		if missing == 0 {
			return nil
		}
	}
	return fmt.Errorf("conversations still missing after 10 rounds of Set")
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
