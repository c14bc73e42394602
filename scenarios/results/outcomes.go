package results

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// ErrorKind tells failures apart: a 429 storm from a server failing.
type ErrorKind uint8

// Error kinds.
const (
	ErrRateLimited ErrorKind = iota
	ErrServer
	ErrStreamCut
	ErrMalformed
	ErrInvalid
	ErrOther
	NumErrorKinds
)

// ErrorKindNames are the kinds' names in results and tables.
var ErrorKindNames = [NumErrorKinds]string{"rate_limited", "server_error", "stream_cut", "malformed", "invalid", "other"}

// Outcomes counts where every scheduled request ended, in exactly one
// bucket: ok, an error by kind, timed out, cancelled (by an interrupt), or
// dropped (never sent: max_in_flight reached, or the generator could not
// send it before the schedule's end).
type Outcomes struct {
	OK        int64
	Errors    [NumErrorKinds]int64
	Timeout   int64
	Cancelled int64
	Dropped   int64
}

// ErrorCount is the requests that failed with an error (any kind).
func (o Outcomes) ErrorCount() int64 {
	var n int64
	for _, e := range o.Errors {
		n += e
	}
	return n
}

// Total is every request counted.
func (o Outcomes) Total() int64 {
	return o.OK + o.ErrorCount() + o.Timeout + o.Cancelled + o.Dropped
}

// Completed is the requests that were sent and came back, whatever the
// answer: successes, errors and timeouts.
func (o Outcomes) Completed() int64 { return o.OK + o.ErrorCount() + o.Timeout }

// NotOK is every scheduled request that did not succeed.
func (o Outcomes) NotOK() int64 { return o.Total() - o.OK }

// Add adds p's counts.
func (o *Outcomes) Add(p Outcomes) {
	o.OK += p.OK
	for k := range o.Errors {
		o.Errors[k] += p.Errors[k]
	}
	o.Timeout += p.Timeout
	o.Cancelled += p.Cancelled
	o.Dropped += p.Dropped
}

// MarshalJSON writes {"ok": n, "error:rate_limited": n, ..., "timeout": n,
// "cancelled": n, "dropped": n}; error kinds with no request are left out.
func (o Outcomes) MarshalJSON() ([]byte, error) {
	m := map[string]int64{"ok": o.OK, "timeout": o.Timeout, "cancelled": o.Cancelled, "dropped": o.Dropped}
	for k, n := range o.Errors {
		if n != 0 {
			m["error:"+ErrorKindNames[k]] = n
		}
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads what MarshalJSON writes, refusing unknown buckets and
// negative counts.
func (o *Outcomes) UnmarshalJSON(data []byte) error {
	var m map[string]int64
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	*o = Outcomes{}
	for k, n := range m {
		if n < 0 {
			return fmt.Errorf("%q: negative count %d", k, n)
		}
		switch k {
		case "ok":
			o.OK = n
		case "timeout":
			o.Timeout = n
		case "cancelled":
			o.Cancelled = n
		case "dropped":
			o.Dropped = n
		default:
			kind, ok := strings.CutPrefix(k, "error:")
			i := slices.Index(ErrorKindNames[:], kind)
			if !ok || i < 0 {
				return fmt.Errorf("unknown outcome %q (ok, timeout, cancelled, dropped, error:KIND with KIND one of %s)", k, strings.Join(ErrorKindNames[:], ", "))
			}
			o.Errors[i] = n
		}
	}
	return nil
}
