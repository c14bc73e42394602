package cache

import (
	"math/bits"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"unsafe"
)

// usageLog counts hits exactly without writing the entry on each one: a
// hit appends the entry to a stripe that, as a rule, only the goroutine's
// own processor writes, and a full stripe adds its hits to the entries'
// counts in one pass (a hot entry's line is written once per pass, not once
// per hit). Reading counts (Peek) first applies every stripe.
//
// A stripe is picked by a hash of the goroutine's stack address, as otter's
// read buffers do: a goroutine keeps to one stripe, and goroutines running
// at once mostly use different ones. Unlike otter's buffers it drops
// nothing: when the stripes it tries are all busy, the hit is added to the
// entry directly.
type usageLog struct {
	stripes []usageStripe
	mask    uint32
}

// usageStripeLen is how many hits a stripe holds before applying them.
const usageStripeLen = 32

type usageStripe struct {
	busy atomic.Uint32 // a try-lock: held while a hit is appended or the stripe applied
	n    int
	hits [usageStripeLen]*entry
	_    [128]byte // the next stripe's busy word is written by another processor
}

// usageTries is how many stripes a hit tries before counting directly.
const usageTries = 3

func newUsageLog() *usageLog {
	n := 1 << bits.Len(uint(4*runtime.GOMAXPROCS(0)-1))
	return &usageLog{stripes: make([]usageStripe, n), mask: uint32(n - 1)}
}

// record counts one use of e.
func (l *usageLog) record(e *entry) {
	h := stackHash()
	for range usageTries {
		s := &l.stripes[h&l.mask]
		if s.busy.CompareAndSwap(0, 1) {
			s.hits[s.n] = e
			if s.n++; s.n == usageStripeLen {
				s.apply()
			}
			s.busy.Store(0)
			return
		}
		h = rand.Uint32() // another goroutine holds it: try elsewhere
	}
	e.usage.Add(1)
}

// apply adds the stripe's hits to their entries; the caller holds busy.
func (s *usageStripe) apply() {
	for i, e := range s.hits[:s.n] {
		e.usage.Add(1)
		s.hits[i] = nil // keep no evicted entry alive
	}
	s.n = 0
}

// flush applies every stripe, so that the entries' counts are exact as of
// its return for every hit recorded before its call.
func (l *usageLog) flush() {
	for i := range l.stripes {
		s := &l.stripes[i]
		for !s.busy.CompareAndSwap(0, 1) {
			runtime.Gosched() // held for a few instructions by a hit
		}
		s.apply()
		s.busy.Store(0)
	}
}

// stackHash is a hash of the calling goroutine's stack address: the same
// for a goroutine's successive calls (until its stack moves), different
// between goroutines. The bits below the smallest stack size (2 KiB) depend
// on the call depth, not the goroutine, and are dropped.
func stackHash() uint32 {
	var x byte
	a := uint64(uintptr(unsafe.Pointer(&x))) >> 11
	hi, lo := bits.Mul64(a, 0x9e3779b97f4a7c15)
	return uint32(hi ^ lo)
}
