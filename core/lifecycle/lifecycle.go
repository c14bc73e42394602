// Package lifecycle holds the document's small patterns: lazy singletons,
// counters, a read-mostly config, ProcessWithContext and ProcessItems.
//
// Registries:
//   - Singletons: once (sync.Once, as GetChannelPool), oncevalue
//     (sync.OnceValue), mutex (check under a lock);
//   - Counters: racy (the document's "bad": value++ unguarded; loses
//     updates), mutex (the document's "good"), atomic ("Concurrency Best
//     Practices, 1. Always Lock Data Access");
//   - Configs: rwmutex (the document's, "2. Use Read/Write Mutexes"),
//     mutex, cow (copy-on-write behind an atomic pointer: reads take no
//     lock at all).
//
// The singleton is the original's GetChannelPool pattern
// (pkg/llm/domain/pool.go); the rest are the document's patterns
// (concurrency-patterns.md), with no class of their own in the code.
package lifecycle

import (
	"maps"
	"sync"
	"sync/atomic"

	"github.com/llmbench/llmbench/core/registry"
)

// Singletons: each constructor takes the initialiser and returns the getter.
var Singletons = registry.New[func(init func() any) func() any]("singleton")

func init() {
	Singletons.Register("once", "sync.Once, as the original's GetChannelPool", func(init func() any) func() any {
		var once sync.Once
		var v any
		return func() any {
			once.Do(func() { v = init() })
			return v
		}
	})
	Singletons.Register("oncevalue", "sync.OnceValue", func(init func() any) func() any { return sync.OnceValue(init) })
	Singletons.Register("mutex", "check and create under a mutex", func(init func() any) func() any {
		var mu sync.Mutex
		var v any
		var done bool
		return func() any {
			mu.Lock()
			defer mu.Unlock()
			if !done {
				v, done = init(), true
			}
			return v
		}
	})
}

// Counter counts.
type Counter interface {
	Inc()
	Load() int64
}

// Counters holds the counter variants.
var Counters = registry.New[func() Counter]("counter")

func init() {
	Counters.Register("racy", "the document's bad version: value++ without synchronisation", func() Counter { return &racyCounter{} })
	Counters.Register("mutex", "the document's good version: a mutex", func() Counter { return &mutexCounter{} })
	Counters.Register("atomic", "sync/atomic", func() Counter { return &atomicCounter{} })
}

type racyCounter struct{ value int64 }

// Inc is not inlined so that the compiler keeps one load and one store per
// call, the way the race happens in real code.
//
//go:noinline
func (c *racyCounter) Inc()        { c.value++ }
func (c *racyCounter) Load() int64 { return c.value }

type mutexCounter struct {
	mu    sync.Mutex
	value int64
}

func (c *mutexCounter) Inc() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.value++
}

func (c *mutexCounter) Load() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.value
}

type atomicCounter struct{ value atomic.Int64 }

func (c *atomicCounter) Inc()        { c.value.Add(1) }
func (c *atomicCounter) Load() int64 { return c.value.Load() }

// Config is a read-mostly settings map.
type Config interface {
	Get(key string) string
	Set(key, value string)
}

// Configs holds the config variants.
var Configs = registry.New[func() Config]("config")

func init() {
	Configs.Register("rwmutex", "the document's: RWMutex", func() Config { return &rwConfig{settings: map[string]string{}} })
	Configs.Register("mutex", "a plain Mutex", func() Config { return &mutexConfig{settings: map[string]string{}} })
	Configs.Register("cow", "copy-on-write map behind an atomic pointer", func() Config {
		c := &cowConfig{}
		c.settings.Store(&map[string]string{})
		return c
	})
}

type rwConfig struct {
	mu       sync.RWMutex
	settings map[string]string
}

func (c *rwConfig) Get(k string) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.settings[k]
}

func (c *rwConfig) Set(k, v string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.settings[k] = v
}

type mutexConfig struct {
	mu       sync.Mutex
	settings map[string]string
}

func (c *mutexConfig) Get(k string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.settings[k]
}

func (c *mutexConfig) Set(k, v string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.settings[k] = v
}

// cowConfig copies the map on every Set: writes cost O(n), reads one atomic
// load. Writers serialise on mu so that none is lost.
type cowConfig struct {
	mu       sync.Mutex
	settings atomic.Pointer[map[string]string]
}

func (c *cowConfig) Get(k string) string { return (*c.settings.Load())[k] }

func (c *cowConfig) Set(k, v string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	next := maps.Clone(*c.settings.Load())
	next[k] = v
	c.settings.Store(&next)
}
