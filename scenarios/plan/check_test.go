package plan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmbench/llmbench/scenarios/results"
	"github.com/llmbench/llmbench/scenarios/spec"
)

const minimal = `
name: t
workload: {arrival: constant, rate: 10, duration: 1s}
`

func mustResolve(t *testing.T, doc string, o Overrides) *Plan {
	t.Helper()
	p, err := Resolve([]byte(doc), "t.yaml", ".", o)
	require.NoError(t, err)
	return p
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
		{"name: [", "t.yaml: line 1: the list opened on this line is not closed"},
		{"a: 1\nb: [1, 2\nc: 3\n", "t.yaml: line 2: the list opened on this line is not closed"},
		{"nmae: x\n", `t.yaml:1: unknown field "nmae"; did you mean "name"?`},
		{minimal + "workload2: {}\n", `t.yaml:4: unknown field "workload2"; did you mean "workload"?`},
		{"workload: {arrival: constant, rate: 10, duration: 1s, timout: 1s}\n", `t.yaml:1: workload: unknown field "timout"; did you mean "timeout"?`},
		{"workload:\n  arrival: constant\n  rate: 10\n  duration: 1s\n  prompt: {tokenz: 5}\n", `t.yaml:5: workload.prompt: unknown field "tokenz"`},
		{"workload: {arrival: constant, rate: 10, duration: soon}\n", `t.yaml:1: workload.duration: want a duration with a unit, such as 500ms or 2s, got "soon"`},
		{"workload: {arrival: constant, rate: 10, duration: 1s, timeout: 5}\n", `workload.timeout: want a duration with a unit, such as 500ms or 2s, got "5"`},
		{"seed: 1.5\n" + strings.TrimPrefix(minimal, "\n"), `t.yaml:1: seed: want a whole number from 0 to 18446744073709551615, got "1.5"`},
		{"seed: 18446744073709551616\n" + strings.TrimPrefix(minimal, "\n"), `seed: want a whole number from 0 to 18446744073709551615, got "18446744073709551616"`},
		{"seed: -5\n" + strings.TrimPrefix(minimal, "\n"), `seed: want a whole number from 0 to`},
		{minimal + "repeat: 0\n", "repeat: must be at least 1 (got 0)"},
		{minimal + "providers: {a: {capacity: 64.5}}\n", `providers.a.capacity: want a whole number`},
		{minimal + "providers: {a: {output_tokens: 0}}\n", "providers.a.output_tokens: a response has 1 to 100000 tokens; this distribution's median is 0"},
		{minimal + "providers: {a: {output_tokens: 1e12}}\n", "providers.a.output_tokens: a response has 1 to 100000 tokens"},
		{minimal + "providers: {a: {capacity: 100000000}}\n", "providers.a.capacity: must be between 0 and 1000000"},
		{minimal + "pipeline: {messages: {conversations: 1000000000}}\n", "pipeline.messages.conversations: must be between 1 and 100000"},
		{minimal + "pipeline: {cache: {capacity: 1000000000000}}\n", "pipeline.cache.capacity: must be between 0 and 10000000"},
		{minimal + "pipeline: {workerpool: {limit: 2000000000}}\n", "pipeline.workerpool.limit: must be between 1 and 100000"},
		{minimal + "pipeline: {workerpool: {}}\nvariants: {workerpool: [\"fixed:2000000000\"]}\n", "the limit after the colon must be a number from 1 to 100000"},
		{"workload: {concurrency: 100000000, duration: 1s}\n", "workload.concurrency: at most 100000 users"},
		{"workload: {arrival: constant, rate: fast, duration: 1s, max_in_flight: lots}\n", `workload.rate: want a number, got "fast"`},
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
		{minimal + "providers:\n  a: {capacity: -1}\n", "t.yaml:5: providers.a.capacity: must be between 0 and 1000000 (got -1)"},
		{minimal + "providers:\n  a: {kind: grpc}\n", `t.yaml:5: providers.a.kind: unknown kind "grpc"`},
		{minimal + "providers:\n  a: {kind: openai, model: m}\n", "providers.a: base_url is required"},
		{minimal + "providers:\n  a: {kind: openai, base_url: localhost, model: m}\n", `providers.a.base_url: "localhost" must start with http://`},
		{minimal + "providers:\n  a: {kind: openai, base_url: http://x, model: m, ttft: 5ms}\n", `providers.a: unknown field "ttft"`},
		{minimal + "providers:\n  a: {}\n  b: {}\n", "pipeline.provider: name the provider to call (providers: a, b)"},
		{minimal + "pipeline: {provider: nope}\n", `t.yaml:4: pipeline.provider: no provider named "nope"`},
		{minimal + "pipeline: {cache: {impl: lru}}\n", `t.yaml:4: pipeline.cache.impl: unknown cache variant "lru" (known: seed, rwmutex, mutex, syncmap, sharded, lockfree)`},
		{minimal + "pipeline: {stream: {sender: pigeon}}\n", `pipeline.stream.sender: unknown sender variant "pigeon"`},
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
		{minimal + "thresholds: [\"error_rate < 200%\", \"throughput >= lots\"]\n", "want a percentage in [0%, 100%]"},
		{minimal + "thresholds: [\"throughput >= lots\"]\n", `"throughput >= lots": want a finite number, got "lots"`},
		{minimal + "thresholds: [\"rps > 1\"]\n", `metric "rps" is ambiguous and was replaced: use throughput`},
		{minimal + "thresholds: [\"goodptu > 1\"]\n", `unknown metric "goodptu"; did you mean "goodput"?`},
		{"workload: {arrival: constant, rate: .nan, duration: 1s}\n", "t.yaml:1: workload.rate: must be a finite number (got .nan)"},
		{"workload: {arrival: constant, rate: .inf, duration: 1s}\n", "t.yaml:1: workload.rate: must be a finite number (got .inf)"},
		{"workload: {arrival: constant, rate: 1e9, duration: 1s}\n", "beyond what one generator can schedule"},
		{"workload: {arrival: constant, rate: 1e-9, duration: 1s}\n", "the schedule sends 1e-09 requests in its measured 1s: nothing would be measured"},
		{minimal + "slo: {ttfb: 1s}\n", `slo: unknown field "ttfb"; did you mean "ttft"?`},
		{minimal + "slo: {}\n", "slo: sets no limit"},
		{minimal + "providers: {a: {faults: {rate_limit: .nan}}}\n", "providers.a.faults.rate_limit: must be a finite number"},
		{minimal + "providers: {a: {capacty: 3}}\n", `providers.a: unknown field "capacty"; did you mean "capacity"?`},
		{minimal + "thresholds: [\"ttft.p99 about 1s\"]\n", `is not "metric op value"`},
		{minimal + "thresholds: [{metric: \"throughput > 1\", variant: {cache: seed}}]\n", `thresholds[0].variant: "cache" is not a varied family`},
		{minimal + "repeat: -1\n", "repeat: must be at least 1"},
	}
	for _, c := range cases {
		_, err := Resolve([]byte(c.doc), "t.yaml", ".", Overrides{})
		if assert.Error(t, err, c.doc) {
			assert.Contains(t, err.Error(), c.want, c.doc)
			var se *spec.Error
			assert.ErrorAs(t, err, &se)
		}
	}
}

func TestTypeErrorsAreAllReportedWithTheirPaths(t *testing.T) {
	_, err := Resolve([]byte("workload: {arrival: constant, rate: fast, duration: 1s, timeout: -2s}\nproviders: {a: {capacity: many}}\nrepeat: x\n"), "t.yaml", ".", Overrides{})
	require.Error(t, err)
	for _, want := range []string{`t.yaml:1: workload.rate: want a number, got "fast"`, `t.yaml:2: providers.a.capacity: want a whole number`, `t.yaml:3: repeat: want a whole number`} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestMergeKeysAreFields(t *testing.T) {
	p := mustResolve(t, "x-load: &load {arrival: constant, rate: 10}\nworkload:\n  <<: *load\n  duration: 1s\n", Overrides{})
	assert.Equal(t, 10.0, p.Load.Rate)
	_, err := Resolve([]byte("x-load: &load {arrival: constant, rtae: 10}\nworkload:\n  <<: *load\n  duration: 1s\n"), "t.yaml", ".", Overrides{})
	assert.ErrorContains(t, err, `unknown field "rtae"`)
}

func TestParseReportsEveryProblem(t *testing.T) {
	_, err := Resolve([]byte("workload: {arrival: constant, duration: 1s}\npipeline: {cache: {impl: lru}}\n"), "t.yaml", ".", Overrides{})
	require.Error(t, err)
	lines := strings.Split(err.Error(), "\n")
	assert.Len(t, lines, 2)
	assert.True(t, strings.HasPrefix(lines[0], "t.yaml:1:"), lines[0])
	assert.True(t, strings.HasPrefix(lines[1], "t.yaml:2:"), lines[1])
}

func TestResolveGood(t *testing.T) {
	p := mustResolve(t, minimal, Overrides{})
	assert.Equal(t, "mock", p.Pipeline.Provider, "one provider is the default")
	assert.Equal(t, uint64(1), p.Seed)
	assert.Equal(t, 1, p.Repeat)
	assert.Equal(t, DefaultTimeout, p.Load.Timeout)
	assert.Equal(t, []Variant{{Name: "default", Params: map[string]string{}}}, p.Variants)
	assert.Equal(t, 10.0, p.Load.Offered())
	assert.Equal(t, time.Second, p.Load.Window())

	p = mustResolve(t, `
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
slo: {ttft: 200ms, e2e: 2s}
thresholds:
  - ttft.p99 < 800ms
  - {metric: "error_rate < 1%", variant: {cache: sharded}}
`, Overrides{})
	require.Len(t, p.Variants, 6)
	assert.Equal(t, "cache=seed/stream=seed", p.Variants[0].Name)
	assert.Equal(t, "cache=sharded/stream=safe", p.Variants[5].Name)
	assert.Equal(t, "a", p.Providers["a"].Model.Config().Name)
	assert.Equal(t, 0.01, p.Thresholds[1].Check.Value)
	assert.Equal(t, results.SLO{TTFT: 200 * time.Millisecond, E2E: 2 * time.Second}, p.SLO)
	assert.NotNil(t, p.Load.Think, "the think time is built once, here")

	list := mustResolve(t, minimal+`
pipeline: {cache: {}, stream: {}}
variants:
  - {cache: seed, stream: seed}
  - {cache: sharded, stream: safe}
`, Overrides{})
	assert.Equal(t, []string{"cache=seed/stream=seed", "cache=sharded/stream=safe"}, names(list.Variants))
}

func TestOverridesAreAppliedToTheSource(t *testing.T) {
	doc := "# a scenario\n" + minimal + "seed: 42\npipeline: {cache: {}, stream: {}}\nvariants: {cache: [seed, sharded], stream: [seed, safe]}\n"
	rate, d, seed, repeat := 50.0, 300*time.Millisecond, uint64(7), 3
	p := mustResolve(t, doc, Overrides{Rate: &rate, Duration: &d, Seed: &seed, Repeat: &repeat, Variants: []string{"stream=safe"}})
	assert.Equal(t, 50.0, p.Load.Rate)
	assert.Equal(t, d, p.Load.Duration)
	assert.Equal(t, uint64(7), p.Seed)
	assert.Equal(t, 3, p.Repeat)
	assert.Equal(t, []string{"cache=seed/stream=safe", "cache=sharded/stream=safe"}, names(p.Variants))
	src := string(p.Source)
	for _, want := range []string{"rate: 50", "duration: 300ms", "seed: 7", "repeat: 3", "stream: [safe]", "# a scenario",
		"llmbench: run with --rate 50 --duration 300ms --seed 7 --repeat 3 --variant stream=safe"} {
		assert.Contains(t, src, want)
	}
	again := mustResolve(t, src, Overrides{})
	assert.Equal(t, names(p.Variants), names(again.Variants), "the recorded source runs the same variants")
	assert.Equal(t, p.Load, again.Load)
	assert.NotEqual(t, digest([]byte(doc)), p.SourceHash)

	both := mustResolve(t, doc, Overrides{Variants: []string{"cache=sharded", "cache=seed", "stream=safe"}})
	assert.Equal(t, []string{"cache=sharded/stream=safe", "cache=seed/stream=safe"}, names(both.Variants), "two of one family: both run")

	list := minimal + "pipeline: {cache: {}, stream: {}}\nvariants:\n  - {cache: seed, stream: seed}\n  - {cache: sharded, stream: safe}\n"
	lp := mustResolve(t, list, Overrides{Variants: []string{"cache=sharded"}})
	assert.Equal(t, []string{"cache=sharded/stream=safe"}, names(lp.Variants))
}

func TestBadOverrides(t *testing.T) {
	nan, inf, huge, zero := mathNaN(), mathInf(), 1e9, 0.0
	neg, rep0 := -time.Second, 0
	base := minimal + "pipeline: {cache: {}}\n"
	for _, c := range []struct {
		o    Overrides
		want string
	}{
		{Overrides{Rate: &nan}, "rate NaN: must be a finite number"},
		{Overrides{Rate: &inf}, "rate +Inf: must be a finite number"},
		{Overrides{Rate: &zero}, "rate 0: must be a finite number of requests per second > 0"},
		{Overrides{Rate: &huge}, "rate 1e+09: beyond what one generator can schedule"},
		{Overrides{Duration: &neg}, "duration -1s: must be positive"},
		{Overrides{Repeat: &rep0}, "repeat 0: must be at least 1"},
		{Overrides{Variants: []string{"cache"}}, "want family=name"},
		{Overrides{Variants: []string{"cache=lru"}}, `unknown cache variant "lru"`},
		{Overrides{Variants: []string{"fanout=seed"}}, "has no fanout stage"},
		{Overrides{Variants: []string{"colour=red"}}, `unknown family "colour"`},
	} {
		_, err := Resolve([]byte(base), "t.yaml", ".", c.o)
		assert.ErrorContains(t, err, c.want)
		var oe *OverrideError
		assert.ErrorAs(t, err, &oe)
	}
	ramp := "workload: {arrival: ramp, stages: [{duration: 1s, rate: 5}]}\n"
	five := 5.0
	_, err := Resolve([]byte(ramp), "t.yaml", ".", Overrides{Rate: &five})
	assert.ErrorContains(t, err, "a ramp arrival has no single rate")
	_, err = Resolve([]byte(ramp), "t.yaml", ".", Overrides{Duration: &[]time.Duration{time.Second}[0]})
	assert.ErrorContains(t, err, "a ramp lasts as long as its stages")
}

// TestEveryFileIsReadFromTheScenariosFolder: every file reference a
// scenario can make resolves from its folder, wherever it is run from,
// and the plan records a digest of each.
func TestEveryFileIsReadFromTheScenariosFolder(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{"ttft.txt": "10ms\n20ms\n", "itl.txt": "1ms\n", "tokens.txt": "5\n", "think.txt": "5ms\n",
		"prompt.txt": "64\n", "turns.txt": "2\n", "mix.txt": "3ms\n"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644))
	}
	doc := `
providers:
  a:
    ttft: {dist: empirical, file: ttft.txt}
    itl: {dist: mixture, components: [{weight: 1, dist: empirical, file: mix.txt}, {weight: 1, dist: empirical, file: itl.txt}]}
    output_tokens: {dist: empirical, file: tokens.txt}
workload:
  concurrency: 2
  duration: 1s
  think_time: {dist: empirical, file: think.txt}
  prompt: {tokens: {dist: empirical, file: prompt.txt}, turns: {dist: empirical, file: turns.txt}}
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "s.yaml"), []byte(doc), 0o644))
	t.Chdir(t.TempDir())
	p, err := Open(filepath.Join(dir, "s.yaml"), Overrides{})
	require.NoError(t, err)
	var got []string
	for _, f := range p.Files {
		got = append(got, f.Path)
		assert.Len(t, f.SHA256, 64)
	}
	assert.Equal(t, []string{"itl.txt", "mix.txt", "prompt.txt", "think.txt", "tokens.txt", "ttft.txt", "turns.txt"}, got)
	assert.Equal(t, 5.0, p.Load.Think.Quantile(0.5)/1e6, "the think time from the file, in ms")

	// A rerun refuses files that changed or vanished since.
	r := &results.Results{Source: doc, SourceHash: digest([]byte(doc)), File: filepath.Join(dir, "s.yaml"), Dir: p.Dir, Files: p.Files}
	_, err = FromResults(r, "results.json", Overrides{})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "think.txt"), []byte("50ms\n"), 0o644))
	_, err = FromResults(r, "results.json", Overrides{})
	assert.ErrorContains(t, err, "think.txt, which has changed since the run")
	require.NoError(t, os.Remove(filepath.Join(dir, "think.txt")))
	_, err = FromResults(r, "results.json", Overrides{})
	assert.ErrorContains(t, err, "think.txt, which cannot be read now")
	r.Source += "# edited\n"
	_, err = FromResults(r, "results.json", Overrides{})
	assert.ErrorContains(t, err, "the recorded scenario (source) was edited since the run")
}

func TestSeedsComeFromOneFunction(t *testing.T) {
	p := mustResolve(t, minimal+"seed: 5\nproviders: {a: {}, b: {seed: 99}}\npipeline: {provider: a}\n", Overrides{})
	assert.Equal(t, p.SeedFor("arrivals", 0), p.SeedFor("arrivals", 0))
	assert.NotEqual(t, p.SeedFor("arrivals", 0), p.SeedFor("arrivals", 1), "repetitions differ")
	assert.NotEqual(t, p.SeedFor("arrivals", 0), p.SeedFor("prompts", 0), "streams differ")
	assert.NotEqual(t, p.Mock("a", 0).Config().Seed, p.Mock("b", 0).Config().Seed)
	q := mustResolve(t, minimal+"seed: 6\nproviders: {a: {}, b: {seed: 99}}\npipeline: {provider: a}\n", Overrides{})
	assert.NotEqual(t, p.Mock("a", 0).Config().Seed, q.Mock("a", 0).Config().Seed, "a mock without a seed follows the scenario's")
	assert.Equal(t, p.Mock("b", 0).Config().Seed, q.Mock("b", 0).Config().Seed, "a mock's own seed stands")
}

func mathNaN() float64 { z := 0.0; return z / z }
func mathInf() float64 { z := 0.0; return 1 / z }

var _ = strings.Contains
