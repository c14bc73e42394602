package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/llmbench/llmbench/scenarios/engine"
	"github.com/llmbench/llmbench/scenarios/report"
	"github.com/llmbench/llmbench/scenarios/results"
	"github.com/llmbench/llmbench/scenarios/sweep"
)

func newSweepCmd() *cobra.Command {
	var (
		slos                          []string
		ov                            overrideFlags // --seed and --variant only
		from, to                      float64
		precision                     string
		stepDur                       time.Duration
		repeat                        int
		users                         bool
		out                           string
		force, quiet, withReport, noF bool
	)
	cmd := &cobra.Command{
		Use:         "sweep FILE|NAME",
		Annotations: map[string]string{annotInterruptible: "yes"},
		Short:       "Find each variant's capacity: the highest load it carries within its SLOs",
		Long: `Search, per variant, the highest offered rate (or with --concurrency, the
most closed-loop users) at which a step passes: a geometric ramp (×2) to the
first failing step, then bisection to --precision. Every step runs every
variant, interleaved, on identical request schedules, for --step-duration.

A step fails when a distribution SLO fails (--slo 'ttft.p99 < 200ms', or
the scenario's sweep: {slo: [...]} and thresholds), when fewer than 99 % of
its requests succeed within the scenario's per-request slo: (which defines
goodput), or when the system does not keep up (saturated; a collapsed step
is stopped early). Each repetition (--repeat) is its own search; a
variant's capacity is their median, with their range.

Writes sweep.json (every step: load, rates, percentiles, verdicts, the
scenario as it ran), steps/NN-LOAD/results.json (each step as a run:
llmbench run repeats it, llmbench report draws it), and results.txt (Go
benchmark format: capacity-req/s per variant and repetition, and per step
rows keyed offered=, for llmbench compare and gate); with --report, a page
of capacity curves.
Exit codes: 0 ok, 1 a variant passed no step or the run failed, 2 bad
input, 130 interrupted (the steps done so far are written, marked partial).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f := cmd.Flags()
			fl := sweep.Flags{Users: users}
			if f.Changed("from") {
				fl.From = &from
			}
			if f.Changed("to") {
				fl.To = &to
			}
			if f.Changed("precision") {
				v, err := parsePercent("--precision", precision)
				if err != nil {
					return err
				}
				fl.Precision = &v
			}
			if f.Changed("step-duration") {
				fl.StepDuration = &stepDur
			}
			if f.Changed("repeat") {
				fl.Repeat = &repeat
			}
			for _, s := range slos {
				c, err := results.ParseCheck(s)
				if err != nil {
					return badInputf("--slo %v", err)
				}
				fl.Checks = append(fl.Checks, results.Threshold{Expr: s, Check: c})
			}
			p, err := loadPlan(cmd, args[0], &ov)
			if err != nil {
				return badInput(err)
			}
			cfg, err := sweep.Configure(p, fl)
			var ce *sweep.ConfigError
			switch {
			case errors.As(err, &ce) && ce.Name == "concurrency":
				return badInputf("%s", ce.Msg)
			case errors.As(err, &ce):
				return badInputf("--%s %s", ce.Name, ce.Msg)
			case err != nil:
				return badInput(err)
			}
			dir, err := openSweepOut(out, p.Name, force)
			if err != nil {
				return err
			}
			defer dir.Close()
			stderr := cmd.ErrOrStderr()
			tty := false
			// A short grace, which early stops use too: a step interrupted
			// is not judged anyway, so a second Ctrl-C has nothing to save.
			opts := sweep.Options{Engine: engine.Options{Commit: gitCommit(p.Dir), SkipFloor: noF, Grace: time.Second}}
			if fd, ok := stderr.(*os.File); ok && !quiet && term.IsTerminal(int(fd.Fd())) {
				tty = true
				opts.Engine.Progress = newProgressBar(stderr)
			}
			if !quiet {
				fmt.Fprintf(stderr, "llmbench sweep: %s: %d variant(s), %s from %s to %s, precision %g%%, steps of %s, %d repetition(s)\n",
					p.Name, len(p.Variants), cfg.Mode, sweep.FormatLoad(cfg.Mode, cfg.From), sweep.FormatLoad(cfg.Mode, cfg.To), 100*cfg.Precision, cfg.StepDuration, cfg.Repeat)
			} else {
				opts.Engine.Log = stderr
			}
			opts.OnStep = func(sw *sweep.Sweep, st *sweep.Step) error {
				if !quiet {
					if tty {
						fmt.Fprint(stderr, "\r\033[K") // over the progress bar's line
					}
					fmt.Fprintln(stderr, stepLine(sw, st))
				}
				return sw.WriteFiles(dir.Path)
			}
			sw, runErr := sweep.Run(cmd.Context(), p, cfg, opts)
			if sw == nil {
				return runErr
			}
			interrupted := errors.Is(runErr, context.Canceled)
			if runErr != nil && !interrupted {
				fmt.Fprintln(stderr, "llmbench:", runErr)
			}
			if !quiet {
				if err := report.WriteSweepTable(cmd.OutOrStdout(), sw); err != nil {
					return err
				}
			}
			where, saveErr := saveSweep(sw, dir.Path)
			if saveErr != nil && where == "" {
				return fmt.Errorf("the sweep could not be written: %w", saveErr)
			}
			if saveErr != nil {
				fmt.Fprintln(stderr, "llmbench:", saveErr)
			}
			fmt.Fprintf(stderr, "llmbench: wrote %s, %s and %d step(s) under %s\n", filepath.Join(where, "sweep.json"), filepath.Join(where, "results.txt"),
				len(sw.Steps), filepath.Join(where, "steps"))
			if withReport {
				page := filepath.Join(where, "report.html")
				if err := report.WriteSweepFile(page, sw); err != nil {
					return fmt.Errorf("writing the report: %w", err)
				}
				fmt.Fprintln(stderr, "llmbench: wrote", page)
			}
			var none []string
			for _, c := range sw.Capacities {
				if c.Capacity == nil {
					none = append(none, c.Variant)
				}
			}
			switch {
			case interrupted:
				fmt.Fprintln(stderr, "llmbench: interrupted: the steps above are all the sweep has")
				return &exitError{exitInterrupted, errors.New("")}
			case saveErr != nil:
				return &exitError{exitBadInput, errors.New("")}
			case runErr != nil:
				return &exitError{exitFailed, errors.New("")}
			case len(none) > 0:
				return &exitError{exitFailed, fmt.Errorf("no capacity for %s: no step passed, down to %s; lower --from, or look at why above",
					strings.Join(none, ", "), sweep.FormatLoad(sw.Mode, sw.LowestLoad()))}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&slos, "slo", nil, "a distribution SLO every step must pass, e.g. 'ttft.p99 < 200ms' (repeatable; replaces the scenario's sweep slo: and thresholds)")
	f.Float64Var(&from, "from", 0, "lowest load: requests/s, or users with --concurrency (default: the scenario's rate or users; the search goes lower only when this is not given)")
	f.Float64Var(&to, "to", 0, "highest load (default: 10000000/s, or 10000 users)")
	f.StringVar(&precision, "precision", "", "bisection stops when the gap between the highest pass and lowest failure is this share of the pass, with its % sign (default 5%)")
	f.DurationVar(&stepDur, "step-duration", 0, "measured length of each step (default: the scenario's duration, else 2s)")
	f.BoolVar(&users, "concurrency", false, "sweep closed-loop users instead of an open loop's rate (needs an SLO)")
	f.IntVar(&repeat, "repeat", 0, "independent searches, interleaved in every step: the capacity's range (default 1)")
	f.Uint64Var(&ov.seed, "seed", 0, "random seed (overrides the scenario)")
	f.StringArrayVar(&ov.variants, "variant", nil, "sweep only this variant of a family, e.g. --variant cache=sharded (repeatable)")
	f.StringVar(&out, "out", "", "output directory (default results/NAME-sweep-TIME); it must not hold a sweep already, unless --force")
	f.BoolVar(&force, "force", false, "replace the sweep an --out directory already holds")
	f.BoolVar(&noF, "no-floor", false, "skip measuring the harness's own floor before the first step")
	f.BoolVar(&quiet, "quiet", false, "no progress and no table, only warnings, errors and file names")
	f.BoolVar(&withReport, "report", false, "also write report.html: the capacity curves")
	return cmd
}

// openSweepOut holds the sweep's directory (default
// results/NAME-sweep-TIME), refusing one that holds a run's or a sweep's
// results unless force.
func openSweepOut(out, name string, force bool) (*results.OutDir, error) {
	dir, err := openOut("--out", out, name+"-sweep", force)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir.Path, "sweep.json")); err == nil {
		if !force {
			dir.Close()
			return nil, badInputf("--out %s: already holds a sweep (sweep.json); choose another directory, or pass --force to replace it", dir.Path)
		}
		// Replaced, not overlaid: the new sweep's steps are written one
		// by one, and the old steps beyond them (steps/03-offered=400 of
		// a sweep the new one stops short of) would read as this sweep's.
		if err := removeOldSweep(dir.Path); err != nil {
			dir.Close()
			return nil, badInputf("--out %s: removing the sweep it held: %v", dir.Path, err)
		}
	}
	return dir, nil
}

// stepDir is how a sweep names the folder of each step (NN-LOAD).
var stepDir = regexp.MustCompile(`^[0-9]{2,}-`)

// removeOldSweep removes what a sweep wrote into dir: sweep.json,
// results.txt, report.html and its steps' folders (nothing else that
// steps/ may hold).
func removeOldSweep(dir string) error {
	for _, f := range []string{"sweep.json", "results.txt", "report.html"} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	steps := filepath.Join(dir, "steps")
	entries, err := os.ReadDir(steps)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() && stepDir.MatchString(e.Name()) {
			if err := os.RemoveAll(filepath.Join(steps, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// saveSweep writes the sweep into dir, or, when that fails, into a new
// folder under the temporary directory, and says where it went.
func saveSweep(sw *sweep.Sweep, dir string) (string, error) {
	err := sw.WriteFiles(dir)
	if err == nil {
		return dir, nil
	}
	fallback, ferr := os.MkdirTemp("", "llmbench-"+sw.Scenario+"-sweep-")
	if ferr == nil {
		ferr = sw.WriteFiles(fallback)
	}
	if ferr != nil {
		return "", fmt.Errorf("writing the sweep to %s: %v; and to a temporary folder: %v", dir, err, ferr)
	}
	return fallback, fmt.Errorf("writing the sweep to %s: %v; it was written to %s instead", dir, err, fallback)
}

// stepLine is a step's progress line: its number, phase, load, each
// variant's verdict and how long it took.
func stepLine(sw *sweep.Sweep, st *sweep.Step) string {
	var b strings.Builder
	fmt.Fprintf(&b, "step %2d  %-6s %10s ", st.N, st.Phase, sweep.FormatLoad(sw.Mode, st.Load))
	for _, v := range st.Variants {
		switch {
		case st.Partial:
			fmt.Fprintf(&b, " %s interrupted", v.Name)
		case v.Passed == len(v.Reps):
			fmt.Fprintf(&b, " %s pass", v.Name)
		default:
			why := ""
			for _, r := range v.Reps {
				if len(r.Reasons) > 0 {
					why = r.Reasons[0]
					break
				}
			}
			fmt.Fprintf(&b, " %s FAIL %d/%d (%s)", v.Name, len(v.Reps)-v.Passed, len(v.Reps), why)
		}
		b.WriteString(";")
	}
	fmt.Fprintf(&b, "  %s", st.Elapsed.Round(100*time.Millisecond))
	return b.String()
}
