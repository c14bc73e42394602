package results

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/perf/benchfmt"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// sample is a small, valid result: one variant, one repetition.
func sample() *Results {
	h := NewHist()
	for _, v := range []int64{10e6, 20e6, 30e6} {
		h.RecordValue(v)
	}
	return &Results{Version: Version, Scenario: "s", Source: "name: s\n", Env: Environment{GOMAXPROCS: 2},
		Variants: []VariantResult{{Name: "cache=seed", Params: map[string]string{"cache": "seed"}, Reps: []RepResult{{
			Rep: 1, Offered: 100, Window: time.Second, Scheduled: 4, Sent: 3, SendSpan: time.Second, Span: 1100 * time.Millisecond,
			Outcomes: Outcomes{OK: 3, Dropped: 1}, Good: 2, Histograms: map[string]Hist{"e2e": HistOf(h)},
		}}}}}
}

func TestMetricsOfARepetition(t *testing.T) {
	s := sample().Variants[0].Summary()
	for name, want := range map[string]float64{
		"offered_rate": 4, "sent_rate": 3, "throughput": 3 / 1.1, "goodput": 2 / 1.1, "error_rate": 0.25, "drop_rate": 0.25,
		"requests": 4, "ok": 3, "dropped": 1,
	} {
		v, ok := s.Metric(name)
		require.True(t, ok, name)
		assert.InDelta(t, want, v, 1e-9, name)
	}
	for _, name := range []string{"ttft.p50", "itl.p99", "cache_hit_ratio", "e2e_failed.max"} {
		_, ok := s.Metric(name)
		assert.False(t, ok, "%s: nothing measured, so absent (not 0)", name)
	}
	v, _ := s.Metric("e2e_all.p50")
	assert.InDelta(t, 0.020, v, 0.0001, "e2e_all merges successes and failures")
}

func TestBenchfmtLeavesOutWhatWasNotMeasured(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, sample().WriteBenchfmt(&buf))
	out := buf.String()
	assert.Contains(t, out, "Unit offered-req/s better=higher")
	assert.Contains(t, out, "BenchmarkScenario/scenario=s/cache=seed-2\t4\t")
	assert.Contains(t, out, " req/s")
	assert.NotContains(t, out, "ttft-p50-ns\t", "no streamed answer: no TTFT figure")
	r := benchfmt.NewReader(strings.NewReader(out), "results.txt")
	n := 0
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.Result:
			n++
			_, ok := rec.Value("ttft-p50-sec")
			assert.False(t, ok)
			v, ok := rec.Value("goodput-req/s")
			assert.True(t, ok)
			assert.InDelta(t, 2/1.1, v, 1e-4)
		case *benchfmt.SyntaxError:
			t.Fatal(rec)
		}
	}
	assert.Equal(t, 1, n)
}

func TestReadRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	good, err := json.Marshal(sample())
	require.NoError(t, err)
	write := func(text string) string {
		p := filepath.Join(dir, "r.json")
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
		return p
	}
	_, err = Read(write(string(good)))
	require.NoError(t, err)
	for text, want := range map[string]string{
		`{}`:                             "not an llmbench results file",
		`[1, 2]`:                         "not a results.json file",
		`{"version": 1, "variants": []}`: "results version 1; this llmbench reads version 2",
		strings.Replace(string(good), `"scenario":"s"`, `"scenario":"s","colour":1`, 1): `unknown field "colour"`,
		badBucket(good): "histograms.e2e: counts[0]: bucket -1 outside",
		strings.Replace(string(good), `"scheduled":4`, `"scheduled":5`, 1):      "outcomes: add up to 4, but 5 requests were scheduled",
		strings.Replace(string(good), `"ok":3`, `"ok":-3`, 1):                   "negative count",
		strings.Replace(string(good), `"e2e":{`, `"e3e":{`, 1):                  `unknown histogram "e3e"`,
		strings.Replace(string(good), `"scheduled":4`, `"scheduled":"four"`, 1): "want int64",
	} {
		_, err := Read(write(text))
		assert.ErrorContains(t, err, want, text)
		var re *ReadError
		assert.ErrorAs(t, err, &re)
	}
	_, err = Read(filepath.Join(dir, "missing.json"))
	assert.ErrorContains(t, err, "no such file")
}

// badBucket is the good file with its first histogram bucket made -1.
func badBucket(good []byte) string {
	s := string(good)
	i := strings.Index(s, `"counts":[[`) + len(`"counts":[[`)
	j := strings.Index(s[i:], ",")
	return s[:i] + "-1" + s[i+j:]
}

func TestOutcomesJSON(t *testing.T) {
	o := Outcomes{OK: 5, Timeout: 1, Dropped: 2}
	o.Errors[ErrRateLimited] = 3
	data, err := json.Marshal(o)
	require.NoError(t, err)
	assert.JSONEq(t, `{"ok":5,"timeout":1,"cancelled":0,"dropped":2,"error:rate_limited":3}`, string(data))
	var back Outcomes
	require.NoError(t, json.Unmarshal(data, &back))
	assert.Equal(t, o, back)
	assert.ErrorContains(t, json.Unmarshal([]byte(`{"error:gremlins":1}`), &back), `unknown outcome "error:gremlins"`)
}

func TestOpenOut(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file.txt")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	_, err := OpenOut(file, false)
	assert.ErrorContains(t, err, "exists and is not a directory")

	out := filepath.Join(dir, "run")
	o, err := OpenOut(out, false)
	require.NoError(t, err)
	_, err = OpenOut(out, false)
	assert.ErrorContains(t, err, "another llmbench run is writing there")
	where, err := sample().Save(o)
	require.NoError(t, err)
	assert.Equal(t, out, where)
	o.Close()
	_, err = OpenOut(out, false)
	assert.ErrorIs(t, err, ErrHoldsResults)
	o, err = OpenOut(out, true)
	require.NoError(t, err, "--force")
	o.Close()

	if os.Getuid() != 0 { // root writes anywhere
		ro := filepath.Join(dir, "ro")
		require.NoError(t, os.Mkdir(ro, 0o555))
		_, err = OpenOut(filepath.Join(ro, "x"), false)
		assert.ErrorContains(t, err, "cannot create it")
	}
}

func TestSaveFallsBackWhenTheFolderVanished(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	o, err := OpenOut(out, false)
	require.NoError(t, err)
	defer o.Close()
	require.NoError(t, os.RemoveAll(out))
	where, err := sample().Save(o)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "they were written to "+where+" instead")
	defer os.RemoveAll(where)
	back, err := Read(where)
	require.NoError(t, err, "nothing measured is lost")
	assert.Equal(t, "s", back.Scenario)
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0", 512: "512ns", 850 * time.Microsecond: "850µs", 999_900 * time.Microsecond: "1s",
		12_345 * time.Microsecond: "12.3ms", 999_949 * time.Nanosecond: "1ms", 61 * time.Second: "61s", -5 * time.Millisecond: "-5ms",
	} {
		assert.Equal(t, want, FormatDuration(d), "%d", d)
	}
}
