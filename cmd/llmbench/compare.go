package main

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/perf/benchunit"

	"github.com/llmbench/llmbench/bench/ab"
	"github.com/llmbench/llmbench/bench/compare"
)

func newCompareCmd() *cobra.Command {
	var o compare.Options
	var format string
	cmd := &cobra.Command{
		Use:   "compare FILE [FILE...]",
		Short: "Compare benchmark results with benchstat's statistics",
		Long: `Compare Go benchmark format files (go test -bench output, or an llmbench
run's results.txt, for which its folder may stand): per benchmark and unit, the median with its 95 %
confidence interval, and for each column the change against the first, with
the Mann-Whitney U test's p-value ("~" when not significant at --alpha).

Columns are files by default; within one file, --col /impl puts variants
side by side (any benchproc projection: /key, .name, .file, goos, ...).

  llmbench compare old.txt new.txt
  llmbench compare --col /impl results/baseline/bench.txt --filter '/keys:1000'
  llmbench compare --col /cache results/quickstart-*/results.txt --format markdown`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := probability("--alpha", o.Alpha, "0.05"); err != nil {
				return err
			}
			if err := probability("--confidence", o.Confidence, "0.95"); err != nil {
				return err
			}
			ds, err := readDataset(args...)
			if err != nil {
				return err
			}
			if err := checkProjection("--col", o.Col, ds); err != nil {
				return err
			}
			if err := checkProjection("--row", o.Row, ds); err != nil {
				return err
			}
			if err := checkFilter(o.Filter, ds); err != nil {
				return err
			}
			tables, err := compare.Compare(ds, o)
			if errors.Is(err, compare.ErrNoMatch) {
				return badInputf("--filter %s: no result matches; the files' benchmarks: %s", o.Filter, benchNames(ds))
			}
			if err != nil {
				return badInput(err)
			}
			if err := compare.Write(cmd.OutOrStdout(), tables, format); err != nil {
				return badInput(err)
			}
			return nothingCompared(tables, o.Col)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Col, "col", ".file", "projection for columns, e.g. /impl")
	f.StringVar(&o.Row, "row", ".fullname", "projection for rows")
	f.StringVar(&o.Filter, "filter", "*", "benchproc filter, e.g. '.name:Cache /keys:1000'")
	f.StringVar(&format, "format", "table", "output: table, csv, json or markdown")
	f.Float64Var(&o.Alpha, "alpha", 0.05, "significance level of the U test")
	f.Float64Var(&o.Confidence, "confidence", 0.95, "confidence level of the intervals")
	return cmd
}

// nothingCompared refuses tables with several columns where no row has a
// value in the first column and another: two files that share no
// benchmark (the cache matrix against the baseline, a renamed benchmark)
// printed side by side, every change blank, and exited 0.
func nothingCompared(tables []*compare.Table, col string) error {
	cols := 0
	for _, t := range tables {
		cols = max(cols, len(t.Cols))
		for _, c := range t.Cells {
			if c.Cmp != nil {
				return nil
			}
		}
	}
	if cols < 2 {
		return nil // one column: a summary, not a comparison
	}
	return badInputf("nothing was compared: no benchmark has a value in the first column (--col %s) and in another; do the files or variants share any benchmark?", col)
}

// filterKey is a sub-benchmark key in a benchproc filter: /KEY:VALUE,
// perhaps negated (-/KEY:...) or inside parentheses.
var filterKey = regexp.MustCompile(`(?:^|[\s(])-?/([^\s:()@"]+):`)

// checkFilter refuses a --filter that names a sub-benchmark key no
// benchmark has: benchproc reads the missing key as empty, so a typo
// (/imp:lockfree) matches nothing, or, inside an OR, silently drops its
// side from the table.
func checkFilter(filter string, ds *compare.Dataset) error {
	known := subKeys(ds)
	for _, m := range filterKey.FindAllStringSubmatch(filter, -1) {
		if !known[m[1]] {
			return unknownKey("--filter", filter, m[1], known)
		}
	}
	return nil
}

// benchNames lists the benchmarks' base names (.name, as a filter
// matches them: Cache for BenchmarkCache/impl=seed-2), at most 30.
func benchNames(ds *compare.Dataset) string {
	seen := map[string]bool{}
	for _, r := range ds.Results {
		base, _ := r.Name.Parts()
		seen[strings.TrimPrefix(string(base), "Benchmark")] = true
	}
	names := slices.Sorted(maps.Keys(seen))
	if len(names) > 30 {
		return strings.Join(names[:30], ", ") + fmt.Sprintf(" and %d more", len(names)-30)
	}
	return strings.Join(names, ", ")
}

// probability checks a flag that must lie strictly between 0 and 1. The
// library reads 0 as "default", so a 0 given on the command line must be
// refused here rather than silently replaced.
func probability(flag string, v float64, example string) error {
	if !(v > 0 && v < 1) { // NaN fails both
		return badInputf("%s %g: must be strictly between 0 and 1, e.g. %s", flag, v, example)
	}
	return nil
}

// parsePercent reads a percentage, "5%", into a fraction. There is one
// spelling only: a bare number is refused, because "5" was once read as
// 500 % and "0.05" could mean 0.05 % or 5 %.
func parsePercent(flag, s string) (float64, error) {
	v, pct := strings.CutSuffix(strings.TrimSpace(s), "%")
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	switch {
	case err != nil:
		return 0, badInputf("%s %q: want a percentage such as %s 5%%", flag, s, flag)
	case math.IsNaN(f) || math.IsInf(f, 0):
		return 0, badInputf("%s %q: must be a finite percentage such as 5%%", flag, s)
	case !pct:
		msg := fmt.Sprintf("%s %s: a bare number is ambiguous; write the percent sign: %s %s%%", flag, s, flag, v)
		if f > 0 && f < 1 {
			msg += fmt.Sprintf(" (or %s %g%% if %s was meant as a fraction)", flag, 100*f, v)
		}
		return 0, badInput(errors.New(msg))
	}
	return f / 100, nil
}

func newGateCmd() *cobra.Command {
	var (
		baseline, candidate, threshold, exactTol, units, format, baseRef, pkg string
		candEnv                                                               []string
		o                                                                     compare.GateOptions
		rounds                                                                int
	)
	cmd := &cobra.Command{
		Use:         "gate (--baseline FILE --candidate FILE | --base-ref REV [-- go test flags])",
		Annotations: map[string]string{annotInterruptible: "yes"},
		Short:       "Fail (exit 1) on statistically significant regressions",
		Long: `Compare a candidate with a baseline and exit 1 only where a change is both
statistically significant (Mann-Whitney U, p <= --alpha) and worse than
--threshold; exact units (allocs/op, B/op, and units marked assume=exact)
fail on any rise beyond --exact-tolerance (and beyond the baseline's own
spread, where its samples differ). Thresholds are percentages
with their sign (5%); 100% or more needs --allow-large-threshold.

A gate that cannot judge exits 2, never PASS: too few samples (with the
rerun that gives enough), nothing compared, a --units unit not compared,
every baseline benchmark vanished, or a unit the baseline reports that the
candidate never does (ns/op against ms/op). Benchmarks that appear, or
vanish while others remain, are listed, not fatal.

With --base-ref, llmbench builds the benchmark package at REV (in a
temporary git worktree) and in the working tree once, runs them
interleaved (A B A B ...) for --count rounds with the go test flags after
--, and gates the two. On a noisy machine this is the way to compare.

  llmbench gate --baseline results/baseline/bench.txt --candidate new.txt --units allocs/op,B/op
  llmbench gate --base-ref origin/main -- -bench 'BenchmarkCache/impl=sharded' -benchtime 100ms -cpu 2`,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if o.Threshold, err = parsePercent("--threshold", threshold); err != nil {
				return err
			}
			if o.ExactTolerance, err = parsePercent("--exact-tolerance", exactTol); err != nil {
				return err
			}
			if err := probability("--alpha", o.Alpha, "0.05"); err != nil {
				return err
			}
			if o.MinSamples < 1 { // the library would read 0 as its default
				return badInputf("--min-samples %d: must be at least 1", o.MinSamples)
			}
			for _, u := range strings.Split(units, ",") {
				if u = strings.TrimSpace(u); u != "" {
					_, tidy := benchunit.Tidy(1, u)
					o.Units = append(o.Units, tidy)
				}
			}
			if format != "table" && format != "markdown" {
				return badInputf("--format %q: table or markdown", format)
			}
			stderr := cmd.ErrOrStderr()
			switch {
			case baseRef != "":
				if baseline != "" || candidate != "" {
					return badInputf("--base-ref runs both sides itself: drop --baseline and --candidate")
				}
				if floor := compare.MinUsefulSamples(o.Alpha); rounds < floor {
					return badInputf("--count %d: with %d rounds a side the U test cannot reach p < %g; use --count %d or more (20 on a noisy machine)", rounds, rounds, o.Alpha, floor)
				}
				if !cmd.Flags().Changed("min-samples") {
					o.MinSamples = min(o.MinSamples, rounds)
				} else if o.MinSamples > rounds {
					return badInputf("--min-samples %d is more than --count %d: every benchmark would have too few samples", o.MinSamples, rounds)
				}
				o.MoreSamples = fmt.Sprintf("`llmbench gate --base-ref … --count %d`", o.MinSamples)
			case baseline == "" || candidate == "":
				return badInputf("give --baseline and --candidate, or --base-ref")
			case len(args) > 0:
				return badInputf("go test flags after -- go with --base-ref only")
			}
			// Checked before an A/B run of minutes: "FOO" would be passed
			// to the candidate's environment as nothing.
			for _, kv := range candEnv {
				if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
					return badInputf("--candidate-env %q: want KEY=VALUE, e.g. LLMBENCH_SLOWDOWN='Cache=10%%'", kv)
				}
			}
			if len(candEnv) > 0 && baseRef == "" {
				return badInputf("--candidate-env sets the environment of the benchmarks --base-ref runs; with --baseline and --candidate files nothing runs")
			}
			// Before an A/B run of several minutes, not after it.
			if err := o.Validate(); err != nil {
				return badInput(err)
			}
			if baseRef != "" {
				res, err := ab.Run(cmd.Context(), ab.Options{BaseRef: baseRef, Pkg: pkg, Rounds: rounds, Flags: args,
					CandidateEnv: candEnv, Log: stderr})
				if err != nil {
					return badInput(err)
				}
				defer res.Cleanup()
				fmt.Fprintf(stderr, "llmbench gate: %d interleaved rounds in %s\n", rounds, res.Elapsed.Round(1e9))
				baseline, candidate = res.BaseFile, res.CandFile
			}
			bds, err := readDataset(baseline)
			if err != nil {
				return err
			}
			cds, err := readDataset(candidate)
			if err != nil {
				return err
			}
			rep, err := compare.Gate(bds, cds, o)
			if err != nil {
				return badInput(err)
			}
			if err := compare.WriteReport(cmd.OutOrStdout(), rep, format == "markdown"); err != nil {
				return err
			}
			switch {
			case len(rep.Unjudged) > 0:
				msg := "gate not judged: " + rep.Unjudged[0]
				if len(rep.Unjudged) > 1 {
					msg += fmt.Sprintf(" (and %d more problem(s), above)", len(rep.Unjudged)-1)
				}
				return &exitError{exitBadInput, errors.New(msg)}
			case len(rep.TooFew) > 0:
				return &exitError{exitBadInput, errors.New("gate not judged: " + rep.TooFewText())}
			case rep.Failed():
				return &exitError{exitFailed, fmt.Errorf("%d regression(s)", len(rep.Offenses))}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&baseline, "baseline", "", "baseline results (Go benchmark format)")
	f.StringVar(&candidate, "candidate", "", "candidate results")
	f.StringVar(&threshold, "threshold", "5%", "smallest worsening that fails, for noisy units: a percentage with its % sign")
	f.StringVar(&exactTol, "exact-tolerance", "0%", "worsening allowed for exact units (allocs/op, B/op): a percentage")
	f.BoolVar(&o.AllowLarge, "allow-large-threshold", false, "accept --threshold or --exact-tolerance of 100% or more")
	f.Float64Var(&o.Alpha, "alpha", 0.05, "significance level of the U test")
	f.StringVar(&units, "units", "", "units to gate, e.g. sec/op,allocs/op (default: every unit with a known direction)")
	f.IntVar(&o.MinSamples, "min-samples", compare.DefaultMinSamples, "fewest samples a side may have (with --base-ref: at most --count)")
	f.StringVar(&format, "format", "table", "report: table or markdown (for a pull-request comment)")
	f.StringVar(&baseRef, "base-ref", "", "A/B mode: git revision to build and run as the baseline")
	f.StringVar(&pkg, "pkg", "./bench", "A/B mode: package whose benchmarks run")
	f.IntVar(&rounds, "count", 20, "A/B mode: interleaved rounds (samples per side)")
	f.StringArrayVar(&candEnv, "candidate-env", nil, "A/B mode: KEY=VALUE added to the candidate's environment (repeatable)")
	return cmd
}
