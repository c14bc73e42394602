package mockprovider

import (
	"errors"
	"fmt"
	"time"
)

// RateLimitError is a refused request (an injected 429, or a full queue).
type RateLimitError struct {
	RetryAfter time.Duration
	QueueFull  bool // refused because MaxQueue requests were already waiting
}

func (e *RateLimitError) Error() string {
	if e.QueueFull {
		return fmt.Sprintf("mock: rate limited: queue full (retry after %s)", e.RetryAfter)
	}
	return fmt.Sprintf("mock: rate limited (retry after %s)", e.RetryAfter)
}

// ServerError is an injected 5xx.
type ServerError struct{ Status int }

func (e *ServerError) Error() string { return fmt.Sprintf("mock: server error %d", e.Status) }

// ErrStreamCut: the response stopped part-way.
var ErrStreamCut = errors.New("mock: stream cut part-way")

// Fault is the fault a request was dealt.
type Fault int

// Faults, in the order their rates are added up.
const (
	NoFault Fault = iota
	FaultRateLimit
	FaultServerError
	FaultTimeout
	FaultStreamCut
	FaultMalformed
)

var faultNames = [...]string{"none", "rate_limit", "server_error", "timeout", "stream_cut", "malformed"}

func (f Fault) String() string { return faultNames[f] }
