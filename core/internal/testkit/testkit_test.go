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
		select {}
	}
}

func TestRunHelper(t *testing.T) {
	res := RunHelper(t, "exit7", 30*time.Second)
	assert.Equal(t, 7, res.ExitCode)
	assert.False(t, res.TimedOut)
	assert.Contains(t, res.Output, "hello from helper")

	res = RunHelper(t, "hang", 2*time.Second)
	assert.True(t, res.TimedOut, "a hanging helper is killed at its deadline")
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
