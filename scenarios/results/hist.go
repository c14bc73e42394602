package results

import (
	"fmt"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram range and precision: 1 ns to 1 hour at 3 significant digits
// (0.1 %), in bounded memory whatever the run's length.
const (
	HistLowest  = 1
	HistHighest = int64(time.Hour)
	HistSigFigs = 3
)

// NewHist is an empty histogram of the results' range and precision.
func NewHist() *hdr.Histogram { return hdr.New(HistLowest, HistHighest, HistSigFigs) }

// The histograms a repetition records, in nanoseconds.
const (
	HistE2E             = iota // successful requests, from the intended send time
	HistE2EFailed              // requests that failed or timed out, from the intended send time
	HistE2EUncorrected         // successful requests, from the actual send time
	HistTTFT                   // time to first token, from the intended send time
	HistTTFTUncorrected        // time to first token, from the actual send time
	HistITL                    // gaps between tokens, the first excluded
	HistTPOT                   // (end − first token) / (tokens − 1), per request
	HistQueueWait              // waiting for a slot at a mock provider
	HistGeneratorLag           // actual − intended send time
	HistDone                   // completion times, from the start of the measured window
	NumHists
)

// HistNames are the recorded histograms' names in results.json.
var HistNames = [NumHists]string{"e2e", "e2e_failed", "e2e_uncorrected", "ttft", "ttft_uncorrected", "itl", "tpot", "queue_wait", "generator_lag", "done"}

// Hist is an HDR histogram in a compact, mergeable form: the non-zero
// counts by bucket index.
type Hist struct {
	Lowest  int64      `json:"lowest"`
	Highest int64      `json:"highest"`
	SigFigs int64      `json:"sig_figs"`
	Counts  [][2]int64 `json:"counts"` // [index, count]
	Total   int64      `json:"total"`
}

// HistOf is the compact form of h.
func HistOf(h *hdr.Histogram) Hist {
	snap := h.Export()
	out := Hist{Lowest: snap.LowestTrackableValue, Highest: snap.HighestTrackableValue, SigFigs: snap.SignificantFigures, Total: h.TotalCount()}
	for i, c := range snap.Counts {
		if c != 0 {
			out.Counts = append(out.Counts, [2]int64{int64(i), c})
		}
	}
	return out
}

// check says what is wrong with a histogram read from a file, or nil.
func (h Hist) check() error {
	if h.Lowest < 1 || h.Highest < 2*h.Lowest || h.Highest > 1<<62 {
		return fmt.Errorf("range %d..%d: want 1 <= lowest and 2·lowest <= highest", h.Lowest, h.Highest)
	}
	if h.SigFigs < 1 || h.SigFigs > 5 {
		return fmt.Errorf("sig_figs %d: want 1 to 5", h.SigFigs)
	}
	buckets := int64(len(hdr.New(h.Lowest, h.Highest, int(h.SigFigs)).Export().Counts))
	var sum int64
	for i, c := range h.Counts {
		if c[0] < 0 || c[0] >= buckets {
			return fmt.Errorf("counts[%d]: bucket %d outside 0..%d", i, c[0], buckets-1)
		}
		if c[1] < 0 {
			return fmt.Errorf("counts[%d]: negative count %d", i, c[1])
		}
		sum += c[1]
		if sum < 0 {
			return fmt.Errorf("counts[%d]: counts overflow", i)
		}
	}
	if sum != h.Total {
		return fmt.Errorf("total %d, but the counts add up to %d", h.Total, sum)
	}
	return nil
}

// Histogram rebuilds the HDR histogram (checked: see Read).
func (h Hist) Histogram() *hdr.Histogram {
	if h.Highest == 0 {
		return NewHist()
	}
	snap := &hdr.Snapshot{LowestTrackableValue: h.Lowest, HighestTrackableValue: h.Highest, SignificantFigures: h.SigFigs}
	tmpl := hdr.New(h.Lowest, h.Highest, int(h.SigFigs))
	snap.Counts = make([]int64, len(tmpl.Export().Counts))
	for _, c := range h.Counts {
		if c[0] >= 0 && int(c[0]) < len(snap.Counts) && c[1] > 0 {
			snap.Counts[c[0]] = c[1]
		}
	}
	return hdr.Import(snap)
}
