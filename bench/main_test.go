package bench

import (
	"fmt"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// Benchmarks start goroutines (pools, providers); every one must be gone
// when the package's benchmarks and tests end. ants starts a default pool
// of its own when imported; its two goroutines are the library's, not ours.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/panjf2000/ants/v2.(*poolCommon).purgeStaleWorkers"),
		goleak.IgnoreTopFunction("github.com/panjf2000/ants/v2.(*poolCommon).ticktock"))
}

func TestWorkloadMix(t *testing.T) {
	w := NewWorkload(1000, 90, true, 1)
	c := w.Cursor()
	writes, hot := 0, 0
	for range workloadLen {
		k, write := c.Next()
		if write {
			writes++
		}
		if k < 10 {
			hot++
		}
		if k < 0 || k >= 1000 {
			t.Fatalf("key %d out of range", k)
		}
	}
	if share := float64(writes) / workloadLen; share < 0.08 || share > 0.12 {
		t.Fatalf("write share %.3f, want about 0.10", share)
	}
	if hot < workloadLen/3 {
		t.Fatalf("zipf: only %d of %d operations on the 10 hottest keys", hot, workloadLen)
	}
}

func TestSlowdownCycle(t *testing.T) {
	c := counter{s: slowdown{every: 10}}
	extra := 0
	for range 1000 {
		if c.extra() {
			extra++
		}
	}
	if extra != 100 {
		t.Fatalf("10%%: %d extra operations in 1000, want 100", extra)
	}
	if (&counter{}).extra() {
		t.Fatal("no slowdown: no extra operation")
	}
}

// Every worker of a crew runs exactly once per round, rounds do not
// overlap, and stop leaves no goroutine (goleak checks at exit).
func TestCrewRounds(t *testing.T) {
	const workers, rounds = 50, 20
	counts := make([]int, workers) // each worker writes only its own slot
	done := make(chan error, 1)
	go func() {
		c := startCrew(workers, func(w int) { counts[w]++ })
		defer c.stop()
		for r := 1; r <= rounds; r++ {
			c.run()
			for w, n := range counts {
				if n != r {
					done <- fmt.Errorf("after round %d worker %d ran %d times", r, w, n)
					return
				}
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("crew rounds did not finish within 10 s: a round waits for a worker that never ran")
	}
}
