package cache

import (
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmbench/llmbench/core/domain"
	"github.com/llmbench/llmbench/core/internal/testkit"
)

// withUpgradeHook installs fn in the seed's lock-upgrade window for one test.
func withUpgradeHook(t *testing.T, fn func()) {
	testHookUpgrade = fn
	t.Cleanup(func() { testHookUpgrade = nil })
}

func TestSeedDefectCacheLostUsageCounts(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v string) {
		c := mustNew(t, v, Config{})
		k := keyN(1)
		c.SetKey(k, resp("A"), "m")
		const readers, gets = 2, 1
		if v == "seed" {
			// Both readers copy the entry before either writes it back.
			withUpgradeHook(t, testkit.NewBarrier(readers).Await)
		}
		var wg sync.WaitGroup
		for range readers {
			wg.Go(func() {
				for range gets {
					c.GetKey(k)
				}
			})
		}
		wg.Wait()
		e, _ := c.Peek(k)
		lost := int64(1+readers*gets) - e.UsageCount
		t.Logf("usage increments lost: %d of %d", lost, readers*gets)
		if v == "seed" {
			assert.Equal(t, int64(1), lost)
		} else {
			assert.Zero(t, lost)
		}
	})
}

func TestSeedDefectCacheLostUsageCountsUnderLoad(t *testing.T) {
	// Without a forced interleaving, under real contention: the corrected
	// variants count every Get exactly; the seed's losses are only logged,
	// as their number depends on scheduling.
	forEachVariant(t, func(t *testing.T, v string) {
		c := mustNew(t, v, Config{})
		k := keyN(1)
		c.SetKey(k, resp("A"), "m")
		const readers, gets = 4, 2000
		var wg sync.WaitGroup
		for range readers {
			wg.Go(func() {
				for range gets {
					c.GetKey(k)
				}
			})
		}
		wg.Wait()
		e, _ := c.Peek(k)
		lost := int64(1+readers*gets) - e.UsageCount
		t.Logf("usage increments lost: %d of %d", lost, readers*gets)
		if v != "seed" {
			assert.Zero(t, lost)
		}
	})
}

func TestSeedDefectCacheResurrectsInvalidated(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v string) {
		c := mustNew(t, v, Config{})
		k := keyN(1)
		c.SetKey(k, resp("A"), "m")
		if v == "seed" {
			withUpgradeHook(t, func() { c.InvalidateKey(k) })
			_, ok := c.GetKey(k)
			require.True(t, ok)
			_, present := c.Peek(k)
			assert.True(t, present, "the invalidated entry is written back")
			return
		}
		// Invalidations racing with lookups: the last word is the delete.
		var wg sync.WaitGroup
		wg.Go(func() {
			for range 1000 {
				c.GetKey(k)
			}
		})
		for range 1000 {
			c.SetKey(k, resp("A"), "m")
			c.InvalidateKey(k)
		}
		wg.Wait()
		_, present := c.Peek(k)
		assert.False(t, present)
	})
}

func TestSeedDefectCacheStaleWriteBackUndoesSet(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v string) {
		c := mustNew(t, v, Config{})
		k := keyN(1)
		c.SetKey(k, resp("old"), "m")
		if v == "seed" {
			withUpgradeHook(t, func() { c.SetKey(k, resp("new"), "m") })
		}
		c.GetKey(k)
		if v != "seed" {
			c.SetKey(k, resp("new"), "m")
		}
		e, _ := c.Peek(k)
		if v == "seed" {
			assert.Equal(t, "old", e.Response.Content, "Get wrote back the copy it read before the Set")
		} else {
			assert.Equal(t, "new", e.Response.Content)
		}
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
	forEachVariant(t, func(t *testing.T, v string) {
		c := mustNew(t, v, Config{})
		c.Set(conv("q"), requestOptions(0.1), resp("cold answer"), "m")
		got, hit := c.Get(conv("q"), requestOptions(0.9))
		if v == "seed" {
			assert.True(t, hit, "%%v of an Option prints a code pointer, equal for both temperatures")
			assert.Equal(t, "cold answer", got.Content)
		} else {
			assert.False(t, hit)
		}
	})
}

func TestSeedDefectCacheHoldsCapacityPlusOne(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v string) {
		c := mustNew(t, v, Config{Capacity: 10})
		for i := range 100 {
			c.SetKey(keyN(i), resp("x"), "m")
		}
		size := c.Stats().Size
		if v == "seed" {
			assert.Equal(t, 11, size)
		} else {
			assert.Equal(t, 10, size)
		}
	})
}

func TestSeedDefectCacheExpiredKeptOnGet(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v string) {
		synctest.Test(t, func(t *testing.T) {
			c := mustNew(t, v, Config{TTL: time.Second})
			c.SetKey(keyN(1), resp("x"), "m")
			time.Sleep(2 * time.Second)
			_, ok := c.GetKey(keyN(1))
			assert.False(t, ok)
			if v == "seed" {
				assert.Equal(t, 1, c.Stats().Size, "the expired entry stays until a Cleanup")
			} else {
				assert.Zero(t, c.Stats().Size)
			}
		})
	})
}

func TestSeedDefectCacheSortsOnEverySet(t *testing.T) {
	// Bytes allocated by one Set into a full cache: the seed copies and
	// sorts the whole map each time, so the figure grows with capacity.
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
		if v == "seed" {
			assert.Greater(t, large, 50*small)
		} else {
			assert.Less(t, large, 4*small+1024)
		}
	})
}
