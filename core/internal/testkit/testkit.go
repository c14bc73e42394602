// Package testkit holds helpers the core tests share to show defects without
// hurting the test process: re-executing the test binary for a helper that
// deadlocks, races or leaks, and waiting until a goroutine is parked in a
// given place so that an interleaving can be forced instead of hoped for.
package testkit

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// HelperEnv names the helper a re-executed test binary should run.
const HelperEnv = "LLMBENCH_TEST_HELPER"

// HelperName is the helper this process must run, or "" in a normal test run.
func HelperName() string { return os.Getenv(HelperEnv) }

// HelperResult is what a helper process did.
type HelperResult struct {
	Output   string // stdout and stderr
	ExitCode int    // -1 when killed
	TimedOut bool   // still running at the deadline, so it was killed
}

// RunHelper re-executes the test binary with only TestHelperProcess selected
// and HelperEnv=name, and kills it after timeout. The package under test must
// define TestHelperProcess, dispatching on HelperName.
func RunHelper(t testing.TB, name string, timeout time.Duration, extraEnv ...string) HelperResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(append(os.Environ(), HelperEnv+"="+name), extraEnv...)
	cmd.WaitDelay = time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	res := HelperResult{Output: out.String(), TimedOut: ctx.Err() != nil}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		res.ExitCode = exitErr.ExitCode()
	default:
		t.Fatalf("helper %s: %v", name, err)
	}
	return res
}

// WaitParked waits until some goroutine is parked with a wait reason that
// contains reason (as runtime.Stack prints it between brackets, e.g.
// "sync.RWMutex.Lock" or "chan send"), and fails the test after a generous
// bound. It lets a test force an interleaving without sleeping.
func WaitParked(t testing.TB, reason string) {
	t.Helper()
	if !waitParked(reason, 10*time.Second) {
		t.Fatalf("no goroutine parked in %q within 10s", reason)
	}
}

// WaitParkedOrExit is WaitParked for helper processes: it exits with status
// 3 instead of failing a test.
func WaitParkedOrExit(reason string) {
	if !waitParked(reason, 10*time.Second) {
		os.Stderr.WriteString("no goroutine parked in " + reason + "\n")
		os.Exit(3)
	}
}

func waitParked(reason string, bound time.Duration) bool {
	deadline := time.Now().Add(bound)
	for time.Now().Before(deadline) {
		if Parked(reason) {
			return true
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
	return false
}

// Parked reports whether some goroutine is parked now with a wait reason
// that contains reason.
func Parked(reason string) bool {
	buf := make([]byte, 1<<20)
	n := runtime.Stack(buf, true)
	for _, line := range strings.Split(string(buf[:n]), "\n") {
		if strings.HasPrefix(line, "goroutine ") && strings.Contains(line, "["+reason) {
			return true
		}
	}
	return false
}

// Barrier releases its waiters once n have arrived.
type Barrier struct {
	mu      sync.Mutex
	n       int
	arrived int
	open    chan struct{}
}

// NewBarrier returns a barrier for n parties.
func NewBarrier(n int) *Barrier { return &Barrier{n: n, open: make(chan struct{})} }

// Await blocks until n parties have called it.
func (b *Barrier) Await() {
	b.mu.Lock()
	b.arrived++
	if b.arrived == b.n {
		close(b.open)
	}
	b.mu.Unlock()
	<-b.open
}
