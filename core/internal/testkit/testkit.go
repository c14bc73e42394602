// Package testkit holds helpers the core tests share to show defects without
// hurting the test process: re-executing the test binary for a helper that
// deadlocks, races or leaks (and telling those outcomes apart from a crash
// of another kind), waiting until a goroutine is parked in a given place so
// that an interleaving can be forced instead of hoped for, and bounding
// every wait so that a test fails within seconds instead of hanging.
package testkit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Bound is how long any forced interleaving or helper may take before the
// test gives up with a message: well under the 10 s every test must fail in.
const Bound = 8 * time.Second

// HelperEnv names the helper a re-executed test binary should run.
const HelperEnv = "LLMBENCH_TEST_HELPER"

// ReturnedMarker is what a helper prints when it ran to its end.
const ReturnedMarker = "HELPER RETURNED"

// HelperName is the helper this process must run, or "" in a normal test run.
func HelperName() string { return os.Getenv(HelperEnv) }

// Returned prints the marker and exits 0: the helper's normal end.
func Returned(extra ...any) {
	fmt.Println(append([]any{ReturnedMarker}, extra...)...)
	os.Exit(0)
}

// HelperResult is what a helper process did.
type HelperResult struct {
	Output   string // stdout and stderr
	ExitCode int    // -1 when killed
	TimedOut bool   // still running at the deadline: sent SIGQUIT, which dumps every goroutine
}

// Outcome classifies how a helper ended.
type Outcome string

// The outcomes a test can expect. Crashed is everything else (a panic, an
// unexpected fatal error or exit code): it never passes for one of the others.
const (
	Finished   Outcome = "finished"
	Deadlocked Outcome = "deadlocked"
	Raced      Outcome = "raced"
	Crashed    Outcome = "crashed"
)

// Outcome tells a deadlock (the runtime's "all goroutines are asleep", or
// still blocked at the deadline with no panic), a data race (the race
// detector's report, or the runtime's "concurrent map" fatal error), a
// normal return and a crash of any other kind apart.
func (r HelperResult) Outcome() Outcome {
	out := r.Output
	switch {
	case strings.Contains(out, "WARNING: DATA RACE"),
		strings.Contains(out, "fatal error: concurrent map"):
		return Raced
	case strings.Contains(out, "panic: "), strings.Contains(out, "[recovered]"):
		return Crashed
	case strings.Contains(out, "fatal error: all goroutines are asleep - deadlock!"):
		return Deadlocked
	case r.TimedOut && strings.Contains(out, "SIGQUIT") && !strings.Contains(out, "fatal error:"):
		return Deadlocked
	case r.ExitCode == 0 && strings.Contains(out, ReturnedMarker):
		return Finished
	}
	return Crashed
}

// ParkedIn reports whether the goroutine dump of a timed-out helper shows a
// goroutine waiting with a reason that contains reason.
func (r HelperResult) ParkedIn(reason string) bool {
	return parkedIn(r.Output, reason)
}

// String summarises the result for a failure message.
func (r HelperResult) String() string {
	out := r.Output
	if len(out) > 4000 {
		out = out[:4000] + "\n…"
	}
	return fmt.Sprintf("outcome %s (exit %d, timed out %v); output:\n%s", r.Outcome(), r.ExitCode, r.TimedOut, out)
}

// RunHelper re-executes the test binary with only TestHelperProcess selected
// and HelperEnv=name. At timeout the child gets SIGQUIT, so that its
// goroutines are dumped (a deadlock shows where it waits), and is killed a
// second later if it is still there. The package under test must define
// TestHelperProcess, dispatching on HelperName.
func RunHelper(t testing.TB, name string, timeout time.Duration, extraEnv ...string) HelperResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1", "-test.timeout=0")
	cmd.Env = append(append(os.Environ(), HelperEnv+"="+name, "GOTRACEBACK=all"), extraEnv...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGQUIT) }
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
	case errors.Is(err, exec.ErrWaitDelay):
		res.ExitCode = -1
	default:
		t.Fatalf("helper %s: %v", name, err)
	}
	return res
}

// WaitParked waits until some goroutine is parked with a wait reason that
// contains reason (as runtime.Stack prints it between brackets, e.g.
// "sync.RWMutex.Lock" or "chan send"), and fails the test after Bound. It
// lets a test force an interleaving without sleeping.
func WaitParked(t testing.TB, reason string) {
	t.Helper()
	if !waitParked(reason, Bound) {
		t.Fatalf("no goroutine parked in %q within %v", reason, Bound)
	}
}

// WaitParkedOrExit is WaitParked for helper processes: it exits with status
// 3 instead of failing a test.
func WaitParkedOrExit(reason string) {
	if !waitParked(reason, Bound) {
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
	return parkedIn(string(buf[:n]), reason)
}

func parkedIn(dump, reason string) bool {
	return parkedAt(dump, reason, "")
}

// parkedAt reports whether a goroutine of the dump waits with reason and
// has at in its stack.
func parkedAt(dump, reason, at string) bool {
	for _, g := range strings.Split(dump, "\n\n") {
		header, stack, _ := strings.Cut(g, "\n")
		if strings.HasPrefix(header, "goroutine ") && strings.Contains(header, "["+reason) && strings.Contains(stack, at) {
			return true
		}
	}
	return false
}

// WaitParkedAtOrExit waits until a goroutine waits with reason in a
// function whose name contains at, for helper processes: it exits with
// status 3 after Bound.
func WaitParkedAtOrExit(reason, at string) {
	deadline := time.Now().Add(Bound)
	for time.Now().Before(deadline) {
		buf := make([]byte, 1<<20)
		if parkedAt(string(buf[:runtime.Stack(buf, true)]), reason, at) {
			return
		}
		time.Sleep(time.Millisecond)
	}
	os.Stderr.WriteString("no goroutine parked in " + reason + " at " + at + "\n")
	os.Exit(3)
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

// Rendezvous returns a hook for a point that n goroutines may reach. Each
// caller waits until all n have arrived (the interleaving a defect needs)
// or until some goroutine is parked with one of the given wait reasons (the
// others cannot arrive: a correct implementation holds them back, on a lock
// or a once), so that one test forces the bad interleaving where it exists
// and passes through where it cannot happen. After Bound it panics with a
// message rather than hang.
func Rendezvous(n int, parked ...string) func() {
	var arrived atomic.Int32
	all := make(chan struct{})
	return func() {
		if int(arrived.Add(1)) == n {
			close(all)
			return
		}
		deadline := time.Now().Add(Bound)
		for time.Now().Before(deadline) {
			select {
			case <-all:
				return
			default:
			}
			for _, r := range parked {
				if Parked(r) {
					return
				}
			}
			time.Sleep(time.Millisecond)
		}
		panic(fmt.Sprintf("testkit: rendezvous: %d of %d arrived and nobody parked in %v within %v", arrived.Load(), n, parked, Bound))
	}
}

// Within runs fn and fails the test if it has not returned after d: a
// deadlock or a lost wake-up becomes a failure that names itself instead of
// the ten-minute test timeout.
func Within(t testing.TB, d time.Duration, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not finish within %v (deadlock or lost wake-up)", what, d)
	}
}

// Want returns the row of table for variant, and fails the test when the
// table has none: every defect test states what it expects of every variant
// of its family, so a new variant cannot slip through untested.
func Want[T any](t testing.TB, variant string, table map[string]T) T {
	t.Helper()
	w, ok := table[variant]
	if !ok {
		t.Fatalf("variant %q has no row in this test's table", variant)
	}
	return w
}

// LiveHeap is the heap in use after two collections: what is still
// reachable, for tests that measure what a structure retains.
func LiveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
