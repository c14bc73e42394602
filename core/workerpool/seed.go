package workerpool

import (
	"context"
	"sync"
)

// ToolExecutor is the original's: a goroutine per call, bounded by a
// chan struct{} semaphore, a timeout per call, results by tool name.
type ToolExecutor struct {
	sem chan struct{}
	cfg Config
}

// NewToolExecutor creates an executor with cfg.Limit slots.
func NewToolExecutor(cfg Config) *ToolExecutor {
	cfg = cfg.withDefaults()
	return &ToolExecutor{sem: make(chan struct{}, cfg.Limit), cfg: cfg}
}

// SetMaxConcurrency replaces the semaphore. Defect: without
// synchronisation, and under running calls, which later release a slot of
// the new semaphore that they never took.
func (e *ToolExecutor) SetMaxConcurrency(n int) { e.sem = make(chan struct{}, n) }

// ExecuteParallel runs the calls and returns their results by name.
// Defects: two calls of one tool share a map key, so one result is lost; a
// call that times out returns without releasing its slot.
func (e *ToolExecutor) ExecuteParallel(ctx context.Context, calls []Task) map[string]Result {
	results := make(map[string]Result, len(calls))
	var mu sync.Mutex
	record := func(r Result) {
		mu.Lock()
		results[r.Name] = r
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for _, c := range calls {
		wg.Go(func() {
			select {
			case e.sem <- struct{}{}:
			case <-ctx.Done():
				record(Result{Name: c.Name, Err: ctx.Err()})
				return
			}
			callCtx, cancel := context.WithCancel(ctx)
			defer cancel()
			if e.cfg.Timeout > 0 {
				callCtx, cancel = context.WithTimeout(ctx, e.cfg.Timeout)
				defer cancel()
			}
			done := make(chan Result, 1)
			go func() {
				out, err := c.Run(callCtx)
				done <- Result{Name: c.Name, Output: out, Err: err}
			}()
			select {
			case r := <-done:
				<-e.sem
				record(r)
			case <-callCtx.Done():
				record(Result{Name: c.Name, Err: ErrTimeout}) // the slot stays taken
			}
		})
	}
	wg.Wait()
	return results
}

// seedExecutor adapts ToolExecutor to Executor: results are looked up by
// name, so duplicates all get whichever result was stored last.
type seedExecutor struct{ e *ToolExecutor }

func (s seedExecutor) Execute(ctx context.Context, tasks []Task) []Result {
	byName := s.e.ExecuteParallel(ctx, tasks)
	out := make([]Result, len(tasks))
	for i, t := range tasks {
		out[i] = byName[t.Name]
	}
	return out
}

func (s seedExecutor) SetLimit(n int) { s.e.SetMaxConcurrency(n) }
func (s seedExecutor) Close()         {}
