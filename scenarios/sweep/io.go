package sweep

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/llmbench/llmbench/scenarios/results"
)

// WriteFiles writes the sweep into dir (which must exist): each step's
// results not yet written (steps/NN-LOAD/results.json and results.txt,
// which llmbench run repeats and llmbench report draws), then sweep.json
// and results.txt, each atomically. Written after every step, so that an
// interrupt or a crash keeps what was measured.
func (sw *Sweep) WriteFiles(dir string) error {
	for i := range sw.Steps {
		st := &sw.Steps[i]
		if st.Results != "" || st.res == nil {
			continue
		}
		rel := filepath.Join("steps", fmt.Sprintf("%02d-%s", st.N, LoadKey(sw.Mode, st.Load)))
		if err := os.MkdirAll(filepath.Join(dir, rel), 0o755); err != nil {
			return err
		}
		if err := st.res.WriteFiles(filepath.Join(dir, rel)); err != nil {
			return err
		}
		st.Results = filepath.ToSlash(filepath.Join(rel, "results.json"))
	}
	if err := results.WriteFileAtomic(filepath.Join(dir, "sweep.json"), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		return enc.Encode(sw)
	}); err != nil {
		return err
	}
	return results.WriteFileAtomic(filepath.Join(dir, "results.txt"), sw.WriteBenchfmt)
}

// Read reads a sweep.json file, or the one in a directory.
func Read(path string) (*Sweep, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, "sweep.json")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var probe struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil || probe.Version == nil {
		return nil, fmt.Errorf("%s: not an llmbench sweep.json file", path)
	}
	if *probe.Version != Version {
		return nil, fmt.Errorf("%s: sweep version %d; this llmbench reads version %d", path, *probe.Version, Version)
	}
	var sw Sweep
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sw); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return &sw, nil
}

// Capacity units in results.txt: a rate sweep's capacity, and a users
// sweep's in users (its capacity-req/s is the throughput it carried).
const (
	UnitCapacity      = "capacity-req/s"
	UnitCapacityUsers = "capacity-users"
)

// WriteBenchfmt writes the sweep in the Go benchmark format: per variant
// and repetition its capacity (BenchmarkSweep/scenario=NAME/VARIANT),
// and per step the figures every run writes, keyed by the load
// (BenchmarkSweep/scenario=NAME/VARIANT/offered=400), so that llmbench
// compare and gate read capacities and curves alike. A repetition that
// passed no step has no capacity line: nothing was measured to pass.
func (sw *Sweep) WriteBenchfmt(w io.Writer) error {
	bw := bufio.NewWriter(w)
	sw.Env.WriteBenchEnv(bw)
	fmt.Fprintf(bw, "scenario: %s\nsweep: %s\nseed: %d\n", sw.Scenario, sw.Mode, sw.Seed)
	if sw.Partial {
		fmt.Fprintln(bw, "partial: true")
	}
	fmt.Fprintf(bw, "Unit %s better=higher\n", UnitCapacity)
	if sw.Mode == Users {
		fmt.Fprintf(bw, "Unit %s better=higher\n", UnitCapacityUsers)
	}
	units := results.WriteBenchUnits(bw)
	for _, c := range sw.Capacities {
		for _, rc := range c.Reps {
			if rc.Capacity == nil {
				continue
			}
			fmt.Fprintf(bw, "%s\t1", sw.benchName(c.Variant, ""))
			if sw.Mode == Users {
				fmt.Fprintf(bw, "\t%s %s", results.FormatBenchValue(*rc.Capacity), UnitCapacityUsers)
				if rc.Throughput != nil {
					fmt.Fprintf(bw, "\t%s %s", results.FormatBenchValue(*rc.Throughput), UnitCapacity)
				}
			} else {
				fmt.Fprintf(bw, "\t%s %s", results.FormatBenchValue(*rc.Capacity), UnitCapacity)
			}
			fmt.Fprintln(bw)
		}
	}
	for i := range sw.Steps {
		st := &sw.Steps[i]
		if st.res == nil || st.Partial {
			continue
		}
		for j := range st.res.Variants {
			v := &st.res.Variants[j]
			name := sw.benchName(v.Name, LoadKey(sw.Mode, st.Load))
			for k := range v.Reps {
				results.WriteBenchRow(bw, name, v.Reps[k].Summary(), units)
			}
		}
	}
	return bw.Flush()
}

// benchName is BenchmarkSweep/scenario=NAME[/VARIANT][/LOAD]-GOMAXPROCS.
func (sw *Sweep) benchName(variant, load string) string {
	parts := []string{"BenchmarkSweep", "scenario=" + sw.Scenario}
	if variant != "default" {
		parts = append(parts, variant)
	}
	if load != "" {
		parts = append(parts, load)
	}
	name := strings.Join(parts, "/")
	if sw.Env.GOMAXPROCS > 1 {
		name += fmt.Sprintf("-%d", sw.Env.GOMAXPROCS)
	}
	return name
}
