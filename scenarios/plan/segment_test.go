package plan

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSegmentsEachHaveARequest: a schedule of 30 requests split in 50
// would leave segments 31 to 50 nothing to measure (validate passed them,
// run failed them with exit 1); it is refused up front, as a schedule of
// less than one request is.
func TestSegmentsEachHaveARequest(t *testing.T) {
	const timed = "workload: {arrival: constant, rate: 100, duration: 300ms}\n"
	const counted = "workload: {arrival: constant, rate: 100, requests: 5}\n"
	for _, c := range []struct {
		src  string
		seg  Segment
		want string
	}{
		{timed, Segment{50, 50}, "segment 50/50: the schedule sends 30 measured requests, fewer than its 50 segments: some would measure nothing; split it into at most 30"},
		{timed, Segment{1, 50}, "fewer than its 50 segments"},
		{counted, Segment{1, 6}, "the schedule sends 5 measured requests, fewer than its 6 segments"},
	} {
		_, err := Resolve([]byte(c.src), "t.yaml", ".", Overrides{Segment: &c.seg})
		assert.ErrorContains(t, err, c.want, "%s %v", c.src, c.seg)
		var oe *OverrideError
		assert.ErrorAs(t, err, &oe)
	}
	for _, c := range []struct {
		src string
		seg Segment
	}{{timed, Segment{30, 30}}, {counted, Segment{5, 5}}} {
		p, err := Resolve([]byte(c.src), "t.yaml", ".", Overrides{Segment: &c.seg})
		require.NoError(t, err, "%s %v: one request a segment", c.src, c.seg)
		assert.Equal(t, c.seg, *p.Segment)
	}
}
