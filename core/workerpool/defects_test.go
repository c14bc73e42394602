package workerpool

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmbench/llmbench/core/internal/testkit"
)

// Each TestSeedDefect test runs on every variant from one table; a row
// says why where a variant does not apply.

// TestHelperProcess runs, in a child process, what the race detector
// reports: the test process must not see it.
func TestHelperProcess(t *testing.T) {
	name := testkit.HelperName()
	if name == "" {
		return
	}
	kind, variant, _ := strings.Cut(name, ":")
	if kind != "raise-limit" {
		os.Exit(3)
	}
	e, err := New(variant, Config{Limit: 1, Timeout: 2 * time.Second})
	if err != nil {
		fmt.Println(err)
		os.Exit(3)
	}
	// A holds the only slot; B waits for one; then the limit is raised to 2.
	aRuns, releaseA := make(chan struct{}), make(chan struct{})
	bRan := make(chan struct{})
	done := make(chan []Result, 2)
	go func() {
		done <- e.Execute(context.Background(), []Task{{Name: "A", Run: func(context.Context) (string, error) {
			close(aRuns)
			<-releaseA
			return "a", nil
		}}})
	}()
	<-aRuns
	go func() {
		done <- e.Execute(context.Background(), []Task{{Name: "B", Run: func(context.Context) (string, error) {
			close(bRan)
			return "b", nil
		}}})
	}()
	waiting := map[string]string{"seed": "ExecuteToolsParallel", "fixed": "(*limiter).acquire"}[variant]
	testkit.WaitParkedAtOrExit("select", waiting) // B waits for a slot
	e.SetLimit(2)
	select {
	case <-bRan:
		fmt.Println("B ran once the limit was raised")
	case <-time.After(time.Second):
		fmt.Println("B stranded on the old semaphore")
	}
	close(releaseA)
	<-done
	<-done
	testkit.Returned()
}

func TestSeedDefectWorkerpoolSemaphoreFilledAfterBatch(t *testing.T) {
	// Two batches of one quick call each, on a fresh executor, nothing
	// timing out in the first. The original's watcher fills the semaphore
	// when the first batch's context ends, and nobody empties it: the
	// second batch's call waits for a slot until its batch times out.
	secondTimesOut := map[string]bool{"seed": true, "workerpool": false, "fixed": false, "errgroup": false}
	forEachVariant(t, func(t *testing.T, v string) {
		synctest.Test(t, func(t *testing.T) {
			e := mustNew(t, v, Config{Limit: 2, Timeout: time.Second})
			var g gauge
			first := e.Execute(context.Background(), []Task{sleeper("first", time.Millisecond, &g)})
			require.NoError(t, first[0].Err)
			synctest.Wait() // the first batch's goroutines have all run
			second := e.Execute(context.Background(), []Task{sleeper("second", time.Millisecond, &g)})
			t.Logf("second batch: %+v", second[0])
			assert.Equal(t, testkit.Want(t, v, secondTimesOut), second[0].Err != nil, "the second batch's call timed out waiting for a slot")
		})
	})
}

func TestSeedDefectWorkerpoolDuplicateNamesLoseResults(t *testing.T) {
	calls := []Task{
		{Name: "search", Run: func(context.Context) (string, error) { return "cats", nil }},
		{Name: "search", Run: func(context.Context) (string, error) { return "dogs", nil }},
	}
	loses := map[string]bool{"seed": true, "workerpool": false, "fixed": false, "errgroup": false}
	forEachVariant(t, func(t *testing.T, v string) {
		res := mustNew(t, v, Config{Limit: 2}).Execute(context.Background(), calls)
		outputs := []string{res[0].Output, res[1].Output}
		t.Logf("outputs of two calls of one tool: %v", outputs)
		assert.Equal(t, testkit.Want(t, v, loses), outputs[0] == outputs[1], "two calls, one result")
	})
}

func TestSeedDefectWorkerpoolSetLimitIgnoresDecrease(t *testing.T) {
	// Limit 4, lowered to 1, then four calls: how many run at once?
	type row struct {
		peak int32
		na   string
	}
	table := map[string]row{
		"seed":       {peak: 4},
		"fixed":      {peak: 1},
		"errgroup":   {peak: 1},
		"workerpool": {na: "the document's pool has a fixed worker count: its SetLimit is a documented no-op"},
	}
	forEachVariant(t, func(t *testing.T, v string) {
		w := testkit.Want(t, v, table)
		if w.na != "" {
			t.Skip(w.na)
		}
		synctest.Test(t, func(t *testing.T) {
			e := mustNew(t, v, Config{Limit: 4})
			e.SetLimit(1)
			var g gauge
			tasks := make([]Task, 4)
			for i := range tasks {
				tasks[i] = sleeper(fmt.Sprint("t", i), time.Millisecond, &g)
			}
			e.Execute(context.Background(), tasks)
			t.Logf("calls running at once after lowering the limit to 1: %d", g.peak.Load())
			assert.Equal(t, w.peak, g.peak.Load())
		})
	})
}

func TestSeedDefectWorkerpoolRaisedLimitStrandsWaiters(t *testing.T) {
	// Limit 1: A runs, B waits; the limit is raised to 2. The original
	// swaps in a new semaphore: B, waiting on the old one, stays there
	// until its batch times out. The swap also races with the calls'
	// unlocked reads of the semaphore, which the race detector reports
	// (in a child process: the test process must not see it).
	type row struct {
		stranded bool
		raced    bool // under -race
		na       string
	}
	table := map[string]row{
		"seed":       {stranded: true, raced: true},
		"fixed":      {},
		"errgroup":   {na: "its limit is per batch: a raised limit applies to the next batch, by design"},
		"workerpool": {na: "the document's pool has a fixed worker count: its SetLimit is a documented no-op"},
	}
	forEachVariant(t, func(t *testing.T, v string) {
		w := testkit.Want(t, v, table)
		if w.na != "" {
			t.Skip(w.na)
		}
		res := testkit.RunHelper(t, "raise-limit:"+v, 8*time.Second)
		want := testkit.Finished
		if w.raced && testkit.RaceEnabled {
			want = testkit.Raced
		}
		assert.Equal(t, want, res.Outcome(), "%s", res)
		assert.Equal(t, w.stranded, strings.Contains(res.Output, "B stranded"), "%s", res)
		assert.Equal(t, !w.stranded, strings.Contains(res.Output, "B ran"), "%s", res)
	})
}

func TestSeedDefectWorkerpoolStopDeadlocksWithoutReader(t *testing.T) {
	// Three results, a results buffer of two (one worker), and nobody
	// reading: the document's Stop waits for a worker that waits for a
	// reader. The executors read every result (the document's pool behind
	// Executor through a router), so their Close returns.
	t.Run("impl=document-WorkerPool", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := NewWorkerPool(1)
			for i := range 3 {
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
	})
	forEachVariant(t, func(t *testing.T, v string) {
		synctest.Test(t, func(t *testing.T) {
			e, err := New(v, Config{Limit: 1})
			require.NoError(t, err)
			var g gauge
			res := e.Execute(context.Background(), []Task{sleeper("a", time.Millisecond, &g), sleeper("b", time.Millisecond, &g), sleeper("c", time.Millisecond, &g)})
			assert.Len(t, res, 3)
			e.Close() // a deadlock here ends the bubble with a panic naming it
		})
	})
}

func TestSeedDefectWorkerpoolSubmitAfterStopPanics(t *testing.T) {
	// The document's Submit sends on the closed task channel. Its
	// Executor (workerpool) inherits that; the others have nothing to stop.
	t.Run("impl=document-WorkerPool", func(t *testing.T) {
		p := NewWorkerPool(1)
		p.Stop()
		assert.Panics(t, func() { p.Submit(func() DocResult { return DocResult{} }) })
	})
	panics := map[string]bool{"workerpool": true, "seed": false, "fixed": false, "errgroup": false}
	forEachVariant(t, func(t *testing.T, v string) {
		e, err := New(v, Config{Limit: 1})
		require.NoError(t, err)
		e.Close()
		task := Task{Name: "late", Run: func(context.Context) (string, error) { return "ok", nil }}
		var res []Result
		var panicked bool
		testkit.Within(t, testkit.Bound, "Execute after Close", func() {
			panicked = func() (p bool) {
				defer func() { p = recover() != nil }()
				res = e.Execute(context.Background(), []Task{task})
				return false
			}()
		})
		assert.Equal(t, testkit.Want(t, v, panics), panicked, "Execute after Close panicked")
		if !panicked {
			require.Len(t, res, 1)
			assert.Equal(t, "ok", res[0].Output, "a call after Close still runs")
		}
	})
}
