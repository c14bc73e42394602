package cache

import (
	"math/bits"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"unsafe"
)

// usageLog counts hits exactly without writing the entry on each one: a
// hit adds one to a small table of pending counts in a stripe that, as a
// rule, only the goroutine's own processor writes. A pending count goes to
// its entry when another entry takes its place in the table, so a hot
// entry's line is written once per displacement, not once per hit. Reading
// counts (Peek) first applies every stripe.
//
// A stripe is picked by a hash of the goroutine's stack address, as otter's
// read buffers do: a goroutine keeps to one stripe, and goroutines running
// at once mostly use different ones. Unlike otter's buffers it drops
// nothing: when the stripes it tries are all busy, the hit is added to the
// entry directly.
//
// A pending count keeps its entry (and the response) alive until displaced
// or flushed: at most usageStripeLen entries a stripe.
type usageLog struct {
	stripes []usageStripe
	mask    uint32
}

// usageStripeLen is the number of pending counts a stripe holds.
const (
	usageStripeBits = 5
	usageStripeLen  = 1 << usageStripeBits
)

type usageStripe struct {
	busy    atomic.Uint32 // a try-lock: held while a count is added or the stripe applied
	pending [usageStripeLen]struct {
		e *entry
		n int64
	}
	_ [128]byte // the next stripe's busy word is written by another processor
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
			p := &s.pending[pendingSlot(e)]
			if p.e == e {
				p.n++
			} else {
				if p.e != nil {
					p.e.usage.Add(p.n)
				}
				p.e, p.n = e, 1
			}
			s.busy.Store(0)
			return
		}
		h = rand.Uint32() // another goroutine holds it: try elsewhere
	}
	e.usage.Add(1)
}

// pendingSlot places an entry in a stripe's table by its address.
func pendingSlot(e *entry) uint64 {
	return uint64(uintptr(unsafe.Pointer(e))) * 0x9e3779b97f4a7c15 >> (64 - usageStripeBits)
}

// flush applies every stripe, so that the entries' counts are exact as of
// its return for every hit recorded before its call.
func (l *usageLog) flush() {
	for i := range l.stripes {
		s := &l.stripes[i]
		for !s.busy.CompareAndSwap(0, 1) {
			runtime.Gosched() // held for a few instructions by a hit
		}
		for j := range s.pending {
			if p := &s.pending[j]; p.e != nil {
				p.e.usage.Add(p.n)
				p.e, p.n = nil, 0
			}
		}
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
