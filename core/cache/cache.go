// Package cache is Go-LLMs' ResponseCache: LLM responses keyed by the
// conversation and the generation options, with a capacity, a TTL, usage
// counts and eviction.
//
// Variants (Registry):
//   - seed:    the original: Get upgrades its read lock to a write lock and
//     writes back the copy it read (lost usage counts, resurrects entries
//     invalidated or overwritten meanwhile); the key is hashed under the lock;
//     options are keyed by "%T/%v", which prints a function as its code
//     pointer, so different option values collide; it holds capacity+1 entries
//     and sorts the whole map on every Set once full; Get leaves expired
//     entries in place.
//   - rwmutex: read lock for lookups, usage counted atomically, key computed
//     before locking, CLOCK eviction in O(1).
//   - mutex:   the same with a plain mutex, to show what the read lock buys.
//   - syncmap: sync.Map for lookups, a mutex only for inserts and eviction.
//   - sharded: 2^k rwmutex shards, each padded to its own cache lines; a
//     hot key's readers share its shard's read lock and write nothing else
//     on a hit (the use goes to a per-processor usage log, the CLOCK bit is
//     written only when clear), and an overwrite takes the read lock.
//   - lockfree: reads take no lock and write no line other readers read: a
//     lock-free open-addressing table per shard, a coarse clock for the
//     TTL, the usage log; writers lock their shard (lockfree.go).
//
// The corrected variants evict with CLOCK (second chance): a lookup only sets
// an atomic bit, so reads stay under a read lock, and eviction touches O(1)
// entries amortised instead of sorting the map. Every one counts every use
// exactly and holds at most Capacity entries.
package cache

import (
	"time"

	"github.com/llmbench/llmbench/core/domain"
	"github.com/llmbench/llmbench/core/registry"
)

// Cache is the ResponseCache API. The *Key methods take a precomputed Key,
// so that map-level benchmarks can leave hashing out of the measurement.
type Cache interface {
	Get(msgs []domain.Message, opts []domain.Option) (domain.Response, bool)
	Set(msgs []domain.Message, opts []domain.Option, resp domain.Response, source string)
	Invalidate(msgs []domain.Message, opts []domain.Option)

	GetKey(k Key) (domain.Response, bool)
	SetKey(k Key, resp domain.Response, source string)
	InvalidateKey(k Key)

	// Peek returns an entry without counting a use (tests and reports).
	Peek(k Key) (Entry, bool)
	// Cleanup removes expired entries.
	Cleanup()
	Clear()
	Stats() Stats
}

// Entry is a cached response and its bookkeeping.
type Entry struct {
	Response   domain.Response
	Timestamp  time.Time
	UsageCount int64
	Source     string
}

// Stats describes the cache's content.
type Stats struct {
	Size      int
	Capacity  int
	TTL       time.Duration
	Evictions int64
	Sources   map[string]int
}

// Config sets capacity and TTL; zero values take the original's defaults.
type Config struct {
	Capacity int           `yaml:"capacity" json:"capacity"`
	TTL      time.Duration `yaml:"ttl" json:"ttl"`
	// Shards is the shard count of the sharded and lockfree variants,
	// rounded up to a power of two; 0 picks 4 × GOMAXPROCS.
	Shards int `yaml:"shards" json:"shards"`
}

// Defaults of the original library.
const (
	DefaultCapacity = 100
	DefaultTTL      = 5 * time.Minute
)

func (c Config) withDefaults() Config {
	if c.Capacity <= 0 {
		c.Capacity = DefaultCapacity
	}
	if c.TTL <= 0 {
		c.TTL = DefaultTTL
	}
	return c
}

// Registry holds the variants by name.
var Registry = registry.New[func(Config) Cache]("cache")

func init() {
	Registry.Register("seed", "Go-LLMs ResponseCache: lock upgrade with stale write-back", func(c Config) Cache { return newSeed(c) })
	Registry.Register("rwmutex", "RWMutex, atomic usage count, CLOCK eviction", func(c Config) Cache { return newLocked[rwLock](c, 1, false) })
	Registry.Register("mutex", "one Mutex for reads and writes, CLOCK eviction", func(c Config) Cache { return newLocked[exclusiveLock](c, 1, false) })
	Registry.Register("syncmap", "sync.Map lookups, mutex-guarded inserts", func(c Config) Cache { return newSyncMap(c) })
	Registry.Register("sharded", "power-of-two RWMutex shards, padded; hits write only a per-CPU log", func(c Config) Cache { return newLocked[rwLock](c, c.Shards, true) })
	Registry.Register("lockfree", "lock-free reads, coarse clock, per-CPU usage log, CLOCK eviction", func(c Config) Cache { return newLockFree(c, Ablation{}) })
}

// New builds the named variant.
func New(variant string, cfg Config) (Cache, error) {
	ctor, err := Registry.Get(variant)
	if err != nil {
		return nil, err
	}
	return ctor(cfg), nil
}
