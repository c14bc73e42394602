package lifecycle

import (
	"context"
	"sync"
	"time"
)

// ProcessWithContext is the document's ("Use Context for Cancellation and
// Timeouts", concurrency-patterns.md), as written: run op in a goroutine and wait for
// it or for ctx. Defect: op is not given ctx, so after ctx ends the caller
// has its error but op goes on working (and spending) to the end.
func ProcessWithContext(ctx context.Context, input string, op func(string) (string, error)) (string, error) {
	resultCh := make(chan string, 1)
	errCh := make(chan error, 1)
	go func() {
		result, err := op(input)
		if err != nil {
			errCh <- err
			return
		}
		resultCh <- result
	}()
	select {
	case result := <-resultCh:
		return result, nil
	case err := <-errCh:
		return "", err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// ProcessWithContextFixed gives op the context, so that it stops with it,
// and runs it on the caller's goroutine: nothing outlives the call.
func ProcessWithContextFixed(ctx context.Context, input string, op func(context.Context, string) (string, error)) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return op(ctx, input)
}

// ProcessItems is the document's leak-free fan-out ("Goroutine Leaks"): every worker's send
// also waits on a context that is cancelled on every return path, so no
// worker is left blocked when the collector stops early.
func ProcessItems[I, R any](ctx context.Context, items []I, process func(I) R, timeout time.Duration) []R {
	resultCh := make(chan R)
	processingCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for _, item := range items {
		wg.Go(func() {
			select {
			case resultCh <- process(item):
			case <-processingCtx.Done():
			}
		})
	}
	go func() {
		wg.Wait()
		close(resultCh)
	}()
	return collect(ctx, resultCh, timeout)
}

// ProcessItemsLeaky is not in the document: it is ProcessItems without the
// cancellable send, a teaching contrast (not a seed defect: the document's
// ProcessItems is the correct one). When the collector gives up early,
// every worker that has not delivered blocks on its send for good, and so
// does the closer waiting for them.
func ProcessItemsLeaky[I, R any](ctx context.Context, items []I, process func(I) R, timeout time.Duration) []R {
	resultCh := make(chan R)
	var wg sync.WaitGroup
	for _, item := range items {
		wg.Go(func() { resultCh <- process(item) })
	}
	go func() {
		wg.Wait()
		close(resultCh)
	}()
	return collect(ctx, resultCh, timeout)
}

// collect gathers results until the channel closes, the timeout passes or
// ctx ends: the document's collector, shared by both versions, which
// differ only in how their workers send.
func collect[R any](ctx context.Context, resultCh <-chan R, timeout time.Duration) []R {
	var results []R
	deadline := time.After(timeout)
	for {
		select {
		case r, ok := <-resultCh:
			if !ok {
				return results
			}
			results = append(results, r)
		case <-deadline:
			return results
		case <-ctx.Done():
			return results
		}
	}
}
