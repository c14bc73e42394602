package bench

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/alitto/pond/v2"
	"github.com/panjf2000/ants/v2"
	"golang.org/x/sync/errgroup"

	"github.com/llmbench/llmbench/core/workerpool"
)

// runner runs `tasks` copies of task with a concurrency limit.
type runner interface {
	run(tasks int, task func())
	close()
}

type coreRunner struct{ e workerpool.Executor }

func (r coreRunner) run(n int, task func()) {
	tasks := make([]workerpool.Task, n)
	for i := range tasks {
		tasks[i] = workerpool.Task{Name: "t", Run: func(context.Context) (string, error) { task(); return "", nil }}
	}
	r.e.Execute(context.Background(), tasks)
}
func (r coreRunner) close() { r.e.Close() }

type antsRunner struct{ p *ants.Pool }

func (r antsRunner) run(n int, task func()) {
	var wg sync.WaitGroup
	wg.Add(n)
	for range n {
		_ = r.p.Submit(func() { task(); wg.Done() })
	}
	wg.Wait()
}
func (r antsRunner) close() { r.p.Release() }

type pondRunner struct{ p pond.Pool }

func (r pondRunner) run(n int, task func()) {
	g := r.p.NewGroup()
	for range n {
		g.Submit(task)
	}
	_ = g.Wait()
}
func (r pondRunner) close() { r.p.StopAndWait() }

type errgroupRunner struct{ limit int }

func (r errgroupRunner) run(n int, task func()) {
	var g errgroup.Group
	g.SetLimit(r.limit)
	for range n {
		g.Go(func() error { task(); return nil })
	}
	_ = g.Wait()
}
func (errgroupRunner) close() {}

const poolLimit = 32

func runners() []struct {
	name string
	make func() runner
} {
	var out []struct {
		name string
		make func() runner
	}
	for _, v := range workerpool.Registry.Names() {
		out = append(out, struct {
			name string
			make func() runner
		}{v, func() runner {
			e, _ := workerpool.New(v, workerpool.Config{Limit: poolLimit})
			return coreRunner{e}
		}})
	}
	out = append(out,
		struct {
			name string
			make func() runner
		}{"peer-ants", func() runner { p, _ := ants.NewPool(poolLimit); return antsRunner{p} }},
		struct {
			name string
			make func() runner
		}{"peer-pond", func() runner { return pondRunner{pond.NewPool(poolLimit)} }},
		struct {
			name string
			make func() runner
		}{"peer-errgroup", func() runner { return errgroupRunner{poolLimit} }},
	)
	return out
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

func sleepTask() { time.Sleep(50 * time.Microsecond) }

// BenchmarkWorkerPool: one op is 10 000 tasks, submitted by `submitters`
// goroutines in batches of `tasks` (1×10000, 100×100, 10000×1), on a pool
// bounded to 32. task=cpu is ~1 µs of work, run in every shape; task=sleep
// is a 50 µs wait (a stand-in for I/O), run in the 100×100 shape, where it
// shows how a pool overlaps waits. ns/task is the cost per task. Pools
// bound globally, except the errgroup variants, whose bound is per batch.
func BenchmarkWorkerPool(b *testing.B) {
	shapes := [][2]int{{1, 10000}, {100, 100}, {10000, 1}}
	tasks := map[string]func(){"cpu": cpuTask, "sleep": sleepTask}
	for _, impl := range runners() {
		for _, taskName := range []string{"cpu", "sleep"} {
			for _, sh := range shapes {
				if taskName == "sleep" && sh[0] != 100 {
					continue
				}
				b.Run(fmt.Sprintf("impl=%s/shape=%dx%d/task=%s", impl.name, sh[0], sh[1], taskName), func(b *testing.B) {
					r := impl.make()
					defer r.close()
					task := tasks[taskName]
					b.ReportAllocs()
					for b.Loop() {
						var wg sync.WaitGroup
						for range sh[0] {
							wg.Go(func() { r.run(sh[1], task) })
						}
						wg.Wait()
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*10000), "ns/task")
				})
			}
		}
	}
}
