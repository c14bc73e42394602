package cache

import (
	"sync/atomic"
	"time"
)

// coarseClock is the lockfree variant's time for TTLs: the time as of the
// last tick, read with two atomic loads instead of the clock read of
// time.Now on every Get (about 45 ns here, against 1).
//
// The ticks are a timer's (time.AfterFunc): no goroutine waits between
// them, so goleak and testing/synctest, whose bubble must end with no
// goroutine blocked in it, see none. The timer runs only while the cache is
// in use: a tick after which nothing read the clock does not re-arm it, and
// the next read, finding it stopped, reads the precise time and arms it
// again, so a read after an idle spell is never stale. (Under synctest,
// create the cache inside the bubble that uses it: the timer and base
// follow the bubble's clock.)
//
// While it runs, the reading lags the real time by up to one tick (more if
// the timer cannot run in time): an entry can be served up to that long
// after its TTL, or, as a Set's stamp lags too, expire up to that long
// before it. The tick is TTL/64, between 1 ms and 50 ms.
type coarseClock struct {
	base time.Time // readings are nanoseconds since base (monotonic)
	tick time.Duration

	state  atomic.Uint32 // clockStopped, clockStarting or clockRunning
	active atomic.Bool   // the clock was read since the last tick
	now    atomic.Int64  // nanoseconds since base, as of the last tick
	timer  *time.Timer   // armed by start and re-armed by tickOnce, in turn
}

const (
	clockStopped uint32 = iota
	clockStarting
	clockRunning
)

const (
	minClockTick = time.Millisecond
	maxClockTick = 50 * time.Millisecond
)

func newCoarseClock(ttl time.Duration) *coarseClock {
	c := &coarseClock{base: time.Now(), tick: min(max(ttl/64, minClockTick), maxClockTick)}
	// Made here, stopped, so that its field is set before a tick can read it.
	c.timer = time.AfterFunc(time.Hour, c.tickOnce)
	c.timer.Stop()
	return c
}

// read returns the time in nanoseconds since base: the last tick's while
// the goroutine runs, else the precise time.
func (c *coarseClock) read() int64 {
	if c.state.Load() == clockRunning {
		if !c.active.Load() { // written once per tick, not once per read
			c.active.Store(true)
		}
		return c.now.Load()
	}
	return c.start()
}

// precise is the time in nanoseconds since base, read now.
func (c *coarseClock) precise() int64 { return int64(time.Since(c.base)) }

// start reads the precise time and arms the timer unless another read is
// already doing so. Readers see clockRunning only once now holds a fresh
// reading, and the timer is armed only then, so that its ticks find the
// state they may stop.
func (c *coarseClock) start() int64 {
	now := c.precise()
	if c.state.CompareAndSwap(clockStopped, clockStarting) {
		c.now.Store(now)
		c.active.Store(true)
		c.state.Store(clockRunning)
		c.timer.Reset(c.tick)
	}
	return now
}

// tickOnce runs on every tick: it stores the time and re-arms the timer if
// the clock was read since the last tick.
func (c *coarseClock) tickOnce() {
	c.now.Store(c.precise())
	if c.active.Swap(false) {
		c.timer.Reset(c.tick)
		return
	}
	// Idle for a whole tick. A read that saw clockRunning just before this
	// store got the reading stored above.
	c.state.Store(clockStopped)
}
