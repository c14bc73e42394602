// Package compute is the document's GetOrCompute ("Concurrency Best
// Practices, 3. Keep Lock Scopes as Small as Possible",
// concurrency-patterns.md; no class of its own in the original code):
// return a cached value, or compute and cache it. locked and doublecheck
// are the document's "Bad" and "Good" versions as written.
//
// Variants:
//   - locked:       the document's "bad" version: the mutex is held during the
//     computation, so one slow key blocks every lookup of every other key;
//   - doublecheck:  the document's "good" version: compute without the lock,
//     then double-check. Every goroutine that misses computes: a hot key
//     arriving in a burst is computed once per goroutine (a thundering herd
//     of LLM calls when the value is a response);
//   - singleflight: lookups under a read lock, and one computation per key in
//     flight (golang.org/x/sync/singleflight); the others wait for it.
package compute

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/singleflight"

	"github.com/llmbench/llmbench/core/registry"
)

// Cache maps keys to values computed on first use.
type Cache[V any] interface {
	GetOrCompute(key string, compute func() V) V
	// Computes counts calls of compute, duplicates included.
	Computes() int64
}

// Variants lists the variant names, the seed document's first.
var Variants = []string{"locked", "doublecheck", "singleflight"}

// Registry holds the variants for string values (LLM responses), by name.
var Registry = registry.New[func() Cache[string]]("compute")

func init() {
	docs := []string{
		"the document's bad version: compute under the mutex",
		"the document's good version: compute unlocked, double-check (duplicate computes)",
		"one computation per key in flight (x/sync/singleflight)",
	}
	for i, name := range Variants {
		Registry.Register(name, docs[i], func() Cache[string] {
			c, _ := New[string](name)
			return c
		})
	}
}

// New builds the named variant.
func New[V any](variant string) (Cache[V], error) {
	switch variant {
	case "locked":
		return &locked[V]{data: map[string]V{}}, nil
	case "doublecheck":
		return &doubleCheck[V]{data: map[string]V{}}, nil
	case "singleflight":
		return &flight[V]{data: map[string]V{}}, nil
	}
	return nil, fmt.Errorf("unknown compute variant %q (known: %s)", variant, strings.Join(Variants, ", "))
}

type counter struct{ n atomic.Int64 }

func (c *counter) Computes() int64 { return c.n.Load() }

type locked[V any] struct {
	counter
	mu   sync.Mutex
	data map[string]V
}

func (c *locked[V]) GetOrCompute(key string, compute func() V) V {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.data[key]; ok {
		return v
	}
	c.n.Add(1)
	v := compute() // under the lock: everyone waits
	c.data[key] = v
	return v
}

type doubleCheck[V any] struct {
	counter
	mu   sync.RWMutex
	data map[string]V
}

func (c *doubleCheck[V]) GetOrCompute(key string, compute func() V) V {
	c.mu.RLock()
	v, ok := c.data[key]
	c.mu.RUnlock()
	if ok {
		return v
	}
	c.n.Add(1)
	v = compute() // every goroutine that missed gets here
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.data[key]; ok {
		return prev
	}
	c.data[key] = v
	return v
}

type flight[V any] struct {
	counter
	mu    sync.RWMutex
	data  map[string]V
	group singleflight.Group
}

func (c *flight[V]) GetOrCompute(key string, compute func() V) V {
	c.mu.RLock()
	v, ok := c.data[key]
	c.mu.RUnlock()
	if ok {
		return v
	}
	x, _, _ := c.group.Do(key, func() (any, error) {
		c.mu.RLock()
		v, ok := c.data[key] // stored by a flight that ended since our miss
		c.mu.RUnlock()
		if ok {
			return v, nil
		}
		c.n.Add(1)
		v = compute()
		c.mu.Lock()
		c.data[key] = v
		c.mu.Unlock()
		return v, nil
	})
	return x.(V)
}
