package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmbench/llmbench/scenarios/sweep"
)

// testdata/sweep.json is a recorded sweep of the ready scenario
// (regenerate: go run ./cmd/llmbench sweep cache-capacity --out /tmp/s &&
// cp /tmp/s/sweep.json scenarios/report/testdata/).
func recordedSweep(t *testing.T) *sweep.Sweep {
	t.Helper()
	sw, err := sweep.Read("testdata/sweep.json")
	require.NoError(t, err)
	require.Len(t, sw.Capacities, 2)
	return sw
}

func TestSweepTable(t *testing.T) {
	sw := recordedSweep(t)
	var buf bytes.Buffer
	require.NoError(t, WriteSweepTable(&buf, sw))
	out := buf.String()
	for _, c := range sw.Capacities {
		assert.Regexp(t, regexp.MustCompile(regexp.QuoteMeta(c.Variant)+`\s*│ `+regexp.QuoteMeta(sweep.FormatLoad(sw.Mode, *c.Capacity))), out)
	}
	assert.Contains(t, out, "cpu/req there")
	assert.Contains(t, out, "a step passes when goroutines_leaked == 0, 99% of requests succeed within e2e <= 500ms")
	assert.Contains(t, out, "harness floor on this machine")

	// What the table says of a variant that passed nothing, or everything.
	sw.Capacities[0].Capacity, sw.Capacities[0].Below = nil, true
	sw.Capacities[1].AtLeast = true
	buf.Reset()
	require.NoError(t, WriteSweepTable(&buf, sw))
	assert.Contains(t, buf.String(), "< "+sweep.FormatLoad(sw.Mode, sw.LowestLoad()))
	assert.Contains(t, buf.String(), "≥ "+sweep.FormatLoad(sw.Mode, *sw.Capacities[1].Capacity))
}

func TestSweepPage(t *testing.T) {
	sw := recordedSweep(t)
	var buf bytes.Buffer
	require.NoError(t, WriteSweep(&buf, sw))
	html := buf.String()
	for _, id := range []string{"header", "capacity", "curves", "steps", "scenario"} {
		assert.Contains(t, html, `id="`+id+`"`, id)
	}
	assert.Equal(t, 2, strings.Count(html, `class="chart curve"`), "load against throughput and goodput, and against latency")
	for _, c := range sw.Capacities {
		assert.GreaterOrEqual(t, strings.Count(html, ">"+c.Variant+"<"), 4, "%s: in the table, both legends and the steps' header", c.Variant)
	}
	assert.Contains(t, html, ">offered<", "the diagonal of what was offered")
	assert.Contains(t, html, "offered load (requests/s)")
	assert.Equal(t, 2*len(sw.Steps), strings.Count(html, `<td class="fail verdict">`)+strings.Count(html, `<td class="pass verdict">`), "a verdict per step and variant")
	assert.NotContains(t, html, "Partial sweep")
	assert.NotRegexp(t, `(src|href)=['"]https?:`, html, "self-contained")

	sw.Partial, sw.Mode = true, sweep.Users
	buf.Reset()
	require.NoError(t, WriteSweep(&buf, sw))
	assert.Contains(t, buf.String(), `id="partial"`)
	assert.Contains(t, buf.String(), ">users<", "a users sweep's load axis")
	assert.NotContains(t, buf.String(), ">offered<", "no diagonal: users are not a rate")
}
