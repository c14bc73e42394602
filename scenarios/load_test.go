package scenarios

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const minimal = `
name: t
workload: {arrival: constant, rate: 10, duration: 1s}
`

func TestParseGood(t *testing.T) {
	s, err := Parse([]byte(minimal), "t.yaml")
	require.NoError(t, err)
	assert.Equal(t, "mock", s.Pipeline.Provider, "one provider is the default")
	assert.Equal(t, uint64(1), s.Seed)
	assert.Equal(t, 1, s.Repeat)
	assert.Equal(t, DefaultTimeout, s.Workload.Timeout)
	assert.Equal(t, []Variant{{Name: "default", Params: map[string]string{}}}, s.Expand())

	s, err = Parse([]byte(`
providers:
  a: {ttft: 10ms, itl: 1ms, output_tokens: 5}
  b: {kind: openai, base_url: "http://127.0.0.1:1/v1", model: m}
workload: {concurrency: 4, think_time: {dist: exponential, mean: 10ms}, requests: 100, warmup: 1s}
pipeline:
  provider: a
  cache: {impl: rwmutex, keys: 10, skew: 1.2, capacity: 5}
  stream: {sender: ctx}
  messages: {max_messages: 10, keep_system: true}
  validate: {schema: large, regex: bounded}
  workerpool: {limit: 2}
variants:
  cache: [seed, sharded]
  stream: [seed, unpooled, safe]
repeat: 2
thresholds:
  - ttft.p99 < 800ms
  - {metric: "error_rate < 1%", variant: {cache: sharded}}
`), "t.yaml")
	require.NoError(t, err)
	vs := s.Expand()
	require.Len(t, vs, 6)
	assert.Equal(t, "cache=seed/stream=seed", vs[0].Name)
	assert.Equal(t, "cache=sharded/stream=safe", vs[5].Name)
	assert.Equal(t, KindOpenAI, s.Providers["b"].Kind)
	assert.Equal(t, "a", s.Providers["a"].Mock.Name)
	assert.Equal(t, 0.01, s.Thresholds[1].check.value)

	require.NoError(t, s.Override("stream", "safe"))
	assert.Len(t, s.Expand(), 2)
	assert.ErrorContains(t, s.Override("stream", "fast"), "unknown variant (known: seed, unpooled, safe)")
	assert.ErrorContains(t, s.Override("fanout", "seed"), "has no fanout stage")
	assert.ErrorContains(t, s.Override("colour", "x"), `unknown family "colour"`)

	list, err := Parse([]byte(minimal+`
pipeline: {cache: {}, stream: {}}
variants:
  - {cache: seed, stream: seed}
  - {cache: sharded, stream: safe}
`), "t.yaml")
	require.NoError(t, err)
	assert.Equal(t, []string{"cache=seed/stream=seed", "cache=sharded/stream=safe"}, names(list.Expand()))
	assert.ErrorContains(t, list.Override("cache", "mutex"), "no combination")
}

func names(vs []Variant) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Name
	}
	return out
}

// TestParseBad: every message names the file, the line and the field.
func TestParseBad(t *testing.T) {
	cases := []struct{ doc, want string }{
		{"", "t.yaml: the file is empty"},
		{"name: [", "t.yaml: line 1: did not find expected node content"},
		{"nmae: x\n", `t.yaml:1: unknown field "nmae"; did you mean "name"?`},
		{minimal + "workload2: {}\n", `t.yaml:4: unknown field "workload2"; did you mean "workload"?`},
		{"workload: {arrival: constant, rate: 10, duration: 1s, timout: 1s}\n", `t.yaml:1: workload: unknown field "timout"; did you mean "timeout"?`},
		{"workload:\n  arrival: constant\n  rate: 10\n  duration: 1s\n  prompt: {tokenz: 5}\n", `t.yaml:5: workload.prompt: unknown field "tokenz"`},
		{"workload: {arrival: constant, rate: 10, duration: soon}\n", "cannot unmarshal"},
		{"workload: {arrival: sometimes, rate: 10, duration: 1s}\n", `t.yaml:1: workload.arrival: unknown arrival "sometimes"`},
		{"workload: {arrival: constant, duration: 1s}\n", "t.yaml:1: workload.rate: constant arrival needs rate > 0"},
		{"workload: {arrival: constant, rate: 5}\n", "set duration (e.g. 10s) or requests"},
		{"workload: {arrival: constant, rate: 5, duration: 1s, requests: 5}\n", "set duration or requests, not both"},
		{"workload: {duration: 1s}\n", "set arrival (constant, poisson, ramp, burst) for an open loop, or concurrency"},
		{"workload: {arrival: poisson, rate: 5, concurrency: 2, duration: 1s}\n", "an open loop (arrival: poisson) has no concurrency"},
		{"workload: {arrival: ramp, stages: [{duration: 0s, rate: 5}]}\n", "workload.stages[0]: duration must be positive"},
		{"workload: {arrival: ramp, duration: 1s}\n", "ramp arrival needs stages"},
		{"workload: {arrival: burst, duration: 1s}\n", "burst arrival needs burst: {size: N, every: D}"},
		{"workload: {concurrency: 2, duration: 1s, burst: {size: 1, every: 1s}}\n", "stages and burst belong to an open loop"},
		{"workload: {arrival: constant, rate: 10, duration: 1s, prompt: {multimodal: 2}}\n", "workload.prompt.multimodal: is a share in [0, 1]"},
		{"workload: {arrival: constant, rate: 10, duration: 1s, prompt: {tokens: 5ms}}\n", "is a duration; this is a count"},
		{minimal + "providers:\n  a: {ttft: {dist: lognormal, median: 50ms, p99: 10ms}}\n", "t.yaml:5: providers.a.ttft: lognormal needs p99 > median"},
		{minimal + "providers:\n  a: {capacity: -1}\n", "t.yaml:5: providers.a.capacity: must not be negative"},
		{minimal + "providers:\n  a: {kind: grpc}\n", `t.yaml:5: providers.a.kind: unknown kind "grpc"`},
		{minimal + "providers:\n  a: {kind: openai, model: m}\n", "providers.a: base_url is required"},
		{minimal + "providers:\n  a: {kind: openai, base_url: localhost, model: m}\n", `providers.a.base_url: "localhost" must start with http://`},
		{minimal + "providers:\n  a: {kind: openai, base_url: http://x, model: m, ttft: 5ms}\n", `providers.a: unknown field "ttft"`},
		{minimal + "providers:\n  a: {}\n  b: {}\n", "pipeline.provider: name the provider to call (providers: a, b)"},
		{minimal + "pipeline: {provider: nope}\n", `t.yaml:4: pipeline.provider: no provider named "nope"`},
		{minimal + "pipeline: {cache: {impl: lru}}\n", `pipeline.cache.impl: unknown variant "lru" (known: seed, rwmutex, mutex, syncmap, sharded)`},
		{minimal + "pipeline: {stream: {sender: pigeon}}\n", `pipeline.stream.sender: unknown variant "pigeon"`},
		{minimal + "pipeline: {validate: {schema: huge}}\n", `pipeline.validate.schema: unknown schema "huge"`},
		{minimal + "pipeline: {validate: {regex: lru}}\n", `unknown regex cache variant "lru"`},
		{minimal + "pipeline: {fanout: {providers: [mock]}}\n", "fan-out needs at least two providers"},
		{minimal + "providers: {a: {}, b: {}}\npipeline: {fanout: {providers: [a, b], strategy: loudest}}\n", `unknown strategy "loudest"`},
		{minimal + "providers: {a: {}, b: {}}\npipeline: {fanout: {providers: [a, b]}, stream: {}}\n", "use fanout or stream, not both"},
		{minimal + "variants: {cache: [seed]}\n", "variants.cache: the pipeline has no cache stage to vary"},
		{minimal + "pipeline: {cache: {}}\nvariants: {cache: [lru]}\n", `variants.cache: unknown cache variant "lru"`},
		{minimal + "variants: {colour: [red]}\n", `unknown family "colour"`},
		{minimal + "variants: 5\n", "variants: want a mapping (a matrix) or a list"},
		{minimal + "thresholds: [\"ttft.p42 < 1s\"]\n", `unknown metric "ttft.p42"`},
		{minimal + "thresholds: [\"ttft.p99 < fast\"]\n", "want a duration such as 800ms"},
		{minimal + "thresholds: [\"error_rate < 200%\", \"rps >= lots\"]\n", "want a number"},
		{minimal + "thresholds: [\"ttft.p99 about 1s\"]\n", `is not "metric op value"`},
		{minimal + "thresholds: [{metric: \"rps > 1\", variant: {cache: seed}}]\n", `thresholds[0].variant: "cache" is not a varied family`},
		{minimal + "repeat: -1\n", "repeat: must be at least 1"},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.doc), "t.yaml")
		if assert.Error(t, err, c.doc) {
			assert.Contains(t, err.Error(), c.want, c.doc)
			var ie *InputError
			assert.ErrorAs(t, err, &ie)
		}
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	_, err := Parse([]byte("workload: {arrival: constant, duration: 1s}\npipeline: {cache: {impl: lru}}\n"), "t.yaml")
	require.Error(t, err)
	lines := strings.Split(err.Error(), "\n")
	assert.Len(t, lines, 2)
	assert.True(t, strings.HasPrefix(lines[0], "t.yaml:1:"), lines[0])
	assert.True(t, strings.HasPrefix(lines[1], "t.yaml:2:"), lines[1])
}

func TestLoadFiles(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "lat.txt"), []byte("10ms\n20ms\n"), 0o644))
	path := filepath.Join(dir, "s.yaml")
	require.NoError(t, os.WriteFile(path, []byte(minimal+"providers:\n  a: {ttft: {dist: empirical, file: lat.txt}}\n"), 0o644))
	s, err := Load(path)
	require.NoError(t, err, "files are read relative to the scenario")
	assert.Equal(t, "t", s.Name)
	_, err = Load(filepath.Join(dir, "missing.yaml"))
	assert.ErrorContains(t, err, "no such file")
}

func TestReadyScenariosAreValid(t *testing.T) {
	for _, b := range Builtins() {
		data, ok := Builtin(b.Name)
		require.True(t, ok)
		_, err := Parse(data, b.Name+".yaml")
		assert.NoError(t, err, b.Name)
		assert.NotEmpty(t, b.Summary, "%s has a header comment", b.Name)
	}
	assert.NotEmpty(t, Builtins())
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0", 512: "512ns", 850 * time.Microsecond: "850µs", 999_900 * time.Microsecond: "1s",
		12_345 * time.Microsecond: "12.3ms", 999_949 * time.Nanosecond: "1ms", 61 * time.Second: "61s",
	} {
		assert.Equal(t, want, FormatDuration(d), "%d", d)
	}
}
