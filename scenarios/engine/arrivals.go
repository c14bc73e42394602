package engine

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/llmbench/llmbench/scenarios/plan"
	"github.com/llmbench/llmbench/scenarios/spec"
)

// arrivals yields the intended send times of an open loop, as offsets from
// the run's start, in order. ok is false once the schedule ends.
type arrivals interface {
	next() (offset time.Duration, ok bool)
}

// until ends a schedule at a time or after a number of requests.
type until struct {
	end   time.Duration // 0: no time limit
	count int64         // 0: no count limit
	n     int64
}

func (u *until) admit(off time.Duration) bool {
	if u.end > 0 && off >= u.end {
		return false
	}
	if u.count > 0 && u.n >= u.count {
		return false
	}
	u.n++
	return true
}

// constantArrivals spaces requests exactly 1/rate apart.
type constantArrivals struct {
	until
	rate float64
	i    int64
}

func (a *constantArrivals) next() (time.Duration, bool) {
	off := time.Duration(float64(a.i) / a.rate * 1e9)
	a.i++
	return off, a.admit(off)
}

// poissonArrivals draws exponential gaps of mean 1/rate from a seeded source.
type poissonArrivals struct {
	until
	rate float64
	r    *rand.Rand
	t    float64 // seconds
}

func (a *poissonArrivals) next() (time.Duration, bool) {
	off := time.Duration(a.t * 1e9)
	a.t += a.r.ExpFloat64() / a.rate
	return off, a.admit(off)
}

// rampArrivals moves the rate linearly through stages, placing request n
// where the integral of the rate reaches n.
type rampArrivals struct {
	stages []spec.Stage
	n      float64
	k      int     // current stage
	t0     float64 // stage start, seconds
	n0     float64 // requests scheduled before the stage
	r0     float64 // rate at the stage start
}

func (a *rampArrivals) next() (time.Duration, bool) {
	for a.k < len(a.stages) {
		st := a.stages[a.k]
		d := st.Duration.Seconds()
		r1 := st.Rate
		total := a.n0 + (a.r0+r1)/2*d // requests by the stage's end
		if a.n < total {
			// Solve n − n0 = r0·x + (r1−r0)/(2d)·x² for x in [0, d].
			need := a.n - a.n0
			var x float64
			if acc := (r1 - a.r0) / (2 * d); math.Abs(acc) < 1e-12 {
				x = need / a.r0
			} else {
				x = (-a.r0 + math.Sqrt(a.r0*a.r0+4*acc*need)) / (2 * acc)
			}
			a.n++
			return time.Duration((a.t0 + x) * 1e9), true
		}
		a.t0 += d
		a.n0 = total
		a.r0 = r1
		a.k++
	}
	return 0, false
}

// burstArrivals sends size requests at once, every interval.
type burstArrivals struct {
	until
	size  int
	every time.Duration
	i     int64
}

func (a *burstArrivals) next() (time.Duration, bool) {
	off := time.Duration(a.i/int64(a.size)) * a.every
	a.i++
	return off, a.admit(off)
}

// newArrivals builds the schedule of l, warm-up included: with requests,
// the count covers the requests after the warm-up too.
func newArrivals(l *plan.Load, seed uint64) arrivals {
	u := until{}
	if l.Duration > 0 {
		u.end = l.Warmup + l.Duration
	}
	warmupCount := int64(0)
	switch l.Arrival {
	case "constant", "poisson":
		warmupCount = int64(math.Ceil(l.Warmup.Seconds() * l.Rate))
	case "burst":
		warmupCount = int64(math.Ceil(float64(l.Warmup)/float64(l.Burst.Every))) * int64(l.Burst.Size)
	}
	if l.Requests > 0 {
		u.count = l.Requests + warmupCount
	}
	switch l.Arrival {
	case "constant":
		return &constantArrivals{until: u, rate: l.Rate}
	case "poisson":
		return &poissonArrivals{until: u, rate: l.Rate, r: rand.New(rand.NewPCG(seed, 0xa77))}
	case "ramp":
		return &rampArrivals{stages: l.Stages}
	default:
		return &burstArrivals{until: u, size: l.Burst.Size, every: l.Burst.Every}
	}
}
