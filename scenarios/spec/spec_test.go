package spec

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParseKeepsLinesAndRefusesUnknownFields(t *testing.T) {
	s, err := Parse([]byte("name: x\nworkload:\n  arrival: constant\n  rate: 5\n"), "s.yaml")
	require.NoError(t, err)
	assert.Equal(t, 4, s.Line("workload.rate"))
	assert.Equal(t, 2, s.Line("workload.stages[0]"), "the nearest ancestor's line")
	_, err = Parse([]byte("name: x\nworkload: {arival: constant}\n"), "s.yaml")
	assert.EqualError(t, err, `s.yaml:2: workload: unknown field "arival"; did you mean "arrival"?`)
	_, err = Parse([]byte("variants: {cache: {a: b}}\n"), "s.yaml")
	assert.ErrorContains(t, err, "s.yaml:1: variants.cache: want a list of variant names")
}

func TestApplyKeepsCommentsAndLayout(t *testing.T) {
	doc := []byte(`# header: the summary line
#
# more words.
name: x   # the name
workload: {arrival: poisson, rate: 10, duration: 2s, requests: 0}
variants:
  cache: [seed, sharded]
`)
	out, err := Apply(doc, []Edit{
		{Path: []string{"workload", "rate"}, Value: 50.0},
		{Path: []string{"workload", "requests"}},
		{Path: []string{"seed"}, Value: uint64(7)},
		{Path: []string{"variants"}, Value: map[string][]string{"cache": {"sharded"}}},
	}, "llmbench: run with --rate 50")
	require.NoError(t, err)
	text := string(out)
	assert.Contains(t, text, "# header: the summary line\n")
	assert.Contains(t, text, "# the name")
	assert.Contains(t, text, "rate: 50")
	assert.NotContains(t, text, "requests")
	assert.Contains(t, text, "seed: 7")
	assert.Contains(t, text, "cache: [sharded]")
	assert.Contains(t, text, "# llmbench: run with --rate 50")
	s, err := Parse(out, "s.yaml")
	require.NoError(t, err)
	assert.Equal(t, 50.0, s.Workload.Rate)
	assert.Equal(t, []string{"sharded"}, s.Variants.Matrix["cache"])
}
