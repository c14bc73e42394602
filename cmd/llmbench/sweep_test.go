package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSweepCommand: a sweep of two pool sizes (20/s and 40/s) on a
// virtual clock prints its steps and table, writes its files, and what it
// writes feeds compare, and run repeats a step.
func TestSweepCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	synctest.Test(t, func(t *testing.T) {
		code, out, errs := cli(t, "sweep", "testdata/sweep.yaml", "--out", dir, "--no-floor", "--report")
		require.Equal(t, exitOK, code, errs)
		assert.Contains(t, errs, "llmbench sweep: sweep: 2 variant(s), rate from 10/s")
		assert.Regexp(t, `step  1  ramp +10/s  workerpool=fixed:2 pass; workerpool=fixed:4 pass;`, errs)
		assert.Regexp(t, `workerpool=fixed:2 FAIL 1/1 \(`, errs)
		assert.Regexp(t, `workerpool=fixed:2 +│ (1[7-9]|2[0-3])(\.\d+)?/s`, out, "about 20/s")
		assert.Regexp(t, `workerpool=fixed:4 +│ (3[4-9]|4[0-6])(\.\d+)?/s`, out, "about 40/s")
	})
	for _, f := range []string{"sweep.json", "results.txt", "report.html", "steps/01-offered=10/results.json", "steps/01-offered=10/results.txt"} {
		_, err := os.Stat(filepath.Join(dir, f))
		assert.NoError(t, err, f)
	}
	code, out, errs := cli(t, "compare", "--col", "/workerpool", "--filter", ".unit:capacity-req/s", filepath.Join(dir, "results.txt"))
	assert.Equal(t, exitOK, code, errs)
	assert.Contains(t, out, "capacity-req/s")
	assert.Regexp(t, `│ fixed:2 │ fixed:4 │`, out, "the variants side by side")

	synctest.Test(t, func(t *testing.T) {
		code, _, errs := cli(t, "run", filepath.Join(dir, "steps/01-offered=10/results.json"), "--out", filepath.Join(t.TempDir(), "rerun"), "--quiet", "--no-floor")
		assert.Equal(t, exitOK, code, "a step repeats with llmbench run: %s", errs)
	})
	code, _, errs = cli(t, "sweep", "testdata/sweep.yaml", "--out", dir, "--no-floor")
	assert.Equal(t, exitBadInput, code)
	assert.Contains(t, errs, "already holds a sweep (sweep.json); choose another directory, or pass --force")

	// llmbench report draws a sweep's folder as its curves, a step as a run.
	page := filepath.Join(t.TempDir(), "curves.html")
	code, _, errs = cli(t, "report", dir, "-o", page)
	require.Equal(t, exitOK, code, errs)
	html, err := os.ReadFile(page)
	require.NoError(t, err)
	assert.Contains(t, string(html), `id="curves"`)
	code, _, errs = cli(t, "report", filepath.Join(dir, "steps", "01-offered=10"), "-o", filepath.Join(t.TempDir(), "step.html"))
	assert.Equal(t, exitOK, code, errs)
	code, _, errs = cli(t, "report", dir, "--hgrm", t.TempDir())
	assert.Equal(t, exitBadInput, code)
	assert.Contains(t, errs, "a sweep keeps its histograms in its steps")
}

// TestSweepUsers: a closed-loop sweep over users reports capacity in
// users and as throughput.
func TestSweepUsers(t *testing.T) {
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		code, out, errs := cli(t, "sweep", "testdata/sweep.yaml", "--concurrency", "--variant", "workerpool=fixed:4", "--slo", "e2e.p99 < 150ms",
			"--to", "16", "--precision", "10%", "--out", dir, "--no-floor", "--quiet")
		require.Equal(t, exitOK, code, errs)
		assert.Empty(t, out, "--quiet: no table")
	})
	data, err := os.ReadFile(filepath.Join(dir, "results.txt"))
	require.NoError(t, err)
	assert.Regexp(t, `BenchmarkSweep/scenario=sweep/workerpool=fixed:4(-\d+)?\t1\t4 capacity-users\t(3[89]|4[01])(\.\d+)? capacity-req/s`, string(data),
		"4 users, each served in 100 ms: 40/s")
	assert.Contains(t, string(data), "/users=5")
}

func TestSweepBadInput(t *testing.T) {
	held := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(held, "sweep.json"), []byte("{}"), 0o644))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--slo", "ttft.p42 < 1s"}, `--slo "ttft.p42 < 1s": unknown metric "ttft.p42"`},
		{[]string{"--from", "100", "--to", "50"}, "--to 50: must be above from (100)"},
		{[]string{"--precision", "0%"}, "--precision 0%: must be above 0% and at most 100%"},
		{[]string{"--precision", "-5%"}, "--precision -5%: must be above 0%"},
		{[]string{"--precision", "5"}, "--precision 5: a bare number is ambiguous"},
		{[]string{"--from", "NaN"}, "--from NaN: must be a finite number above 0"},
		{[]string{"--to", "Inf"}, "--to +Inf: must be a finite number above 0"},
		{[]string{"--from", "1"}, "--from 1: a step of 2s measures 2 requests; at least 20 are needed"},
		{[]string{"--step-duration", "-1s"}, "--step-duration -1s: must be positive"},
		{[]string{"--repeat", "0"}, "--repeat 0: must be at least 1"},
		{[]string{"--concurrency", "--from", "2.5"}, "--from 2.5: a number of users is a whole number"},
		{[]string{"--out", held}, "already holds a sweep"},
	} {
		code, _, errs := cli(t, append([]string{"sweep", "testdata/sweep.yaml", "--no-floor"}, c.args...)...)
		assert.Equal(t, exitBadInput, code, "%v: %s", c.args, errs)
		assert.Contains(t, errs, c.want, c.args)
		assert.NotContains(t, errs, "--help", c.args)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"sweep", "testdata/tiny.yaml", "--concurrency"}, "a closed loop is never saturated: its latency grows instead"},
		{[]string{"sweep", "cache-contention"}, "the scenario is a closed loop of 64 users: sweep its users with --concurrency"},
		{[]string{"sweep", "testdata/nosuch.yaml"}, "no such file, and no ready scenario of that name"},
	} {
		code, _, errs := cli(t, append(c.args, "--no-floor")...)
		assert.Equal(t, exitBadInput, code, "%v: %s", c.args, errs)
		assert.Contains(t, errs, c.want, c.args)
	}
}

// TestSweepInterrupt sends SIGINT to a sweep in a child process: exit 130,
// and the steps done are written, marked partial.
func TestSweepInterrupt(t *testing.T) {
	dir := t.TempDir()
	// Steps of 0.5 s (25 requests) and their drains: 1.5 s is past the first.
	interrupted(t, "sweep testdata/slow.yaml --step-duration 500ms --out "+dir+" --quiet --no-floor", 1500*time.Millisecond)
	data, err := os.ReadFile(filepath.Join(dir, "sweep.json"))
	require.NoError(t, err)
	var sw struct {
		Partial bool
		Steps   []struct {
			Partial bool
			Results string
		}
	}
	require.NoError(t, json.Unmarshal(data, &sw))
	assert.True(t, sw.Partial)
	require.NotEmpty(t, sw.Steps)
	assert.False(t, sw.Steps[0].Partial, "the first step was done")
	_, err = os.Stat(filepath.Join(dir, sw.Steps[0].Results))
	assert.NoError(t, err, "its results are written")
}
