package lifecycle

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/llmbench/llmbench/core/internal/testkit"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestHelperProcess runs ProcessItems variants and reports, through goleak,
// whether they left goroutines behind.
func TestHelperProcess(t *testing.T) {
	name := testkit.HelperName()
	if name == "" {
		return
	}
	before := goleak.IgnoreCurrent()
	process := func(i int) int { time.Sleep(50 * time.Millisecond); return i }
	items := []int{1, 2, 3, 4}
	switch name {
	case "leaky":
		ProcessItemsLeaky(context.Background(), items, process, 10*time.Millisecond)
	case "fixed":
		ProcessItems(context.Background(), items, process, 10*time.Millisecond)
	default:
		os.Exit(3)
	}
	if err := goleak.Find(before); err != nil {
		fmt.Println("LEAK:", strings.Count(err.Error(), "Goroutine "), "goroutines")
	} else {
		fmt.Println("NO LEAK")
	}
	os.Exit(0)
}

func TestSingletons(t *testing.T) {
	for _, name := range Singletons.Names() {
		t.Run("impl="+name, func(t *testing.T) {
			ctor, err := Singletons.Get(name)
			require.NoError(t, err)
			var inits atomic.Int32
			get := ctor(func() any { inits.Add(1); return new(int) })
			var wg sync.WaitGroup
			ptrs := make([]any, 8)
			for i := range ptrs {
				wg.Go(func() { ptrs[i] = get() })
			}
			wg.Wait()
			assert.Equal(t, int32(1), inits.Load())
			for _, p := range ptrs {
				assert.Same(t, ptrs[0], p)
			}
		})
	}
}

func TestSafeCounters(t *testing.T) {
	for _, name := range []string{"mutex", "atomic"} {
		t.Run("impl="+name, func(t *testing.T) {
			ctor, _ := Counters.Get(name)
			c := ctor()
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					for range 10000 {
						c.Inc()
					}
				})
			}
			wg.Wait()
			assert.Equal(t, int64(40000), c.Load())
		})
	}
}

func TestConfigs(t *testing.T) {
	for _, name := range Configs.Names() {
		t.Run("impl="+name, func(t *testing.T) {
			ctor, _ := Configs.Get(name)
			c := ctor()
			var wg sync.WaitGroup
			for g := range 4 {
				wg.Go(func() {
					for i := range 500 {
						c.Set(fmt.Sprint(g, "-", i%10), fmt.Sprint(i))
						_ = c.Get(fmt.Sprint((g+1)%4, "-", i%10))
					}
				})
			}
			wg.Wait()
			for g := range 4 {
				assert.Equal(t, "499", c.Get(fmt.Sprint(g, "-9")))
			}
			assert.Equal(t, "", c.Get("missing"))
		})
	}
}

func TestSeedDefectLifecycleWorkOutlivesContext(t *testing.T) {
	stillRunning := map[string]int32{"document": 1, "fixed": 0}
	for _, v := range []string{"document", "fixed"} {
		t.Run("impl="+v, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var running atomic.Int32
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				var err error
				if v == "document" {
					_, err = ProcessWithContext(ctx, "in", func(string) (string, error) {
						running.Add(1)
						defer running.Add(-1)
						time.Sleep(10 * time.Second) // an LLM call that never sees ctx
						return "out", nil
					})
				} else {
					_, err = ProcessWithContextFixed(ctx, "in", func(ctx context.Context, _ string) (string, error) {
						running.Add(1)
						defer running.Add(-1)
						select {
						case <-time.After(10 * time.Second):
							return "out", nil
						case <-ctx.Done():
							return "", ctx.Err()
						}
					})
				}
				assert.ErrorIs(t, err, context.DeadlineExceeded)
				synctest.Wait()
				t.Logf("operations still running after the caller gave up: %d", running.Load())
				assert.Equal(t, testkit.Want(t, v, stillRunning), running.Load())
				time.Sleep(10 * time.Second) // let the orphan finish inside the bubble
				assert.Zero(t, running.Load())
			})
		})
	}
}

// TestContrastLifecycleProcessItemsLeak is not a seed defect: the
// document's ProcessItems is the correct one. ProcessItemsLeaky is a
// made-up twin without the cancellable send, kept as a teaching contrast:
// it shows what the document's select on processingCtx prevents.
func TestContrastLifecycleProcessItemsLeak(t *testing.T) {
	leaks := map[string]string{"leaky": "LEAK: 5 goroutines", "fixed": "NO LEAK"}
	for _, v := range []string{"leaky", "fixed"} {
		t.Run("impl="+v, func(t *testing.T) {
			res := testkit.RunHelper(t, v, 8*time.Second)
			assert.Contains(t, res.Output, testkit.Want(t, v, leaks), "4 blocked workers and the closer waiting for them, or none: %s", res)
		})
	}
}

func TestProcessItemsCollectsAll(t *testing.T) {
	got := ProcessItems(context.Background(), []int{1, 2, 3}, func(i int) int { return i * 2 }, time.Minute)
	assert.ElementsMatch(t, []int{2, 4, 6}, got)
}
