package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alitto/pond/v2"
	"github.com/panjf2000/ants/v2"
	"golang.org/x/sync/errgroup"

	"github.com/llmbench/llmbench/core/workerpool"
)

// The contract every pool is held to here: at most poolLimit tasks run at
// once across all submitters (one pool, bounded globally), every task has
// a unique name, and a batch returns its results in a fresh
// []workerpool.Result, as Executor.Execute does. What each pool does with
// the backlog differs, and is listed in the README's table.
const (
	poolLimit = 32
	poolTasks = 10000 // per op, whatever the shape
	// seedBatchTimeout replaces the seed ToolExecutor's 30 s default.
	seedBatchTimeout = 100 * time.Millisecond
)

// batch is one submitter's work, built before the timer: the tasks (for
// the core executors) and, for the peers, one closure per task that runs
// it, stores its result and marks it done.
type batch struct {
	tasks []workerpool.Task
	res   []workerpool.Result // the current op's results
	wg    sync.WaitGroup
	fns   []func()
}

func newBatch(submitter, n int, task func()) *batch {
	b := &batch{tasks: make([]workerpool.Task, n), fns: make([]func(), n)}
	for i := range n {
		b.tasks[i] = workerpool.Task{
			Name: fmt.Sprintf("s%d-t%d", submitter, i),
			Run:  func(context.Context) (string, error) { task(); return "", nil },
		}
		b.fns[i] = func() {
			t := b.tasks[i]
			out, err := t.Run(context.Background())
			b.res[i] = workerpool.Result{Name: t.Name, Output: out, Err: err}
			b.wg.Done()
		}
	}
	return b
}

// runner runs a batch on a pool with poolLimit slots.
type runner interface {
	run(b *batch) []workerpool.Result
	close()
}

type coreRunner struct{ e workerpool.Executor }

func (r coreRunner) run(b *batch) []workerpool.Result {
	return r.e.Execute(context.Background(), b.tasks)
}
func (r coreRunner) close() { r.e.Close() }

// peerRun is the peers' side of the contract: a fresh result slice, every
// task submitted through submit, and a wait for the batch's own tasks.
func peerRun(b *batch, submit func(func())) []workerpool.Result {
	b.res = make([]workerpool.Result, len(b.fns))
	b.wg.Add(len(b.fns))
	for _, f := range b.fns {
		submit(f)
	}
	b.wg.Wait()
	return b.res
}

// antsRunner: Submit blocks the submitter while every worker is busy.
type antsRunner struct{ p *ants.Pool }

func (r antsRunner) run(b *batch) []workerpool.Result {
	return peerRun(b, func(f func()) { _ = r.p.Submit(f) })
}
func (r antsRunner) close() { r.p.Release() }

// pondRunner: a queue of 2 × poolLimit, as the document's WorkerPool has,
// and Go blocks the submitter when it is full (pond's default queue is
// unbounded).
type pondRunner struct{ p pond.Pool }

func (r pondRunner) run(b *batch) []workerpool.Result {
	return peerRun(b, func(f func()) { _ = r.p.Go(f) })
}
func (r pondRunner) close() { r.p.StopAndWait() }

// errgroupRunner: one errgroup.Group with SetLimit shared by every
// submitter, so that the bound is global; Go blocks the submitter at the
// limit. Each batch waits for its own tasks; Wait runs at close only.
type errgroupRunner struct{ g *errgroup.Group }

func (r errgroupRunner) run(b *batch) []workerpool.Result {
	return peerRun(b, func(f func()) { r.g.Go(func() error { f(); return nil }) })
}
func (r errgroupRunner) close() { _ = r.g.Wait() }

type poolImpl struct {
	name string
	make func() runner
	// perBatch: the bound applies per batch, not across submitters, so
	// the pool is run only where there is one submitter.
	perBatch bool
	// failsOnceUsed: the seed's watchers fill its semaphore after each
	// batch, asynchronously, so its first ops fail a varying share of
	// their tasks and only then every task. Measured before it settles,
	// its figures would depend on b.N (how many ops mix the two states).
	failsOnceUsed bool
}

func poolImpls() []poolImpl {
	var out []poolImpl
	for _, v := range workerpool.Registry.Names() {
		cfg := workerpool.Config{Limit: poolLimit}
		if v == "seed" {
			// The original ToolExecutor fills its semaphore after every
			// batch, so every later batch waits out the batch timeout: 30 s
			// by default, which would make one op of this benchmark take
			// minutes. A short one keeps the defect visible (failed/task)
			// at a bearable cost.
			cfg.Timeout = seedBatchTimeout
		}
		out = append(out, poolImpl{name: v, perBatch: v == "errgroup", failsOnceUsed: v == "seed", make: func() runner {
			e, _ := workerpool.New(v, cfg)
			return coreRunner{e}
		}})
	}
	return append(out,
		poolImpl{name: "peer-ants", make: func() runner { p, _ := ants.NewPool(poolLimit); return antsRunner{p} }},
		poolImpl{name: "peer-pond", make: func() runner { return pondRunner{pond.NewPool(poolLimit, pond.WithQueueSize(2*poolLimit))} }},
		poolImpl{name: "peer-errgroup", make: func() runner {
			g := new(errgroup.Group)
			g.SetLimit(poolLimit)
			return errgroupRunner{g}
		}},
	)
}

var spinSink uint64

// cpuTask is about a microsecond of arithmetic.
func cpuTask() {
	x := uint64(1)
	for i := range 300 {
		x = x*6364136223846793005 + uint64(i)
	}
	if x == 0 {
		spinSink = x
	}
}

// responders answer blocking tasks: a task hands a request over and parks
// until one of them acknowledges it. It is a wait that is not bound to a
// timer (a "50 µs" sleep takes about 1 ms here), so what it measures is
// how a pool copes with tasks that park their worker.
type responders struct {
	reqs, acks chan struct{}
	wg         sync.WaitGroup
}

func startResponders(n int) *responders {
	r := &responders{reqs: make(chan struct{}), acks: make(chan struct{})}
	for range n {
		r.wg.Go(func() {
			for range r.reqs {
				r.acks <- struct{}{}
			}
		})
	}
	return r
}

func (r *responders) task() {
	r.reqs <- struct{}{}
	<-r.acks
}

func (r *responders) stop() {
	close(r.reqs)
	r.wg.Wait()
}

// BenchmarkWorkerPool: one op is 10 000 tasks, submitted by `submitters`
// goroutines in batches of `tasks` (shapes 1x10000, 100x100, 10000x1) to
// one pool bounded to 32 running tasks. The submitters are started before
// the timer and released together each op (a crew): starting 10 000
// goroutines per op would be what the 10000x1 shape measured. task=cpu is
// about 1 µs of arithmetic, in every shape; task=block hands a request to
// a responder goroutine and parks until it answers (a stand-in for I/O
// that no timer bounds), in the 100x100 shape. ns/task is the cost per
// task. The core errgroup variant bounds each batch, not the process, so
// it runs in the one-submitter shape only.
func BenchmarkWorkerPool(b *testing.B) {
	shapes := [][2]int{{1, poolTasks}, {100, poolTasks / 100}, {poolTasks, 1}}
	for _, impl := range poolImpls() {
		for _, taskName := range []string{"cpu", "block"} {
			for _, sh := range shapes {
				if taskName == "block" && sh[0] != 100 || impl.perBatch && sh[0] != 1 {
					continue
				}
				b.Run(fmt.Sprintf("impl=%s/shape=%dx%d/task=%s", impl.name, sh[0], sh[1], taskName), func(b *testing.B) {
					task := cpuTask
					if taskName == "block" {
						resp := startResponders(poolLimit)
						defer resp.stop()
						task = resp.task
					}
					r := impl.make()
					defer r.close()
					batches := make([]*batch, sh[0])
					for s := range batches {
						batches[s] = newBatch(s, sh[1], task)
					}
					var failed atomic.Int64
					crew := startCrew(sh[0], func(s int) {
						res, want := r.run(batches[s]), batches[s].tasks
						if len(res) != len(want) || res[0].Name != want[0].Name || res[len(res)-1].Name != want[len(want)-1].Name {
							b.Errorf("batch %d: %d results for %d tasks, or not in task order", s, len(res), len(want))
						}
						for _, x := range res {
							if x.Err != nil {
								failed.Add(1)
							}
						}
					})
					defer crew.stop()
					crew.run() // before the timer: pools start their workers on first use
					// The seed's steady state is every task failing: reach it
					// before the timer (a few ops of 100 ms).
					for i := 0; impl.failsOnceUsed && failed.Load() < poolTasks; i++ {
						if i == 10 {
							b.Fatalf("the seed still ran some tasks after %d batches: its semaphore never filled", i)
						}
						failed.Store(0)
						crew.run()
					}
					failed.Store(0)
					b.ReportAllocs()
					b.ResetTimer()
					for range b.N { // not b.Loop: pools and crews depend on GOMAXPROCS (see doc.go)
						crew.run()
					}
					b.StopTimer()
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*poolTasks), "ns/task")
					b.ReportMetric(float64(failed.Load())/float64(b.N*poolTasks), "failed/task")
				})
			}
		}
	}
}
