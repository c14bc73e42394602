package results

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// WriteFileAtomic writes a file so that it is either complete or absent:
// the data goes to a temporary file in the same directory, then is renamed.
func WriteFileAtomic(path string, write func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriter(tmp)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Chmod(tmp.Name(), 0o644); err != nil { // CreateTemp makes it private
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// WriteFiles writes results.json and results.txt into dir, which must exist.
func (r *Results) WriteFiles(dir string) error {
	if err := WriteFileAtomic(filepath.Join(dir, "results.json"), func(w io.Writer) error {
		return json.NewEncoder(w).Encode(r) // compact: histograms are long lists of numbers
	}); err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(dir, "results.txt"), r.WriteBenchfmt)
}

// ReadError is a results file that cannot be used: Path names the file,
// Field the offending field where one is to blame.
type ReadError struct {
	Path, Field, Msg string
}

func (e *ReadError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", e.Path, e.Field, e.Msg)
	}
	return e.Path + ": " + e.Msg
}

// Read reads a results.json file, or the one in a directory, and checks
// every field a report or a rerun relies on.
func Read(path string) (*Results, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, "results.json")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &ReadError{Path: path, Msg: strings.TrimPrefix(err.Error(), "open "+path+": ")}
	}
	var probe struct {
		Version  *int            `json:"version"`
		Variants json.RawMessage `json:"variants"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, &ReadError{Path: path, Msg: "not a results.json file: want a JSON object, got " + te.Value}
		}
		return nil, &ReadError{Path: path, Msg: "not a results.json file: " + err.Error()}
	}
	if probe.Version == nil || probe.Variants == nil {
		return nil, &ReadError{Path: path, Msg: "not an llmbench results file (no version or variants field)"}
	}
	if *probe.Version != Version {
		return nil, &ReadError{Path: path, Field: "version", Msg: fmt.Sprintf("results version %d; this llmbench reads version %d (run the scenario again with this llmbench)", *probe.Version, Version)}
	}
	var r Results
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, &ReadError{Path: path, Msg: jsonMessage(err)}
	}
	if err := r.check(); err != nil {
		var re *ReadError
		if errors.As(err, &re) {
			re.Path = path
		}
		return nil, err
	}
	return &r, nil
}

func jsonMessage(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s: want %s, got %s", te.Field, te.Type, te.Value)
	}
	return err.Error()
}

// check validates what a report, a rerun or a merge reads.
func (r *Results) check() error {
	bad := func(field, format string, args ...any) error {
		return &ReadError{Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	if r.Scenario == "" {
		return bad("scenario", "empty")
	}
	if r.Source == "" {
		return bad("source", "empty: the scenario as run is missing")
	}
	if r.Segment != nil && (r.Segment.Count < 1 || r.Segment.Index < 1 || r.Segment.Index > r.Segment.Count) {
		return bad("segment", "%d/%d: want 1 <= index <= count", r.Segment.Index, r.Segment.Count)
	}
	for i := range r.Variants {
		v := &r.Variants[i]
		vf := fmt.Sprintf("variants[%d]", i)
		if v.Name == "" {
			return bad(vf+".name", "empty")
		}
		for j := range v.Reps {
			rep := &v.Reps[j]
			f := fmt.Sprintf("%s.repetitions[%d]", vf, j)
			for _, c := range []struct {
				name string
				v    int64
			}{{"scheduled", rep.Scheduled}, {"sent", rep.Sent}, {"good", rep.Good}, {"tokens", rep.Tokens}, {"cache_hits", rep.CacheHits},
				{"cache_lookups", rep.CacheLookups}, {"window_ns", int64(rep.Window)}, {"send_span_ns", int64(rep.SendSpan)},
				{"span_ns", int64(rep.Span)}, {"cpu_ns", int64(rep.CPU)}, {"gc_pause_ns", int64(rep.GCPause)}, {"goroutines_leaked", int64(rep.GoroutinesLeaked)}} {
				if c.v < 0 {
					return bad(f+"."+c.name, "%d: must not be negative", c.v)
				}
			}
			switch {
			case rep.Offered < 0 || rep.Offered != rep.Offered:
				return bad(f+".offered_rate", "%g: want a rate >= 0", rep.Offered)
			case rep.Outcomes.Total() != rep.Scheduled:
				return bad(f+".outcomes", "add up to %d, but %d requests were scheduled", rep.Outcomes.Total(), rep.Scheduled)
			case rep.Sent > rep.Scheduled:
				return bad(f+".sent", "%d of %d scheduled", rep.Sent, rep.Scheduled)
			case rep.Good > rep.Outcomes.OK:
				return bad(f+".good", "%d of %d ok", rep.Good, rep.Outcomes.OK)
			case rep.CacheHits > rep.CacheLookups:
				return bad(f+".cache_hits", "%d of %d lookups", rep.CacheHits, rep.CacheLookups)
			}
			for name, h := range rep.Histograms {
				if !isHistName(name) {
					return bad(f+".histograms", "unknown histogram %q", name)
				}
				if err := h.check(); err != nil {
					return bad(f+".histograms."+name, "%v", err)
				}
			}
			if s := rep.Sample; s != nil {
				if s.Stride == 0 {
					return bad(f+".sample.stride", "0: want at least 1")
				}
				if len(s.TTFT) != 0 && len(s.TTFT) != len(s.E2E) {
					return bad(f+".sample", "%d TTFT figures for %d requests", len(s.TTFT), len(s.E2E))
				}
				for k, x := range s.E2E {
					if x < Absent {
						return bad(fmt.Sprintf("%s.sample.e2e_ns[%d]", f, k), "%d: want a latency or %d (failed) or %d (absent)", x, Failed, Absent)
					}
				}
			}
			for k, w := range rep.Windows {
				if w.Done < 0 || w.OK < 0 || w.Errors < 0 || w.Dropped < 0 || w.InFlight < 0 || w.T < 0 {
					return bad(fmt.Sprintf("%s.windows[%d]", f, k), "negative value")
				}
			}
		}
		for j, t := range v.Thresholds {
			if _, err := ParseCheck(t.Expr); err != nil {
				return bad(fmt.Sprintf("%s.thresholds[%d]", vf, j), "%v", err)
			}
		}
	}
	return nil
}

func isHistName(name string) bool {
	for _, n := range HistNames {
		if n == name {
			return true
		}
	}
	return false
}
