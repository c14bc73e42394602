package results

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// segmentOf is sample() as segment i of n, its window starting at start.
func segmentOf(i, n int, start time.Time) Part {
	r := sample()
	r.SourceHash = "h"
	r.Segment = &Segment{Index: i, Count: n}
	rep := &r.Variants[0].Reps[0]
	rep.Started, rep.WindowStart, rep.LastDone = start, start, start.Add(rep.Span)
	return Part{Name: "seg" + string(rune('0'+i)), R: r}
}

func TestMergeWarnsWhenSegmentsDidNotRunTogether(t *testing.T) {
	t0 := time.Date(2026, 11, 28, 18, 0, 0, 0, time.UTC)
	together, err := Merge([]Part{segmentOf(1, 2, t0), segmentOf(2, 2, t0.Add(3*time.Millisecond))}, false)
	require.NoError(t, err)
	assert.Empty(t, together.Warnings, "segments started 3 ms apart ran together")

	// One after the other, as three runs without --start-at would: the
	// merged span covers both, so throughput is about half of what each
	// segment carried, and the merge must say why.
	apart, err := Merge([]Part{segmentOf(1, 2, t0), segmentOf(2, 2, t0.Add(2*time.Second))}, false)
	require.NoError(t, err)
	thr, _ := apart.Variants[0].Summary().Metric("throughput")
	assert.Less(t, thr, 3/1.1, "the merged span stretches over both runs")
	require.Len(t, apart.Warnings, 1)
	assert.True(t, strings.HasPrefix(apart.Warnings[0], "the segments did not run together: their measured windows (1s) started up to 2s apart"), apart.Warnings[0])
	assert.Contains(t, apart.Warnings[0], "--start-at")
}
