//go:build !race

package lifecycle

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/llmbench/llmbench/core/internal/testkit"
)

// TestSeedDefectLifecycleRacyCounterLosesUpdates needs a real data race, so
// it only builds without the race detector (make test runs it that way).
// Losses need the goroutines to overlap on two cores, which a busy machine
// may not grant in one round, so rounds repeat (see below).
func TestSeedDefectLifecycleRacyCounterLosesUpdates(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("lost updates need two goroutines running at once: GOMAXPROCS < 2")
	}
	losesUpdates := map[string]bool{"racy": true, "mutex": false, "atomic": false}
	for _, name := range Counters.Names() {
		t.Run("impl="+name, func(t *testing.T) {
			ctor, _ := Counters.Get(name)
			const goroutines, incs = 4, 1000000
			// A busy machine may not run two of them at once for a while:
			// rounds repeat until one loses updates, for up to 5 s for the
			// racy counter, and for a full second for the others (a broken
			// one would lose some in that time).
			bound := time.Second
			if testkit.Want(t, name, losesUpdates) {
				bound = 5 * time.Second
			}
			var lost int64
			round := 0
			for deadline := time.Now().Add(bound); lost == 0 && time.Now().Before(deadline); {
				round++
				lost = countLost(ctor(), goroutines, incs)
			}
			t.Logf("updates lost: %d of %d (round %d)", lost, goroutines*incs, round)
			assert.Equal(t, testkit.Want(t, name, losesUpdates), lost > 0)
		})
	}
}

func countLost(c Counter, goroutines, incs int) int64 {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			<-start
			for range incs {
				c.Inc()
			}
		})
	}
	close(start)
	wg.Wait()
	return int64(goroutines*incs) - c.Load()
}
