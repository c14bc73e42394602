package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/llmbench/llmbench/core/domain"
)

// seedCache is the original ResponseCache; the comments name its defects.
type seedCache struct {
	mu        sync.RWMutex
	cache     map[string]Entry // values, so Get works on a copy
	capacity  int
	ttl       time.Duration
	evictions int64
}

// testHookUpgrade runs in Get between dropping the read lock and taking the
// write lock, so a test can place another operation in that window.
var testHookUpgrade func()

func newSeed(cfg Config) *seedCache {
	cfg = cfg.withDefaults()
	return &seedCache{cache: make(map[string]Entry, cfg.Capacity), capacity: cfg.Capacity, ttl: cfg.TTL}
}

func (c *seedCache) Get(msgs []domain.Message, opts []domain.Option) (domain.Response, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	// Defect: JSON encoding and SHA-256 run while the lock is held.
	return c.getLocked(seedKey(msgs, opts))
}

func (c *seedCache) GetKey(k Key) (domain.Response, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.getLocked(k.String())
}

// getLocked is called with the read lock held and returns with it held.
func (c *seedCache) getLocked(key string) (domain.Response, bool) {
	e, ok := c.cache[key]
	if !ok {
		return domain.Response{}, false
	}
	// Defect: an expired entry is reported missing but left in the map.
	if time.Since(e.Timestamp) > c.ttl {
		return domain.Response{}, false
	}
	c.mu.RUnlock()
	if testHookUpgrade != nil {
		testHookUpgrade()
	}
	c.mu.Lock()
	// Defect: e was read before the upgrade. Writing it back loses the
	// increments made meanwhile and restores an entry that was invalidated
	// or overwritten in the window.
	e.UsageCount++
	c.cache[key] = e
	c.mu.Unlock()
	c.mu.RLock()
	return e.Response, true
}

func (c *seedCache) Set(msgs []domain.Message, opts []domain.Option, resp domain.Response, source string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setLocked(seedKey(msgs, opts), resp, source)
}

func (c *seedCache) SetKey(k Key, resp domain.Response, source string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setLocked(k.String(), resp, source)
}

func (c *seedCache) setLocked(key string, resp domain.Response, source string) {
	// Defect: cleanup runs when len reaches capacity but only trims above
	// it, then the insert makes capacity+1; once full, every Set sorts the
	// whole map.
	if len(c.cache) >= c.capacity {
		c.cleanupLocked()
	}
	e, ok := c.cache[key]
	if ok {
		e.Response, e.Timestamp, e.Source = resp, time.Now(), source
		e.UsageCount++
	} else {
		e = Entry{Response: resp, Timestamp: time.Now(), UsageCount: 1, Source: source}
	}
	c.cache[key] = e
}

func (c *seedCache) Invalidate(msgs []domain.Message, opts []domain.Option) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.cache, seedKey(msgs, opts))
}

func (c *seedCache) InvalidateKey(k Key) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.cache, k.String())
}

func (c *seedCache) Peek(k Key) (Entry, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.cache[k.String()]
	return e, ok
}

func (c *seedCache) Cleanup() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cleanupLocked()
}

func (c *seedCache) cleanupLocked() {
	now := time.Now()
	for k, e := range c.cache {
		if now.Sub(e.Timestamp) > c.ttl {
			delete(c.cache, k)
		}
	}
	if len(c.cache) <= c.capacity {
		return
	}
	type kv struct {
		key string
		e   Entry
	}
	all := make([]kv, 0, len(c.cache))
	for k, e := range c.cache {
		all = append(all, kv{k, e})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].e.UsageCount != all[j].e.UsageCount {
			return all[i].e.UsageCount < all[j].e.UsageCount
		}
		return all[i].e.Timestamp.Before(all[j].e.Timestamp)
	})
	for i := 0; i < len(all) && len(c.cache) > c.capacity; i++ {
		delete(c.cache, all[i].key)
		c.evictions++
	}
}

func (c *seedCache) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cache = make(map[string]Entry, c.capacity)
}

func (c *seedCache) Stats() Stats {
	c.mu.RLock()
	defer c.mu.RUnlock()
	s := Stats{Size: len(c.cache), Capacity: c.capacity, TTL: c.ttl, Evictions: c.evictions, Sources: map[string]int{}}
	for _, e := range c.cache {
		s.Sources[e.Source]++
	}
	return s
}

// seedKey is the original's key: SHA-256 of JSON of the messages and of
// "%T"/"%v" of each option. "%v" of a func prints its code pointer, the same
// for every value a With… constructor is called with.
func seedKey(msgs []domain.Message, opts []domain.Option) string {
	type part struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	messages := make([]map[string]any, 0, len(msgs))
	for _, m := range msgs {
		parts := make([]part, len(m.Content))
		for i, p := range m.Content {
			parts[i] = part{string(p.Type), p.Text}
		}
		messages = append(messages, map[string]any{"role": string(m.Role), "content": parts})
	}
	options := make([]map[string]string, 0, len(opts))
	for _, o := range opts {
		options = append(options, map[string]string{"type": fmt.Sprintf("%T", o), "value": fmt.Sprintf("%v", o)})
	}
	data, err := json.Marshal(map[string]any{"messages": messages, "options": options})
	if err != nil {
		panic(err) // strings and maps of strings always marshal
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
