package engine

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/llmbench/llmbench/scenarios/plan"
)

// openLoop sends requests at their intended times, whatever the system
// does; a request due while max_in_flight requests are in progress is
// counted as dropped. It sleeps to the next due time and sends every
// request already due on waking, so a late wake-up sends a batch on time
// rather than drifting. It stops on time: a request still unsent when the
// schedule (and endSlack) has ended is dropped, so that a rate beyond the
// machine cannot stretch a run.
func openLoop(ctx context.Context, l *plan.Load, seg *plan.Segment, seed uint64, start time.Time, rec *recorder, s *schedule,
	wg *sync.WaitGroup, serve func(uint64, time.Time, bool)) {
	workers := newWorkerPool(serve)
	defer func() {
		wg.Wait()
		workers.close()
	}()
	arr := newArrivals(l, seed)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	limit := int64(l.MaxInFlight)
	if seg != nil {
		limit = (limit + int64(seg.Count) - 1) / int64(seg.Count) // each segment its share
	}
	var deadline time.Time
	if d := l.RunLength(); d > 0 {
		deadline = start.Add(d + endSlack(d))
	}
	behind := false
	for idx := uint64(0); ; idx++ {
		off, ok := arr.next()
		if !ok {
			return
		}
		s.total = idx + 1
		if !seg.Owns(idx) {
			continue // another segment's request
		}
		intended := start.Add(off)
		measured := off >= l.Warmup
		if measured {
			s.scheduled.Add(1)
		}
		if behind {
			rec.drop(idx, measured)
			if measured {
				s.late++
			}
			continue
		}
		if d := time.Until(intended); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-ctx.Done():
				s.scheduled.Add(-b2i(measured))
				return
			}
		} else if ctx.Err() != nil {
			s.scheduled.Add(-b2i(measured))
			return
		}
		now := time.Now()
		if !deadline.IsZero() && now.After(deadline) {
			// The schedule is over and this request is still unsent: count
			// it and the rest of the schedule as dropped, and stop.
			behind = true
			rec.drop(idx, measured)
			if measured {
				s.late++
			}
			continue
		}
		if limit > 0 && rec.inFlight.Load() >= limit {
			rec.drop(idx, measured)
			continue
		}
		if measured {
			s.sentOne(intended, now)
		}
		rec.sent.Add(1)
		rec.inFlight.Add(1)
		wg.Add(1)
		workers.submit(job{idx, intended, measured})
	}
}

// endSlack is how late after the schedule's end the generator may still
// send what was due before it: enough for a loaded machine's late timer,
// short enough that a rate beyond the machine cannot stretch the run.
func endSlack(runLength time.Duration) time.Duration {
	return max(250*time.Millisecond, runLength/100)
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// job is one request for a worker.
type job struct {
	idx      uint64
	intended time.Time
	measured bool
}

// workerPool runs the open loop's requests. A request goes to an idle
// worker if there is one, or to a new one: workers keep their grown stacks
// from request to request, where a goroutine per request would grow a new
// stack every time (a measurable share of the harness's cost at high rates).
type workerPool struct {
	work  chan job
	serve func(uint64, time.Time, bool)
	wg    sync.WaitGroup
}

func newWorkerPool(serve func(uint64, time.Time, bool)) *workerPool {
	return &workerPool{work: make(chan job), serve: serve}
}

func (p *workerPool) submit(j job) {
	select {
	case p.work <- j:
	default:
		p.wg.Add(1)
		go p.worker(j)
	}
}

func (p *workerPool) worker(j job) {
	defer p.wg.Done()
	for ok := true; ok; j, ok = <-p.work {
		p.serve(j.idx, j.intended, j.measured)
	}
}

// close stops the idle workers, once every request has been served.
func (p *workerPool) close() {
	close(p.work)
	p.wg.Wait()
}

// closedLoop runs Users users, each sending its next request when the
// last one ends (after a think time). Unpaced, a request's intended time is
// when its user sends it, so corrected and uncorrected latencies agree: a
// stall hides the requests it prevented (coordinated omission). Paced by a
// rate, intended times follow the schedule, and a request sent late because
// its user was stuck counts its latency from when it was due. User u's
// k-th request has the global index k·Users + u, and a request count is
// shared among the users round-robin, so that a segment running some of
// the users sends exactly their requests.
func closedLoop(ctx context.Context, l *plan.Load, seg *plan.Segment, seed uint64, start time.Time, rec *recorder, s *schedule,
	wg *sync.WaitGroup, serve func(uint64, time.Time, bool)) {
	end := l.RunLength()
	// Users stop at the schedule's end, even mid-think or mid-pace.
	stop := ctx.Done()
	if end > 0 {
		runCtx, cancel := context.WithDeadline(ctx, start.Add(end))
		defer cancel()
		stop = runCtx.Done()
	}
	var mu sync.Mutex // guards s's send figures
	var users sync.WaitGroup
	for u := range l.Users {
		if !seg.Owns(uint64(u)) {
			continue
		}
		quota := int64(-1) // measured requests this user sends; -1: no count
		if l.Requests > 0 {
			quota = l.Requests / int64(l.Users)
			if int64(u) < l.Requests%int64(l.Users) {
				quota++
			}
		}
		users.Go(func() {
			r := rand.New(rand.NewPCG(seed, 1<<40+uint64(u)))
			timer := time.NewTimer(time.Hour)
			defer timer.Stop()
			var measuredN int64
			for k := 0; ctx.Err() == nil; k++ {
				now := time.Now()
				intended := now
				if l.Rate > 0 {
					intended = start.Add(time.Duration(float64(k*l.Users+u) / l.Rate * 1e9))
					if d := intended.Sub(now); d > 0 {
						timer.Reset(d)
						select {
						case <-timer.C:
						case <-stop:
							return
						}
					}
				}
				off := intended.Sub(start)
				if end > 0 && off >= end {
					return
				}
				measured := off >= l.Warmup
				if measured && quota >= 0 && measuredN >= quota {
					return
				}
				idx := uint64(k*l.Users + u)
				mu.Lock()
				s.total = max(s.total, idx+1)
				if measured {
					measuredN++
					s.scheduled.Add(1)
					s.sentOne(intended, time.Now())
				}
				mu.Unlock()
				rec.sent.Add(1)
				rec.inFlight.Add(1)
				wg.Add(1)
				serve(idx, intended, measured)
				if l.Think != nil {
					timer.Reset(time.Duration(l.Think.Sample(r)))
					select {
					case <-timer.C:
					case <-stop:
						return
					}
				}
			}
		})
	}
	users.Wait()
}
