package results

import (
	"fmt"
	"io"
)

// WriteBenchEnv writes the configuration lines of the Go benchmark format
// that say where a run happened (goos, goarch, cpu, go, commit).
func (e Environment) WriteBenchEnv(w io.Writer) {
	fmt.Fprintf(w, "goos: %s\ngoarch: %s\ncpu: %s\ngo: %s\n", e.GOOS, e.GOARCH, e.CPU, e.GoVersion)
	if e.Commit != "" {
		fmt.Fprintf(w, "commit: %s\n", e.Commit)
	}
}

// WriteBenchUnits writes a Unit line for every metric results.txt carries
// and returns those metrics, in order, for WriteBenchRow.
func WriteBenchUnits(w io.Writer) []*Metric {
	var units []*Metric
	for _, m := range Metrics() {
		if m.Unit == "" {
			continue
		}
		units = append(units, m)
		fmt.Fprintf(w, "Unit %s better=%s", m.Unit, m.Better)
		if m.Exact {
			fmt.Fprint(w, " assume=exact")
		}
		if m.Input {
			fmt.Fprint(w, " role=input")
		}
		fmt.Fprintln(w)
	}
	return units
}

// WriteBenchRow writes one result line: the name, the requests scheduled
// as its iteration count, and every metric of units that s has a value
// for (a figure that was not measured is left out, never written as 0).
func WriteBenchRow(w io.Writer, name string, s *Summary, units []*Metric) {
	fmt.Fprintf(w, "%s\t%d", name, s.Scheduled)
	for _, m := range units {
		if val, ok := m.Value(s); ok {
			fmt.Fprintf(w, "\t%s %s", FormatBenchValue(val*m.Scale), m.Unit)
		}
	}
	fmt.Fprintln(w)
}
