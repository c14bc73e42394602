package cache

import (
	"time"

	"github.com/llmbench/llmbench/core/domain"
)

// Entry points for the benchmarks that separate the causes of the seed's
// cost (bench/cache_test.go): each runs the seed's own code with one step
// left out, so that a difference between two of them has one cause.

// SeedKey is the seed's key function alone (what its Get and Set compute
// under the lock), for comparing key functions without a lookup.
func SeedKey(msgs []domain.Message, opts []domain.Option) string { return seedKey(msgs, opts) }

// SeedReadyKeys drives a seed cache with ready string keys: its GetKey and
// SetKey without Key.String, the hex encoding they run under the lock.
type SeedReadyKeys struct{ c *seedCache }

// NewSeedReadyKeys builds a seed cache to drive with string keys.
func NewSeedReadyKeys(cfg Config) SeedReadyKeys { return SeedReadyKeys{newSeed(cfg)} }

// Get is the seed's GetKey given the hex key: read lock, lookup, TTL check,
// lock upgrade and write-back.
func (s SeedReadyKeys) Get(k string) (domain.Response, bool) {
	s.c.mu.RLock()
	defer s.c.mu.RUnlock()
	return s.c.getLocked(k)
}

// GetNoUpgrade is Get without the lock upgrade and its write-back (so no
// usage is counted): the read lock, the lookup and the TTL check of the
// seed's getLocked, nothing else.
func (s SeedReadyKeys) GetNoUpgrade(k string) (domain.Response, bool) {
	s.c.mu.RLock()
	defer s.c.mu.RUnlock()
	e, ok := s.c.cache[k]
	if !ok || time.Since(e.Timestamp) > s.c.ttl {
		return domain.Response{}, false
	}
	return e.Response, true
}

// Set is the seed's SetKey given the hex key.
func (s SeedReadyKeys) Set(k string, resp domain.Response, source string) {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	s.c.setLocked(k, resp, source)
}

// Usage is the usage count stored under k (0 when absent), without counting
// a use.
func (s SeedReadyKeys) Usage(k string) int64 {
	s.c.mu.RLock()
	defer s.c.mu.RUnlock()
	return s.c.cache[k].UsageCount
}
