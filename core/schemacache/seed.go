package schemacache

// Seed-faithful port of Go-LLMs v0.2.6
// pkg/structured/processor/schema_cache.go: SchemaCache
// (NewSchemaCacheWithOptions, Get, updateAccessTime, Set, Clear,
// evictLeastRecentlyUsed, maybeCleanupExpired, GetSize), statement for
// statement; the metrics calls are left out (no defect is in them).

import (
	"sync"
	"time"
)

type cacheEntry struct {
	Value      []byte
	LastAccess time.Time
}

type seedCache struct {
	lock           sync.RWMutex
	cache          map[uint64]cacheEntry
	size           int64
	maxSize        int
	expirationTime time.Duration
	lastCleanup    time.Time
}

func newSeed(cfg Config) *seedCache {
	initialCapacity := 100
	if cfg.MaxSize > 0 && cfg.MaxSize < initialCapacity {
		initialCapacity = cfg.MaxSize
	}
	return &seedCache{
		cache:          make(map[uint64]cacheEntry, initialCapacity),
		maxSize:        cfg.MaxSize,
		expirationTime: cfg.Expiration,
		lastCleanup:    time.Now(),
	}
}

func (c *seedCache) Get(key uint64) ([]byte, bool) {
	c.maybeCleanupExpired()
	result, found := func() ([]byte, bool) {
		c.lock.RLock()
		defer c.lock.RUnlock()
		entry, ok := c.cache[key]
		if !ok {
			return nil, false
		}
		if c.expirationTime > 0 && time.Since(entry.LastAccess) > c.expirationTime {
			return nil, false // left for the next sweep
		}
		return entry.Value, true
	}()
	if found {
		c.updateAccessTime(key)
	}
	return result, found
}

func (c *seedCache) updateAccessTime(key uint64) {
	c.lock.Lock()
	defer c.lock.Unlock()
	if entry, ok := c.cache[key]; ok {
		entry.LastAccess = time.Now()
		c.cache[key] = entry
	}
}

// Set: defect, "new key" is tested as a nil value, so an entry stored with
// a nil value counts as new on every Set and the size drifts upwards (and
// with it, evictions come early).
func (c *seedCache) Set(key uint64, value []byte) {
	c.lock.Lock()
	defer c.lock.Unlock()
	if c.maxSize > 0 && c.size >= int64(c.maxSize) && c.cache[key].Value == nil {
		c.evictLeastRecentlyUsed()
	}
	if c.cache[key].Value == nil {
		c.size++
	}
	c.cache[key] = cacheEntry{Value: value, LastAccess: time.Now()}
}

func (c *seedCache) Clear() {
	c.lock.Lock()
	defer c.lock.Unlock()
	capacity := len(c.cache)
	if capacity > 100 {
		c.cache = make(map[uint64]cacheEntry, capacity)
	} else {
		for k := range c.cache {
			delete(c.cache, k)
		}
	}
	c.size = 0
}

// evictLeastRecentlyUsed scans every entry: O(n) per insert once full.
func (c *seedCache) evictLeastRecentlyUsed() {
	if len(c.cache) == 0 {
		return
	}
	var oldestKey uint64
	var oldestTime time.Time
	found := false
	for key, entry := range c.cache {
		if !found || entry.LastAccess.Before(oldestTime) {
			oldestKey, oldestTime, found = key, entry.LastAccess, true
		}
	}
	if found {
		delete(c.cache, oldestKey)
		c.size--
	}
}

// maybeCleanupExpired sweeps at most once a minute. Defect: lastCleanup is
// read before the lock is tried, while the Get that holds the lock writes
// it: a data race between concurrent Gets.
func (c *seedCache) maybeCleanupExpired() {
	if time.Since(c.lastCleanup) < CleanupInterval {
		return
	}
	if c.lock.TryLock() {
		defer c.lock.Unlock()
		c.lastCleanup = time.Now()
		if c.expirationTime <= 0 {
			return
		}
		expiredKeys := make([]uint64, 0)
		for key, entry := range c.cache {
			if time.Since(entry.LastAccess) > c.expirationTime {
				expiredKeys = append(expiredKeys, key)
			}
		}
		for _, key := range expiredKeys {
			delete(c.cache, key)
			c.size--
		}
	}
}

func (c *seedCache) Size() int64 {
	c.lock.RLock()
	defer c.lock.RUnlock()
	return c.size
}
