package mockprovider

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/llmbench/llmbench/internal/strictyaml"
)

// Unit says what a distribution measures.
type Unit int

// Units of a distribution.
const (
	Duration Unit = iota // values carry a time unit (50ms); sampled in nanoseconds
	Count                // plain numbers, such as token counts
)

// Quantity is a YAML scalar that is either a duration ("50ms", "1.5s") or a
// plain number ("200").
type Quantity struct {
	V          float64 // nanoseconds for a duration
	IsDuration bool
	Text       string
}

// UnmarshalYAML reads a duration or a number.
func (q *Quantity) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &FieldError{Line: n.Line, Msg: fmt.Sprintf("want a number or a duration such as 50ms, got a %s", kindName(n))}
	}
	v, err := parseQuantity(n.Value)
	if err != nil {
		return &FieldError{Line: n.Line, Msg: err.Error()}
	}
	*q = v
	return nil
}

func parseQuantity(s string) (Quantity, error) {
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return Quantity{}, fmt.Errorf("%q is not a finite number", s)
		}
		return Quantity{V: f, Text: s}, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return Quantity{}, fmt.Errorf("%q is neither a number nor a duration such as 50ms", s)
	}
	return Quantity{V: float64(d), IsDuration: true, Text: s}, nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "value"
}

// DistSpec is a distribution as YAML states it, for example
//
//	ttft: {dist: lognormal, median: 50ms, p99: 200ms}
//	itl: 10ms                                  # a constant
//	output_tokens: {dist: uniform, min: 20, max: 200}
//	ttft: {dist: mixture, components: [{weight: 95, dist: constant, value: 40ms},
//	                                   {weight: 5, dist: exponential, mean: 2s}]}
//
// Fields by dist: constant value; uniform min max; normal mean stddev
// (clamped at 0); lognormal median p99, or mu sigma (of the natural log of
// the value in milliseconds, or in the count); exponential mean; pareto
// scale shape; empirical samples or file (one value a line); mixture
// components (each a dist with a weight).
type DistSpec struct {
	Dist       string
	Value      *Quantity
	Min, Max   *Quantity
	Mean       *Quantity
	Stddev     *Quantity
	Median     *Quantity
	P99        *Quantity
	Mu, Sigma  *float64
	Scale      *Quantity
	Shape      *float64
	Samples    []Quantity
	File       string
	Weight     float64 // as a mixture component
	Components []DistSpec
	Line       int
}

var distFields = map[string][]string{
	"constant":    {"value"},
	"uniform":     {"min", "max"},
	"normal":      {"mean", "stddev"},
	"lognormal":   {"median", "p99", "mu", "sigma"},
	"exponential": {"mean"},
	"pareto":      {"scale", "shape"},
	"empirical":   {"samples", "file"},
	"mixture":     {"components"},
}

// DistNames lists the distributions a spec may name.
func DistNames() []string {
	names := make([]string, 0, len(distFields))
	for k := range distFields {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// UnmarshalYAML reads a spec, rejecting unknown fields with their line.
func (s *DistSpec) UnmarshalYAML(n *yaml.Node) error {
	*s = DistSpec{Line: n.Line}
	if n.Kind == yaml.ScalarNode { // shorthand for a constant
		q, err := parseQuantity(n.Value)
		if err != nil {
			return &FieldError{Line: n.Line, Msg: err.Error()}
		}
		s.Dist, s.Value = "constant", &q
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return &FieldError{Line: n.Line, Msg: fmt.Sprintf("a distribution is a value such as 10ms or a mapping with dist:, not a %s", kindName(n))}
	}
	var unknown *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var err error
		switch k.Value {
		case "dist":
			err = v.Decode(&s.Dist)
		case "value":
			err = v.Decode(&s.Value)
		case "min":
			err = v.Decode(&s.Min)
		case "max":
			err = v.Decode(&s.Max)
		case "mean":
			err = v.Decode(&s.Mean)
		case "stddev":
			err = v.Decode(&s.Stddev)
		case "median":
			err = v.Decode(&s.Median)
		case "p99":
			err = v.Decode(&s.P99)
		case "mu":
			err = v.Decode(&s.Mu)
		case "sigma":
			err = v.Decode(&s.Sigma)
		case "scale":
			err = v.Decode(&s.Scale)
		case "shape":
			err = v.Decode(&s.Shape)
		case "samples":
			err = v.Decode(&s.Samples)
		case "file":
			err = v.Decode(&s.File)
		case "weight":
			err = v.Decode(&s.Weight)
		case "components":
			err = v.Decode(&s.Components)
		default:
			if unknown == nil {
				unknown = k
			}
			continue
		}
		if err != nil {
			var fe *FieldError
			if errors.As(err, &fe) {
				if fe.Path == "" {
					fe.Path = k.Value
				}
				return fe
			}
			return &FieldError{Path: k.Value, Line: v.Line, Msg: strictyaml.SyntaxMessage(err)}
		}
	}
	if unknown != nil {
		// Suggest among the fields of the distribution named, if any.
		fields, ok := distFields[s.Dist]
		if !ok {
			fields = allDistFields()
		}
		return &FieldError{Line: unknown.Line, Msg: fmt.Sprintf("unknown field %q in a distribution%s", unknown.Value, strictyaml.Suggest(unknown.Value, append([]string{"dist", "weight"}, fields...)))}
	}
	return nil
}

func allDistFields() []string {
	seen := map[string]bool{}
	var out []string
	for _, name := range DistNames() {
		for _, f := range distFields[name] {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	return out
}

// Build checks the spec and returns its distribution. where names the field
// in messages; files are read relative to baseDir.
func (s DistSpec) Build(unit Unit, where, baseDir string) (Dist, error) {
	fail := func(format string, args ...any) (Dist, error) {
		return nil, &FieldError{Path: where, Line: s.Line, Msg: fmt.Sprintf(format, args...)}
	}
	fields, known := distFields[s.Dist]
	if !known {
		if s.Dist == "" {
			return fail("dist is missing (one of %s)", strings.Join(DistNames(), ", "))
		}
		return fail("unknown dist %q (one of %s)", s.Dist, strings.Join(DistNames(), ", "))
	}
	set := s.setFields()
	for _, f := range set {
		if !slices.Contains(fields, f) {
			return fail("%s does not take %s (it takes %s)", s.Dist, f, strings.Join(fields, ", "))
		}
	}
	q := func(name string, v *Quantity, positive bool) (float64, error) {
		if v == nil {
			return 0, fmt.Errorf("%s needs %s", s.Dist, name)
		}
		return checkQuantity(unit, name, *v, positive)
	}
	switch s.Dist {
	case "constant":
		v, err := q("value", s.Value, false)
		if err != nil {
			return fail("%v", err)
		}
		return Constant{v}, nil
	case "uniform":
		lo, err := q("min", s.Min, false)
		if err != nil {
			return fail("%v", err)
		}
		hi, err := q("max", s.Max, false)
		if err != nil {
			return fail("%v", err)
		}
		if hi < lo {
			return fail("uniform needs min <= max (got min %s, max %s)", s.Min.Text, s.Max.Text)
		}
		return Uniform{lo, hi}, nil
	case "normal":
		m, err := q("mean", s.Mean, false)
		if err != nil {
			return fail("%v", err)
		}
		sd, err := q("stddev", s.Stddev, false)
		if err != nil {
			return fail("%v", err)
		}
		return Normal{m, sd}, nil
	case "lognormal":
		if s.Mu != nil || s.Sigma != nil {
			if s.Mu == nil || s.Sigma == nil || s.Median != nil || s.P99 != nil {
				return fail("lognormal takes either median and p99, or mu and sigma")
			}
			if !isFinite(*s.Mu) {
				return fail("lognormal needs a finite mu (got %g)", *s.Mu)
			}
			if !(*s.Sigma > 0) || !isFinite(*s.Sigma) {
				return fail("lognormal needs a finite sigma > 0 (got %g)", *s.Sigma)
			}
			mu := *s.Mu
			if unit == Duration {
				mu += logMillisecond // mu is stated for milliseconds
			}
			return LogNormal{mu, *s.Sigma}, nil
		}
		med, err := q("median (or mu and sigma)", s.Median, true)
		if err != nil {
			return fail("%v", err)
		}
		p99, err := q("p99", s.P99, true)
		if err != nil {
			return fail("%v", err)
		}
		if p99 <= med {
			return fail("lognormal needs p99 > median (got median %s, p99 %s)", s.Median.Text, s.P99.Text)
		}
		return LogNormalFromMedianP99(med, p99), nil
	case "exponential":
		m, err := q("mean", s.Mean, true)
		if err != nil {
			return fail("%v", err)
		}
		return Exponential{m}, nil
	case "pareto":
		sc, err := q("scale", s.Scale, true)
		if err != nil {
			return fail("%v", err)
		}
		if s.Shape == nil || !(*s.Shape > 0) || !isFinite(*s.Shape) {
			return fail("pareto needs a finite shape > 0")
		}
		return Pareto{sc, *s.Shape}, nil
	case "empirical":
		return s.buildEmpirical(unit, baseDir, fail)
	default: // mixture
		if len(s.Components) == 0 {
			return fail("mixture needs components")
		}
		weights := make([]float64, len(s.Components))
		comps := make([]Dist, len(s.Components))
		for i, c := range s.Components {
			if !(c.Weight > 0) || !isFinite(c.Weight) {
				return fail("mixture component %d needs a finite weight > 0", i+1)
			}
			d, err := c.Build(unit, fmt.Sprintf("%s.components[%d]", where, i), baseDir)
			if err != nil {
				return nil, err
			}
			weights[i], comps[i] = c.Weight, d
		}
		return NewMixture(weights, comps), nil
	}
}

func isFinite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// logMillisecond converts mu stated for milliseconds to nanoseconds.
var logMillisecond = 13.815510557964274 // ln(1e6)

func checkQuantity(unit Unit, name string, v Quantity, positive bool) (float64, error) {
	switch {
	case unit == Duration && !v.IsDuration && v.V != 0:
		return 0, fmt.Errorf("%s %s needs a time unit, such as %sms", name, v.Text, v.Text)
	case unit == Count && v.IsDuration:
		return 0, fmt.Errorf("%s %s is a duration; this is a count", name, v.Text)
	case v.V < 0:
		return 0, fmt.Errorf("%s must not be negative (got %s)", name, v.Text)
	case positive && v.V == 0:
		return 0, fmt.Errorf("%s must be positive", name)
	}
	return v.V, nil
}

func (s DistSpec) setFields() []string {
	var out []string
	add := func(name string, set bool) {
		if set {
			out = append(out, name)
		}
	}
	add("value", s.Value != nil)
	add("min", s.Min != nil)
	add("max", s.Max != nil)
	add("mean", s.Mean != nil)
	add("stddev", s.Stddev != nil)
	add("median", s.Median != nil)
	add("p99", s.P99 != nil)
	add("mu", s.Mu != nil)
	add("sigma", s.Sigma != nil)
	add("scale", s.Scale != nil)
	add("shape", s.Shape != nil)
	add("samples", s.Samples != nil)
	add("file", s.File != "")
	add("components", s.Components != nil)
	return out
}

// Files lists the files the distribution reads (its mixture components'
// included), as written.
func (s DistSpec) Files() []string {
	var out []string
	if s.File != "" {
		out = append(out, s.File)
	}
	for _, c := range s.Components {
		out = append(out, c.Files()...)
	}
	return out
}

func (s DistSpec) buildEmpirical(unit Unit, baseDir string, fail func(string, ...any) (Dist, error)) (Dist, error) {
	if (s.File == "") == (s.Samples == nil) {
		return fail("empirical takes samples or file, one of them")
	}
	raw := s.Samples
	if s.File != "" {
		path := s.File
		if !filepath.IsAbs(path) {
			path = filepath.Join(baseDir, path)
		}
		var err error
		if raw, err = readSamples(path); err != nil {
			return fail("%v", err)
		}
	}
	if len(raw) == 0 {
		return fail("empirical needs at least one sample")
	}
	vals := make([]float64, len(raw))
	for i, v := range raw {
		f, err := checkQuantity(unit, fmt.Sprintf("sample %d", i+1), v, false)
		if err != nil {
			return fail("%v", err)
		}
		vals[i] = f
	}
	return NewEmpirical(vals), nil
}

// readSamples reads one value a line; blank lines and # comments are skipped.
func readSamples(path string) ([]Quantity, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Quantity
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text, _, _ := strings.Cut(sc.Text(), "#")
		if text = strings.TrimSpace(text); text == "" {
			continue
		}
		q, err := parseQuantity(text)
		if err != nil {
			// The line is not echoed: the file may not be a samples file.
			return nil, fmt.Errorf("%s:%d: not a number or a duration such as 50ms", path, line)
		}
		out = append(out, q)
	}
	return out, sc.Err()
}
