package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if args := os.Getenv("LLMBENCH_CLI_ARGS"); args != "" {
		// A child process: the real command line, with real signals.
		ctx, stop := notifyInterrupts()
		code := run(ctx, strings.Fields(args), os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	goleak.VerifyTestMain(m)
}

func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestRunWritesResults(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := cli(t, "run", "testdata/tiny.yaml", "--out", dir, "--repeat", "2")
	require.Equal(t, exitOK, code, errs)
	assert.Contains(t, out, "cache=seed")
	assert.Contains(t, out, "PASS  goroutines_leaked == 0")
	assert.Contains(t, out, "harness floor on this machine")
	assert.Contains(t, out, "Verdict")
	for _, f := range []string{"results.json", "results.txt"} {
		_, err := os.Stat(filepath.Join(dir, f))
		assert.NoError(t, err, f)
	}
	data, err := os.ReadFile(filepath.Join(dir, "results.txt"))
	require.NoError(t, err)
	assert.Equal(t, 4, strings.Count(string(data), "BenchmarkScenario/scenario=tiny/cache="), "2 variants × 2 repetitions")
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing.txt")
	require.NoError(t, os.WriteFile(existing, nil, 0o644))
	held := filepath.Join(dir, "held")
	require.NoError(t, os.Mkdir(held, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(held, "results.json"), []byte("{}"), 0o644))
	yamlNaN := filepath.Join(dir, "nan.yaml")
	require.NoError(t, os.WriteFile(yamlNaN, []byte("workload: {arrival: constant, rate: .nan, duration: 1s}\n"), 0o644))
	empty := filepath.Join(dir, "empty.json")
	require.NoError(t, os.WriteFile(empty, []byte("{}"), 0o644))
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"run", "testdata/bad.yaml"}, exitBadInput, `testdata/bad.yaml:7: pipeline.cache.impl: unknown cache variant "lru"`},
		{[]string{"run", "testdata/missing.yaml"}, exitBadInput, "no such file, and no ready scenario of that name (llmbench list shows them)"},
		{[]string{"run", "nosuchscenario"}, exitBadInput, "llmbench list"},
		{[]string{"run", "testdata/tiny.yaml", "--repeat", "0"}, exitBadInput, "--repeat 0: must be at least 1"},
		{[]string{"run", "testdata/tiny.yaml", "--variant", "cache"}, exitBadInput, "--variant cache: want family=name"},
		{[]string{"run", "testdata/tiny.yaml", "--variant", "cache=lru"}, exitBadInput, `unknown cache variant "lru"`},
		{[]string{"run", "testdata/tiny.yaml", "--duration", "-1s"}, exitBadInput, "--duration -1s: must be positive"},
		{[]string{"run", "testdata/tiny.yaml", "--rate", "NaN"}, exitBadInput, "--rate NaN: must be a finite number"},
		{[]string{"run", "testdata/tiny.yaml", "--rate", "Inf"}, exitBadInput, "--rate +Inf: must be a finite number"},
		{[]string{"run", "testdata/tiny.yaml", "--rate", "1e9"}, exitBadInput, "beyond what one generator can schedule"},
		{[]string{"run", "testdata/tiny.yaml", "--rate", "1e-9"}, exitBadInput, "nothing would be measured"},
		{[]string{"run", yamlNaN}, exitBadInput, "workload.rate: must be a finite number (got .nan)"},
		{[]string{"run", "testdata/tiny.yaml", "--out", existing}, exitBadInput, "exists and is not a directory"},
		{[]string{"run", "testdata/tiny.yaml", "--out", held}, exitBadInput, "already holds results (results.json); choose another directory, or pass --force"},
		{[]string{"run", empty}, exitBadInput, "not an llmbench results file"},
		{[]string{"run", "testdata/tiny.yaml", "--bogus"}, exitBadInput, "unknown flag: --bogus"},
		{[]string{"run"}, exitBadInput, "accepts 1 arg"},
		{[]string{"frobnicate"}, exitBadInput, `unknown command "frobnicate"`},
		{[]string{"validate", "testdata/bad.yaml"}, exitBadInput, "unknown cache variant"},
		{[]string{"validate", "testdata/tiny.yaml", "--rate", "-5"}, exitBadInput, "--rate -5: must be a finite number"},
		{[]string{"mock", "serve", "--config", "testdata/tiny.yaml"}, exitBadInput, `testdata/tiny.yaml:3: unknown field "providers"`},
		{[]string{"mock", "serve", "--addr", "256.0.0.1:1"}, exitBadInput, "--addr 256.0.0.1:1"},
		{[]string{"report", empty}, exitBadInput, "not an llmbench results file (no version or variants field)"},
		{[]string{"run", "testdata/tiny.yaml", "--segment", "0/3"}, exitBadInput, `--segment "0/3": the index i counts from 1 to n = 3`},
		{[]string{"run", "testdata/tiny.yaml", "--segment", "4/3"}, exitBadInput, `--segment "4/3": the index i counts from 1 to n = 3`},
		{[]string{"run", "testdata/tiny.yaml", "--segment", "1/0"}, exitBadInput, `--segment "1/0": the count n must be at least 1`},
		{[]string{"run", "testdata/tiny.yaml", "--segment", "half"}, exitBadInput, `--segment "half": want i/n, such as 1/3`},
		{[]string{"run", "testdata/tiny.yaml", "--start-at", "noon"}, exitBadInput, `--start-at "noon": want an RFC 3339 instant`},
		{[]string{"run", "testdata/tiny.yaml", "--metrics-addr", "256.0.0.1:1"}, exitBadInput, "--metrics-addr 256.0.0.1:1"},
		{[]string{"merge", "testdata/tiny.yaml"}, exitBadInput, "not a results.json file"},
		{[]string{"run", "testdata/tiny.yaml", "--out", filepath.Join(dir, "prof"), "--cpuprofile", existing}, exitBadInput, "the file exists; name another, or pass --force"},
		{[]string{"run", "testdata/tiny.yaml", "--out", filepath.Join(dir, "prof"), "--cpuprofile", filepath.Join(dir, "prof", "results.json")}, exitBadInput, "the run writes that file"},
		{[]string{"run", dir}, exitBadInput, "is a folder without a results.json"},
		{[]string{"run", "testdata/tiny.yaml", "--out", dir, "--variant", "cache=seed", "--quiet", "--no-floor"}, exitOK, ""},
	}
	for _, c := range cases {
		code, _, errs := cli(t, c.args...)
		assert.Equal(t, c.code, code, "%v: %s", c.args, errs)
		assert.Contains(t, errs, c.want, c.args)
		if c.code == exitBadInput && !strings.Contains(c.want, "unknown flag") && !strings.Contains(c.want, "arg") && !strings.Contains(c.want, "unknown command") {
			assert.NotContains(t, errs, "--help", "%v: only usage errors point to --help", c.args)
			assert.NotContains(t, errs, "goroutine ", "%v: no stack trace", c.args)
		}
	}
	_, err := os.Stat(filepath.Join(held, "results.txt"))
	assert.True(t, os.IsNotExist(err), "a refused --out is left as it was")
	_, err = os.Stat(filepath.Join(dir, "prof"))
	assert.True(t, os.IsNotExist(err), "an --out made for a run refused before it started is removed")
}

// TestRerunFromResults: llmbench run RESULTS.json runs the scenario as it
// ran, overrides included.
func TestRerunFromResults(t *testing.T) {
	first, second := t.TempDir(), t.TempDir()
	code, _, errs := cli(t, "run", "testdata/tiny.yaml", "--out", first, "--quiet", "--no-floor", "--rate", "50", "--seed", "9", "--variant", "cache=sharded")
	require.Equal(t, exitOK, code, errs)
	code, _, errs = cli(t, "run", filepath.Join(first, "results.json"), "--out", second, "--quiet", "--no-floor")
	require.Equal(t, exitOK, code, errs)
	read := func(dir string) (r struct {
		Source    string
		Seed      uint64
		Overrides []string
		Variants  []struct {
			Name string
			Reps []struct{ Scheduled int64 } `json:"repetitions"`
		}
	}) {
		data, err := os.ReadFile(filepath.Join(dir, "results.json"))
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(data, &r))
		return r
	}
	a, b := read(first), read(second)
	assert.Equal(t, a.Source, b.Source)
	assert.Contains(t, a.Source, "rate: 50")
	assert.Equal(t, uint64(9), b.Seed)
	assert.Equal(t, []string{"--rate 50", "--seed 9", "--variant cache=sharded"}, b.Overrides)
	require.Len(t, b.Variants, 1)
	assert.Equal(t, "cache=sharded", b.Variants[0].Name)
	assert.Equal(t, a.Variants[0].Reps[0].Scheduled, b.Variants[0].Reps[0].Scheduled)
}

// TestNothingMeasuredFails: a variant that measured no request fails the
// run (exit 1), whatever its thresholds say: nothing passes on nothing.
func TestNothingMeasuredFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "idle.yaml")
	// One user paced at 1/s: its requests are due at 0 s and 1 s, in the
	// warm-up, and the next, at 2 s, after the end.
	require.NoError(t, os.WriteFile(path, []byte("providers: {llm: {ttft: 1ms, itl: 0s, output_tokens: 1}}\n"+
		"workload: {concurrency: 1, rate: 1, warmup: 1500ms, duration: 400ms}\nthresholds: [goroutines_leaked == 0]\n"), 0o644))
	code, out, errs := cli(t, "run", path, "--out", t.TempDir(), "--no-floor")
	assert.Equal(t, exitFailed, code, errs)
	assert.Contains(t, errs, "nothing was measured for default")
	assert.NotContains(t, out, "e2e (ok)", "no latency row for what was not measured")
}

func TestThresholdFailureExitsOne(t *testing.T) {
	s, err := os.ReadFile("testdata/tiny.yaml")
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "fail.yaml")
	require.NoError(t, os.WriteFile(path, append(s, []byte("  - ttft.p50 < 1us\n")...), 0o644))
	code, out, errs := cli(t, "run", path, "--out", t.TempDir(), "--variant", "cache=sharded", "--no-floor")
	assert.Equal(t, exitFailed, code, errs)
	assert.Contains(t, out, "FAIL  ttft.p50 < 1us")
}

func TestValidateAndList(t *testing.T) {
	code, out, _ := cli(t, "validate", "testdata/tiny.yaml")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "ok: 2 variant(s) × 1 repetition(s), 300ms each, offered 100 requests/s")
	code, out, _ = cli(t, "validate", "quickstart")
	assert.Equal(t, exitOK, code, "ready scenarios by name")
	assert.Contains(t, out, "cache=sharded/stream=safe")
	code, out, _ = cli(t, "list")
	assert.Equal(t, exitOK, code)
	for _, want := range []string{"quickstart", "http-openai", "stream      stage stream:", "sender      stage stream:", "regex: seed", "singleflight", "timeafter", "goodput", "e2e_all"} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, "stream pool", "one vocabulary: the names --variant takes")
}

// TestInterruptWritesPartialResults runs llmbench in a child process, sends
// it SIGINT mid-run, and checks the exit code and the partial results.
func TestInterruptWritesPartialResults(t *testing.T) {
	dir := t.TempDir()
	// Without the floor's 0.6 s, 1.5 s is well into the run even on a
	// loaded machine.
	interrupted(t, "run testdata/slow.yaml --out "+dir+" --quiet --no-floor", 1500*time.Millisecond)
	data, err := os.ReadFile(filepath.Join(dir, "results.json"))
	require.NoError(t, err)
	var res struct {
		Partial  bool
		Variants []struct {
			Reps []struct {
				Scheduled int64
				Outcomes  map[string]int64
			} `json:"repetitions"`
		}
	}
	require.NoError(t, json.Unmarshal(data, &res))
	assert.True(t, res.Partial)
	r := res.Variants[0].Reps[0]
	var sum int64
	for _, n := range r.Outcomes {
		sum += n
	}
	assert.Positive(t, r.Scheduled)
	assert.Equal(t, r.Scheduled, sum, "every scheduled request is accounted for")
}

// interrupted runs llmbench with args in a child process, with real
// signals, sends it SIGINT after a while, and checks that it stops with
// exit code 130, saying so.
func interrupted(t *testing.T, args string, after time.Duration) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LLMBENCH_CLI_ARGS="+args)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	require.NoError(t, cmd.Start())
	time.Sleep(after)
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("llmbench %s did not stop after SIGINT", args)
	}
	assert.Equal(t, exitInterrupted, cmd.ProcessState.ExitCode(), errb.String())
	assert.Contains(t, errb.String(), "interrupted")
}

// TestMockServe starts llmbench mock serve on a free port, streams one
// answer with curl's request, and stops it with its context.
func TestMockServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"mock", "serve", "--addr", "127.0.0.1:0"}, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	go io.Copy(io.Discard, pr)
	m := regexp.MustCompile(`http://(\S+)/v1`).FindStringSubmatch(line)
	require.NotNil(t, m, line)
	resp, err := http.Post("http://"+m[1]+"/v1/chat/completions", "application/json",
		strings.NewReader(`{"model":"mock-gpt","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	assert.True(t, strings.HasSuffix(string(body), "data: [DONE]\n\n"), "a valid SSE stream ending in [DONE]")
	cancel()
	assert.Equal(t, exitOK, <-done)
}

func TestCompareAndGateExitCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, ns float64) string {
		var b strings.Builder
		b.WriteString("goos: linux\ncpu: test\n")
		for i := range 10 {
			fmt.Fprintf(&b, "BenchmarkX-2\t100\t%.1f ns/op\t3 allocs/op\n", ns+float64(i%3))
		}
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
		return path
	}
	base, same, slow := write("base.txt", 100), write("same.txt", 100), write("slow.txt", 130)
	bad := filepath.Join(dir, "bad.txt")
	require.NoError(t, os.WriteFile(bad, []byte("BenchmarkX 10 5 ns/op\nBenchmarkX 10 lots ns/op\n"), 0o644))

	code, out, errs := cli(t, "compare", base, slow)
	assert.Equal(t, exitOK, code, errs)
	assert.Contains(t, out, "+29.70%")
	code, _, errs = cli(t, "compare", bad)
	assert.Equal(t, exitBadInput, code)
	assert.Contains(t, errs, "bad.txt:2:")
	code, _, errs = cli(t, "compare", base, "--format", "yaml")
	assert.Equal(t, exitBadInput, code, errs)

	code, out, _ = cli(t, "gate", "--baseline", base, "--candidate", same)
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "gate: PASS")
	code, out, _ = cli(t, "gate", "--baseline", base, "--candidate", slow)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, out, "BenchmarkX-2")
	code, _, errs = cli(t, "gate", "--baseline", base, "--candidate", slow, "--min-samples", "20")
	assert.Equal(t, exitBadInput, code)
	assert.Contains(t, errs, "the gate needs at least 20 on each side")
	code, _, errs = cli(t, "gate", "--baseline", base, "--candidate", bad)
	assert.Equal(t, exitBadInput, code)
	assert.Contains(t, errs, "bad.txt:2:")
	code, _, errs = cli(t, "gate", "--baseline", base)
	assert.Equal(t, exitBadInput, code)
	assert.Contains(t, errs, "give --baseline and --candidate, or --base-ref")
	code, _, errs = cli(t, "gate", "--baseline", base, "--candidate", slow, "--threshold", "lots")
	assert.Equal(t, exitBadInput, code)
	assert.Contains(t, errs, "--threshold")
}

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	code, _, errs := cli(t, "run", "testdata/tiny.yaml", "--out", dir, "--quiet", "--report", "--no-floor")
	require.Equal(t, exitOK, code, errs)
	_, err := os.Stat(filepath.Join(dir, "report.html"))
	require.NoError(t, err)
	hgrm := filepath.Join(dir, "hgrm")
	code, _, errs = cli(t, "report", dir, "-o", filepath.Join(dir, "again.html"), "--hgrm", hgrm)
	require.Equal(t, exitOK, code, errs)
	files, _ := os.ReadDir(hgrm)
	assert.NotEmpty(t, files)
	code, _, errs = cli(t, "report", filepath.Join(dir, "missing"))
	assert.Equal(t, exitBadInput, code)
	assert.Contains(t, errs, "no such file")
	code, _, errs = cli(t, "report", "testdata/tiny.yaml")
	assert.Equal(t, exitBadInput, code)
	assert.Contains(t, errs, "not a results.json file")

	// Both outputs are checked before either is written.
	blocked := filepath.Join(dir, "blocked")
	require.NoError(t, os.WriteFile(blocked, nil, 0o644))
	out := filepath.Join(dir, "third.html")
	code, _, errs = cli(t, "report", dir, "-o", filepath.Join(dir, "results.json"))
	assert.Equal(t, exitBadInput, code)
	assert.Contains(t, errs, "that is the results being read")
	code, _, errs = cli(t, "report", dir, "-o", filepath.Join(dir, "results.txt"))
	assert.Equal(t, exitBadInput, code)
	assert.Contains(t, errs, "the file exists and is not an HTML report")
	code, _, errs = cli(t, "report", dir, "-o", out, "--hgrm", filepath.Join(blocked, "hgrm"))
	assert.Equal(t, exitBadInput, code)
	assert.Contains(t, errs, "--hgrm")
	_, err = os.Stat(out)
	assert.True(t, os.IsNotExist(err), "no report.html written when --hgrm cannot be")

	// A histogram with a negative bucket is named, not a panic.
	data, err := os.ReadFile(filepath.Join(dir, "results.json"))
	require.NoError(t, err)
	bad := regexp.MustCompile(`"counts":\[\[\d+,`).ReplaceAll(data, []byte(`"counts":[[-7,`))
	badPath := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(badPath, bad, 0o644))
	code, _, errs = cli(t, "report", badPath)
	assert.Equal(t, exitBadInput, code)
	assert.Regexp(t, `variants\[0\]\.repetitions\[0\]\.histograms\.\w+: counts\[0\]: bucket -7 outside`, errs)
}

// TestEveryRequestFailingFailsTheRun: a run in which no request succeeded
// exits 1 and says why, with the first error of each kind.
func TestEveryRequestFailingFailsTheRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "down.yaml")
	require.NoError(t, os.WriteFile(path, []byte("providers: {api: {kind: openai, base_url: \"http://127.0.0.1:1/v1\", model: m}}\n"+
		"workload: {arrival: constant, rate: 20, duration: 300ms, timeout: 2s}\n"), 0o644))
	code, out, errs := cli(t, "run", path, "--out", t.TempDir(), "--no-floor")
	assert.Equal(t, exitFailed, code, errs)
	assert.Contains(t, errs, "no request succeeded")
	assert.Contains(t, errs, "connection refused")
	assert.Contains(t, out, "error other")
}

// TestSecondInterruptStopsNow: the first SIGINT says how long requests in
// flight may still take; a second cancels them at once.
func TestSecondInterruptStopsNow(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hang.yaml")
	require.NoError(t, os.WriteFile(path, []byte("providers: {llm: {ttft: 1m, itl: 0s, output_tokens: 1}}\n"+
		"workload: {arrival: constant, rate: 20, duration: 30s, timeout: 2m}\n"), 0o644))
	cmd := child("run " + path + " --out " + filepath.Join(dir, "out") + " --no-floor")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	require.NoError(t, cmd.Start())
	time.Sleep(700 * time.Millisecond)
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	time.Sleep(300 * time.Millisecond)
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(8 * time.Second): // the grace is 10 s: only the second signal ends it sooner
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("the second interrupt did not stop the run: %s", errb.String())
	}
	assert.Equal(t, exitInterrupted, cmd.ProcessState.ExitCode(), errb.String())
	assert.Contains(t, errb.String(), "those in flight get up to 10s to finish (interrupt again to stop them now)")
	_, err := os.Stat(filepath.Join(dir, "out", "results.json"))
	assert.NoError(t, err, "partial results written")
}
