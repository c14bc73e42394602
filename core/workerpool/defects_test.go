package workerpool

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSeedDefectWorkerpoolSlotLostOnTimeout(t *testing.T) {
	for _, v := range []string{"seed", "fixed"} {
		t.Run("impl="+v, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := mustNew(t, v, Config{Limit: 1, Timeout: time.Second})
				// A tool that stops a little after its deadline, as real
				// clients do once the cancellation reaches them.
				lingering := Task{Name: "lingering", Run: func(ctx context.Context) (string, error) {
					<-ctx.Done()
					time.Sleep(10 * time.Millisecond)
					return "", ctx.Err()
				}}
				first := e.Execute(context.Background(), []Task{lingering})
				assert.ErrorIs(t, first[0].Err, ErrTimeout)
				time.Sleep(time.Second)

				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				var g gauge
				second := e.Execute(ctx, []Task{sleeper("quick", time.Millisecond, &g)})
				if v == "seed" {
					assert.ErrorIs(t, second[0].Err, context.DeadlineExceeded, "the quick call waited for a slot nobody returns")
				} else {
					assert.NoError(t, second[0].Err)
				}
			})
		})
	}
}

func TestSeedDefectWorkerpoolDuplicateNamesLoseResults(t *testing.T) {
	calls := []Task{
		{Name: "search", Run: func(context.Context) (string, error) { return "cats", nil }},
		{Name: "search", Run: func(context.Context) (string, error) { return "dogs", nil }},
	}
	raw := NewToolExecutor(Config{Limit: 2}).ExecuteParallel(context.Background(), calls)
	assert.Len(t, raw, 1, "two calls, one result")
	for _, v := range Registry.Names() {
		t.Run("impl="+v, func(t *testing.T) {
			res := mustNew(t, v, Config{Limit: 2}).Execute(context.Background(), calls)
			lost := 0
			if res[0].Output == res[1].Output {
				lost = 1
			}
			if v == "seed" {
				assert.Equal(t, 1, lost)
			} else {
				assert.Equal(t, []string{"cats", "dogs"}, []string{res[0].Output, res[1].Output})
			}
		})
	}
}

func TestSeedDefectWorkerpoolLimitSwapExceedsLimit(t *testing.T) {
	for _, v := range []string{"seed", "fixed"} {
		t.Run("impl="+v, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := mustNew(t, v, Config{Limit: 1})
				var g gauge
				gate := map[string]chan struct{}{"a": make(chan struct{}), "b": make(chan struct{}), "c": make(chan struct{})}
				task := func(name string) Task {
					return Task{Name: name, Run: func(context.Context) (string, error) {
						g.enter()
						defer g.leave()
						<-gate[name]
						return name, nil
					}}
				}
				batch := func(name string) chan struct{} {
					done := make(chan struct{})
					go func() { e.Execute(context.Background(), []Task{task(name)}); close(done) }()
					synctest.Wait()
					return done
				}
				aDone := batch("a") // a holds the only slot
				e.SetLimit(1)       // resize while a runs
				bDone := batch("b") // seed: b takes a slot of the new semaphore
				close(gate["a"])
				<-aDone // seed: a releases a slot of the new semaphore: b's
				cDone := batch("c")
				peak := g.peak.Load()
				t.Logf("tasks running at once with limit 1: %d", peak)
				if v == "seed" {
					assert.Equal(t, int32(2), peak)
				} else {
					assert.Equal(t, int32(1), peak)
				}
				close(gate["b"])
				<-bDone // seed: b's release takes c's token...
				if v == "seed" {
					// ...so c's release would block for good: a leaked
					// goroutine. Give it the token it is missing.
					e.(seedExecutor).e.sem <- struct{}{}
				}
				close(gate["c"])
				<-cDone
			})
		})
	}
}

func TestSeedDefectWorkerpoolStopDeadlocksWithoutReader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewWorkerPool(1)
		for i := range 3 { // one result more than the results buffer holds
			p.Submit(func() DocResult { return DocResult{ID: i} })
		}
		stopped := make(chan struct{})
		go func() { p.Stop(); close(stopped) }()
		synctest.Wait()
		select {
		case <-stopped:
			t.Fatal("Stop returned although a worker cannot deliver its result")
		default: // deadlocked: the worker waits for a reader, Stop for the worker
		}
		var got []int
		for r := range p.Results() { // a reader ends it
			got = append(got, r.ID)
		}
		<-stopped
		assert.Equal(t, []int{0, 1, 2}, got)
	})
}

func TestSeedDefectWorkerpoolSubmitAfterStopPanics(t *testing.T) {
	p := NewWorkerPool(1)
	p.Stop()
	assert.Panics(t, func() { p.Submit(func() DocResult { return DocResult{} }) })
	require.NotNil(t, p)
}
