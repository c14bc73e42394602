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
)

// InputError is a file that cannot be read as benchmark results.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

// Dataset is the results of one or more files.
type Dataset struct {
	Results []*benchfmt.Result
	Units   benchfmt.UnitMetadataMap
	// Configs holds, per file, the configuration lines that describe the
	// machine (goos, goarch, cpu, go, nproc), for the different-machine
	// warning.
	Configs map[string]map[string]string
}

var machineKeys = []string{"goos", "goarch", "cpu", "go", "nproc"}

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
			r := rec.Clone()
			ds.Results = append(ds.Results, r)
			file := r.GetConfig(".file")
			count[file]++
			cfg := ds.Configs[file]
			if cfg == nil {
				cfg = map[string]string{}
				ds.Configs[file] = cfg
			}
			for _, k := range machineKeys {
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
	for _, p := range paths {
		label := p
		if i := strings.Index(p, "="); i > 0 && !strings.ContainsAny(p[:i], `/\`) {
			label = p[:i] // a "label=path" argument
		}
		if count[label] == 0 {
			return nil, &InputError{Msg: fmt.Sprintf("%s: no benchmark results in the file", p)}
		}
	}
	ds.Units = files.Units()
	return ds, nil
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

// Compare builds one Table per unit.
func Compare(ds *Dataset, o Options) ([]*Table, error) {
	o.defaults()
	if o.Alpha <= 0 || o.Alpha >= 1 {
		return nil, fmt.Errorf("--alpha %g: must be between 0 and 1", o.Alpha)
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
		return nil, errors.New("no results match (check --filter)")
	}
	thresholds := benchmath.DefaultThresholds
	thresholds.CompareAlpha = o.Alpha
	var tables []*Table
	for _, unit := range units {
		t := &Table{Unit: unit, Better: ds.Units.GetBetter(unit), Cells: map[[2]benchproc.Key]*Cell{}}
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
