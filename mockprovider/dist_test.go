package mockprovider

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/montanaflynn/stats"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// TestDistributionQuantiles draws 20k seeded samples of each distribution
// and checks p10, p50, p90 and p99 against the analytic quantiles. The
// tolerance is on ranks, where sampling error is known whatever the shape:
// the sample p-quantile must lie between the analytic quantiles at
// p ± 4·sqrt(p(1−p)/n) (four standard errors of an empirical proportion).
func TestDistributionQuantiles(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "lat.txt")
	require.NoError(t, os.WriteFile(file, []byte("# recorded\n10ms\n20ms\n\n30ms # slow\n40ms\n"), 0o644))
	cases := []struct {
		name string
		spec DistSpec
		unit Unit
	}{
		{"constant", DistSpec{Dist: "constant", Value: ms(10)}, Duration},
		{"uniform", DistSpec{Dist: "uniform", Min: ms(10), Max: ms(30)}, Duration},
		{"normal", DistSpec{Dist: "normal", Mean: ms(20), Stddev: ms(5)}, Duration},
		{"normal clamped", DistSpec{Dist: "normal", Mean: ms(2), Stddev: ms(5)}, Duration},
		{"lognormal median p99", DistSpec{Dist: "lognormal", Median: ms(50), P99: ms(200)}, Duration},
		{"lognormal mu sigma", DistSpec{Dist: "lognormal", Mu: ptr(math.Log(50)), Sigma: ptr(0.6)}, Duration},
		{"exponential", DistSpec{Dist: "exponential", Mean: ms(100)}, Duration},
		{"pareto", DistSpec{Dist: "pareto", Scale: ms(10), Shape: ptr(2.5)}, Duration},
		{"empirical samples", DistSpec{Dist: "empirical", Samples: []Quantity{*num(3), *num(1), *num(2), *num(4)}}, Count},
		{"empirical file", DistSpec{Dist: "empirical", File: "lat.txt"}, Duration},
		{"mixture", DistSpec{Dist: "mixture", Components: []DistSpec{
			{Dist: "constant", Value: ms(40), Weight: 95},
			{Dist: "exponential", Mean: ms(2000), Weight: 5},
		}}, Duration},
		{"token counts", DistSpec{Dist: "uniform", Min: num(20), Max: num(200)}, Count},
	}
	const n = 20000
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := c.spec.Build(c.unit, "x", dir)
			require.NoError(t, err)
			r := rand.New(rand.NewPCG(42, 1))
			samples := make([]float64, n)
			for i := range samples {
				samples[i] = d.Sample(r)
				require.GreaterOrEqual(t, samples[i], 0.0)
			}
			for _, p := range []float64{0.10, 0.50, 0.90, 0.99} {
				got, err := stats.Percentile(samples, p*100)
				require.NoError(t, err)
				delta := 4*math.Sqrt(p*(1-p)/n) + 1.0/n
				lo, hi := d.Quantile(math.Max(0, p-delta)), d.Quantile(math.Min(1, p+delta))
				assert.True(t, got >= lo-1e-9*math.Abs(lo) && got <= hi+1e-9*math.Abs(hi),
					"%s p%g: sample %.4g not within [%.4g, %.4g] (analytic %.4g)", d, p*100, got, lo, hi, d.Quantile(p))
				// The CDF inverts the quantile.
				assert.GreaterOrEqual(t, d.CDF(d.Quantile(p))+1e-9, p, "CDF(Q(%g))", p)
			}
		})
	}
}

func TestLogNormalFromMedianP99(t *testing.T) {
	d := LogNormalFromMedianP99(50, 200)
	assert.InDelta(t, 50, d.Quantile(0.5), 1e-9)
	assert.InDelta(t, 200, d.Quantile(0.99), 1e-9)
}

func TestBadDistributions(t *testing.T) {
	cases := []struct {
		spec DistSpec
		unit Unit
		want string
	}{
		{DistSpec{}, Duration, "dist is missing"},
		{DistSpec{Dist: "gamma"}, Duration, `unknown dist "gamma"`},
		{DistSpec{Dist: "constant"}, Duration, "constant needs value"},
		{DistSpec{Dist: "constant", Value: num(5)}, Duration, "value x needs a time unit"},
		{DistSpec{Dist: "constant", Value: ms(5)}, Count, "is a duration; this is a count"},
		{DistSpec{Dist: "constant", Value: ms(-5)}, Duration, "must not be negative"},
		{DistSpec{Dist: "constant", Value: ms(5), Min: ms(1)}, Duration, "constant does not take min"},
		{DistSpec{Dist: "uniform", Min: ms(30), Max: ms(10)}, Duration, "uniform needs min <= max"},
		{DistSpec{Dist: "lognormal", Median: ms(50), P99: ms(40)}, Duration, "lognormal needs p99 > median"},
		{DistSpec{Dist: "lognormal", Median: ms(50)}, Duration, "lognormal needs p99"},
		{DistSpec{Dist: "lognormal", Mu: ptr(1.0), Sigma: ptr(-1.0)}, Duration, "sigma > 0"},
		{DistSpec{Dist: "lognormal", Mu: ptr(1.0), Sigma: ptr(1.0), Median: ms(5)}, Duration, "either median and p99, or mu and sigma"},
		{DistSpec{Dist: "exponential", Mean: ms(0)}, Duration, "mean must be positive"},
		{DistSpec{Dist: "pareto", Scale: ms(1)}, Duration, "pareto needs a finite shape > 0"},
		{DistSpec{Dist: "empirical"}, Duration, "empirical takes samples or file"},
		{DistSpec{Dist: "empirical", Samples: []Quantity{}}, Duration, "at least one sample"},
		{DistSpec{Dist: "empirical", File: "missing.txt"}, Duration, "no such file"},
		{DistSpec{Dist: "mixture"}, Duration, "mixture needs components"},
		{DistSpec{Dist: "mixture", Components: []DistSpec{{Dist: "constant", Value: ms(1)}}}, Duration, "component 1 needs a finite weight > 0"},
		{DistSpec{Dist: "mixture", Components: []DistSpec{{Dist: "gamma", Weight: 1}}}, Duration, `x.components[0]: unknown dist "gamma"`},
		{DistSpec{Dist: "uniform", Min: ms(30), Max: ms(10), Line: 12}, Duration, "line 12: x: uniform needs min <= max"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			_, err := c.spec.Build(c.unit, "x", t.TempDir())
			assert.ErrorContains(t, err, c.want)
		})
	}
}

func TestDistSpecYAML(t *testing.T) {
	var cfg struct {
		A DistSpec `yaml:"a"`
		B DistSpec `yaml:"b"`
		C DistSpec `yaml:"c"`
	}
	require.NoError(t, decodeStrict([]byte(`
a: 15ms
b: {dist: lognormal, median: 50ms, p99: 1s}
c:
  dist: mixture
  components:
    - {weight: 9, dist: constant, value: 1ms}
    - {weight: 1, dist: uniform, min: 1s, max: 2s}
`), &cfg))
	a, err := cfg.A.Build(Duration, "a", ".")
	require.NoError(t, err)
	assert.Equal(t, 15e6, a.Quantile(0.5))
	b, err := cfg.B.Build(Duration, "b", ".")
	require.NoError(t, err)
	assert.InDelta(t, 1e9, b.Quantile(0.99), 1)
	c, err := cfg.C.Build(Duration, "c", ".")
	require.NoError(t, err)
	assert.InDelta(t, 1e6, c.Quantile(0.5), 1)
	assert.Equal(t, 3, cfg.B.Line) // the document starts with a newline

	for doc, want := range map[string]string{
		"a: {dist: constant, valu: 1ms}":      `line 1: unknown field "valu" in a distribution`,
		"a: {dist: constant, value: fast}":    `line 1: value: "fast" is neither a number nor a duration`,
		"a: [1, 2]":                           "line 1: a distribution is a value such as 10ms or a mapping",
		"a: {dist: constant, value: [1]}":     "line 1: value: want a number or a duration",
		"a: 5ms\nb: 1ms\nzzz: 1":              "line 3: field zzz not found",
		"a: {dist: lognormal, median: 1ms}\n": "",
	} {
		err := decodeStrict([]byte(doc), &cfg)
		if want == "" {
			assert.NoError(t, err, doc)
			continue
		}
		assert.ErrorContains(t, err, want, doc)
	}
}

func ptr[T any](v T) *T { return &v }

// decodeStrict decodes one YAML document, refusing unknown fields.
func decodeStrict(data []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	return dec.Decode(v)
}
