package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Problems found by trying llmbench as a new user, then with bad input on
// purpose; each test fails without its fix.

func TestMockUnknownSubcommandExitsTwo(t *testing.T) {
	code, _, errs := cli(t, "mock", "srve")
	assert.Equal(t, exitBadInput, code, errs)
	assert.Contains(t, errs, `unknown command "srve" for "llmbench mock"`)
	code, out, errs := cli(t, "mock")
	assert.Equal(t, exitOK, code, errs)
	assert.Contains(t, out, "serve", "llmbench mock alone prints its help")
}

func TestListenIsLoopbackUnlessTheHostSaysOtherwise(t *testing.T) {
	for _, addr := range []string{":0", "127.0.0.1:0"} {
		ln, err := listen("--addr", addr)
		require.NoError(t, err, addr)
		ip := ln.Addr().(*net.TCPAddr).IP
		assert.True(t, ip.IsLoopback(), "%s listened on %s, beyond this machine", addr, ln.Addr())
		require.NoError(t, ln.Close())
	}
	// Bounded: without the check, the server would serve until stopped.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	code := run(ctx, []string{"mock", "serve", "--addr", ""}, &out, &errb)
	assert.Equal(t, exitBadInput, code, "mock serve --addr \"\" served on %s", out.String())
	assert.Contains(t, errb.String(), `--addr "": give host:port`)
	code, _, errs := cli(t, "run", "testdata/tiny.yaml", "--metrics-addr", "9464", "--out", t.TempDir())
	assert.Equal(t, exitBadInput, code, errs)
	assert.Contains(t, errs, "--metrics-addr 9464: missing port in address; give host:port")
}

// TestForceLeavesNothingStale: results replaced with --force took the
// place of the old ones, but the old report.html (run, merge) and the old
// sweep's steps beyond the new one's stayed, read as the new results'.
func TestForceLeavesNothingStale(t *testing.T) {
	dir := t.TempDir()
	code, _, errs := cli(t, "run", "testdata/tiny.yaml", "--out", dir, "--quiet", "--no-floor", "--report")
	require.Equal(t, exitOK, code, errs)
	require.FileExists(t, filepath.Join(dir, "report.html"))
	code, _, errs = cli(t, "run", "testdata/tiny.yaml", "--out", dir, "--quiet", "--no-floor", "--force")
	require.Equal(t, exitOK, code, errs)
	assert.NoFileExists(t, filepath.Join(dir, "report.html"), "the report of the replaced results")
	assert.FileExists(t, filepath.Join(dir, "results.json"))

	sw := t.TempDir()
	old := filepath.Join(sw, "steps", "07-offered=6400")
	require.NoError(t, os.MkdirAll(old, 0o755))
	keep := filepath.Join(sw, "steps", "notes.txt")
	for _, f := range []string{filepath.Join(sw, "sweep.json"), filepath.Join(sw, "report.html"), filepath.Join(old, "results.json"), keep} {
		require.NoError(t, os.WriteFile(f, []byte("{}"), 0o644))
	}
	code, _, errs = cli(t, "sweep", "testdata/tiny.yaml", "--out", sw, "--quiet", "--no-floor", "--from", "100", "--to", "150", "--step-duration", "300ms", "--force")
	require.Equal(t, exitOK, code, errs)
	assert.NoDirExists(t, old, "a step of the replaced sweep")
	assert.NoFileExists(t, filepath.Join(sw, "report.html"), "the replaced sweep's report")
	assert.FileExists(t, keep, "what the sweep did not write stays")
	assert.DirExists(t, filepath.Join(sw, "steps", "01-offered=100"))
}

// TestCompareTakesARunsFolder: compare and gate said "q0:0: read q0: is a
// directory" for a run's folder, which run and report take; "no
// benchmark results" for its results.json; and a --col key that no
// benchmark has printed one column "all", a comparison of nothing.
func TestCompareTakesARunsFolder(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	require.NoError(t, os.Mkdir(run, 0o755))
	benchFile(t, run, "results.txt", "BenchmarkScenario/cache=seed", 3, 10, "ns/op", -1)
	require.NoError(t, os.WriteFile(filepath.Join(run, "results.json"), []byte(`{"version": 2}`), 0o644))
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.Mkdir(empty, 0o755))

	code, out, errs := cli(t, "compare", run)
	assert.Equal(t, exitOK, code, errs)
	assert.Contains(t, out, "run/results.txt")
	_, _, errs = cli(t, "gate", "--baseline", run, "--candidate", run, "--min-samples", "4")
	assert.NotContains(t, errs, "is a directory")

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"compare", empty}, "empty is a folder without a results.txt"},
		{[]string{"gate", "--baseline", empty, "--candidate", run}, "empty is a folder without a results.txt"},
		{[]string{"compare", filepath.Join(run, "results.json")}, "compare and gate read the Go benchmark format; the same results are in " + filepath.Join(run, "results.txt")},
		{[]string{"compare", run, "--col", "/cahce"}, `--col /cahce: no benchmark has the key "cahce"; the benchmarks' keys: /cache`},
		{[]string{"compare", run, "--row", "/impl@num"}, `--row /impl@num: no benchmark has the key "impl"`},
	} {
		code, _, errs := cli(t, c.args...)
		assert.Equal(t, exitBadInput, code, "%v: %s", c.args, errs)
		assert.Contains(t, errs, c.want, c.args)
	}
	code, _, errs = cli(t, "compare", run, "--col", "/cache")
	assert.Equal(t, exitOK, code, errs)
}

// TestMergeNamesAllowPartial: refusing a mix of interrupted and complete
// segments, merge said "allow partial segments to merge anyway" without
// naming the flag that does.
func TestMergeNamesAllowPartial(t *testing.T) {
	dir := t.TempDir()
	segs := []string{filepath.Join(dir, "s1"), filepath.Join(dir, "s2")}
	for i, s := range segs {
		code, _, errs := cli(t, "run", "testdata/tiny.yaml", "--segment", fmt.Sprintf("%d/2", i+1), "--out", s, "--quiet", "--no-floor")
		require.Equal(t, exitOK, code, errs)
	}
	// Segment 2 as an interrupted run writes it.
	path := filepath.Join(segs[1], "results.json")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(data, &doc))
	doc["partial"] = true
	data, err = json.Marshal(doc)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data, 0o644))

	code, _, errs := cli(t, "merge", segs[0], segs[1], "-o", filepath.Join(dir, "m"), "--quiet")
	assert.Equal(t, exitBadInput, code, errs)
	assert.Contains(t, errs, "s2 interrupted (partial) and "+segs[0]+" complete: the merge would not be one schedule; pass --allow-partial to merge them anyway")
	code, _, errs = cli(t, "merge", segs[0], segs[1], "-o", filepath.Join(dir, "m"), "--quiet", "--allow-partial")
	assert.Equal(t, exitOK, code, errs)
}

// TestInterruptEndsACommandThatDoesNotWatchIt: validate of a FIFO that
// nobody writes blocks in open(2); the interrupt handler only cancelled a
// context validate never reads, so Ctrl-C and SIGTERM did nothing.
func TestInterruptEndsACommandThatDoesNotWatchIt(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "s.yaml")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	cmd := child("validate " + fifo)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	require.NoError(t, cmd.Start())
	time.Sleep(300 * time.Millisecond)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("llmbench validate of a FIFO did not stop on SIGTERM: %s", errb.String())
	}
	assert.Equal(t, exitInterrupted, cmd.ProcessState.ExitCode(), errb.String())
}

// TestValidateSaysWhatASegmentSends: validate --segment 3/3 printed the
// whole schedule's rate as the segment's.
func TestValidateSaysWhatASegmentSends(t *testing.T) {
	code, out, errs := cli(t, "validate", "testdata/tiny.yaml", "--segment", "3/3")
	require.Equal(t, exitOK, code, errs)
	assert.Contains(t, out, "offered 100 requests/s; segment 3/3 sends 1 in 3 of them (about 33.3/s)")
}

// TestStartAtInThePast: a --start-at already past ran at once, each
// repetition out of step with the other segments ("started 60574h after
// its slot"), exit 0; a start to come waited without a word.
func TestStartAtInThePast(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	code, _, errs := cli(t, "run", "testdata/tiny.yaml", "--start-at", "2020-01-01T00:00:00Z", "--out", out, "--no-floor", "--quiet")
	assert.Equal(t, exitBadInput, code, errs)
	assert.Contains(t, errs, "--start-at 2020-01-01T00:00:00Z: that was ")
	assert.Contains(t, errs, "ago; segments start in step only at an instant still to come")
	assert.NoDirExists(t, out, "refused before it started")

	// A start to come is announced; the interrupt ends the wait.
	ctx, cancel := context.WithCancel(context.Background())
	defer time.AfterFunc(time.Second, cancel).Stop()
	var errb bytes.Buffer
	at := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	code = run(ctx, []string{"run", "testdata/tiny.yaml", "--start-at", at, "--out", out, "--no-floor"}, io.Discard, &errb)
	assert.Equal(t, exitInterrupted, code, errb.String())
	assert.Contains(t, errb.String(), "llmbench: waiting for --start-at "+at+" (in ") // 59m59s or 1h0m0s, by rounding
}

// TestGateCandidateEnvIsChecked: --candidate-env FOO (no =) was accepted,
// and the A/B run built both sides and ran 20 rounds before anything
// else was said.
func TestGateCandidateEnvIsChecked(t *testing.T) {
	dir := t.TempDir()
	a := benchFile(t, dir, "a.txt", "BenchmarkX", 10, 100, "ns/op", -1)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Second)
	defer cancel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"gate", "--base-ref", "HEAD", "--candidate-env", "FOO", "--", "-bench", "X"}, `--candidate-env "FOO": want KEY=VALUE`},
		{[]string{"gate", "--base-ref", "HEAD", "--candidate-env", "=1", "--", "-bench", "X"}, `--candidate-env "=1": want KEY=VALUE`},
		{[]string{"gate", "--baseline", a, "--candidate", a, "--candidate-env", "K=V"}, "--candidate-env sets the environment of the benchmarks --base-ref runs"},
	} {
		// Bounded: without the check, the A/B cases build and run.
		var out, errb bytes.Buffer
		code := run(ctx, c.args, &out, &errb)
		assert.Equal(t, exitBadInput, code, "%v: %s", c.args, errb.String())
		assert.Contains(t, errb.String(), c.want, c.args)
	}
}

// TestMergeIntoASegmentIsRefused: merge s1 s2 -o s1 --force replaced
// segment 1's results with the merge, an input lost.
func TestMergeIntoASegmentIsRefused(t *testing.T) {
	dir := t.TempDir()
	s1 := filepath.Join(dir, "s1")
	code, _, errs := cli(t, "run", "testdata/tiny.yaml", "--segment", "1/1", "--out", s1, "--quiet", "--no-floor")
	require.Equal(t, exitOK, code, errs)
	before, err := os.ReadFile(filepath.Join(s1, "results.json"))
	require.NoError(t, err)
	for _, out := range []string{s1, s1 + "/", filepath.Join(dir, ".", "s1")} {
		code, _, errs = cli(t, "merge", filepath.Join(s1, "results.json"), "-o", out, "--force", "--quiet")
		assert.Equal(t, exitBadInput, code, errs)
		assert.Contains(t, errs, "an input of the merge; name another directory")
	}
	after, err := os.ReadFile(filepath.Join(s1, "results.json"))
	require.NoError(t, err)
	assert.Equal(t, before, after, "the segment is kept")
}

// With --quiet and port 0, the metrics line is the only way to find the
// endpoint: it is printed all the same.
func TestQuietRunStillSaysWhereItsMetricsAre(t *testing.T) {
	code, _, errs := cli(t, "run", "testdata/tiny.yaml", "--metrics-addr", "127.0.0.1:0", "--quiet", "--no-floor", "--out", filepath.Join(t.TempDir(), "out"))
	require.Equal(t, exitOK, code, errs)
	assert.Regexp(t, `llmbench: live metrics on http://127\.0\.0\.1:[1-9][0-9]*/metrics`, errs)
}
