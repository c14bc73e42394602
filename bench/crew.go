package bench

import "sync"

// crew is a set of harness goroutines started once, before the timed
// region, that run one round of work together each time they are released.
// A benchmark that needs n concurrent submitters pays for waking them each
// op, not for starting n goroutines (which would dominate what it
// measures).
type crew struct {
	n     int
	gate  *crewGate
	round sync.WaitGroup // the current round's workers
	exit  sync.WaitGroup // the goroutines themselves
}

// crewGate releases one round. next is set before open is closed, so a
// worker released by it finds the gate of the round after.
type crewGate struct {
	open chan struct{}
	next *crewGate
	stop bool
}

// startCrew starts n goroutines; in every round, goroutine w calls work(w).
func startCrew(n int, work func(w int)) *crew {
	c := &crew{n: n, gate: &crewGate{open: make(chan struct{})}}
	c.exit.Add(n)
	for w := range n {
		go func(g *crewGate) {
			defer c.exit.Done()
			for {
				<-g.open
				if g.stop {
					return
				}
				work(w)
				g = g.next
				c.round.Done()
			}
		}(c.gate)
	}
	return c
}

// run releases every goroutine for one round and waits until all are done.
func (c *crew) run() {
	next := &crewGate{open: make(chan struct{})}
	c.gate.next = next
	c.round.Add(c.n)
	close(c.gate.open)
	c.round.Wait()
	c.gate = next
}

// stop ends the goroutines and waits for them to exit.
func (c *crew) stop() {
	c.gate.stop = true
	close(c.gate.open)
	c.exit.Wait()
}
