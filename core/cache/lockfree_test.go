package cache

import (
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmbench/llmbench/core/domain"
	"github.com/llmbench/llmbench/core/internal/testkit"
)

// The properties the lockfree and sharded variants are built for, each
// tested where it can fail: a Get that waits for a writer, a clock that
// stands still, a usage count dropped when the log is busy, an allocation
// on a hit, an overwrite that excludes a shard's readers, shards or stripes
// that share a cache line.

func newLF(t *testing.T, cfg Config) *lockFreeCache {
	t.Helper()
	c, err := NewAblated("lockfree", cfg, Ablation{})
	require.NoError(t, err)
	return c.(*lockFreeCache)
}

func TestLockFreeGetTakesNoLock(t *testing.T) {
	c := newLF(t, Config{Capacity: 64})
	k := keyN(1)
	c.SetKey(k, resp("A"), "m")
	for i := range c.shards {
		c.shards[i].mu.Lock()
	}
	defer func() {
		for i := range c.shards {
			c.shards[i].mu.Unlock()
		}
	}()
	testkit.Within(t, 2*time.Second, "a Get while every shard's writers' lock is held", func() {
		got, ok := c.GetKey(k)
		assert.True(t, ok)
		assert.Equal(t, "A", got.Content)
		_, ok = c.GetKey(keyN(2))
		assert.False(t, ok)
	})
}

func TestLockFreeTableSurvivesChurn(t *testing.T) {
	// Keys that stay present are found by concurrent readers throughout
	// inserts and invalidations of others, which fill the tables with
	// tombstones and make the shards rebuild them many times over. The
	// churn never holds more than a few keys at once: nothing is evicted.
	c := newLF(t, Config{Capacity: 512, Shards: 2})
	const stay, churn, behind = 64, 20000, 8
	for i := range stay {
		c.SetKey(keyN(i), resp(fmt.Sprint(i)), "m")
	}
	tables := []*lfTable{c.shards[0].table.Load(), c.shards[1].table.Load()}
	churnKeys := make([]Key, churn)
	for i := range churnKeys {
		churnKeys[i] = keyN(stay + i)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	lookups, misses := make([]int, 2), make([]int, 2)
	for r := range lookups {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				for i := range stay {
					lookups[r]++
					if got, ok := c.GetKey(keyN(i)); !ok || got.Content != fmt.Sprint(i) {
						misses[r]++
					}
				}
			}
		})
	}
	for i, k := range churnKeys {
		c.SetKey(k, resp("x"), "m")
		if i >= behind {
			c.InvalidateKey(churnKeys[i-behind])
		}
	}
	close(stop)
	wg.Wait()
	assert.Positive(t, lookups[0]+lookups[1])
	assert.Zero(t, misses[0]+misses[1], "lookups of keys present throughout (of %d)", lookups[0]+lookups[1])
	assert.Equal(t, stay+behind, c.Stats().Size)
	assert.Zero(t, c.Stats().Evictions)
	for i := range c.shards {
		s := &c.shards[i]
		assert.NotSame(t, tables[i], s.table.Load(), "shard %d never rebuilt its table", i)
		assert.LessOrEqual(t, 4*s.used, 3*len(s.table.Load().slots), "shard %d: a probe must always reach an empty slot", i)
	}
}

func TestLockFreeRebuildPublishesFullTables(t *testing.T) {
	// While a shard rebuilds its table (under its lock), lock-free Gets must
	// still find every key: they read the old table until the new one is
	// filled and published.
	c := newLF(t, Config{Capacity: 1000, Shards: 1})
	var present []Key
	rebuilds, missed := 0, 0
	testHookRebuild = func() {
		rebuilds++
		for _, k := range present {
			if _, ok := c.GetKey(k); !ok {
				missed++
			}
		}
	}
	t.Cleanup(func() { testHookRebuild = nil })
	for i := range 1000 {
		k := keyN(i)
		c.SetKey(k, resp("x"), "m")
		present = append(present, k)
	}
	assert.Positive(t, rebuilds)
	assert.Zero(t, missed, "lookups of present keys during %d rebuilds", rebuilds)
}

func TestLockFreeClockLagsAtMostATick(t *testing.T) {
	// TTL 640 ms: a 10 ms tick. A reader every 2 ms keeps the clock running;
	// the entry must be served until shortly before its TTL and missed
	// from one tick after it.
	synctest.Test(t, func(t *testing.T) {
		c := newLF(t, Config{TTL: 640 * time.Millisecond})
		require.Equal(t, 10*time.Millisecond, c.clock.tick)
		k := keyN(1)
		c.SetKey(k, resp("A"), "m")
		start := time.Now()
		var servedLate, missedEarly time.Duration
		for time.Since(start) < time.Second {
			_, ok := c.GetKey(k)
			age := time.Since(start)
			if ok && age > 640*time.Millisecond+c.clock.tick {
				servedLate = age
			}
			if !ok && age < 640*time.Millisecond-c.clock.tick {
				missedEarly = age
			}
			if !ok {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		assert.Zero(t, servedLate, "served at this age, over a tick past its TTL")
		assert.Zero(t, missedEarly, "missed at this age, over a tick before its TTL")
		assert.Equal(t, clockRunning, c.clock.state.Load(), "the reads kept the clock running")
	})
}

func TestLockFreeClockAfterIdle(t *testing.T) {
	// The clock stops once nothing reads it; the first read after an idle
	// spell must not use the reading from before it.
	synctest.Test(t, func(t *testing.T) {
		c := newLF(t, Config{TTL: time.Second})
		k := keyN(1)
		c.SetKey(k, resp("A"), "m")
		_, ok := c.GetKey(k)
		require.True(t, ok)
		time.Sleep(5 * time.Second)
		assert.Equal(t, clockStopped, c.clock.state.Load(), "idle: no timer armed")
		_, ok = c.GetKey(k)
		assert.False(t, ok, "expired 4 s ago")
	})
}

func TestUsageLogExactWhenStripesBusy(t *testing.T) {
	// Hits that find every stripe they try held by others are counted on
	// the entry: nothing is dropped, as otter's lossy buffers would.
	l := newUsageLog()
	e := newEntry(keyN(1), &value{})
	for i := range l.stripes {
		require.True(t, l.stripes[i].busy.CompareAndSwap(0, 1))
	}
	for range 100 {
		l.record(e)
	}
	for i := range l.stripes {
		l.stripes[i].busy.Store(0)
	}
	for range 50 {
		l.record(e)
	}
	l.flush()
	assert.Equal(t, int64(1+150), e.usage.Load())
}

func TestHitsAllocateNothing(t *testing.T) {
	if testkit.RaceEnabled {
		t.Skip("the race detector allocates")
	}
	msgs := []domain.Message{
		domain.NewTextMessage(domain.RoleSystem, "be brief"),
		domain.NewTextMessage(domain.RoleUser, "what is the capital of France?"),
	}
	opts := []domain.Option{domain.WithTemperature(0.2), domain.WithMaxTokens(100)}
	for _, v := range []string{"rwmutex", "mutex", "syncmap", "sharded", "lockfree"} {
		t.Run("impl="+v, func(t *testing.T) {
			c := mustNew(t, v, Config{})
			c.Set(msgs, opts, resp("Paris"), "m")
			k := KeyOf(msgs, opts)
			assert.Zero(t, testing.AllocsPerRun(200, func() { c.GetKey(k) }), "GetKey hit")
			assert.Zero(t, testing.AllocsPerRun(200, func() { c.Get(msgs, opts) }), "Get hit, KeyOf included")
		})
	}
}

func TestShardedOverwriteLeavesReadersIn(t *testing.T) {
	// A reader holds k's shard's read lock; an overwrite of k must not wait
	// for it (a write lock would, and would hold back every reader of the
	// shard behind it).
	c := newLocked[rwLock](Config{Capacity: 8, Shards: 1}, 1, true)
	k := keyN(1)
	c.SetKey(k, resp("old"), "m")
	s := c.shard(k)
	s.mu.rlock()
	defer s.mu.runlock()
	testkit.Within(t, 2*time.Second, "an overwrite while a reader holds the shard", func() {
		c.SetKey(k, resp("new"), "m")
	})
	assert.Equal(t, "new", s.m[k].val.Load().resp.Content)
}

func TestPaddingKeepsWritersApart(t *testing.T) {
	// 128 bytes: a cache line and the line the adjacent-line prefetcher
	// pulls with it.
	const apart = 128
	var lf lfShard
	assert.GreaterOrEqual(t, unsafe.Offsetof(lf.mu), uintptr(apart), "lockfree: readers' table pointer and writers' lock")
	assert.GreaterOrEqual(t, unsafe.Sizeof(lf)-unsafe.Offsetof(lf.evictions), uintptr(apart), "lockfree: a shard's writers' words and the next shard's table pointer")
	var sh shard[rwLock, *rwLock]
	assert.GreaterOrEqual(t, unsafe.Sizeof(sh)-unsafe.Offsetof(sh.evictions), uintptr(apart), "sharded: a shard's words and the next shard's lock")
	var st usageStripe
	assert.GreaterOrEqual(t, unsafe.Sizeof(st)-unsafe.Offsetof(st.pending)-unsafe.Sizeof(st.pending), uintptr(apart), "usage log: a stripe's counts and the next stripe's lock")
}

func TestShardCountsAndCapacities(t *testing.T) {
	for _, tc := range []struct{ shards, capacity, want int }{
		{6, 100, 8}, {1, 100, 1}, {64, 3, 2}, {0, 1, 1},
	} {
		n := shardCount(tc.shards, tc.capacity)
		assert.Equal(t, tc.want, n, "shards %d, capacity %d", tc.shards, tc.capacity)
		total := 0
		for i := range n {
			total += shardCapacity(tc.capacity, n, i)
		}
		assert.Equal(t, tc.capacity, total)
	}
}

func TestNewAblatedRefusesWhatDoesNotApply(t *testing.T) {
	_, err := NewAblated("rwmutex", Config{}, Ablation{})
	assert.ErrorContains(t, err, `no ablation of variant "rwmutex"`)
	_, err = NewAblated("sharded", Config{}, Ablation{PreciseClock: true})
	assert.ErrorContains(t, err, "PreciseClock")
	_, err = NewAblated("lockfree", Config{}, Ablation{ExclusiveOverwrite: true})
	assert.ErrorContains(t, err, "ExclusiveOverwrite")
	for _, a := range []Ablation{{PreciseClock: true}, {CountEachHit: true}, {AlwaysMark: true}} {
		c, err := NewAblated("lockfree", Config{}, a)
		require.NoError(t, err)
		c.SetKey(keyN(1), resp("A"), "m")
		for range 3 {
			c.GetKey(keyN(1))
		}
		e, _ := c.Peek(keyN(1))
		assert.Equal(t, int64(4), e.UsageCount, "%+v", a)
	}
}
