package workerpool

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func forEachVariant(t *testing.T, fn func(t *testing.T, variant string)) {
	for _, v := range Registry.Names() {
		t.Run("impl="+v, func(t *testing.T) { fn(t, v) })
	}
}

func mustNew(t *testing.T, variant string, cfg Config) Executor {
	t.Helper()
	e, err := New(variant, cfg)
	require.NoError(t, err)
	t.Cleanup(e.Close)
	return e
}

// gauge tracks how many tasks run at once.
type gauge struct{ now, peak atomic.Int32 }

func (g *gauge) enter() {
	n := g.now.Add(1)
	for {
		p := g.peak.Load()
		if n <= p || g.peak.CompareAndSwap(p, n) {
			return
		}
	}
}

func (g *gauge) leave() { g.now.Add(-1) }

func sleeper(name string, d time.Duration, g *gauge) Task {
	return Task{Name: name, Run: func(ctx context.Context) (string, error) {
		g.enter()
		defer g.leave()
		select {
		case <-time.After(d):
			return "done " + name, nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}}
}

func TestConformance(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v string) {
		t.Run("results in order, limit respected", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := mustNew(t, v, Config{Limit: 3})
				var g gauge
				tasks := make([]Task, 20)
				for i := range tasks {
					tasks[i] = sleeper(fmt.Sprint("t", i), time.Millisecond, &g)
				}
				res := e.Execute(context.Background(), tasks)
				require.Len(t, res, 20)
				for i, r := range res {
					assert.NoError(t, r.Err)
					assert.Equal(t, fmt.Sprint("done t", i), r.Output)
					assert.Equal(t, fmt.Sprint("t", i), r.Name)
				}
				assert.Equal(t, int32(3), g.peak.Load())
			})
		})
		t.Run("errors and timeouts are results", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := mustNew(t, v, Config{Limit: 2, Timeout: time.Second})
				boom := errors.New("boom")
				var g gauge
				res := e.Execute(context.Background(), []Task{
					{Name: "fails", Run: func(context.Context) (string, error) { return "", boom }},
					sleeper("slow", time.Minute, &g),
					sleeper("quick", time.Millisecond, &g),
				})
				assert.ErrorIs(t, res[0].Err, boom)
				// The seed's slow call sees its batch's context end and
				// reports that; the others report their own timeout.
				assert.True(t, errors.Is(res[1].Err, ErrTimeout) || errors.Is(res[1].Err, context.DeadlineExceeded), "%v", res[1].Err)
				assert.NoError(t, res[2].Err)
			})
		})
		t.Run("concurrent batches", func(t *testing.T) {
			if v == "seed" {
				t.Skip("the seed's semaphore is full after its first batch: TestSeedDefectWorkerpoolSemaphoreFilledAfterBatch")
			}
			synctest.Test(t, func(t *testing.T) {
				e := mustNew(t, v, Config{Limit: 4})
				var g gauge
				var wg sync.WaitGroup
				for b := range 5 {
					wg.Go(func() {
						tasks := []Task{sleeper(fmt.Sprint(b, "a"), time.Millisecond, &g), sleeper(fmt.Sprint(b, "b"), time.Millisecond, &g)}
						res := e.Execute(context.Background(), tasks)
						assert.Equal(t, fmt.Sprint("done ", b, "a"), res[0].Output)
						assert.Equal(t, fmt.Sprint("done ", b, "b"), res[1].Output)
					})
				}
				wg.Wait()
			})
		})
	})
}

func TestLimiterSetLimitAndCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(1)
		require.NoError(t, l.acquire(context.Background()))
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		assert.ErrorIs(t, l.acquire(ctx), context.DeadlineExceeded)
		got := make(chan struct{})
		go func() { _ = l.acquire(context.Background()); close(got) }()
		synctest.Wait()
		l.setLimit(2) // room for the waiter now
		<-got
		l.release()
		l.release()
		assert.Zero(t, l.inUse)
	})
}
