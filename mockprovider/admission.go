package mockprovider

import (
	"container/list"
	"context"
	"sync"
)

// admission is the provider's capacity: a FIFO of waiting requests in front
// of a fixed number of slots, with an optional bound on the queue.
type admission struct {
	mu       sync.Mutex
	capacity int // 0: unlimited
	maxQueue int // -1: unlimited
	inUse    int
	waiters  list.List // of chan struct{}
	peak     int
}

func newAdmission(capacity int, maxQueue *int) *admission {
	a := &admission{capacity: capacity, maxQueue: -1}
	if maxQueue != nil {
		a.maxQueue = *maxQueue
	}
	return a
}

// acquire waits for a slot. It returns the share of capacity in use once
// admitted, or errQueueFull, or ctx's error.
func (a *admission) acquire(ctx context.Context) (utilisation float64, err error) {
	a.mu.Lock()
	if a.capacity == 0 || (a.inUse < a.capacity && a.waiters.Len() == 0) {
		a.inUse++
		u := a.utilisation()
		a.mu.Unlock()
		return u, nil
	}
	if a.maxQueue >= 0 && a.waiters.Len() >= a.maxQueue {
		a.mu.Unlock()
		return 0, errQueueFull
	}
	ready := make(chan struct{})
	el := a.waiters.PushBack(ready)
	a.peak = max(a.peak, a.waiters.Len())
	a.mu.Unlock()
	select {
	case <-ready:
		a.mu.Lock()
		u := a.utilisation()
		a.mu.Unlock()
		return u, nil
	case <-ctx.Done():
		a.mu.Lock()
		select {
		case <-ready: // admitted meanwhile: pass the slot on
			a.mu.Unlock()
			a.release()
		default:
			a.waiters.Remove(el)
			a.mu.Unlock()
		}
		return 0, ctx.Err()
	}
}

func (a *admission) utilisation() float64 {
	if a.capacity == 0 {
		return 0
	}
	return float64(a.inUse) / float64(a.capacity)
}

func (a *admission) release() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.waiters.Len() > 0 {
		close(a.waiters.Remove(a.waiters.Front()).(chan struct{})) // the slot passes on
		return
	}
	a.inUse--
}

func (a *admission) state() (inUse, queued, peakQueued int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.inUse, a.waiters.Len(), a.peak
}
