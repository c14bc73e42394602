package plan

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/llmbench/llmbench/internal/strictyaml"
	"github.com/llmbench/llmbench/scenarios/results"
	"github.com/llmbench/llmbench/scenarios/spec"
)

// Overrides change a scenario for one run (the flags of llmbench run).
// They are applied to the scenario's text, so that the results record the
// scenario as it ran.
type Overrides struct {
	Rate     *float64
	Duration *time.Duration
	Seed     *uint64
	Repeat   *int
	// Users makes the scenario an unpaced closed loop of this many users
	// (a capacity search over users).
	Users *int
	// Variants force a family to one variant: "family=name".
	Variants []string
	// Segment runs one share of the schedule. It is not a change of the
	// scenario's text: every segment runs the same scenario.
	Segment *Segment
}

// OverrideError is an override that cannot apply to the scenario. Name is
// the override's name (rate, duration, seed, repeat, variant, segment).
type OverrideError struct {
	Name, Value, Msg string
}

func (e *OverrideError) Error() string { return e.Name + " " + e.Value + ": " + e.Msg }

// Open reads a scenario file and resolves it; relative file names are read
// from the file's folder.
func Open(path string, o Overrides) (*Plan, error) {
	data, err := strictyaml.ReadFile(path)
	if err != nil {
		return nil, &spec.Error{Msg: err.Error()}
	}
	return Resolve(data, path, filepath.Dir(path), o)
}

// FromResults resolves the scenario a results file recorded, as it ran,
// so that a run can be repeated exactly; a file it read that has changed
// or vanished since is an error. Overrides apply on top.
func FromResults(r *results.Results, path string, o Overrides) (*Plan, error) {
	if d := digest([]byte(r.Source)); d != r.SourceHash {
		return nil, &spec.Error{Msg: fmt.Sprintf("%s: the recorded scenario (source) was edited since the run: its SHA-256 is %.12s, the results recorded %.12s; run the scenario file instead", path, d, r.SourceHash)}
	}
	for _, f := range r.Files {
		name := f.Path
		if !filepath.IsAbs(name) {
			name = filepath.Join(r.Dir, name)
		}
		data, err := os.ReadFile(name)
		switch {
		case err != nil:
			return nil, &spec.Error{Msg: fmt.Sprintf("%s: the scenario read %s, which cannot be read now: %v", path, name, err)}
		case digest(data) != f.SHA256:
			return nil, &spec.Error{Msg: fmt.Sprintf("%s: the scenario read %s, which has changed since the run (SHA-256 %s, recorded %s)", path, name, digest(data)[:12], f.SHA256[:min(12, len(f.SHA256))])}
		}
	}
	p, err := Resolve([]byte(r.Source), r.File, r.Dir, o)
	if err != nil {
		return nil, err
	}
	p.Overrides = append(slices.Clone(r.Overrides), p.Overrides...)
	return p, nil
}

// Resolve parses a scenario, applies the overrides to its text, and builds
// the plan; path names the scenario in messages, dir is the folder its
// relative file names are read from.
func Resolve(data []byte, path, dir string, o Overrides) (*Plan, error) {
	s, err := spec.Parse(data, path)
	if err != nil {
		return nil, err
	}
	edits, notes, err := o.edits(s)
	if err != nil {
		return nil, err
	}
	source := data
	if len(edits) > 0 {
		if source, err = spec.Apply(data, edits, "llmbench: run with "+strings.Join(notes, " ")); err != nil {
			return nil, fmt.Errorf("applying the overrides: %w", err)
		}
		if s, err = spec.Parse(source, path); err != nil {
			return nil, fmt.Errorf("the scenario with its overrides applied: %w", err)
		}
	}
	p, err := build(s, dir)
	if err != nil {
		if len(notes) > 0 {
			// The problem may be the overrides': say they were applied.
			var se *spec.Error
			if errors.As(err, &se) {
				se.Msg = "with " + strings.Join(notes, " ") + " applied:\n" + se.Msg
			}
		}
		return nil, err
	}
	p.Source, p.SourceHash, p.Overrides = source, digest(source), notes
	if o.Segment != nil {
		if err := p.setSegment(*o.Segment); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// edits turns the overrides into edits of the scenario's text, checking
// each against the scenario; notes are the overrides as flags.
func (o Overrides) edits(s *spec.Scenario) ([]spec.Edit, []string, error) {
	var edits []spec.Edit
	var notes []string
	w := &s.Workload
	if o.Rate != nil {
		r := *o.Rate
		v := strconv.FormatFloat(r, 'g', -1, 64)
		switch {
		case math.IsNaN(r) || math.IsInf(r, 0) || r <= 0:
			return nil, nil, &OverrideError{"rate", v, "must be a finite number of requests per second > 0"}
		case r > MaxRate:
			return nil, nil, &OverrideError{"rate", v, fmt.Sprintf("beyond what one generator can schedule (at most %g/s)", MaxRate)}
		case w.Arrival == "ramp" || w.Arrival == "burst":
			return nil, nil, &OverrideError{"rate", v, "a " + w.Arrival + " arrival has no single rate"}
		}
		edits = append(edits, spec.Edit{Path: []string{"workload", "rate"}, Value: r})
		notes = append(notes, "--rate "+v)
	}
	if o.Duration != nil {
		d := *o.Duration
		switch {
		case d <= 0:
			return nil, nil, &OverrideError{"duration", d.String(), "must be positive"}
		case w.Arrival == "ramp":
			return nil, nil, &OverrideError{"duration", d.String(), "a ramp lasts as long as its stages"}
		}
		edits = append(edits, spec.Edit{Path: []string{"workload", "duration"}, Value: d.String()}, spec.Edit{Path: []string{"workload", "requests"}})
		notes = append(notes, "--duration "+d.String())
	}
	if o.Seed != nil {
		edits = append(edits, spec.Edit{Path: []string{"seed"}, Value: *o.Seed})
		notes = append(notes, "--seed "+strconv.FormatUint(*o.Seed, 10))
	}
	if o.Repeat != nil {
		if *o.Repeat < 1 {
			return nil, nil, &OverrideError{"repeat", strconv.Itoa(*o.Repeat), "must be at least 1"}
		}
		edits = append(edits, spec.Edit{Path: []string{"repeat"}, Value: *o.Repeat})
		notes = append(notes, "--repeat "+strconv.Itoa(*o.Repeat))
	}
	if o.Users != nil {
		e, n, err := o.usersEdits(s)
		if err != nil {
			return nil, nil, err
		}
		edits, notes = append(edits, e...), append(notes, n...)
	}
	if len(o.Variants) > 0 {
		// --variant cache=seed --variant cache=sharded runs both.
		byFamily := map[string][]string{}
		var order []string
		for _, fv := range o.Variants {
			family, name, err := checkVariant(s, fv)
			if err != nil {
				return nil, nil, err
			}
			if _, seen := byFamily[family]; !seen {
				order = append(order, family)
			}
			if !slices.Contains(byFamily[family], name) {
				byFamily[family] = append(byFamily[family], name)
			}
			notes = append(notes, "--variant "+fv)
		}
		vs := s.Variants
		vs.Matrix = maps(vs.Matrix)
		for _, family := range order {
			if err := restrict(&vs, family, byFamily[family]); err != nil {
				return nil, nil, err
			}
		}
		var value any = vs.Matrix
		if len(vs.List) > 0 {
			value = vs.List
		}
		edits = append(edits, spec.Edit{Path: []string{"variants"}, Value: value})
	}
	return edits, notes, nil
}

func maps(m map[string][]string) map[string][]string {
	out := make(map[string][]string, len(m))
	for k, v := range m {
		out[k] = slices.Clone(v)
	}
	return out
}

// checkVariant reads and checks one --variant family=name.
func checkVariant(s *spec.Scenario, fv string) (family, name string, err error) {
	family, name, ok := strings.Cut(fv, "=")
	if !ok {
		return "", "", &OverrideError{"variant", fv, "want family=name, e.g. cache=sharded"}
	}
	f, ok := FamilyByName(family)
	if !ok {
		return "", "", &OverrideError{"variant", fv, fmt.Sprintf("unknown family %q (families: %s)", family, strings.Join(FamilyNames(), ", "))}
	}
	if !f.staged(pipelineOf(s)) {
		return "", "", &OverrideError{"variant", fv, fmt.Sprintf("the scenario's pipeline has no %s stage", f.Stage)}
	}
	if err := f.checkName(name); err != nil {
		return "", "", &OverrideError{"variant", fv, err.Error()}
	}
	return family, name, nil
}

// restrict makes vs run only the given variants of a family: the matrix's
// list for it, or the combinations of the list that have one of them
// (combinations without the family get each of them).
func restrict(vs *spec.Variants, family string, names []string) error {
	if len(vs.List) == 0 {
		vs.Matrix[family] = names
		return nil
	}
	var kept []map[string]string
	for _, c := range vs.List {
		v, has := c[family]
		for _, name := range names {
			if !has || v == name {
				c2 := mapsClone(c)
				c2[family] = name
				kept = append(kept, c2)
			}
		}
	}
	if len(kept) == 0 {
		return &OverrideError{"variant", family + "=" + strings.Join(names, ","), "no combination of the scenario's variants list has it"}
	}
	vs.List = kept
	return nil
}

func mapsClone(m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// pipelineOf is the scenario's stages, for the staged test of a family.
func pipelineOf(s *spec.Scenario) *Pipeline {
	p := s.Pipeline
	return &Pipeline{Provider: p.Provider, Messages: p.Messages, Cache: p.Cache, Fanout: p.Fanout, Stream: p.Stream, Validate: p.Validate, WorkerPool: p.WorkerPool}
}
