package compute

import (
	"fmt"
	"sync"
	"testing"

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

func TestSeedDefectComputeDoubleCheckDuplicates(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v string, c Cache[string]) {
		const callers = 2
		var wg sync.WaitGroup
		if v == "doublecheck" {
			// Both callers miss before either stores.
			barrier := testkit.NewBarrier(callers)
			for range callers {
				wg.Go(func() { c.GetOrCompute("hot", func() string { barrier.Await(); return "x" }) })
			}
			wg.Wait()
			assert.Equal(t, int64(2), c.Computes(), "one key computed twice")
			return
		}
		// The others compute once however many callers arrive together.
		start := make(chan struct{})
		for range 8 {
			wg.Go(func() {
				<-start
				assert.Equal(t, "x", c.GetOrCompute("hot", func() string { return "x" }))
			})
		}
		close(start)
		wg.Wait()
		assert.Equal(t, int64(1), c.Computes())
	})
}

func TestSeedDefectComputeLockedBlocksOtherKeys(t *testing.T) {
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
		if v == "locked" {
			testkit.WaitParked(t, "sync.Mutex.Lock") // the lookup of a cached key waits
			select {
			case <-got:
				t.Fatal("a cached key was served while another key computed under the lock")
			default:
			}
			close(release)
			assert.Equal(t, "ready", <-got)
		} else {
			assert.Equal(t, "ready", <-got)
			close(release)
		}
		<-slowDone
	})
}
