package workerpool

import (
	"container/list"
	"context"
	"sync"

	"golang.org/x/sync/errgroup"
)

// limiter is a counting semaphore whose limit can change while in use;
// waiters are served first come, first served.
type limiter struct {
	mu      sync.Mutex
	limit   int
	inUse   int
	waiters list.List // of chan struct{}
}

func newLimiter(n int) *limiter { return &limiter{limit: n} }

func (l *limiter) acquire(ctx context.Context) error {
	l.mu.Lock()
	if l.inUse < l.limit && l.waiters.Len() == 0 {
		l.inUse++
		l.mu.Unlock()
		return nil
	}
	ready := make(chan struct{})
	el := l.waiters.PushBack(ready)
	l.mu.Unlock()
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		l.mu.Lock()
		select {
		case <-ready: // granted meanwhile: hand the slot on
			l.mu.Unlock()
			l.release()
		default:
			l.waiters.Remove(el)
			l.mu.Unlock()
		}
		return ctx.Err()
	}
}

func (l *limiter) release() {
	l.mu.Lock()
	l.inUse--
	l.grant()
	l.mu.Unlock()
}

func (l *limiter) setLimit(n int) {
	l.mu.Lock()
	l.limit = n
	l.grant()
	l.mu.Unlock()
}

// grant wakes waiters while there is room; called with mu held.
func (l *limiter) grant() {
	for l.inUse < l.limit && l.waiters.Len() > 0 {
		close(l.waiters.Remove(l.waiters.Front()).(chan struct{}))
		l.inUse++
	}
}

// fixedExecutor holds a slot for exactly as long as a task runs, on every
// path, so the limit bounds real work. A task that ignores its context is
// waited for: the batch does not claim to be done while its work still runs.
type fixedExecutor struct {
	lim *limiter
	cfg Config
}

func newFixed(c Config) *fixedExecutor { return &fixedExecutor{lim: newLimiter(c.Limit), cfg: c} }

func (e *fixedExecutor) Execute(ctx context.Context, tasks []Task) []Result {
	out := make([]Result, len(tasks))
	var wg sync.WaitGroup
	for i, t := range tasks {
		wg.Go(func() {
			if err := e.lim.acquire(ctx); err != nil {
				out[i] = Result{Name: t.Name, Err: err}
				return
			}
			defer e.lim.release()
			out[i] = runTimed(ctx, t, e.cfg.Timeout)
		})
	}
	wg.Wait()
	return out
}

func (e *fixedExecutor) SetLimit(n int) { e.lim.setLimit(n) }
func (e *fixedExecutor) Close()         {}

// errgroupExecutor bounds each batch with its own errgroup. A task error is
// a result, not a reason to cancel the batch, so the group never fails.
type errgroupExecutor struct {
	mu    sync.Mutex
	limit int
	cfg   Config
}

func newErrgroup(c Config) *errgroupExecutor { return &errgroupExecutor{limit: c.Limit, cfg: c} }

func (e *errgroupExecutor) Execute(ctx context.Context, tasks []Task) []Result {
	e.mu.Lock()
	limit := e.limit
	e.mu.Unlock()
	out := make([]Result, len(tasks))
	var g errgroup.Group
	g.SetLimit(limit)
	for i, t := range tasks {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				out[i] = Result{Name: t.Name, Err: err}
				return nil
			}
			out[i] = runTimed(ctx, t, e.cfg.Timeout)
			return nil
		})
	}
	_ = g.Wait() // the closures never return errors
	return out
}

func (e *errgroupExecutor) SetLimit(n int) {
	e.mu.Lock()
	e.limit = n
	e.mu.Unlock()
}

func (e *errgroupExecutor) Close() {}
