// Package live serves a run's figures as Prometheus metrics while it runs:
// requests sent, completed by outcome, in flight, tokens, and histograms of
// end-to-end latency, TTFT and ITL, labelled by variant and segment. A
// scrape reads the engine's Live snapshot; nothing on the measured path
// calls Prometheus.
package live

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/llmbench/llmbench/scenarios/engine"
	"github.com/llmbench/llmbench/scenarios/results"
)

// Collector exposes an engine.Live as Prometheus metrics.
type Collector struct {
	live    *engine.Live
	segment string
	sent, completed, inFlight, tokens,
	e2e, ttft, itl *prometheus.Desc
}

// NewCollector reads live; segment labels every metric ("1/3", or "all").
func NewCollector(live *engine.Live, segment string) *Collector {
	labels := []string{"variant", "segment"}
	d := func(name, help string, extra ...string) *prometheus.Desc {
		return prometheus.NewDesc("llmbench_"+name, help, append(labels, extra...), nil)
	}
	return &Collector{live: live, segment: segment,
		sent:      d("requests_sent_total", "Requests sent, warm-up included."),
		completed: d("requests_completed_total", "Measured requests ended, by outcome (ok, timeout, cancelled, dropped, error:KIND).", "outcome"),
		inFlight:  d("requests_in_flight", "Requests in progress."),
		tokens:    d("tokens_total", "Output tokens of measured successful requests."),
		e2e:       d("e2e_seconds", "End-to-end latency of measured successful requests, from the intended send time."),
		ttft:      d("ttft_seconds", "Time to first token of measured successful requests, from the intended send time."),
		itl:       d("itl_seconds", "Gaps between tokens of measured successful streamed requests."),
	}
}

// Describe sends the metrics' descriptions.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.sent, c.completed, c.inFlight, c.tokens, c.e2e, c.ttft, c.itl} {
		ch <- d
	}
}

// Collect reads the run's figures now.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.live.Visit(func(f *engine.LiveFigures) {
		lv := []string{f.Variant, c.segment}
		ch <- prometheus.MustNewConstMetric(c.sent, prometheus.CounterValue, float64(f.Sent), lv...)
		ch <- prometheus.MustNewConstMetric(c.inFlight, prometheus.GaugeValue, float64(f.InFlight), lv...)
		ch <- prometheus.MustNewConstMetric(c.tokens, prometheus.CounterValue, float64(f.Tokens), lv...)
		o := f.Outcomes
		for name, n := range map[string]int64{"ok": o.OK, "timeout": o.Timeout, "cancelled": o.Cancelled, "dropped": o.Dropped} {
			ch <- prometheus.MustNewConstMetric(c.completed, prometheus.CounterValue, float64(n), append(lv, name)...)
		}
		for k, n := range o.Errors {
			ch <- prometheus.MustNewConstMetric(c.completed, prometheus.CounterValue, float64(n), append(lv, "error:"+results.ErrorKindNames[k])...)
		}
		ch <- histogram(c.e2e, &f.Hists[engine.LiveE2E], lv)
		ch <- histogram(c.ttft, &f.Hists[engine.LiveTTFT], lv)
		ch <- histogram(c.itl, &f.Hists[engine.LiveITL], lv)
	})
}

// histogram turns a live histogram into a Prometheus one (cumulative).
func histogram(d *prometheus.Desc, h *engine.LiveHist, labels []string) prometheus.Metric {
	counts := make(map[float64]uint64, len(engine.LiveBuckets))
	var cum uint64
	for i, up := range engine.LiveBuckets {
		cum += h.Counts[i]
		counts[up.Seconds()] = cum
	}
	return prometheus.MustNewConstHistogram(d, h.Total(), h.Sum.Seconds(), counts, labels...)
}

// Serve serves /metrics on ln until ctx ends.
func Serve(ctx context.Context, ln net.Listener, c *Collector) error {
	reg := prometheus.NewRegistry()
	if err := reg.Register(c); err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	})
	defer stop()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
