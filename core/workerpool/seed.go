package workerpool

// Seed-faithful port of Go-LLMs v0.2.6 pkg/agent/workflow/tool_executor.go:
// ToolExecutor (NewToolExecutor, ExecuteToolsParallel, executeTool,
// GetActiveCount, SetMaxConcurrent, SetExecutionTimeout), statement for
// statement, with Tasks in place of the original's tool map (a task is a
// named tool call; tool lookup, hooks and parameter conversion are left
// out: no defect is in them).

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// ToolStatus is the original's ToolExecutionStatus.
type ToolStatus string

// Statuses of a tool call.
const (
	ToolStatusSuccess ToolStatus = "success"
	ToolStatusError   ToolStatus = "error"
	ToolStatusTimeout ToolStatus = "timeout"
)

// ToolResult is the original's result of one tool call.
type ToolResult struct {
	ToolName    string
	Result      string
	Error       error
	ElapsedTime time.Duration
	Status      ToolStatus
}

// Defaults of the original's NewToolExecutor.
const (
	DefaultToolConcurrency = 5
	DefaultToolTimeout     = 30 * time.Second
)

// ToolExecutor is the original's: a goroutine per call, bounded by a
// chan struct{} semaphore, one timeout for the whole batch, results keyed
// by tool name.
type ToolExecutor struct {
	maxConcurrent    int
	executionTimeout time.Duration
	sem              chan struct{}
	activeCount      int
	mu               sync.RWMutex
}

// NewToolExecutor creates an executor of cfg.Limit slots (5 if not
// positive) and a batch timeout of cfg.Timeout (30 s if not positive).
func NewToolExecutor(cfg Config) *ToolExecutor {
	maxConcurrent, timeout := cfg.Limit, cfg.Timeout
	if maxConcurrent <= 0 {
		maxConcurrent = DefaultToolConcurrency
	}
	if timeout <= 0 {
		timeout = DefaultToolTimeout
	}
	return &ToolExecutor{maxConcurrent: maxConcurrent, executionTimeout: timeout, sem: make(chan struct{}, maxConcurrent)}
}

// ExecuteToolsParallel runs the calls and returns their results by name.
// Defects: a watcher goroutine waits for the batch's context, which always
// ends (its cancel is deferred), and then fills the semaphore with up to
// maxConcurrent tokens that nobody ever takes out: from the next batch on,
// every call waits for a slot until the batch times out. Two calls of one
// tool share a map key, so one result is lost. e.sem and e.maxConcurrent
// are read without the lock SetMaxConcurrent writes them under.
func (e *ToolExecutor) ExecuteToolsParallel(ctx context.Context, calls []Task) map[string]ToolResult {
	if len(calls) == 0 {
		return map[string]ToolResult{}
	}
	execCtx, cancel := context.WithTimeout(ctx, e.executionTimeout)
	defer cancel()
	resultCh := make(chan ToolResult, len(calls))
	var ctxMu sync.Mutex
	ctxDone := false
	go func() {
		<-execCtx.Done()
		ctxMu.Lock()
		ctxDone = true
		ctxMu.Unlock()
		for i := 0; i < e.maxConcurrent; i++ {
			select {
			case e.sem <- struct{}{}:
			default:
			}
		}
	}()
	var wg sync.WaitGroup
	for _, call := range calls {
		wg.Add(1)
		go func(call Task) {
			defer wg.Done()
			ctxMu.Lock()
			isDone := ctxDone
			ctxMu.Unlock()
			if isDone {
				resultCh <- ToolResult{ToolName: call.Name, Status: ToolStatusTimeout, Error: fmt.Errorf("operation cancelled due to timeout")}
				return
			}
			select {
			case e.sem <- struct{}{}:
				e.mu.Lock()
				e.activeCount++
				e.mu.Unlock()
				defer func() {
					<-e.sem
					e.mu.Lock()
					e.activeCount--
					e.mu.Unlock()
				}()
			case <-execCtx.Done():
				resultCh <- ToolResult{ToolName: call.Name, Status: ToolStatusTimeout, Error: fmt.Errorf("operation cancelled due to timeout")}
				return
			}
			resultCh <- e.executeTool(execCtx, call)
		}(call)
	}
	go func() {
		wg.Wait()
		close(resultCh)
	}()
	results := make(map[string]ToolResult, len(calls))
	for result := range resultCh {
		results[result.ToolName] = result
	}
	return results
}

func (e *ToolExecutor) executeTool(ctx context.Context, call Task) ToolResult {
	startTime := time.Now()
	out, err := call.Run(ctx)
	result := ToolResult{ToolName: call.Name, Result: out, Error: err, ElapsedTime: time.Since(startTime)}
	if err != nil {
		result.Status = ToolStatusError
	} else {
		result.Status = ToolStatusSuccess
	}
	return result
}

// GetActiveCount returns the number of calls running now.
func (e *ToolExecutor) GetActiveCount() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.activeCount
}

// SetMaxConcurrent changes the limit. Defects: a decrease is ignored (the
// semaphore keeps its capacity); an increase makes a new semaphore, so
// calls already waiting on the old one are stranded there until their
// batch times out; and the swap races with the unlocked reads of e.sem.
func (e *ToolExecutor) SetMaxConcurrent(max int) {
	if max <= 0 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if max > e.maxConcurrent {
		newSem := make(chan struct{}, max)
		for i := 0; i < len(e.sem); i++ {
			newSem <- struct{}{}
		}
		e.sem = newSem
	}
	e.maxConcurrent = max
}

// SetExecutionTimeout changes the batch timeout.
func (e *ToolExecutor) SetExecutionTimeout(timeout time.Duration) {
	if timeout <= 0 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.executionTimeout = timeout
}

// seedExecutor adapts ToolExecutor to Executor: results are looked up by
// name, so duplicates all get whichever result was stored last; a call
// that never got a slot before the batch timed out reports ErrTimeout.
type seedExecutor struct{ e *ToolExecutor }

func (s seedExecutor) Execute(ctx context.Context, tasks []Task) []Result {
	byName := s.e.ExecuteToolsParallel(ctx, tasks)
	out := make([]Result, len(tasks))
	for i, t := range tasks {
		r := byName[t.Name]
		out[i] = Result{Name: t.Name, Output: r.Result, Err: r.Error}
		if r.Status == ToolStatusTimeout {
			out[i].Err = ErrTimeout
		}
	}
	return out
}

func (s seedExecutor) SetLimit(n int) { s.e.SetMaxConcurrent(n) }
func (s seedExecutor) Close()         {}
