package testkit

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestHelperProcess(t *testing.T) {
	switch HelperName() {
	case "":
		return
	case "exit7":
		fmt.Println("hello from helper")
		os.Exit(7)
	case "hang":
		var mu sync.Mutex
		mu.Lock()
		mu.Lock()
	case "panic":
		panic("boom")
	case "return":
		Returned("ok")
	}
}

func TestRunHelperOutcomes(t *testing.T) {
	res := RunHelper(t, "exit7", 30*time.Second)
	assert.Equal(t, 7, res.ExitCode)
	assert.False(t, res.TimedOut)
	assert.Contains(t, res.Output, "hello from helper")
	assert.Equal(t, Crashed, res.Outcome(), "an unexpected exit is a crash")

	res = RunHelper(t, "hang", 2*time.Second)
	assert.True(t, res.TimedOut, "a hanging helper is stopped at its deadline")
	assert.Equal(t, Deadlocked, res.Outcome(), res)
	assert.True(t, res.ParkedIn("sync.Mutex.Lock"), "the dump shows where it waits")

	res = RunHelper(t, "panic", 30*time.Second)
	assert.Equal(t, Crashed, res.Outcome(), "a panic never passes for a deadlock")

	res = RunHelper(t, "return", 30*time.Second)
	assert.Equal(t, Finished, res.Outcome(), res)
}

func TestWaitParkedAndBarrier(t *testing.T) {
	var mu sync.Mutex
	mu.Lock()
	done := make(chan struct{})
	go func() {
		mu.Lock() // parks: the test holds the lock
		mu.Unlock()
		close(done)
	}()
	WaitParked(t, "sync.Mutex.Lock")
	mu.Unlock()
	<-done

	b := NewBarrier(3)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(b.Await)
	}
	wg.Wait()
}

func TestRendezvous(t *testing.T) {
	// Both arrive.
	hook := Rendezvous(2, "sync.Mutex.Lock")
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(hook)
	}
	wg.Wait()
	// One arrives; the other is held back on a lock the first one holds.
	hook = Rendezvous(2, "sync.Mutex.Lock")
	var mu sync.Mutex
	mu.Lock()
	wg.Go(func() { mu.Lock(); mu.Unlock() })
	hook()
	mu.Unlock()
	wg.Wait()
}
