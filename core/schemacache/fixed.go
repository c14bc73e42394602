package schemacache

import (
	"container/list"
	"sync"
	"time"
)

type fixedEntry struct {
	key        uint64
	value      []byte
	lastAccess time.Time
}

// fixedCache keeps entries in an LRU list (front: most recent), so eviction
// is O(1); the time of the last sweep is read and written under the lock.
type fixedCache struct {
	mu          sync.Mutex
	index       map[uint64]*list.Element
	order       *list.List
	maxSize     int
	expiration  time.Duration
	lastCleanup time.Time
}

func newFixed(cfg Config) *fixedCache {
	return &fixedCache{index: map[uint64]*list.Element{}, order: list.New(), maxSize: cfg.MaxSize,
		expiration: cfg.Expiration, lastCleanup: time.Now()}
}

func (c *fixedCache) Get(key uint64) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	c.sweepLocked(now)
	el, ok := c.index[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*fixedEntry)
	if now.Sub(e.lastAccess) > c.expiration {
		c.order.Remove(el)
		delete(c.index, key)
		return nil, false
	}
	e.lastAccess = now
	c.order.MoveToFront(el)
	return e.value, true
}

// sweepLocked drops expired entries at most once a CleanupInterval.
func (c *fixedCache) sweepLocked(now time.Time) {
	if now.Sub(c.lastCleanup) < CleanupInterval {
		return
	}
	c.lastCleanup = now
	for el := c.order.Back(); el != nil; {
		prev := el.Prev()
		if e := el.Value.(*fixedEntry); now.Sub(e.lastAccess) > c.expiration {
			c.order.Remove(el)
			delete(c.index, e.key)
		}
		el = prev
	}
}

func (c *fixedCache) Set(key uint64, value []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if el, ok := c.index[key]; ok {
		e := el.Value.(*fixedEntry)
		e.value, e.lastAccess = value, now
		c.order.MoveToFront(el)
		return
	}
	if c.order.Len() >= c.maxSize {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.index, oldest.Value.(*fixedEntry).key)
	}
	c.index[key] = c.order.PushFront(&fixedEntry{key: key, value: value, lastAccess: now})
}

func (c *fixedCache) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.index)
	c.order.Init()
}

func (c *fixedCache) Size() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return int64(c.order.Len())
}
