package cache

import (
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/llmbench/llmbench/core/domain"
	"github.com/llmbench/llmbench/core/internal/testkit"
)

// Each TestSeedDefect test runs on every variant from one table; the seed
// shows the defect, the corrected variants do not.

// locks are the wait reasons of a goroutine held back by a cache's lock.
var locks = []string{"sync.RWMutex.Lock", "sync.RWMutex.RLock", "sync.Mutex.Lock"}

// onHit installs fn at the point where Get has found a live entry and has
// not yet recorded the use (testHookHit), for one test.
func onHit(t *testing.T, fn func()) {
	testHookHit = fn
	t.Cleanup(func() { testHookHit = nil })
}

// meanwhile runs op on another goroutine and returns once op has finished
// or is parked on a lock (held by the caller): it places op "inside" the
// caller's Get, wherever that Get lets it in. wait returns when op is done.
func meanwhile(op func()) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		op()
	}()
	deadline := time.Now().Add(testkit.Bound)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return func() {}
		default:
		}
		for _, r := range locks {
			if testkit.Parked(r) {
				return func() { <-done }
			}
		}
		time.Sleep(time.Millisecond)
	}
	panic("meanwhile: the operation neither finished nor waited on a lock within the bound")
}

func TestSeedDefectCacheLostUsageCounts(t *testing.T) {
	// Two Gets meet at the hit: both have read the entry. The seed then
	// writes back its copy, count+1, twice: one use is lost.
	lost := map[string]int64{"seed": 1, "rwmutex": 0, "mutex": 0, "syncmap": 0, "sharded": 0, "lockfree": 0}
	forEachVariant(t, func(t *testing.T, v string) {
		c := mustNew(t, v, Config{})
		k := keyN(1)
		c.SetKey(k, resp("A"), "m")
		onHit(t, testkit.Rendezvous(2, locks...))
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() { c.GetKey(k) })
		}
		wg.Wait()
		e, _ := c.Peek(k)
		t.Logf("usage increments lost: %d of 2", 3-e.UsageCount)
		assert.Equal(t, testkit.Want(t, v, lost), 3-e.UsageCount)
	})
}

func TestSeedDefectCacheResurrectsInvalidated(t *testing.T) {
	// An Invalidate lands while a Get holds the entry it found.
	present := map[string]bool{"seed": true, "rwmutex": false, "mutex": false, "syncmap": false, "sharded": false, "lockfree": false}
	forEachVariant(t, func(t *testing.T, v string) {
		c := mustNew(t, v, Config{})
		k := keyN(1)
		c.SetKey(k, resp("A"), "m")
		var wait func()
		onHit(t, func() { wait = meanwhile(func() { c.InvalidateKey(k) }) })
		_, ok := c.GetKey(k)
		assert.True(t, ok, "the entry was live when Get found it")
		wait()
		_, still := c.Peek(k)
		assert.Equal(t, testkit.Want(t, v, present), still, "entry present after Invalidate returned")
	})
}

func TestSeedDefectCacheStaleWriteBackUndoesSet(t *testing.T) {
	// A Set of a new answer lands while a Get holds the entry it found.
	after := map[string]string{"seed": "old", "rwmutex": "new", "mutex": "new", "syncmap": "new", "sharded": "new", "lockfree": "new"}
	forEachVariant(t, func(t *testing.T, v string) {
		c := mustNew(t, v, Config{})
		k := keyN(1)
		c.SetKey(k, resp("old"), "m")
		var wait func()
		onHit(t, func() { wait = meanwhile(func() { c.SetKey(k, resp("new"), "m") }) })
		c.GetKey(k)
		wait()
		e, _ := c.Peek(k)
		assert.Equal(t, testkit.Want(t, v, after), e.Response.Content, "the answer after the Set returned")
	})
}

// requestOptions is how applications build options: one call site for any
// value. (Where the compiler inlines With… at two call sites, the closures
// get two code pointers and the seed's keys differ by luck.)
//
//go:noinline
func requestOptions(temperature float64) []domain.Option {
	return []domain.Option{domain.WithTemperature(temperature)}
}

func TestSeedDefectCacheOptionValuesCollide(t *testing.T) {
	hit := map[string]bool{"seed": true, "rwmutex": false, "mutex": false, "syncmap": false, "sharded": false, "lockfree": false}
	forEachVariant(t, func(t *testing.T, v string) {
		c := mustNew(t, v, Config{})
		c.Set(conv("q"), requestOptions(0.1), resp("cold answer"), "m")
		_, got := c.Get(conv("q"), requestOptions(0.9))
		assert.Equal(t, testkit.Want(t, v, hit), got, "%%v of an Option prints a code pointer, equal for both temperatures")
	})
}

func TestSeedDefectCacheImageDataIgnoredInKey(t *testing.T) {
	// Two questions about two different PNGs, sent inline: the seed keys an
	// image by its media and source types, so the second is served the
	// answer about the first.
	photo := func(data string) []domain.Message {
		return []domain.Message{{Role: domain.RoleUser, Content: []domain.ContentPart{
			{Type: domain.ContentText, Text: "what is in this picture?"},
			{Type: domain.ContentImage, Image: &domain.ImageContent{Source: domain.SourceInfo{
				Type: domain.SourceBase64, MediaType: "image/png", Data: data}}},
		}}}
	}
	hit := map[string]bool{"seed": true, "rwmutex": false, "mutex": false, "syncmap": false, "sharded": false, "lockfree": false}
	forEachVariant(t, func(t *testing.T, v string) {
		c := mustNew(t, v, Config{})
		c.Set(photo("iVBORw0KGgo-a-cat"), nil, resp("a cat"), "m")
		_, got := c.Get(photo("iVBORw0KGgo-a-dog"), nil)
		assert.Equal(t, testkit.Want(t, v, hit), got, "a different image hit the cached answer")
	})
}

func TestSeedDefectCacheHoldsCapacityPlusOne(t *testing.T) {
	size := map[string]int{"seed": 11, "rwmutex": 10, "mutex": 10, "syncmap": 10, "sharded": 10, "lockfree": 10}
	forEachVariant(t, func(t *testing.T, v string) {
		c := mustNew(t, v, Config{Capacity: 10})
		for i := range 100 {
			c.SetKey(keyN(i), resp("x"), "m")
		}
		assert.Equal(t, testkit.Want(t, v, size), c.Stats().Size)
	})
}

func TestSeedDefectCacheExpiredKeptOnGet(t *testing.T) {
	size := map[string]int{"seed": 1, "rwmutex": 0, "mutex": 0, "syncmap": 0, "sharded": 0, "lockfree": 0}
	forEachVariant(t, func(t *testing.T, v string) {
		synctest.Test(t, func(t *testing.T) {
			c := mustNew(t, v, Config{TTL: time.Second})
			c.SetKey(keyN(1), resp("x"), "m")
			time.Sleep(2 * time.Second)
			_, ok := c.GetKey(keyN(1))
			assert.False(t, ok)
			assert.Equal(t, testkit.Want(t, v, size), c.Stats().Size, "the seed keeps the expired entry until a Cleanup")
		})
	})
}

func TestSeedDefectCacheSortsOnEverySet(t *testing.T) {
	// Bytes allocated by one Set into a full cache: the seed copies and
	// sorts the whole map each time, so the figure grows with capacity.
	grows := map[string]bool{"seed": true, "rwmutex": false, "mutex": false, "syncmap": false, "sharded": false, "lockfree": false}
	forEachVariant(t, func(t *testing.T, v string) {
		perSet := func(capacity int) uint64 {
			c := mustNew(t, v, Config{Capacity: capacity})
			for i := range capacity + 1 {
				c.SetKey(keyN(i), resp("x"), "m")
			}
			keys := make([]Key, 50)
			for i := range keys {
				keys[i] = keyN(capacity + 1 + i)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for _, k := range keys {
				c.SetKey(k, resp("x"), "m")
			}
			runtime.ReadMemStats(&after)
			return (after.TotalAlloc - before.TotalAlloc) / uint64(len(keys))
		}
		small, large := perSet(100), perSet(10000)
		t.Logf("bytes allocated per Set when full: capacity 100: %d, capacity 10000: %d", small, large)
		// 100 times the capacity: the seed's whole-map sort allocates about
		// 90 times more per Set, a sort of one shard of eight 25 times.
		assert.Equal(t, testkit.Want(t, v, grows), large > 10*small+1024, "per-Set allocation grows with capacity")
	})
}
