package bench

import (
	"math/rand"
	"sync/atomic"
)

// workloadLen is the length of a precomputed operation sequence: long
// enough that its period shows no pattern, small enough to stay in cache.
const workloadLen = 1 << 16

// Workload is a read-only sequence of operations on a key space: each entry
// is a key index shifted left once, with the low bit set for a write.
type Workload struct {
	ops []uint32
	ids atomic.Uint32
}

// NewWorkload draws the sequence once, from a fixed seed: readPct percent of
// reads, keys chosen uniformly or with a Zipf (s = 1.1) skew, hot keys first.
func NewWorkload(keys, readPct int, zipf bool, seed int64) *Workload {
	r := rand.New(rand.NewSource(seed))
	var z *rand.Zipf
	if zipf {
		z = rand.NewZipf(r, 1.1, 1, uint64(keys-1))
	}
	w := &Workload{ops: make([]uint32, workloadLen)}
	for i := range w.ops {
		var k uint32
		if z != nil {
			k = uint32(z.Uint64())
		} else {
			k = uint32(r.Intn(keys))
		}
		op := k << 1
		if r.Intn(100) >= readPct {
			op |= 1
		}
		w.ops[i] = op
	}
	return w
}

// Cursor walks a workload; one per goroutine.
type Cursor struct {
	ops []uint32
	i   int
}

// Cursor returns a cursor starting at a different place for each caller,
// so parallel goroutines do not touch the same keys in lockstep.
func (w *Workload) Cursor() *Cursor {
	id := w.ids.Add(1)
	return &Cursor{ops: w.ops, i: int(id*7919) % len(w.ops)}
}

// Next returns the next key index and whether the operation writes.
func (c *Cursor) Next() (key int, write bool) {
	op := c.ops[c.i]
	c.i++
	if c.i == len(c.ops) {
		c.i = 0
	}
	return int(op >> 1), op&1 == 1
}
