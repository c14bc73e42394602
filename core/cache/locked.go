package cache

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llmbench/llmbench/core/domain"
)

// value is what a Set stores; it is never changed after publication, so a
// reader holding one needs no lock.
type value struct {
	resp   domain.Response
	source string
	stamp  time.Time
	mono   int64 // lockfree: stamp as nanoseconds since its clock's base
}

// entry is a cache slot. val changes atomically on overwrite, so that the
// usage count and the CLOCK bit, which lock-free readers touch, survive it.
type entry struct {
	val        atomic.Pointer[value]
	usage      atomic.Int64
	referenced atomic.Bool
	key        Key
	slot       int // index in the clock ring, guarded by the write lock
}

func newEntry(k Key, v *value) *entry {
	e := &entry{key: k}
	e.val.Store(v)
	e.usage.Store(1)
	return e
}

// touch records a use: the count, and the CLOCK bit, written only when not
// already set so that hot keys do not bounce its cache line.
func (e *entry) touch() {
	e.usage.Add(1)
	e.mark()
}

// mark sets the CLOCK bit, writing only when it is clear.
func (e *entry) mark() {
	if !e.referenced.Load() {
		e.referenced.Store(true)
	}
}

func (e *entry) snapshot() Entry {
	v := e.val.Load()
	return Entry{Response: v.resp, Timestamp: v.stamp, UsageCount: e.usage.Load(), Source: v.source}
}

// clockRing is a CLOCK (second chance) eviction order over up to capacity
// entries: a victim is the first entry under the hand whose referenced bit
// is clear; set bits are cleared as the hand passes.
type clockRing struct {
	slots []*entry
	free  []int
	hand  int
}

// insert places e, returning the entry it evicted, if any.
func (r *clockRing) insert(e *entry, capacity int) (evicted *entry) {
	if n := len(r.free); n > 0 {
		e.slot = r.free[n-1]
		r.free = r.free[:n-1]
		r.slots[e.slot] = e
		return nil
	}
	if len(r.slots) < capacity {
		e.slot = len(r.slots)
		r.slots = append(r.slots, e)
		return nil
	}
	for {
		v := r.slots[r.hand]
		if v.referenced.Load() {
			v.referenced.Store(false)
			r.hand = (r.hand + 1) % len(r.slots)
			continue
		}
		e.slot = r.hand
		r.slots[r.hand] = e
		r.hand = (r.hand + 1) % len(r.slots)
		return v
	}
}

func (r *clockRing) remove(e *entry) {
	r.slots[e.slot] = nil
	r.free = append(r.free, e.slot)
}

func (r *clockRing) reset() { *r = clockRing{} }

// locker abstracts the lock so that the rwmutex and mutex variants share
// one implementation and differ only in the lock they take for reads.
type locker[L any] interface {
	*L
	lock()
	unlock()
	rlock()
	runlock()
}

type rwLock struct{ mu sync.RWMutex }

func (l *rwLock) lock()    { l.mu.Lock() }
func (l *rwLock) unlock()  { l.mu.Unlock() }
func (l *rwLock) rlock()   { l.mu.RLock() }
func (l *rwLock) runlock() { l.mu.RUnlock() }

type exclusiveLock struct{ mu sync.Mutex }

func (l *exclusiveLock) lock()    { l.mu.Lock() }
func (l *exclusiveLock) unlock()  { l.mu.Unlock() }
func (l *exclusiveLock) rlock()   { l.mu.Lock() }
func (l *exclusiveLock) runlock() { l.mu.Unlock() }

// shard is one lock and the entries it guards. The trailing pad keeps the
// hot words of neighbouring shards on different cache lines (128 bytes
// covers adjacent-line prefetch).
type shard[L any, PL locker[L]] struct {
	mu        L
	m         map[Key]*entry
	ring      clockRing
	capacity  int
	evictions int64
	_         [128]byte
}

// lockedCache serves the rwmutex, mutex (one shard) and sharded variants.
type lockedCache[L any, PL locker[L]] struct {
	shards   []shard[L, PL]
	mask     uint64
	capacity int
	ttl      time.Duration
	// The sharded variant's measures for a hot key, so that its readers
	// share its shard's read lock and nothing else: hits are counted in the
	// usage log instead of on the entry (log not nil), and an overwrite
	// takes the read lock, storing the new value atomically, instead of
	// excluding every reader of the shard (exclusiveOverwrite false).
	log                *usageLog
	exclusiveOverwrite bool
}

// newLocked builds the rwmutex and mutex variants (one shard, the plain
// corrected design) and, with hot, the sharded one.
func newLocked[L any, PL locker[L]](cfg Config, shards int, hot bool) *lockedCache[L, PL] {
	cfg = cfg.withDefaults()
	n := shardCount(shards, cfg.Capacity)
	c := &lockedCache[L, PL]{shards: make([]shard[L, PL], n), mask: uint64(n - 1), capacity: cfg.Capacity, ttl: cfg.TTL,
		exclusiveOverwrite: !hot}
	if hot {
		c.log = newUsageLog()
	}
	for i := range c.shards {
		s := &c.shards[i]
		s.capacity = shardCapacity(cfg.Capacity, n, i)
		s.m = make(map[Key]*entry, s.capacity)
	}
	return c
}

func (c *lockedCache[L, PL]) shard(k Key) *shard[L, PL] {
	return &c.shards[binary.LittleEndian.Uint64(k[:8])&c.mask]
}

func (c *lockedCache[L, PL]) expired(v *value, now time.Time) bool { return now.Sub(v.stamp) > c.ttl }

func (c *lockedCache[L, PL]) Get(msgs []domain.Message, opts []domain.Option) (domain.Response, bool) {
	return c.GetKey(KeyOf(msgs, opts))
}

func (c *lockedCache[L, PL]) Set(msgs []domain.Message, opts []domain.Option, resp domain.Response, source string) {
	c.SetKey(KeyOf(msgs, opts), resp, source)
}

func (c *lockedCache[L, PL]) Invalidate(msgs []domain.Message, opts []domain.Option) {
	c.InvalidateKey(KeyOf(msgs, opts))
}

func (c *lockedCache[L, PL]) GetKey(k Key) (domain.Response, bool) {
	s := c.shard(k)
	PL(&s.mu).rlock()
	e := s.m[k]
	if e == nil {
		PL(&s.mu).runlock()
		return domain.Response{}, false
	}
	v := e.val.Load()
	if c.expired(v, time.Now()) {
		PL(&s.mu).runlock()
		c.dropExpired(s, k, e)
		return domain.Response{}, false
	}
	if testHookHit != nil {
		testHookHit()
	}
	if c.log != nil {
		e.mark()
		c.log.record(e)
	} else {
		e.touch()
	}
	PL(&s.mu).runlock()
	return v.resp, true
}

// dropExpired deletes e if it is still the entry under k and still expired:
// whatever happened between the read and the write lock is re-checked.
func (c *lockedCache[L, PL]) dropExpired(s *shard[L, PL], k Key, e *entry) {
	PL(&s.mu).lock()
	if s.m[k] == e && c.expired(e.val.Load(), time.Now()) {
		delete(s.m, k)
		s.ring.remove(e)
	}
	PL(&s.mu).unlock()
}

func (c *lockedCache[L, PL]) SetKey(k Key, resp domain.Response, source string) {
	v := &value{resp: resp, source: source, stamp: time.Now()}
	s := c.shard(k)
	if !c.exclusiveOverwrite {
		// Entries leave the map only under the write lock, and val is
		// atomic: the read lock is enough to replace a present entry's value.
		PL(&s.mu).rlock()
		done := s.overwrite(k, v)
		PL(&s.mu).runlock()
		if done {
			return
		}
	}
	PL(&s.mu).lock()
	if s.overwrite(k, v) {
		PL(&s.mu).unlock()
		return
	}
	e := newEntry(k, v)
	if old := s.ring.insert(e, s.capacity); old != nil {
		delete(s.m, old.key)
		s.evictions++
	}
	s.m[k] = e
	PL(&s.mu).unlock()
}

// overwrite replaces k's value and counts a use if k is present; the
// caller holds the shard's lock, read or write.
func (s *shard[L, PL]) overwrite(k Key, v *value) bool {
	e := s.m[k]
	if e == nil {
		return false
	}
	e.val.Store(v)
	e.usage.Add(1)
	return true
}

func (c *lockedCache[L, PL]) InvalidateKey(k Key) {
	s := c.shard(k)
	PL(&s.mu).lock()
	if e := s.m[k]; e != nil {
		delete(s.m, k)
		s.ring.remove(e)
	}
	PL(&s.mu).unlock()
}

func (c *lockedCache[L, PL]) Peek(k Key) (Entry, bool) {
	if c.log != nil {
		c.log.flush()
	}
	s := c.shard(k)
	PL(&s.mu).rlock()
	defer PL(&s.mu).runlock()
	if e := s.m[k]; e != nil {
		return e.snapshot(), true
	}
	return Entry{}, false
}

func (c *lockedCache[L, PL]) Cleanup() {
	now := time.Now()
	for i := range c.shards {
		s := &c.shards[i]
		PL(&s.mu).lock()
		for k, e := range s.m {
			if c.expired(e.val.Load(), now) {
				delete(s.m, k)
				s.ring.remove(e)
			}
		}
		PL(&s.mu).unlock()
	}
}

func (c *lockedCache[L, PL]) Clear() {
	for i := range c.shards {
		s := &c.shards[i]
		PL(&s.mu).lock()
		clear(s.m)
		s.ring.reset()
		PL(&s.mu).unlock()
	}
}

func (c *lockedCache[L, PL]) Stats() Stats {
	st := Stats{Capacity: c.capacity, TTL: c.ttl, Sources: map[string]int{}}
	for i := range c.shards {
		s := &c.shards[i]
		PL(&s.mu).rlock()
		st.Size += len(s.m)
		st.Evictions += s.evictions
		for _, e := range s.m {
			st.Sources[e.val.Load().source]++
		}
		PL(&s.mu).runlock()
	}
	return st
}
