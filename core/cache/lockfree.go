package cache

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llmbench/llmbench/core/domain"
)

// lockFreeCache is the lockfree variant, built as the fast Go caches are:
//   - a Get takes no lock: each shard's open-addressing table is published
//     through an atomic pointer, its slots are atomic pointers to entries,
//     and writers (under the shard's mutex) never change a table readers
//     may hold except by single atomic stores; a rebuild makes a new table;
//   - a hit writes no line other goroutines read: the TTL is checked
//     against a coarse clock (clock.go), the CLOCK bit is stored only when
//     clear, and the use is counted in the per-processor usage log
//     (usage.go);
//   - the key needs no hashing beyond KeyOf's SHA-256: one multiply of its
//     first word with a per-cache seed places it, without allocating;
//   - every shard holds at most its share of the capacity, the shares
//     adding up to it, and evicts with CLOCK in O(1) amortised.
//
// Writers (Set, Invalidate, eviction, Cleanup) take the shard's mutex.
type lockFreeCache struct {
	shards    []lfShard
	shardMask uint64
	seed      uint64
	capacity  int
	ttl       time.Duration
	ttlNanos  int64
	clock     *coarseClock
	log       *usageLog
	ablation  Ablation
}

// lfShard keeps what readers load (the table pointer) and what writers
// change (the mutex and the counts) on different cache lines, and both off
// the neighbouring shards' lines.
type lfShard struct {
	table     atomic.Pointer[lfTable]
	_         [120]byte
	mu        sync.Mutex
	live      int // entries in the table
	used      int // entries and tombstones: slots a probe cannot stop at
	ring      clockRing
	capacity  int
	evictions int64
	_         [128]byte
}

// lfTable is an open-addressing table with linear probing. Its size is a
// power of two, and at most three quarters of its slots are used, so a
// probe always reaches an empty slot.
type lfTable struct {
	slots []atomic.Pointer[entry]
	mask  uint64
}

// testHookRebuild runs in every rebuild once the new table is made and
// before it is filled, so that a test can look keys up meanwhile.
var testHookRebuild func()

// minTableLen is the smallest table a shard starts with.
const minTableLen = 16

func newLFTable(n int) *lfTable {
	return &lfTable{slots: make([]atomic.Pointer[entry], n), mask: uint64(n - 1)}
}

// tombstone fills the slot of a removed entry, so that a probe for a key
// placed after it goes on.
var tombstone = new(entry)

func newLockFree(cfg Config, a Ablation) *lockFreeCache {
	cfg = cfg.withDefaults()
	n := shardCount(cfg.Shards, cfg.Capacity)
	c := &lockFreeCache{
		shards:    make([]lfShard, n),
		shardMask: uint64(n - 1),
		seed:      rand.Uint64() | 1,
		capacity:  cfg.Capacity,
		ttl:       cfg.TTL,
		ttlNanos:  int64(cfg.TTL),
		clock:     newCoarseClock(cfg.TTL),
		log:       newUsageLog(),
		ablation:  a,
	}
	for i := range c.shards {
		s := &c.shards[i]
		s.capacity = shardCapacity(cfg.Capacity, n, i)
		s.table.Store(newLFTable(minTableLen))
	}
	return c
}

// shardCount is shards (or, when 0, 4 × GOMAXPROCS) rounded up to a power
// of two, and halved while shards would outnumber the capacity.
func shardCount(shards, capacity int) int {
	if shards <= 0 {
		shards = 4 * runtime.GOMAXPROCS(0)
	}
	n := 1 << bits.Len(uint(shards-1))
	for n > 1 && n > capacity {
		n >>= 1 // never a shard without room
	}
	return n
}

// shardCapacity is shard i's share of capacity over n shards; the shares
// add up to capacity.
func shardCapacity(capacity, n, i int) int {
	c := capacity / n
	if i < capacity%n {
		c++
	}
	return c
}

// The shard comes from the key's second word and the slot from its first,
// so that the keys of one shard spread over its whole table. KeyOf's keys
// are SHA-256 sums, uniform already; the seeded multiply keeps keys crafted
// to collide in one table from doing so in every process.
func (c *lockFreeCache) shard(k Key) *lfShard {
	return &c.shards[binary.LittleEndian.Uint64(k[8:16])&c.shardMask]
}

func (c *lockFreeCache) hash(k Key) uint64 {
	hi, lo := bits.Mul64(binary.LittleEndian.Uint64(k[:8])^c.seed, 0x9e3779b97f4a7c15)
	return hi ^ lo
}

// lookup returns the entry under k, without locking.
func (t *lfTable) lookup(k Key, h uint64) *entry {
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		e := t.slots[i].Load()
		if e == nil {
			return nil
		}
		if e != tombstone && sameKey(&e.key, &k) {
			return e
		}
	}
}

// find returns the slot holding k (or -1) and the first free slot (empty
// or tombstone) on k's probe path. The caller holds the shard's mutex.
func (t *lfTable) find(k Key, h uint64) (at, free int) {
	free = -1
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		e := t.slots[i].Load()
		switch {
		case e == nil:
			if free < 0 {
				free = int(i)
			}
			return -1, free
		case e == tombstone:
			if free < 0 {
				free = int(i)
			}
		case sameKey(&e.key, &k):
			return int(i), free
		}
	}
}

// sameKey is a == b in four word compares, inlined: the compiler calls
// memequal for a 32-byte array, a fifth of a hit's time. The first words
// differ for all but the key sought.
func sameKey(a, b *Key) bool {
	le := binary.LittleEndian
	return le.Uint64(a[:8]) == le.Uint64(b[:8]) && le.Uint64(a[8:16]) == le.Uint64(b[8:16]) &&
		le.Uint64(a[16:24]) == le.Uint64(b[16:24]) && le.Uint64(a[24:]) == le.Uint64(b[24:])
}

// now is the time in nanoseconds since the clock's base, for TTL checks.
func (c *lockFreeCache) now() int64 {
	if c.ablation.PreciseClock {
		return c.clock.precise()
	}
	return c.clock.read()
}

func (c *lockFreeCache) expired(v *value, now int64) bool { return now-v.mono > c.ttlNanos }

// newValue leaves stamp unset: snapshot derives it from mono.
func (c *lockFreeCache) newValue(resp domain.Response, source string) *value {
	return &value{resp: resp, source: source, mono: c.now()}
}

func (c *lockFreeCache) snapshot(e *entry, v *value) Entry {
	return Entry{Response: v.resp, Timestamp: c.clock.base.Add(time.Duration(v.mono)), UsageCount: e.usage.Load(), Source: v.source}
}

func (c *lockFreeCache) Get(msgs []domain.Message, opts []domain.Option) (domain.Response, bool) {
	return c.GetKey(KeyOf(msgs, opts))
}

func (c *lockFreeCache) Set(msgs []domain.Message, opts []domain.Option, resp domain.Response, source string) {
	c.SetKey(KeyOf(msgs, opts), resp, source)
}

func (c *lockFreeCache) Invalidate(msgs []domain.Message, opts []domain.Option) {
	c.InvalidateKey(KeyOf(msgs, opts))
}

func (c *lockFreeCache) GetKey(k Key) (domain.Response, bool) {
	s := c.shard(k)
	e := s.table.Load().lookup(k, c.hash(k))
	if e == nil {
		return domain.Response{}, false
	}
	v := e.val.Load()
	if c.expired(v, c.now()) {
		c.dropExpired(s, k, e)
		return domain.Response{}, false
	}
	if testHookHit != nil {
		testHookHit()
	}
	c.hit(e)
	return v.resp, true
}

// hit records a use of e: the CLOCK bit, stored only when clear, and the
// count, in the usage log.
func (c *lockFreeCache) hit(e *entry) {
	if c.ablation.AlwaysMark {
		e.referenced.Store(true)
	} else {
		e.mark()
	}
	if c.ablation.CountEachHit {
		e.usage.Add(1)
		return
	}
	c.log.record(e)
}

// dropExpired deletes e if it is still the entry under k and still expired
// by the precise time: a Set may have renewed it since the read.
func (c *lockFreeCache) dropExpired(s *lfShard, k Key, e *entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.table.Load()
	if at, _ := t.find(k, c.hash(k)); at >= 0 && t.slots[at].Load() == e {
		s.removeExpired(c, t, at, c.clock.precise())
	}
}

// removeExpired deletes the entry in slot at if it is expired at now; the
// caller holds the mutex, which every Set takes.
func (s *lfShard) removeExpired(c *lockFreeCache, t *lfTable, at int, now int64) {
	if c.expired(t.slots[at].Load().val.Load(), now) {
		s.remove(t, at)
	}
}

func (c *lockFreeCache) SetKey(k Key, resp domain.Response, source string) {
	v := c.newValue(resp, source)
	h := c.hash(k)
	s := c.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.table.Load()
	at, free := t.find(k, h)
	if at >= 0 {
		e := t.slots[at].Load()
		e.val.Store(v)
		e.usage.Add(1)
		return
	}
	e := newEntry(k, v)
	if victim := s.ring.insert(e, s.capacity); victim != nil {
		vat, _ := t.find(victim.key, c.hash(victim.key))
		t.slots[vat].Store(tombstone)
		s.live--
		s.evictions++
	}
	if t.slots[free].Load() == nil {
		s.used++
	}
	t.slots[free].Store(e)
	s.live++
	if 4*s.used > 3*len(t.slots) {
		s.rebuild(c, t)
	}
}

// remove deletes the entry in slot at; the caller holds the mutex.
func (s *lfShard) remove(t *lfTable, at int) {
	s.ring.remove(t.slots[at].Load())
	t.slots[at].Store(tombstone)
	s.live--
}

// rebuild publishes a new table holding the live entries, at most a
// quarter full, so that at least a quarter of its slots are used before
// the next rebuild: O(1) amortised per insert. Readers holding the old
// table still find what it held when it was replaced; no writer changes it
// afterwards.
func (s *lfShard) rebuild(c *lockFreeCache, old *lfTable) {
	n := minTableLen
	for n < 4*s.live {
		n <<= 1
	}
	t := newLFTable(n)
	if testHookRebuild != nil {
		testHookRebuild()
	}
	for i := range old.slots {
		if e := old.slots[i].Load(); e != nil && e != tombstone {
			_, free := t.find(e.key, c.hash(e.key))
			t.slots[free].Store(e)
		}
	}
	s.used = s.live
	s.table.Store(t)
}

func (c *lockFreeCache) InvalidateKey(k Key) {
	s := c.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.table.Load()
	if at, _ := t.find(k, c.hash(k)); at >= 0 {
		s.remove(t, at)
	}
}

func (c *lockFreeCache) Peek(k Key) (Entry, bool) {
	c.log.flush()
	if e := c.shard(k).table.Load().lookup(k, c.hash(k)); e != nil {
		return c.snapshot(e, e.val.Load()), true
	}
	return Entry{}, false
}

func (c *lockFreeCache) Cleanup() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		now := c.clock.precise()
		t := s.table.Load()
		for at := range t.slots {
			if e := t.slots[at].Load(); e != nil && e != tombstone {
				s.removeExpired(c, t, at, now)
			}
		}
		s.mu.Unlock()
	}
}

func (c *lockFreeCache) Clear() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		s.table.Store(newLFTable(minTableLen))
		s.ring.reset()
		s.live, s.used = 0, 0
		s.mu.Unlock()
	}
}

func (c *lockFreeCache) Stats() Stats {
	st := Stats{Capacity: c.capacity, TTL: c.ttl, Sources: map[string]int{}}
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		st.Size += s.live
		st.Evictions += s.evictions
		t := s.table.Load()
		for at := range t.slots {
			if e := t.slots[at].Load(); e != nil && e != tombstone {
				st.Sources[e.val.Load().source]++
			}
		}
		s.mu.Unlock()
	}
	return st
}
