// Package workerpool bounds how many tasks (tool calls, provider requests)
// run at once.
//
// Variants of Executor (Registry):
//   - workerpool: the document's WorkerPool (fixed workers, a task channel, a
//     shared results channel), with a router that hands each result to the
//     batch that submitted it;
//   - seed:       Go-LLMs' ToolExecutor (seed.go): a goroutine per call and a
//     chan struct{} semaphore, one timeout per batch. After every batch a
//     watcher fills the semaphore with tokens nobody takes out, so from the
//     second batch on every call waits for a slot until the batch times
//     out; SetMaxConcurrent ignores decreases and, on an increase, swaps the
//     semaphore under calls still waiting on the old one (and races with
//     their unlocked reads of it); results are keyed by tool name, so
//     duplicate calls lose results;
//   - fixed:      the same design with the slot held exactly as long as the
//     task really runs, results by position, a resizable FIFO limiter;
//   - errgroup:   golang.org/x/sync/errgroup with SetLimit, one group per
//     batch (its natural use: the bound is per batch, not process-wide).
package workerpool

import (
	"context"
	"errors"
	"time"

	"github.com/llmbench/llmbench/core/registry"
)

// Task is one unit of work, such as a tool call.
type Task struct {
	Name string
	Run  func(ctx context.Context) (string, error)
}

// Result is a task's outcome.
type Result struct {
	Name   string
	Output string
	Err    error
}

// ErrTimeout: the task ran longer than the executor's per-task timeout.
var ErrTimeout = errors.New("workerpool: task timed out")

// Executor runs batches of tasks.
type Executor interface {
	// Execute runs tasks, at most the limit at once, and returns their
	// results in task order.
	Execute(ctx context.Context, tasks []Task) []Result
	// SetLimit changes the limit for tasks that have not started yet.
	SetLimit(n int)
	// Close stops the executor's own goroutines; Execute must not be running.
	Close()
}

// Config sets the limit and the per-task timeout (0: none).
type Config struct {
	Limit   int           `yaml:"limit" json:"limit"`
	Timeout time.Duration `yaml:"timeout" json:"timeout"`
}

// DefaultLimit applies when Limit is not positive.
const DefaultLimit = 10

func (c Config) withDefaults() Config {
	if c.Limit <= 0 {
		c.Limit = DefaultLimit
	}
	return c
}

// Registry holds the variants by name.
var Registry = registry.New[func(Config) Executor]("workerpool")

func init() {
	Registry.Register("workerpool", "the document's WorkerPool: fixed workers, routed results", func(c Config) Executor { return newPoolExecutor(c) })
	Registry.Register("seed", "Go-LLMs ToolExecutor: semaphore filled after every batch", func(c Config) Executor { return seedExecutor{NewToolExecutor(c)} })
	Registry.Register("fixed", "semaphore held while the task runs, results by position", func(c Config) Executor { return newFixed(c) })
	Registry.Register("errgroup", "errgroup.Group with SetLimit, per batch", func(c Config) Executor { return newErrgroup(c) })
}

// New builds the named variant.
func New(variant string, cfg Config) (Executor, error) {
	ctor, err := Registry.Get(variant)
	if err != nil {
		return nil, err
	}
	return ctor(cfg.withDefaults()), nil
}

// runTimed runs t under the per-task timeout and reports ErrTimeout when the
// deadline, not the caller, ended it.
func runTimed(ctx context.Context, t Task, timeout time.Duration) Result {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, timeout, ErrTimeout)
		defer cancel()
	}
	out, err := t.Run(ctx)
	if err != nil && errors.Is(context.Cause(ctx), ErrTimeout) {
		err = ErrTimeout
	}
	return Result{Name: t.Name, Output: out, Err: err}
}
