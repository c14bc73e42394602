package mockprovider

import (
	"errors"
	"fmt"
	"strings"
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

// FieldError is a configuration field that cannot be used: its path (such
// as "providers.llm.ttft"), its YAML line where known (0 otherwise), and
// what is wrong. Loaders put them into their own file:line messages
// without parsing text.
type FieldError struct {
	Path string
	Line int
	Msg  string
}

func (e *FieldError) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// FieldErrors are every problem of one configuration.
type FieldErrors []*FieldError

func (es FieldErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// fieldErrors collects the FieldErrors in err (one, a list, or none).
func fieldErrors(err error) FieldErrors {
	var list FieldErrors
	if errors.As(err, &list) {
		return list
	}
	var one *FieldError
	if errors.As(err, &one) {
		return FieldErrors{one}
	}
	return FieldErrors{{Msg: err.Error()}}
}
