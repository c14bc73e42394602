// Command mergescale writes the results of N synthetic segments of one
// 10-minute run, for timing llmbench merge at scale:
//
//	go run ./scripts/mergescale -n 100 -dir /tmp/segs && llmbench merge /tmp/segs/* -o /tmp/merged
//
// Each segment has one variant and one repetition: 600 one-second
// windows, every latency histogram filled from 1000 requests/s of
// lognormal latencies, a per-request sample, as a real segment of a
// 10-minute run at 1000·N requests/s would.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/llmbench/llmbench/scenarios/results"
)

func main() {
	n := flag.Int("n", 100, "segments")
	dir := flag.String("dir", "segments", "output folder")
	flag.Parse()
	source := "name: scale\nworkload: {arrival: poisson, rate: 100000, duration: 10m}\n"
	sum := sha256.Sum256([]byte(source))
	start := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	const window, rate, sample = 600, 1000, 2048
	for i := 1; i <= *n; i++ {
		rng := rand.New(rand.NewPCG(uint64(i), 7))
		hists := map[string]results.Hist{}
		for _, name := range []string{"e2e", "e2e_uncorrected", "ttft", "ttft_uncorrected", "itl", "tpot", "generator_lag", "done"} {
			hh := results.NewHist()
			for range 20000 { // the shape of a histogram, weighted to the segment's count
				hh.RecordValues(int64(math.Exp(17+rng.NormFloat64())), window*rate/20000)
			}
			hists[name] = results.HistOf(hh)
		}
		ws := make([]results.Window, window)
		for k := range ws {
			ws[k] = results.Window{T: float64(k + 1), Done: rate, OK: rate, RPS: rate, InFlight: 50, E2EP50: 0.03, E2EP99: 0.2}
		}
		e2e := make([]int64, sample)
		for k := range e2e {
			e2e[k] = results.Absent
			if k%*n == i-1 {
				e2e[k] = int64(math.Exp(17 + rng.NormFloat64()))
			}
		}
		count := int64(window * rate)
		r := &results.Results{Version: results.Version, Scenario: "scale", File: "scale.yaml", Source: source,
			SourceHash: hex.EncodeToString(sum[:]), Seed: 1, Segment: &results.Segment{Index: i, Count: *n, Start: start},
			Started: start, Finished: start.Add(11 * time.Minute),
			Variants: []results.VariantResult{{Name: "default", Params: map[string]string{}, Reps: []results.RepResult{{
				Rep: 1, Started: start, Offered: rate * float64(*n), Window: 10 * time.Minute, Scheduled: count, Sent: count,
				SendSpan: 10 * time.Minute, Span: 10*time.Minute + time.Second, WindowStart: start, LastDone: start.Add(10*time.Minute + time.Second),
				Outcomes: results.Outcomes{OK: count}, Good: count, Histograms: hists, Windows: ws,
				Sample: &results.Sample{Stride: uint64(*n*window*rate/sample + 1), E2E: e2e},
			}}}}}
		d := filepath.Join(*dir, fmt.Sprintf("segment-%03d", i))
		if err := os.MkdirAll(d, 0o755); err != nil {
			log.Fatal(err)
		}
		if err := r.WriteFiles(d); err != nil {
			log.Fatal(err)
		}
	}
}
