package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/montanaflynn/stats"
	"golang.org/x/perf/benchfmt"
)

// figure is one benchmark (full name, GOMAXPROCS suffix included) and one
// of its units.
type figure struct{ name, unit string }

// samples are a figure's values in one file, with the iterations each was
// averaged over.
type samples struct {
	values []float64
	iters  []int
}

// readResults reads a Go benchmark format file with benchfmt. Units are
// benchfmt's normalised ones (ns/op is read as sec/op).
func readResults(path string) (map[figure]*samples, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseResults(f, path)
}

func parseResults(r io.Reader, name string) (map[figure]*samples, error) {
	out := map[figure]*samples{}
	br := benchfmt.NewReader(r, name)
	for br.Scan() {
		switch rec := br.Result().(type) {
		case *benchfmt.Result:
			for _, v := range rec.Values {
				k := figure{"Benchmark" + string(rec.Name.Full()), v.Unit}
				s := out[k]
				if s == nil {
					s = &samples{}
					out[k] = s
				}
				s.values = append(s.values, v.Value)
				s.iters = append(s.iters, rec.Iters)
			}
		case *benchfmt.SyntaxError:
			return nil, rec
		}
	}
	if err := br.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no benchmark results", name)
	}
	return out, nil
}

// Exemption declares figures that legitimately depend on b.N: costs paid
// once per run and spread over its iterations, or steps of an amortised
// structure that a short run may or may not reach.
type Exemption struct {
	Pattern string // regexp on the full benchmark name
	Units   string // comma-separated units; empty for every unit
	Reason  string
	re      *regexp.Regexp
}

func (e *Exemption) matches(f figure) bool {
	if e.re == nil {
		e.re = regexp.MustCompile(e.Pattern)
	}
	if !e.re.MatchString(f.name) {
		return false
	}
	if e.Units == "" {
		return true
	}
	for _, u := range strings.Split(e.Units, ",") {
		if u == f.unit {
			return true
		}
	}
	return false
}

// Options of a check.
type Options struct {
	Threshold  float64 // largest relative move allowed (0.20)
	Exemptions []Exemption
}

// Status of a figure.
const (
	StatusOK        = "ok"
	StatusMoved     = "moved"
	StatusAmortised = "amortised"
	StatusMissing   = "missing"
)

// Verdict is the comparison of one figure at the two benchtimes.
type Verdict struct {
	Name, Unit  string
	Short, Long float64 // each side's center (see center)
	Change      float64 // (Long − Short) / Short
	Status      string
	Note        string
}

// unitKind tells how a unit's values vary from run to run.
type unitKind int

const (
	continuous unitKind = iota // times, rates, lengths: medians compared
	memory                     // B/op, allocs/op: integers truncated per op
	events                     // custom counts of events per op: Poisson
)

func kindOf(unit string) unitKind {
	switch {
	case isTime(unit), strings.HasSuffix(unit, "/s"), unit == "history-len":
		return continuous
	case unit == "B/op", unit == "allocs/op":
		return memory
	}
	return events
}

// isTime: benchfmt reads ns/op, ns/task, ns/token... as sec/op, sec/task,
// sec/token.
func isTime(unit string) bool { return strings.HasPrefix(unit, "sec/") }

// Slack of the memory units, as llmbench gate's: Go truncates both to an
// integer per op, so one allocation, or 8 bytes, is rounding, not a change.
const (
	allocSlack = 1
	byteSlack  = 8
)

// Check compares every figure of short with the same figure of long.
func Check(short, long map[figure]*samples, o Options) []Verdict {
	var keys []figure
	seen := map[figure]bool{}
	for _, m := range []map[figure]*samples{short, long} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].name != keys[j].name {
			return keys[i].name < keys[j].name
		}
		return keys[i].unit < keys[j].unit
	})
	var out []Verdict
	for _, k := range keys {
		v := Verdict{Name: k.name, Unit: k.unit}
		s, l := short[k], long[k]
		if s == nil || l == nil {
			v.Status, v.Note = StatusMissing, "in one run only"
			out = append(out, v)
			continue
		}
		v.Short, v.Long = center(k.unit, s.values), center(k.unit, l.values)
		if v.Short != 0 {
			v.Change = (v.Long - v.Short) / v.Short
		} else if v.Long != 0 {
			v.Change = math.Inf(1)
		}
		v.Status = StatusOK
		if moved(k.unit, s, l, v, o.Threshold) {
			v.Status = StatusMoved
		}
		for i := range o.Exemptions {
			if e := &o.Exemptions[i]; e.matches(k) {
				if v.Status == StatusMoved {
					v.Status = StatusAmortised
				}
				v.Note = e.Reason
				break
			}
		}
		out = append(out, v)
	}
	return out
}

// moved says whether a figure moved by more than the threshold, and by
// more than its noise: every sample of one side must lie beyond every
// sample of the other (with 5 samples a side, chance alone does that once
// in 126 figures, and a 20 % move on top much more rarely), and beyond
// the unit's rounding or counting noise.
func moved(unit string, s, l *samples, v Verdict, threshold float64) bool {
	diff := math.Abs(v.Long - v.Short)
	if diff <= threshold*math.Abs(v.Short) {
		return false
	}
	if !separated(s.values, l.values) {
		return false
	}
	switch kindOf(unit) {
	case memory:
		slack := float64(allocSlack)
		if unit == "B/op" {
			slack = byteSlack
		}
		return diff > slack
	case events:
		// A count of events per op estimated from n ops has variance
		// rate/n (Poisson): a move within three standard deviations is
		// what chance alone gives a rare event.
		rs, ns := rate(s)
		rl, nl := rate(l)
		return diff > 3*math.Sqrt(rs/ns+rl/nl)
	}
	return true
}

// separated reports whether all of a's samples lie on one side of all of
// b's.
func separated(a, b []float64) bool {
	return slices.Max(a) < slices.Min(b) || slices.Max(b) < slices.Min(a)
}

// rate is the events per op over all samples and the ops they cover.
func rate(s *samples) (perOp, ops float64) {
	var ev float64
	for i, v := range s.values {
		ev += v * float64(s.iters[i])
		ops += float64(s.iters[i])
	}
	return ev / ops, ops
}

// center is what a side's samples say of a figure. Times and rates take
// the best sample: on a shared machine, noise (other processes, a CPU taken
// away) only ever adds time, so the best sample is the closest to the cost
// and the steadiest from run to run, while a cost that depends on b.N
// shows in every sample. The others take the median.
func center(unit string, xs []float64) float64 {
	switch {
	case strings.HasSuffix(unit, "/s"):
		return slices.Max(xs)
	case isTime(unit):
		return slices.Min(xs)
	}
	return median(xs)
}

func median(xs []float64) float64 {
	m, err := stats.Median(xs)
	if err != nil {
		return math.NaN() // never empty: a figure exists once it has a value
	}
	return m
}

// errMoved is returned when a figure moved.
var errMoved = errors.New("figures moved with the benchtime")
