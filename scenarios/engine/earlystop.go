package engine

import (
	"fmt"
	"time"

	"github.com/llmbench/llmbench/scenarios/results"
)

// An open loop that the system cannot serve queues without bound, and once
// its schedule ends it still drains for as long again (or until the request
// timeout): a capacity search that steps past the knee would sit in a
// collapsed system for most of its time. With Options.StopOnSaturation the
// engine watches each one-second window and ends a repetition as soon as
// the collapse is visible: the schedule stops, and requests in flight are
// cancelled after Options.Grace. The test is deliberately stricter than
// the verdict after the run (saturation), so that a repetition the system
// keeps up with is never cut short:
//
//   - completions since the first measured window fall below 95 % of what
//     the schedule offered meanwhile, and the median latency of the latest
//     window is at least twice that of the first measured window (each
//     median over at least minWindowOK successes; a window of failures
//     only counts as infinitely slow); or
//   - more than 1 % of the requests offered meanwhile were dropped
//     (max_in_flight reached).
//
// A slow but stable system fails the first half at the start of a run
// (its first answers are still on their way) but never the second: its
// latency does not grow.

// minWindowOK is the fewest successes a window needs for its median to be
// compared: fewer, and two windows of a stable system can differ by 2× by
// chance.
const minWindowOK = 20

// collapse reports, from the windows closed so far, an open loop that has
// visibly collapsed, and what was seen. offered is the schedule's rate;
// sendEnd is when the schedule ends, in seconds from the start.
func collapse(ws []results.Window, offered, sendEnd float64) (string, bool) {
	t0 := 0.0 // the start of the first measured window
	first := -1
	for i, w := range ws {
		if w.Warmup {
			t0 = w.T
			continue
		}
		first = i
		break
	}
	if first < 0 || len(ws)-first < 2 || offered <= 0 {
		return "", false
	}
	last := ws[len(ws)-1]
	expected := offered * (min(last.T, sendEnd) - t0)
	var done, dropped int64
	for _, w := range ws[first:] {
		done += w.Done
		dropped += w.Dropped
	}
	if expected <= 0 {
		return "", false
	}
	if float64(dropped) > 0.01*expected {
		return fmt.Sprintf("max_in_flight reached: %d requests dropped in %.0fs at %.0f/s offered", dropped, last.T-t0, offered), true
	}
	if float64(done) >= 0.95*expected {
		return "", false
	}
	base := ws[first]
	if base.OK < minWindowOK {
		return "", false
	}
	grew := false
	switch {
	case last.OK >= minWindowOK:
		grew = last.E2EP50 >= 2*base.E2EP50
	case last.OK == 0 && last.Errors >= minWindowOK:
		grew = true // nothing succeeds any more
	}
	if !grew {
		return "", false
	}
	now := "failing"
	if last.OK > 0 {
		now = results.FormatDuration(time.Duration(last.E2EP50 * 1e9))
	}
	return fmt.Sprintf("%d completions in %.0fs of %.0f/s offered (%.0f%%), %d requests in flight, median latency from %s to %s",
		done, last.T-t0, offered, 100*float64(done)/expected, last.InFlight, results.FormatDuration(time.Duration(base.E2EP50*1e9)), now), true
}
