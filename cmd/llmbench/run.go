package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/llmbench/llmbench/scenarios"
)

// loadScenario reads a scenario file, or a ready scenario by name.
func loadScenario(arg string) (*scenarios.Scenario, error) {
	if _, err := os.Stat(arg); err != nil {
		if data, ok := scenarios.Builtin(arg); ok && !strings.ContainsAny(arg, `/\`) {
			return scenarios.Parse(data, "scenarios/"+strings.TrimSuffix(arg, ".yaml")+".yaml")
		}
	}
	return scenarios.Load(arg)
}

func newRunCmd() *cobra.Command {
	var (
		out      string
		variants []string
		repeat   int
		duration time.Duration
		seed     uint64
		rate     float64
		cpuprof  string
		quiet    bool
		report   bool
	)
	cmd := &cobra.Command{
		Use:   "run FILE|NAME",
		Short: "Drive load through a pipeline of primitives and report latency, throughput and errors per variant",
		Long: `Run a scenario: every repetition of every variant, interleaved, then print
latency percentiles (TTFT, ITL, end to end), throughput, outcomes and
thresholds, and write results.json and results.txt (Go benchmark format,
so that "go tool benchstat -col /cache results.txt" compares variants).

FILE is a scenario file, or the name of a ready scenario (llmbench list).
Exit codes: 0 ok, 1 a threshold failed, 2 bad input, 130 interrupted (the
results measured so far are written, marked partial).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := loadScenario(args[0])
			if err != nil {
				return badInput(err)
			}
			for _, v := range variants {
				fam, name, ok := strings.Cut(v, "=")
				if !ok {
					return badInputf("--variant %q: want family=name, e.g. cache=sharded", v)
				}
				if err := s.Override(fam, name); err != nil {
					return badInput(err)
				}
			}
			if cmd.Flags().Changed("repeat") {
				if repeat < 1 {
					return badInputf("--repeat %d: must be at least 1", repeat)
				}
				s.Repeat = repeat
			}
			if cmd.Flags().Changed("duration") {
				if err := s.SetDuration(duration); err != nil {
					return badInput(err)
				}
			}
			if cmd.Flags().Changed("seed") {
				s.Seed = seed
			}
			if cmd.Flags().Changed("rate") {
				if err := s.SetRate(rate); err != nil {
					return badInput(err)
				}
			}
			if out == "" {
				out = filepath.Join("results", s.Name+"-"+time.Now().Format("20060102-150405"))
			}
			stderr := cmd.ErrOrStderr()
			opts := scenarios.Options{Commit: gitCommit(filepath.Dir(s.Path))}
			if f, ok := stderr.(*os.File); ok && !quiet && term.IsTerminal(int(f.Fd())) {
				opts.Progress = stderr
			}
			if !quiet {
				fmt.Fprintf(stderr, "llmbench: %s: %d variant(s) × %d repetition(s)\n", s.Name, len(s.Expand()), s.Repeat)
			}
			if cpuprof != "" {
				f, err := os.Create(cpuprof)
				if err != nil {
					return badInputf("--cpuprofile: %v", err)
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			res, runErr := scenarios.Run(cmd.Context(), s, opts)
			interrupted := errors.Is(runErr, context.Canceled)
			if runErr != nil && !interrupted {
				var ie *scenarios.InputError
				if errors.As(runErr, &ie) {
					return badInput(runErr)
				}
				if res == nil || len(res.Variants) == 0 {
					return runErr
				}
				fmt.Fprintln(stderr, "llmbench:", runErr)
			}
			if err := res.WriteFiles(out); err != nil {
				return fmt.Errorf("writing results to %s: %w", out, err)
			}
			if report {
				if err := writeReport(res, filepath.Join(out, "report.html")); err != nil {
					return fmt.Errorf("writing the report: %w", err)
				}
			}
			if !quiet {
				if err := res.WriteTables(cmd.OutOrStdout()); err != nil {
					return err
				}
			} else {
				for _, w := range res.Warnings {
					fmt.Fprintln(stderr, "warning:", w)
				}
			}
			fmt.Fprintf(stderr, "llmbench: wrote %s and %s\n", filepath.Join(out, "results.json"), filepath.Join(out, "results.txt"))
			switch {
			case interrupted:
				fmt.Fprintln(stderr, "llmbench: interrupted: the results above are partial")
				return &exitError{exitInterrupted, errors.New("")}
			case runErr != nil:
				return &exitError{exitFailed, errors.New("")}
			case res.Failed():
				return &exitError{exitFailed, errors.New("thresholds failed")}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "output directory (default results/NAME-TIME)")
	f.StringArrayVar(&variants, "variant", nil, "run only this variant of a family, e.g. --variant cache=sharded (repeatable)")
	f.IntVar(&repeat, "repeat", 0, "repetitions of every variant (overrides the scenario)")
	f.DurationVar(&duration, "duration", 0, "measured duration of each run (overrides the scenario)")
	f.Uint64Var(&seed, "seed", 0, "random seed (overrides the scenario)")
	f.Float64Var(&rate, "rate", 0, "requests per second of an open loop or paced closed loop (overrides the scenario)")
	f.BoolVar(&quiet, "quiet", false, "no progress and no tables, only errors and file names")
	f.BoolVar(&report, "report", false, "also write report.html beside the results")
	f.StringVar(&cpuprof, "cpuprofile", "", "write a CPU profile of the run (the harness's own cost included) to this file")
	return cmd
}

func newValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE|NAME",
		Short: "Check a scenario without running it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := loadScenario(args[0])
			if err != nil {
				return badInput(err)
			}
			vs := s.Expand()
			fmt.Fprintf(cmd.OutOrStdout(), "%s: ok: %d variant(s) × %d repetition(s)", s.Path, len(vs), s.Repeat)
			if d := s.Workload.RunLength(); d > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), ", %s each", d)
			}
			fmt.Fprintln(cmd.OutOrStdout())
			for _, v := range vs {
				fmt.Fprintln(cmd.OutOrStdout(), "  "+v.Name)
			}
			return nil
		},
	}
}

func newListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the ready scenarios, the primitive families and their variants",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := cmd.OutOrStdout()
			fmt.Fprintln(w, "Ready scenarios (llmbench run NAME, or scenarios/NAME.yaml):")
			for _, b := range scenarios.Builtins() {
				fmt.Fprintf(w, "  %-20s %s\n", b.Name, b.Summary)
			}
			fmt.Fprintln(w, "\nFamilies and variants (pipeline stages, variants:, --variant family=name):")
			for _, f := range families() {
				fmt.Fprintf(w, "  %s\n", f.name)
				for _, v := range f.variants {
					fmt.Fprintf(w, "    %-14s %s\n", v[0], v[1])
				}
			}
			fmt.Fprintln(w, "\nThreshold metrics:", strconv.Itoa(len(scenarios.MetricNames())), "(e.g. ttft.p99, itl.p50, e2e.p999, rps, error_rate, goroutines_leaked)")
			return nil
		},
	}
}

// gitCommit is the commit of the repository dir is in, "-dirty" when its
// tree has changes, or "" outside a repository (a build's own VCS stamp
// is then used).
func gitCommit(dir string) string {
	out, err := exec.Command("git", "-C", dir, "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return ""
	}
	commit := strings.TrimSpace(string(out))
	if err := exec.Command("git", "-C", dir, "diff", "--quiet", "HEAD").Run(); err != nil {
		commit += "-dirty"
	}
	return commit
}
