package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmbench/llmbench/scenarios/results"
)

// serveMock starts llmbench mock serve on a free loopback port and returns
// its base URL; the server stops with the test.
func serveMock(t *testing.T, config string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"mock", "serve", "--config", config, "--addr", "127.0.0.1:0"}, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	go io.Copy(io.Discard, pr)
	m := regexp.MustCompile(`(http://\S+/v1)`).FindStringSubmatch(line)
	require.NotNil(t, m, line)
	t.Cleanup(func() { cancel(); <-done })
	return m[1]
}

// child runs llmbench in a process of its own.
func child(args string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LLMBENCH_CLI_ARGS="+args)
	return cmd
}

// TestSegmentsMergeIntoTheWholeSchedule runs a schedule as three segment
// processes against one mock server, merges them, and compares with the
// same schedule run by one process.
func TestSegmentsMergeIntoTheWholeSchedule(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "mock.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("name: m\nmodel: mock-gpt\ncapacity: 0\nttft: {dist: uniform, min: 2ms, max: 20ms}\nitl: 0s\noutput_tokens: 2\n"), 0o644))
	url := serveMock(t, cfg)
	scenario := filepath.Join(dir, "s.yaml")
	require.NoError(t, os.WriteFile(scenario, []byte(fmt.Sprintf(`name: seg
seed: 5
providers: {api: {kind: openai, base_url: %q, model: mock-gpt}}
workload: {arrival: poisson, rate: 150, duration: 1s, warmup: 200ms, timeout: 5s}
thresholds: ["requests < 120"]
`, url)), 0o644))

	var wg sync.WaitGroup
	outs := make([]string, 3)
	errs := make([]bytes.Buffer, 3)
	codes := make([]int, 3)
	for i := range 3 {
		outs[i] = filepath.Join(dir, fmt.Sprintf("seg%d", i+1))
		wg.Go(func() {
			cmd := child(fmt.Sprintf("run %s --segment %d/3 --out %s --quiet --no-floor", scenario, i+1, outs[i]))
			cmd.Stderr = &errs[i]
			_ = cmd.Run()
			codes[i] = cmd.ProcessState.ExitCode()
		})
	}
	wg.Wait()
	for i := range 3 {
		require.Equal(t, exitOK, codes[i], "segment %d: %s", i+1, errs[i].String())
	}
	whole := filepath.Join(dir, "whole")
	code, _, stderr := cli(t, "run", scenario, "--out", whole, "--quiet", "--no-floor")
	require.Equal(t, exitFailed, code, "the whole schedule fails requests < 120: %s", stderr)

	merged := filepath.Join(dir, "merged")
	code, out, stderr := cli(t, append([]string{"merge", "-o", merged}, outs...)...)
	assert.Equal(t, exitFailed, code, "a threshold that fails only on the merged data fails the merge: %s", stderr)
	assert.Contains(t, out, "FAIL  requests < 120")

	read := func(d string) *results.Results {
		r, err := results.Read(d)
		require.NoError(t, err)
		return r
	}
	m, w := read(merged), read(whole)
	mr, wr := m.Variants[0].Reps[0], w.Variants[0].Reps[0]
	assert.Equal(t, wr.Scheduled, mr.Scheduled, "together the segments schedule exactly the whole")
	assert.Greater(t, wr.Scheduled, int64(120))
	assert.Equal(t, 3, m.MergedFrom)

	// Each request index was sent once, by one segment, and the merged
	// sample covers exactly the indexes the single run measured.
	require.Equal(t, len(wr.Sample.E2E), len(mr.Sample.E2E))
	for k := range wr.Sample.E2E {
		assert.Equal(t, wr.Sample.E2E[k] == results.Absent, mr.Sample.E2E[k] == results.Absent, "index %d", k*int(wr.Sample.Stride))
	}
	var perSegment int64
	for _, o := range outs {
		r := read(o)
		assert.Equal(t, "seg", r.Scenario)
		perSegment += r.Variants[0].Reps[0].Scheduled
		assert.True(t, r.Variants[0].Thresholds[0].Passed, "each segment alone passes requests < 120")
	}
	assert.Equal(t, mr.Scheduled, perSegment)

	// The merged percentiles are those of the segments' histograms merged
	// in process.
	h := results.NewHist()
	for _, o := range outs {
		h.Merge(read(o).Variants[0].Reps[0].Histograms["e2e"].Histogram())
	}
	got := mr.Histograms["e2e"].Histogram()
	for _, q := range []float64{50, 90, 99, 100} {
		assert.Equal(t, h.ValueAtQuantile(q), got.ValueAtQuantile(q), "p%v", q)
	}

	// Refusals name what is wrong.
	for args, want := range map[string]string{
		strings.Join([]string{outs[0], outs[1]}, " "):          "segment 3/3 missing",
		strings.Join([]string{outs[0], outs[0], outs[2]}, " "): "is given twice",
		strings.Join([]string{outs[0], whole}, " "):            "not a segment",
	} {
		code, _, stderr := cli(t, append([]string{"merge", "-o", filepath.Join(dir, "x")}, strings.Fields(args)...)...)
		assert.Equal(t, exitBadInput, code, args)
		assert.Contains(t, stderr, want, args)
	}
	var doc map[string]any
	data, err := os.ReadFile(filepath.Join(outs[1], "results.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &doc))
	doc["source_hash"] = "0000"
	other := filepath.Join(dir, "other")
	require.NoError(t, os.Mkdir(other, 0o755))
	data, _ = json.Marshal(doc)
	require.NoError(t, os.WriteFile(filepath.Join(other, "results.json"), data, 0o644))
	code, _, stderr = cli(t, "merge", "-o", filepath.Join(dir, "y"), outs[0], other, outs[2])
	assert.Equal(t, exitBadInput, code)
	assert.Contains(t, stderr, "ran different scenarios")
}
