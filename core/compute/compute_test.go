package compute

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/llmbench/llmbench/core/internal/testkit"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func forEachVariant(t *testing.T, fn func(t *testing.T, variant string, c Cache[string])) {
	for _, v := range Variants {
		t.Run("impl="+v, func(t *testing.T) {
			c, err := New[string](v)
			require.NoError(t, err)
			fn(t, v, c)
		})
	}
}

func TestUnknownVariant(t *testing.T) {
	_, err := New[int]("nope")
	assert.ErrorContains(t, err, `unknown compute variant "nope" (known: locked, doublecheck, singleflight)`)
}

func TestConformance(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v string, c Cache[string]) {
		assert.Equal(t, "a1", c.GetOrCompute("a", func() string { return "a1" }))
		assert.Equal(t, "a1", c.GetOrCompute("a", func() string { return "a2" }), "cached")
		assert.Equal(t, int64(1), c.Computes())
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 100 {
					k := fmt.Sprint(i % 10)
					assert.Equal(t, "v"+k, c.GetOrCompute(k, func() string { return "v" + k }), g)
				}
			})
		}
		wg.Wait()
		assert.GreaterOrEqual(t, c.Computes(), int64(11))
	})
}

// waitFor waits, polling, until n goroutines have finished: the test
// goroutine then sleeps rather than parks on a lock or a channel, so that it
// is not mistaken for a caller held back by the cache.
func waitFor(t *testing.T, done *atomic.Int32, n int32) {
	t.Helper()
	deadline := time.Now().Add(testkit.Bound)
	for done.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d callers returned within %v", done.Load(), n, testkit.Bound)
		}
		time.Sleep(time.Millisecond)
	}
}

// heldBack are the wait reasons of a caller that a cache holds back while
// another computes: a lock, a once, a singleflight's WaitGroup.
var heldBack = []string{"sync.Mutex.Lock", "sync.RWMutex.Lock", "sync.RWMutex.RLock", "sync.WaitGroup.Wait", "chan receive", "select"}

func TestSeedDefectComputeDoubleCheckDuplicates(t *testing.T) {
	// Two callers of one missing key: the compute function holds the first
	// until the second computes too (the document's "good" version: both
	// missed before either stored) or is held back by the cache.
	computes := map[string]int64{"doublecheck": 2, "locked": 1, "singleflight": 1}
	forEachVariant(t, func(t *testing.T, v string, c Cache[string]) {
		hook := testkit.Rendezvous(2, heldBack...)
		var done atomic.Int32
		for range 2 {
			go func() {
				defer done.Add(1)
				assert.Equal(t, "x", c.GetOrCompute("hot", func() string { hook(); return "x" }))
			}()
		}
		waitFor(t, &done, 2)
		assert.Equal(t, testkit.Want(t, v, computes), c.Computes(), "computes of one key by two callers")
	})
}

func TestSeedDefectComputeLockedBlocksOtherKeys(t *testing.T) {
	// While one key computes, a lookup of a cached key: the document's "bad"
	// version holds its mutex through the computation.
	blocks := map[string]bool{"locked": true, "doublecheck": false, "singleflight": false}
	forEachVariant(t, func(t *testing.T, v string, c Cache[string]) {
		c.GetOrCompute("cached", func() string { return "ready" })
		release := make(chan struct{})
		computing := make(chan struct{})
		slowDone := make(chan struct{})
		go func() {
			c.GetOrCompute("slow", func() string { close(computing); <-release; return "s" })
			close(slowDone)
		}()
		<-computing
		got := make(chan string, 1)
		go func() { got <- c.GetOrCompute("cached", func() string { return "recomputed" }) }()
		// Served, or parked on the cache's lock (waiting the bound out would
		// tell the same, slower).
		var served bool
		deadline := time.Now().Add(testkit.Bound)
	wait:
		for time.Now().Before(deadline) {
			select {
			case s := <-got:
				served = true
				assert.Equal(t, "ready", s)
				break wait
			default:
			}
			if testkit.Parked("sync.Mutex.Lock") || testkit.Parked("sync.RWMutex.RLock") || testkit.Parked("sync.RWMutex.Lock") {
				break
			}
			time.Sleep(time.Millisecond)
		}
		assert.Equal(t, testkit.Want(t, v, blocks), !served, "the cached key waited for another key's computation")
		close(release)
		if !served {
			assert.Equal(t, "ready", <-got)
		}
		<-slowDone
	})
}
