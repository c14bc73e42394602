package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmbench/llmbench/scenarios/plan"
	"github.com/llmbench/llmbench/scenarios/report"
	"github.com/llmbench/llmbench/scenarios/results"
)

func newMergeCmd() *cobra.Command {
	var (
		out          string
		allowPartial bool
		force        bool
		quiet        bool
	)
	cmd := &cobra.Command{
		Use:   "merge DIR... [-o DIR]",
		Short: "Join the results of the segments of one schedule (llmbench run --segment i/n) into one",
		Long: `Merge the results of segments 1..n of one scenario, run with --segment i/n
on one or several machines, into the results of the whole schedule: counts
added, histograms merged bucket by bucket (lossless), spans from the first
intended send to the last completion, per-request samples joined. The
scenario's thresholds are evaluated on the merged results.

Refused (exit 2): segments of different scenarios (source hash), a missing
or duplicated segment, or a mix of interrupted and complete segments
without --allow-partial.
Exit codes as run: 0, 1 when a threshold fails, 2 bad input.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// The output must not be one of the segments: with --force the
			// merge would replace that segment's results, an input lost.
			if out != "" {
				for _, dir := range args {
					if sameDir(out, dir) {
						return badInputf("-o %s: that is segment %s, an input of the merge; name another directory", out, dir)
					}
				}
			}
			// One segment at a time: memory does not grow with their number.
			start := time.Now()
			mg := results.NewMerger(allowPartial)
			for _, dir := range args {
				r, err := results.Read(dir)
				if err != nil {
					return badInput(err)
				}
				if err := mg.Add(results.Part{Name: dir, R: r}); err != nil {
					return badInput(err)
				}
			}
			merged, err := mg.Result()
			if me := (*results.MergeError)(nil); errors.As(err, &me) && me.PartialMix {
				return badInputf("%v; pass --allow-partial to merge them anyway", err)
			} else if err != nil {
				return badInput(err)
			}
			p, err := plan.Resolve([]byte(merged.Source), merged.File, merged.Dir, plan.Overrides{})
			if err != nil {
				return badInputf("the segments' scenario: %v", err)
			}
			merged.Evaluate(p.Thresholds)
			dir, err := openOut("-o", out, merged.Scenario+"-merged", force)
			if err != nil {
				return err
			}
			defer dir.Close()
			if !quiet {
				if err := report.WriteTables(cmd.OutOrStdout(), merged); err != nil {
					return err
				}
			}
			where, err := merged.Save(dir)
			if err != nil && where == "" {
				return err
			}
			stderr := cmd.ErrOrStderr()
			if err != nil {
				fmt.Fprintln(stderr, "llmbench:", err)
			} else {
				removeStaleReport(where)
			}
			fmt.Fprintf(stderr, "llmbench: merged %d segments in %s; wrote %s and %s\n", len(args), time.Since(start).Round(time.Millisecond),
				filepath.Join(where, "results.json"), filepath.Join(where, "results.txt"))
			switch {
			case err != nil:
				return &exitError{exitBadInput, errors.New("")}
			case len(merged.Unmeasured()) > 0:
				return &exitError{exitFailed, fmt.Errorf("nothing was measured for %v", merged.Unmeasured())}
			case merged.Failed():
				return &exitError{exitFailed, errors.New("thresholds failed")}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&out, "output", "o", "", "output directory (default results/NAME-merged-TIME)")
	f.BoolVar(&allowPartial, "allow-partial", false, "merge interrupted segments with complete ones")
	f.BoolVar(&force, "force", false, "replace the results the output directory already holds")
	f.BoolVar(&quiet, "quiet", false, "no tables, only errors and file names")
	return cmd
}

// sameDir reports whether out is the folder of the segment arg (a folder,
// or a results.json in it).
func sameDir(out, arg string) bool {
	if filepath.Base(arg) == "results.json" {
		arg = filepath.Dir(arg)
	}
	a, err1 := filepath.Abs(out)
	b, err2 := filepath.Abs(arg)
	if err1 != nil || err2 != nil {
		return false
	}
	if a == b {
		return true
	}
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}
