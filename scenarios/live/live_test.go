package live

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/llmbench/llmbench/scenarios/engine"
	"github.com/llmbench/llmbench/scenarios/plan"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	require.NoError(t, err, string(body))
	return fams
}

func value(fam *dto.MetricFamily, labels map[string]string) float64 {
	for _, m := range fam.Metric {
		ok := true
		for _, l := range m.Label {
			if want, set := labels[l.GetName()]; set && want != l.GetValue() {
				ok = false
			}
		}
		if !ok {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

// TestScrapeDuringARun scrapes the endpoint while a run is under way and
// after it, and parses what it serves.
func TestScrapeDuringARun(t *testing.T) {
	p, err := plan.Resolve([]byte(`
providers: {llm: {ttft: 20ms, itl: 5ms, output_tokens: 4}}
workload: {arrival: constant, rate: 200, duration: 1500ms}
pipeline: {stream: {}}
variants: {stream: [seed, safe]}
`), "t.yaml", ".", plan.Overrides{})
	require.NoError(t, err)
	lv := engine.NewLive()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, ln, NewCollector(lv, "2/3")) }()
	defer func() { cancel(); require.NoError(t, <-served) }()
	url := "http://" + ln.Addr().String() + "/metrics"

	done := make(chan struct{})
	var res any
	go func() {
		defer close(done)
		r, err := engine.Run(context.Background(), p, engine.Options{SkipFloor: true, Live: lv})
		assert.NoError(t, err)
		res = r
	}()
	time.Sleep(800 * time.Millisecond) // into the first variant's run
	mid := scrape(t, url)
	for _, name := range []string{"llmbench_requests_sent_total", "llmbench_requests_completed_total", "llmbench_requests_in_flight",
		"llmbench_tokens_total", "llmbench_e2e_seconds", "llmbench_ttft_seconds", "llmbench_itl_seconds"} {
		require.Contains(t, mid, name)
	}
	labels := map[string]string{"variant": "stream=seed", "segment": "2/3"}
	sentMid := value(mid["llmbench_requests_sent_total"], labels)
	assert.Positive(t, sentMid, "counted while the run is under way")
	<-done
	require.NotNil(t, res)
	end := scrape(t, url)
	assert.GreaterOrEqual(t, value(end["llmbench_requests_sent_total"], labels), sentMid, "counters only grow")
	// 200/s for 1.5 s: 300 requests end, in one outcome or another (on
	// a loaded machine the generator may drop some at the schedule's end).
	var ended float64
	for _, m := range end["llmbench_requests_completed_total"].Metric {
		for _, l := range m.Label {
			if l.GetName() == "variant" && l.GetValue() == "stream=safe" {
				ended += m.Counter.GetValue()
			}
		}
	}
	assert.Equal(t, 300.0, ended)
	ok := value(end["llmbench_requests_completed_total"], map[string]string{"variant": "stream=safe", "outcome": "ok"})
	assert.Positive(t, ok)
	assert.Equal(t, ok, value(end["llmbench_e2e_seconds"], map[string]string{"variant": "stream=safe"}), "one latency per success")
	assert.Equal(t, 0.0, value(end["llmbench_requests_in_flight"], map[string]string{"variant": "stream=safe"}))
}
