// Command llmbench benchmarks and load-tests the concurrency primitives LLM
// clients are built from, against mock LLM providers.
//
//	llmbench run scenarios/quickstart.yaml     drive load, report latency
//	llmbench sweep NAME                        capacity of each variant under its SLOs
//	llmbench validate FILE                     check a scenario
//	llmbench list                              scenarios, families, variants
//	llmbench compare OLD NEW                   benchstat-grade comparison
//	llmbench gate --baseline A --candidate B   fail on regressions (exit 1)
//	llmbench report RESULTS                    self-contained HTML report
//	llmbench mock serve                        OpenAI-compatible mock server
//
// Exit codes: 0 success, 1 a threshold or gate failed, 2 bad input, 130
// interrupted (partial results were written).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitOK          = 0
	exitFailed      = 1
	exitBadInput    = 2
	exitInterrupted = 130
)

// exitError carries an exit code; its message is printed unless empty.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func badInput(err error) error { return &exitError{exitBadInput, err} }

func badInputf(format string, args ...any) error { return badInput(fmt.Errorf(format, args...)) }

func main() {
	ctx, stop := notifyInterrupts()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// abortNow is closed by a second interrupt: a run then cancels its
// requests in flight at once instead of waiting out their grace period.
var abortNow = make(chan struct{})

// interruptible is set once a command that stops cleanly on its context
// starts (run, sweep, mock serve, gate: annotated interruptible), so that
// an interrupt lets it write what it measured. Any other command ends at
// the first interrupt, as it would without this handler: it has nothing
// to save, and it may never look at the context (validate of a FIFO that
// nobody writes waited through every Ctrl-C and SIGTERM).
var interruptible atomic.Bool

// annotInterruptible marks a command that honours its context.
const annotInterruptible = "interruptible"

// notifyInterrupts returns a context that the first SIGINT or SIGTERM
// cancels; a second one closes abortNow. A command that is not
// interruptible exits 130 at the first.
func notifyInterrupts() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
			if !interruptible.Load() {
				fmt.Fprintln(os.Stderr, "llmbench: interrupted")
				os.Exit(exitInterrupted)
			}
			cancel()
		case <-done:
			return
		}
		select {
		case <-sigs:
			close(abortNow)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}

// run executes one command line and returns its exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintln(stderr, "llmbench:", ee.err)
		}
		return ee.code
	}
	// cobra's own errors: unknown commands and flags, wrong argument counts.
	fmt.Fprintln(stderr, "llmbench:", err)
	fmt.Fprintln(stderr, "Run 'llmbench --help' for usage.")
	return exitBadInput
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "llmbench",
		Short:         "Benchmark and load-test the concurrency primitives of LLM clients",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return badInput(err) })
	root.AddCommand(newRunCmd(), newSweepCmd(), newValidateCmd(), newListCmd(), newCompareCmd(), newGateCmd(), newReportCmd(), newMergeCmd(), newMockCmd())
	wrapRunE(root)
	return root
}

// wrapRunE gives every error a command returns an exit code: what is not
// already an exitError (a file that cannot be written, say) exits 2 with
// its message alone, so that only cobra's own usage errors (unknown
// commands and flags, argument counts) point to --help.
func wrapRunE(c *cobra.Command) {
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if cmd.Annotations[annotInterruptible] != "" {
				interruptible.Store(true)
			}
			err := run(cmd, args)
			var ee *exitError
			if err != nil && !errors.As(err, &ee) {
				return &exitError{exitBadInput, err}
			}
			return err
		}
	}
	for _, sub := range c.Commands() {
		wrapRunE(sub)
	}
}
