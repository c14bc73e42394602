package plan

import (
	"fmt"
	"strconv"
	"strings"
)

// Segment is the share of a schedule one process sends, so that several
// generators together send exactly one schedule, as k6's execution
// segments do: segment i of n (1-based) sends the open loop's requests
// whose global index j has j mod n = i−1 (every shape, ramp, burst or
// Poisson, keeps its shape in each share), or runs the closed loop's
// users u with u mod n = i−1. Request indexes stay global, so the mock's
// plan for a request, a function of its index, is the same whichever
// segment sends it.
type Segment struct {
	Index, Count int
}

// ParseSegment reads "i/n".
func ParseSegment(s string) (Segment, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	switch {
	case !ok || err1 != nil || err2 != nil:
		return Segment{}, fmt.Errorf("want i/n, such as 1/3 (segment 1 of 3)")
	case n < 1:
		return Segment{}, fmt.Errorf("the count n must be at least 1")
	case i < 1 || i > n:
		return Segment{}, fmt.Errorf("the index i counts from 1 to n = %d", n)
	}
	return Segment{Index: i, Count: n}, nil
}

func (s Segment) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Owns says whether the segment sends global request (or user) index j.
func (s *Segment) Owns(j uint64) bool {
	return s == nil || j%uint64(s.Count) == uint64(s.Index-1)
}

// setSegment makes the plan one segment of its schedule.
func (p *Plan) setSegment(s Segment) error {
	if s.Count < 1 || s.Index < 1 || s.Index > s.Count {
		return &OverrideError{"segment", s.String(), "want 1 <= i <= n"}
	}
	if !p.Load.Open() && p.Load.Users < s.Count {
		return &OverrideError{"segment", s.String(), fmt.Sprintf("a closed loop is split by its users, and it has %d for %d segments", p.Load.Users, s.Count)}
	}
	// Every segment must have a request to measure: the schedule's
	// requests go round-robin, so with fewer of them than segments the
	// last segments would run, measure nothing and fail.
	if n := p.Load.scheduled(); n > 0 && n < float64(s.Count) {
		return &OverrideError{"segment", s.String(), fmt.Sprintf("the schedule sends %.3g measured requests, fewer than its %d segments: some would measure nothing; split it into at most %d, or raise the rate or the duration", n, s.Count, max(1, int(n)))}
	}
	p.Segment = &s
	return nil
}
