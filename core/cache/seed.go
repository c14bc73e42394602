package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/llmbench/llmbench/core/domain"
)

// Seed-faithful port of Go-LLMs v0.2.6 pkg/agent/workflow/response_cache.go:
// ResponseCache (NewResponseCache, Get, Set, Invalidate, Cleanup,
// cleanupLocked, Clear, GetStats, generateCacheKey, hashString), statement
// for statement. The *Key methods and Peek are this package's additions for
// benchmarks and tests; they take the same locks and paths.

// seedCache is the original ResponseCache; the comments name its defects.
type seedCache struct {
	mu        sync.RWMutex
	cache     map[string]Entry // values, so Get works on a copy
	capacity  int
	ttl       time.Duration
	evictions int64
}

// testHookHit runs in every variant's Get once it has found a live entry
// and before it records the use (for the seed: still under the read lock,
// before the upgrade), so that a test can place another operation there.
var testHookHit func()

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
	if testHookHit != nil {
		testHookHit()
	}
	c.mu.RUnlock()
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

// seedKey is the original's generateCacheKey: SHA-256 of the JSON of the
// messages and of "%T"/"%v" of each option. Defects: "%v" of a func prints
// its code pointer, the same for every value a With… constructor is called
// with; an image is keyed by its media and source types only, a file by its
// name and MIME type, audio and video by their presence, so two requests
// that differ only in their media share an entry.
func seedKey(messages []domain.Message, options []domain.Option) string {
	var messageData []map[string]any
	for _, msg := range messages {
		msgData := map[string]any{"role": string(msg.Role)}
		if len(msg.Content) > 0 {
			if len(msg.Content) == 1 && msg.Content[0].Type == domain.ContentText {
				msgData["content"] = msg.Content[0].Text
			} else {
				var contentParts []map[string]any
				for _, part := range msg.Content {
					partData := map[string]any{"type": string(part.Type)}
					switch part.Type {
					case domain.ContentText:
						partData["text"] = part.Text
					case domain.ContentImage:
						if part.Image != nil {
							partData["media_type"] = part.Image.Source.MediaType
							partData["source_type"] = string(part.Image.Source.Type)
						}
					case domain.ContentFile:
						if part.File != nil {
							partData["file_name"] = part.File.FileName
							partData["mime_type"] = part.File.MimeType
						}
					case domain.ContentVideo, domain.ContentAudio:
						partData["media_content"] = true
					}
					contentParts = append(contentParts, partData)
				}
				msgData["content_parts"] = contentParts
			}
		}
		messageData = append(messageData, msgData)
	}
	var optionsData []map[string]string
	for _, opt := range options {
		optionsData = append(optionsData, map[string]string{
			"type":  fmt.Sprintf("%T", opt),
			"value": fmt.Sprintf("%v", opt),
		})
	}
	jsonData, err := json.Marshal(map[string]any{"messages": messageData, "options": optionsData})
	if err != nil {
		// The original's fallback (unreachable: strings, booleans and maps
		// of them always marshal).
		var sb strings.Builder
		for _, msg := range messages {
			sb.WriteString(string(msg.Role))
			sb.WriteString(":")
			for _, part := range msg.Content {
				if part.Type == domain.ContentText {
					sb.WriteString(part.Text)
				} else {
					sb.WriteString("[" + string(part.Type) + "]")
				}
			}
			sb.WriteString("|")
		}
		return hashString(sb.String())
	}
	return hashString(string(jsonData))
}

func hashString(input string) string {
	hash := sha256.Sum256([]byte(input))
	return hex.EncodeToString(hash[:])
}
