package workerpool

import (
	"context"
	"sync"
	"time"
)

// DocResult is what a job of the document's WorkerPool returns.
type DocResult struct {
	ID     int
	Output string
	Err    error
}

// WorkerPool is the document's ("Worker Pools", concurrency-patterns.md),
// as written: a fixed set of workers reading a task
// channel and writing one shared results channel, both buffered to twice
// the worker count. Its defects: results are not tied to their submitter;
// Stop waits for workers that wait for someone to read Results (deadlock
// when nobody does); Submit after Stop panics.
type WorkerPool struct {
	tasks   chan func() DocResult
	results chan DocResult
	workers int
	wg      sync.WaitGroup
}

// NewWorkerPool creates and starts a pool of workers.
func NewWorkerPool(workers int) *WorkerPool {
	p := &WorkerPool{
		tasks:   make(chan func() DocResult, workers*2),
		results: make(chan DocResult, workers*2),
		workers: workers,
	}
	p.Start()
	return p
}

// Start launches the workers.
func (p *WorkerPool) Start() {
	for range p.workers {
		p.wg.Add(1)
		go p.worker()
	}
}

func (p *WorkerPool) worker() {
	defer p.wg.Done()
	for task := range p.tasks {
		p.results <- task()
	}
}

// Submit queues a job; it blocks while the task buffer is full.
func (p *WorkerPool) Submit(job func() DocResult) { p.tasks <- job }

// Results is the shared results channel.
func (p *WorkerPool) Results() <-chan DocResult { return p.results }

// Stop closes the task channel, waits for the workers and closes Results.
func (p *WorkerPool) Stop() {
	close(p.tasks)
	p.wg.Wait()
	close(p.results)
}

// poolExecutor puts the document's pool behind Executor: one router
// goroutine drains Results (so Stop cannot deadlock) and delivers each result
// to the batch slot its ID names.
type poolExecutor struct {
	pool    *WorkerPool
	timeout time.Duration
	mu      sync.Mutex
	nextID  int
	pending map[int]*slot
	routed  chan struct{}
}

type slot struct {
	out  *Result
	name string
	wg   *sync.WaitGroup
}

func newPoolExecutor(c Config) *poolExecutor {
	e := &poolExecutor{pool: NewWorkerPool(c.Limit), timeout: c.Timeout, pending: map[int]*slot{}, routed: make(chan struct{})}
	go e.route()
	return e
}

func (e *poolExecutor) route() {
	defer close(e.routed)
	for r := range e.pool.Results() {
		e.mu.Lock()
		s := e.pending[r.ID]
		delete(e.pending, r.ID)
		e.mu.Unlock()
		*s.out = Result{Name: s.name, Output: r.Output, Err: r.Err}
		s.wg.Done()
	}
}

func (e *poolExecutor) Execute(ctx context.Context, tasks []Task) []Result {
	out := make([]Result, len(tasks))
	var wg sync.WaitGroup
	wg.Add(len(tasks))
	for i, t := range tasks {
		e.mu.Lock()
		id := e.nextID
		e.nextID++
		e.pending[id] = &slot{out: &out[i], name: t.Name, wg: &wg}
		e.mu.Unlock()
		e.pool.Submit(func() DocResult {
			r := runTimed(ctx, t, e.timeout)
			return DocResult{ID: id, Output: r.Output, Err: r.Err}
		})
	}
	wg.Wait()
	return out
}

// SetLimit cannot resize a running document pool: its worker count is fixed
// at construction, as in the document.
func (e *poolExecutor) SetLimit(int) {}

func (e *poolExecutor) Close() {
	e.pool.Stop()
	<-e.routed
}
