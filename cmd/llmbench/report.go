package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/llmbench/llmbench/scenarios/report"
	"github.com/llmbench/llmbench/scenarios/results"
	"github.com/llmbench/llmbench/scenarios/sweep"
)

func writeReport(res *results.Results, path string) error { return report.WriteFile(path, res) }

// inputFile is the results.json a report reads: the path, or the one in
// a run's folder.
func inputFile(arg string) string {
	if st, err := os.Stat(arg); err == nil && st.IsDir() {
		return filepath.Join(arg, "results.json")
	}
	return arg
}

// writableDir creates dir if need be and proves a file can be made in it.
func writableDir(dir string) error {
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".llmbench-probe-*")
	if err != nil {
		return fmt.Errorf("cannot write there: %v", errors.Unwrap(err))
	}
	f.Close()
	return os.Remove(f.Name())
}

func newReportCmd() *cobra.Command {
	var out, hgrm string
	cmd := &cobra.Command{
		Use:   "report RESULTS",
		Short: "Write a self-contained HTML report of a run (and HdrHistogram .hgrm files)",
		Long: `Write one HTML file that opens offline: the run's configuration, a summary
table per variant with its thresholds, the percentile spectrum of each latency
(every variant overlaid, corrected and uncorrected), one-second windows over
time, a comparison of variants across repetitions, and the scenario as run.

RESULTS is a run's output directory or its results.json. With --hgrm DIR,
every histogram is also exported in HdrHistogram's percentile distribution
format, which HdrHistogram's plotters read.

A sweep's directory (or its sweep.json) gives the page of its capacity
curves instead; each of its steps is a run (DIR/steps/NN-LOAD).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if path, ok := sweepFile(args[0]); ok {
				return reportSweep(cmd, path, out, hgrm)
			}
			res, err := results.Read(args[0])
			if err != nil {
				return badInput(err)
			}
			// Check every output before writing any, so that a bad path
			// does not leave half of what was asked.
			if hgrm != "" {
				if err := writableDir(hgrm); err != nil {
					return badInputf("--hgrm %s: %v", hgrm, err)
				}
			}
			if out == "" {
				dir := args[0]
				if st, err := os.Stat(dir); err != nil || !st.IsDir() {
					dir = filepath.Dir(dir)
				}
				out = filepath.Join(dir, "report.html")
			}
			if err := writableDir(filepath.Dir(out)); err != nil {
				return badInputf("-o %s: %v", out, err)
			}
			if st, err := os.Stat(out); err == nil {
				in, _ := os.Stat(inputFile(args[0]))
				switch {
				case st.IsDir():
					return badInputf("-o %s: is a directory; name the HTML file to write", out)
				case in != nil && os.SameFile(st, in):
					return badInputf("-o %s: that is the results being read; name the HTML file to write", out)
				case !strings.HasSuffix(strings.ToLower(out), ".html"):
					return badInputf("-o %s: the file exists and is not an HTML report; name another", out)
				}
			}
			if err := report.WriteFile(out, res); err != nil {
				return fmt.Errorf("writing %s: %w", out, err)
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "llmbench: wrote", out)
			if hgrm != "" {
				files, err := report.WriteHgrm(hgrm, res)
				if err != nil {
					return fmt.Errorf("writing histograms to %s: %w", hgrm, err)
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "llmbench: wrote %d .hgrm files to %s\n", len(files), hgrm)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "HTML file to write (default: report.html beside the results)")
	cmd.Flags().StringVar(&hgrm, "hgrm", "", "also export every histogram as .hgrm files into this directory")
	return cmd
}

// sweepFile is the sweep.json that arg names, itself or in its folder
// (a folder holding a run's results.json is a run's).
func sweepFile(arg string) (string, bool) {
	st, err := os.Stat(arg)
	switch {
	case err != nil:
		return "", false
	case !st.IsDir():
		return arg, filepath.Base(arg) == "sweep.json"
	}
	if _, err := os.Stat(filepath.Join(arg, "results.json")); err == nil {
		return "", false
	}
	path := filepath.Join(arg, "sweep.json")
	_, err = os.Stat(path)
	return path, err == nil
}

// reportSweep writes the page of a sweep's capacity curves.
func reportSweep(cmd *cobra.Command, path, out, hgrm string) error {
	if hgrm != "" {
		return badInputf("--hgrm: a sweep keeps its histograms in its steps: llmbench report %s --hgrm DIR", filepath.Join(filepath.Dir(path), "steps", "NN-LOAD"))
	}
	sw, err := sweep.Read(path)
	if err != nil {
		return badInput(err)
	}
	if out == "" {
		out = filepath.Join(filepath.Dir(path), "report.html")
	}
	if err := writableDir(filepath.Dir(out)); err != nil {
		return badInputf("-o %s: %v", out, err)
	}
	if err := report.WriteSweepFile(out, sw); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	fmt.Fprintln(cmd.ErrOrStderr(), "llmbench: wrote", out)
	return nil
}
