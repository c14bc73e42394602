package results

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
)

// WriteBenchfmt writes the results in the Go benchmark format, one line
// per variant and repetition with every metric of the table that has a
// unit and a value (a figure that was not measured is left out, never
// written as 0), so that benchstat and llmbench compare read them:
//
//	go tool benchstat -col /cache results.txt
func (r *Results) WriteBenchfmt(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "goos: %s\ngoarch: %s\ncpu: %s\ngo: %s\n", r.Env.GOOS, r.Env.GOARCH, r.Env.CPU, r.Env.GoVersion)
	if r.Env.Commit != "" {
		fmt.Fprintf(bw, "commit: %s\n", r.Env.Commit)
	}
	fmt.Fprintf(bw, "scenario: %s\nseed: %d\n", r.Scenario, r.Seed)
	if r.SourceHash != "" {
		fmt.Fprintf(bw, "source-sha256: %s\n", r.SourceHash)
	}
	if r.Segment != nil {
		fmt.Fprintf(bw, "segment: %d/%d\n", r.Segment.Index, r.Segment.Count)
	}
	if r.Partial {
		fmt.Fprintf(bw, "partial: true\n")
	}
	var units []*Metric
	for _, m := range Metrics() {
		if m.Unit == "" {
			continue
		}
		units = append(units, m)
		fmt.Fprintf(bw, "Unit %s better=%s", m.Unit, m.Better)
		if m.Exact {
			fmt.Fprint(bw, " assume=exact")
		}
		if m.Input {
			fmt.Fprint(bw, " role=input")
		}
		fmt.Fprintln(bw)
	}
	for i := range r.Variants {
		v := &r.Variants[i]
		name := r.BenchName(v)
		for j := range v.Reps {
			s := v.Reps[j].Summary()
			fmt.Fprintf(bw, "%s\t%d", name, s.Scheduled)
			for _, m := range units {
				if val, ok := m.Value(s); ok {
					fmt.Fprintf(bw, "\t%s %s", formatFloat(val*m.Scale), m.Unit)
				}
			}
			fmt.Fprintln(bw)
		}
	}
	return bw.Flush()
}

// BenchName is the variant's benchmark name in results.txt:
// BenchmarkScenario/scenario=NAME/family=variant...-GOMAXPROCS.
func (r *Results) BenchName(v *VariantResult) string {
	name := "BenchmarkScenario/scenario=" + r.Scenario
	if v.Name != "default" {
		name += "/" + v.Name
	}
	if r.Env.GOMAXPROCS > 1 {
		name += fmt.Sprintf("-%d", r.Env.GOMAXPROCS)
	}
	return name
}

// formatFloat keeps 6 significant digits, in exponent form where needed
// (benchfmt reads any float).
func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
