package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/perf/benchunit"

	"github.com/llmbench/llmbench/bench/ab"
	"github.com/llmbench/llmbench/bench/compare"
)

func readDataset(paths ...string) (*compare.Dataset, error) {
	ds, err := compare.Read(paths...)
	var ie *compare.InputError
	if errors.As(err, &ie) {
		return nil, badInput(err)
	}
	return ds, err
}

func newCompareCmd() *cobra.Command {
	var o compare.Options
	var format string
	cmd := &cobra.Command{
		Use:   "compare FILE [FILE...]",
		Short: "Compare benchmark results with benchstat's statistics",
		Long: `Compare Go benchmark format files (go test -bench output, or an llmbench
run's results.txt): per benchmark and unit, the median with its 95 %
confidence interval, and for each column the change against the first, with
the Mann-Whitney U test's p-value ("~" when not significant at --alpha).

Columns are files by default; within one file, --col /impl puts variants
side by side (any benchproc projection: /key, .name, .file, goos, ...).

  llmbench compare old.txt new.txt
  llmbench compare --col /impl results/baseline/bench.txt --filter '/keys:1000'
  llmbench compare --col /cache results/quickstart-*/results.txt --format markdown`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ds, err := readDataset(args...)
			if err != nil {
				return err
			}
			tables, err := compare.Compare(ds, o)
			if err != nil {
				return badInput(err)
			}
			if err := compare.Write(cmd.OutOrStdout(), tables, format); err != nil {
				return badInput(err)
			}
			return nil
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

// parseFraction reads "5%" or "0.05".
func parseFraction(flag, s string) (float64, error) {
	v, pct := strings.CutSuffix(strings.TrimSpace(s), "%")
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("%s %q: want a percentage such as 5%% or a fraction such as 0.05", flag, s)
	}
	if pct {
		f /= 100
	}
	return f, nil
}

func newGateCmd() *cobra.Command {
	var (
		baseline, candidate, threshold, exactTol, units, format, baseRef, pkg string
		candEnv                                                               []string
		o                                                                     compare.GateOptions
		rounds                                                                int
	)
	cmd := &cobra.Command{
		Use:   "gate (--baseline FILE --candidate FILE | --base-ref REV [-- go test flags])",
		Short: "Fail (exit 1) on statistically significant regressions",
		Long: `Compare a candidate with a baseline and exit 1 only where a change is both
statistically significant (Mann-Whitney U, p <= --alpha) and worse than
--threshold; exact units (allocs/op, B/op, and units marked assume=exact)
fail on any rise beyond --exact-tolerance. Benchmarks that appear or vanish
are listed, not fatal. Too few samples is exit 2, with the count needed.

With --base-ref, llmbench builds the benchmark package at REV (in a
temporary git worktree) and in the working tree once, runs them
interleaved (A B A B ...) for --count rounds with the go test flags after
--, and gates the two. On a noisy machine this is the way to compare.

  llmbench gate --baseline results/baseline/bench.txt --candidate new.txt --units allocs/op,B/op
  llmbench gate --base-ref origin/main -- -bench 'BenchmarkCache/impl=sharded' -benchtime 100ms -cpu 2`,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if o.Threshold, err = parseFraction("--threshold", threshold); err != nil {
				return badInput(err)
			}
			if o.ExactTolerance, err = parseFraction("--exact-tolerance", exactTol); err != nil {
				return badInput(err)
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
				if rounds < 1 {
					return badInputf("--count %d: must be at least 1", rounds)
				}
				res, err := ab.Run(cmd.Context(), ab.Options{BaseRef: baseRef, Pkg: pkg, Rounds: rounds, Flags: args,
					CandidateEnv: candEnv, Log: stderr})
				if err != nil {
					return badInput(err)
				}
				defer res.Cleanup()
				fmt.Fprintf(stderr, "llmbench gate: %d interleaved rounds in %s\n", rounds, res.Elapsed.Round(1e9))
				baseline, candidate = res.BaseFile, res.CandFile
				if o.MinSamples == 0 && rounds < compare.DefaultMinSamples {
					o.MinSamples = rounds
				}
			case baseline == "" || candidate == "":
				return badInputf("give --baseline and --candidate, or --base-ref")
			case len(args) > 0:
				return badInputf("go test flags after -- go with --base-ref only")
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
			case len(rep.TooFew) > 0:
				return &exitError{exitBadInput, fmt.Errorf("too few samples to judge %d benchmark-unit pair(s); at least %d of each are needed", len(rep.TooFew), rep.TooFew[0].Need)}
			case rep.Failed():
				return &exitError{exitFailed, fmt.Errorf("%d regression(s)", len(rep.Offenses))}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&baseline, "baseline", "", "baseline results (Go benchmark format)")
	f.StringVar(&candidate, "candidate", "", "candidate results")
	f.StringVar(&threshold, "threshold", "5%", "smallest worsening that fails, for noisy units")
	f.StringVar(&exactTol, "exact-tolerance", "0%", "worsening allowed for exact units (allocs/op, B/op)")
	f.Float64Var(&o.Alpha, "alpha", 0.05, "significance level of the U test")
	f.StringVar(&units, "units", "", "units to gate, e.g. sec/op,allocs/op (default: every unit with a known direction)")
	f.IntVar(&o.MinSamples, "min-samples", 0, "fewest samples a side may have (default 10)")
	f.StringVar(&format, "format", "table", "report: table or markdown (for a pull-request comment)")
	f.StringVar(&baseRef, "base-ref", "", "A/B mode: git revision to build and run as the baseline")
	f.StringVar(&pkg, "pkg", "./bench", "A/B mode: package whose benchmarks run")
	f.IntVar(&rounds, "count", 20, "A/B mode: interleaved rounds (samples per side)")
	f.StringArrayVar(&candEnv, "candidate-env", nil, "A/B mode: KEY=VALUE added to the candidate's environment (repeatable)")
	return cmd
}
