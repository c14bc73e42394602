// Package compare reads Go benchmark format files (from go test -bench or
// from llmbench run) and compares them with benchstat's statistics:
// medians with confidence intervals, and the Mann-Whitney U test for
// differences (golang.org/x/perf/benchmath), grouped by benchproc
// projections, so that -col, -row and -filter mean what they mean to
// benchstat. Gate decides whether a candidate regressed against a baseline.
package compare

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchproc"
	"golang.org/x/perf/benchunit"
)

// InputError is a file that cannot be read as benchmark results.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

// Dataset is the results of one or more files.
type Dataset struct {
	Results []*benchfmt.Result
	Units   benchfmt.UnitMetadataMap
	// Configs holds, per file, the configuration lines that describe the
	// machine (goos, goarch, cpu, go, nproc) and the benchtime, for the
	// gate's warnings, and the scenario of an llmbench run's results.txt.
	Configs map[string]map[string]string
}

var machineKeys = []string{"goos", "goarch", "cpu", "go", "nproc"}

// scenarioKey is the configuration line by which an llmbench run's
// results.txt is told apart from go test output: how to get more samples
// differs (--repeat against -count).
const scenarioKey = "scenario"

// benchtimeKey is the configuration line scripts/bench.sh writes: a gate
// of runs at different benchtimes warns.
const benchtimeKey = "benchtime"

// sourceHashKey and partialKey are the configuration lines of an llmbench
// run's results.txt that say which scenario text ran, and whether the run
// was interrupted.
const (
	sourceHashKey = "source-sha256"
	partialKey    = "partial"
	sweepKey      = "sweep"
)

// Read reads benchmark files. A line that is not valid benchmark format is
// an error naming the file and line; a file without any result is one too.
func Read(paths ...string) (*Dataset, error) {
	ds := &Dataset{Configs: map[string]map[string]string{}}
	files := benchfmt.Files{Paths: paths, AllowLabels: true}
	count := map[string]int{}
	var errs []string
	for files.Scan() {
		switch rec := files.Result().(type) {
		case *benchfmt.SyntaxError:
			errs = append(errs, rec.Error())
		case *benchfmt.Result:
			if bad := badValue(rec); bad != "" {
				// benchmath's statistics never end on a NaN: refuse it here.
				f, line := rec.Pos()
				errs = append(errs, fmt.Sprintf("%s:%d: %s", f, line, bad))
				continue
			}
			r := rec.Clone()
			tidyZeros(r)
			ds.Results = append(ds.Results, r)
			file := r.GetConfig(".file")
			count[file]++
			cfg := ds.Configs[file]
			if cfg == nil {
				cfg = map[string]string{}
				ds.Configs[file] = cfg
			}
			for _, k := range append(machineKeys, benchtimeKey, scenarioKey, sourceHashKey, partialKey, sweepKey) {
				if v := r.GetConfig(k); v != "" {
					if _, seen := cfg[k]; !seen {
						cfg[k] = v
					}
				}
			}
		}
	}
	if err := files.Err(); err != nil {
		return nil, &InputError{Msg: err.Error()}
	}
	if len(errs) > 0 {
		return nil, &InputError{Msg: strings.Join(errs, "\n")}
	}
	for i, label := range fileLabels(paths) {
		if count[label] == 0 {
			return nil, &InputError{Msg: fmt.Sprintf("%s: no benchmark results in the file", paths[i])}
		}
	}
	ds.Units = files.Units()
	return ds, nil
}

// badValue says what is wrong with r's values (NaN, infinite, negative:
// no benchmark figure is), or "".
func badValue(r *benchfmt.Result) string {
	if r.Iters < 0 {
		return fmt.Sprintf("the iteration count %d is negative", r.Iters)
	}
	for _, v := range r.Values {
		unit, val := v.OrigUnit, v.OrigValue
		if unit == "" {
			unit, val = v.Unit, v.Value
		}
		switch {
		case math.IsNaN(v.Value) || math.IsInf(v.Value, 0):
			return fmt.Sprintf("the %s value %v is not a finite number", unit, val)
		case v.Value < 0:
			return fmt.Sprintf("the %s value %v is negative", unit, val)
		}
	}
	return ""
}

// tidyZeros gives zero values the tidied unit of the others: benchfmt
// tidies a value only when tidying changes it, so "0 ns/op" stays ns/op
// while "5 ns/op" becomes sec/op, and one unit would become two.
func tidyZeros(r *benchfmt.Result) {
	for i, v := range r.Values {
		if v.Value == 0 && v.OrigUnit == "" {
			if _, unit := benchunit.Tidy(1, v.Unit); unit != v.Unit {
				r.Values[i] = benchfmt.Value{Value: 0, Unit: unit, OrigValue: 0, OrigUnit: v.Unit}
			}
		}
	}
}

// fileLabels are the .file values benchfmt.Files gives the paths: the part
// before "=" of a "label=path" argument, else the path, with "#i" added to
// a path given more than once.
func fileLabels(paths []string) []string {
	labels := make([]string, len(paths))
	seen := map[string]int{}
	for i, p := range paths {
		if label, _, ok := strings.Cut(p, "="); ok {
			labels[i] = label
			continue
		}
		labels[i] = p
		seen[p]++
	}
	next := map[string]int{}
	for i, p := range paths {
		if !strings.Contains(p, "=") && seen[p] > 1 {
			labels[i] = fmt.Sprintf("%s#%d", p, next[p])
			next[p]++
		}
	}
	return labels
}

// source says where a dataset's files come from, for the advice on
// getting more samples.
type source struct{ runs, sweeps, goTest int }

func (ds *Dataset) source() source {
	var s source
	for _, cfg := range ds.Configs {
		switch {
		case cfg[sweepKey] != "":
			s.sweeps++
		case cfg[scenarioKey] != "":
			s.runs++
		default:
			s.goTest++
		}
	}
	return s
}

// moreSamples says how to rerun for n samples a benchmark.
func (s source) moreSamples(n int) string {
	var ways []string
	for _, w := range []struct {
		count      int
		how, label string
	}{
		{s.runs, fmt.Sprintf("`llmbench run … --repeat %d`", n), "llmbench run results"},
		{s.sweeps, fmt.Sprintf("`llmbench sweep … --repeat %d`", n), "llmbench sweep results"},
		{s.goTest, fmt.Sprintf("`go test -bench … -count %d`", n), "go test output"},
	} {
		if w.count > 0 {
			ways = append(ways, w.how+" ("+w.label+")")
		}
	}
	if len(ways) == 1 {
		return strings.SplitN(ways[0], " (", 2)[0]
	}
	return strings.Join(ways, " or ")
}

// Options of a comparison; the zero value compares files, as benchstat does.
type Options struct {
	Col        string  // projection for columns (default ".file")
	Row        string  // projection for rows (default ".fullname")
	Filter     string  // benchproc filter (default "*")
	Confidence float64 // for the intervals (default 0.95)
	Alpha      float64 // for the U test (default 0.05)
}

func (o *Options) defaults() {
	if o.Col == "" {
		o.Col = ".file"
	}
	if o.Row == "" {
		o.Row = ".fullname"
	}
	if o.Filter == "" {
		o.Filter = "*"
	}
	if o.Confidence == 0 {
		o.Confidence = 0.95
	}
	if o.Alpha == 0 {
		o.Alpha = benchmath.DefaultThresholds.CompareAlpha
	}
}

// Table is one unit's comparison: a row per benchmark, a column per value
// of the column projection, the first column the base.
type Table struct {
	Unit   string
	Better int // +1 higher is better, -1 lower, 0 unknown
	Exact  bool
	Cols   []benchproc.Key
	Rows   []benchproc.Key
	Cells  map[[2]benchproc.Key]*Cell

	// For the note on samples too small for an interval or a test.
	alpha, confidence float64
	src               source
}

// Cell is a sample and its comparison with the base column's.
type Cell struct {
	Sample  *benchmath.Sample
	Summary benchmath.Summary
	// Against the base column in the same row (nil in the base column or
	// when the base has no sample).
	Cmp   *benchmath.Comparison
	Delta float64 // center / base center − 1
}

// Significant reports whether the cell differs from its base at alpha.
func (c *Cell) Significant() bool { return c.Cmp != nil && c.Cmp.P <= c.Cmp.Alpha }

// HasInterval reports whether the sample was large enough for a finite
// confidence interval.
func (c *Cell) HasInterval() bool {
	return !math.IsInf(c.Summary.Lo, 0) && !math.IsInf(c.Summary.Hi, 0)
}

// Testable reports whether the comparison with the base could have found
// a difference at all: with n=1 against n=1 the U test's smallest p-value
// is 1, so "no significant change" would say nothing.
func (c *Cell) Testable() bool {
	return c.Cmp != nil && (c.Significant() || uTestMinP(c.Cmp.N1, c.Cmp.N2) <= c.Cmp.Alpha)
}

// uTestMinP is the smallest two-sided p-value of the exact U test for
// samples of n1 and n2 values: 2 / C(n1+n2, n1), when one sample lies
// wholly above the other.
func uTestMinP(n1, n2 int) float64 {
	c := 1.0
	for i := 1; i <= n1; i++ {
		c = c * float64(n2+i) / float64(i)
	}
	return math.Min(1, 2/c)
}

// ErrNoMatch is Compare's error when the filter leaves no result.
var ErrNoMatch = errors.New("no results match (check --filter)")

// Compare builds one Table per unit.
func Compare(ds *Dataset, o Options) ([]*Table, error) {
	o.defaults()
	if err := inOpenUnit("--alpha", o.Alpha); err != nil {
		return nil, err
	}
	if err := inOpenUnit("--confidence", o.Confidence); err != nil { // a level, e.g. 0.95
		return nil, err
	}
	filter, err := benchproc.NewFilter(o.Filter)
	if err != nil {
		return nil, fmt.Errorf("--filter: %v", err)
	}
	var parser benchproc.ProjectionParser
	colBy, err := parser.Parse(o.Col, filter)
	if err != nil {
		return nil, fmt.Errorf("--col: %v", err)
	}
	rowBy, err := parser.Parse(o.Row, filter)
	if err != nil {
		return nil, fmt.Errorf("--row: %v", err)
	}
	type groupKey struct {
		unit     string
		row, col benchproc.Key
	}
	values := map[groupKey][]float64{}
	var units []string
	rowSet, colSet := map[string]map[benchproc.Key]bool{}, map[string]map[benchproc.Key]bool{}
	for _, orig := range ds.Results {
		r := orig.Clone() // filters may drop values
		ok, err := filter.Apply(r)
		if err != nil {
			return nil, fmt.Errorf("--filter: %v", err)
		}
		if !ok {
			continue
		}
		row, col := rowBy.Project(r), colBy.Project(r)
		for _, v := range r.Values {
			k := groupKey{v.Unit, row, col}
			if _, seen := rowSet[v.Unit]; !seen {
				units = append(units, v.Unit)
				rowSet[v.Unit], colSet[v.Unit] = map[benchproc.Key]bool{}, map[benchproc.Key]bool{}
			}
			values[k] = append(values[k], v.Value)
			rowSet[v.Unit][row] = true
			colSet[v.Unit][col] = true
		}
	}
	if len(units) == 0 {
		return nil, ErrNoMatch
	}
	thresholds := benchmath.DefaultThresholds
	thresholds.CompareAlpha = o.Alpha
	var tables []*Table
	for _, unit := range units {
		t := &Table{Unit: unit, Better: ds.Units.GetBetter(unit), Cells: map[[2]benchproc.Key]*Cell{},
			alpha: o.Alpha, confidence: o.Confidence, src: ds.source()}
		assume := ds.Units.GetAssumption(unit)
		t.Exact = assume == benchmath.AssumeExact
		for k := range rowSet[unit] {
			t.Rows = append(t.Rows, k)
		}
		for k := range colSet[unit] {
			t.Cols = append(t.Cols, k)
		}
		benchproc.SortKeys(t.Rows)
		benchproc.SortKeys(t.Cols)
		for _, row := range t.Rows {
			var base *Cell
			for i, col := range t.Cols {
				vs, ok := values[groupKey{unit, row, col}]
				if !ok {
					continue
				}
				s := benchmath.NewSample(append([]float64(nil), vs...), &thresholds)
				c := &Cell{Sample: s, Summary: assume.Summary(s, o.Confidence)}
				if i == 0 {
					base = c
				} else if base != nil {
					cmp := assume.Compare(base.Sample, s)
					c.Cmp = &cmp
					c.Delta = ratio(c.Summary.Center, base.Summary.Center)
				}
				t.Cells[[2]benchproc.Key{row, col}] = c
			}
		}
		tables = append(tables, t)
	}
	sort.SliceStable(tables, func(i, j int) bool { return unitRank(tables[i].Unit) < unitRank(tables[j].Unit) })
	return tables, nil
}

// inOpenUnit checks that a probability is strictly between 0 and 1 (NaN
// fails every comparison, so it is refused too).
func inOpenUnit(flag string, v float64) error {
	if !(v > 0 && v < 1) {
		return fmt.Errorf("%s %g: must be strictly between 0 and 1", flag, v)
	}
	return nil
}

// unitRank puts the testing package's units first, as benchstat does.
func unitRank(u string) int {
	switch u {
	case "sec/op":
		return 0
	case "B/op":
		return 1
	case "allocs/op":
		return 2
	}
	return 3
}

func ratio(v, base float64) float64 {
	if base == 0 {
		if v == 0 {
			return 0
		}
		return math.Inf(1)
	}
	return v/base - 1
}
