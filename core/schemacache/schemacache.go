// Package schemacache is Go-LLMs' SchemaCache: the JSON of schemas, cached
// by a 64-bit FNV-1a key of the schema, with a size bound (least recently
// used out) and a sliding expiry.
//
// Variants (Registry):
//   - seed:  the original (seed.go): eviction scans the whole map for the
//     least recently used entry; expired entries are swept at most once a
//     minute, by whichever Get wins a TryLock, and the time of the last
//     sweep is read without the lock (a data race between concurrent
//     Gets); a nil value is counted as a new entry on every Set, so the
//     size it reports drifts from what it holds.
//   - fixed: an LRU list (O(1) eviction), the sweep time read under the
//     lock, the size the map's.
package schemacache

import (
	"hash"
	"hash/fnv"
	"slices"
	"strconv"
	"time"

	"github.com/llmbench/llmbench/core/domain"
	"github.com/llmbench/llmbench/core/registry"
)

// Cache stores schema JSON by key.
type Cache interface {
	Get(key uint64) ([]byte, bool)
	Set(key uint64, value []byte)
	Clear()
	// Size is the number of entries the cache reports holding.
	Size() int64
}

// Config sets the bound and the expiry; zero values take the original's
// defaults (1000 entries, 30 minutes).
type Config struct {
	MaxSize    int           `yaml:"max_size" json:"max_size"`
	Expiration time.Duration `yaml:"expiration" json:"expiration"`
}

// Defaults of the original's NewSchemaCache, and how often it sweeps.
const (
	DefaultMaxSize    = 1000
	DefaultExpiration = 30 * time.Minute
	CleanupInterval   = time.Minute
)

func (c Config) withDefaults() Config {
	if c.MaxSize <= 0 {
		c.MaxSize = DefaultMaxSize
	}
	if c.Expiration <= 0 {
		c.Expiration = DefaultExpiration
	}
	return c
}

// Registry holds the variants by name.
var Registry = registry.New[func(Config) Cache]("schemacache")

func init() {
	Registry.Register("seed", "Go-LLMs SchemaCache: O(n) LRU scan, lastCleanup read unlocked", func(c Config) Cache { return newSeed(c.withDefaults()) })
	Registry.Register("fixed", "LRU list, sweep time under the lock, size from the map", func(c Config) Cache { return newFixed(c.withDefaults()) })
}

// New builds the named variant.
func New(variant string, cfg Config) (Cache, error) {
	ctor, err := Registry.Get(variant)
	if err != nil {
		return nil, err
	}
	return ctor(cfg), nil
}

// Key is the original's ImprovedGenerateSchemaKey (schema_key_gen.go) over
// the fields this repository's Schema has: FNV-1a of the type, title,
// description, additionalProperties, the sorted required names and the
// properties in name order, each string followed by a zero byte.
func Key(schema *domain.Schema) uint64 {
	h := fnv.New64a()
	writeString(h, schema.Type)
	writeString(h, schema.Title)
	writeString(h, schema.Description)
	if schema.AdditionalProperties != nil {
		writeBool(h, *schema.AdditionalProperties)
	}
	for _, req := range sorted(schema.Required) {
		writeString(h, req)
	}
	hashProperties(h, schema.Properties)
	return h.Sum64()
}

func hashProperties(h hash.Hash64, props map[string]domain.Property) {
	names := make([]string, 0, len(props))
	for k := range props {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		p := props[k]
		writeString(h, k)
		hashProperty(h, &p)
	}
}

func hashProperty(h hash.Hash64, p *domain.Property) {
	writeString(h, p.Type)
	writeString(h, p.Format)
	writeString(h, p.Description)
	writeString(h, p.Pattern)
	for _, f := range []*float64{p.Minimum, p.Maximum} {
		if f != nil {
			writeString(h, strconv.FormatFloat(*f, 'f', -1, 64))
		}
	}
	for _, n := range []*int{p.MinLength, p.MaxLength} {
		if n != nil {
			writeString(h, strconv.Itoa(*n))
		}
	}
	for _, e := range sorted(p.Enum) {
		writeString(h, e)
	}
	if p.Items != nil {
		writeString(h, "has_items")
		hashProperty(h, p.Items)
	}
	hashProperties(h, p.Properties)
	for _, req := range sorted(p.Required) {
		writeString(h, req)
	}
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func writeString(h hash.Hash64, s string) {
	if s != "" {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
}

func writeBool(h hash.Hash64, b bool) {
	if b {
		h.Write([]byte{1})
	} else {
		h.Write([]byte{0})
	}
}
