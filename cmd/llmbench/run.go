package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/llmbench/llmbench/scenarios"
	"github.com/llmbench/llmbench/scenarios/engine"
	"github.com/llmbench/llmbench/scenarios/live"
	"github.com/llmbench/llmbench/scenarios/plan"
	"github.com/llmbench/llmbench/scenarios/report"
	"github.com/llmbench/llmbench/scenarios/results"
)

// overrideFlags are the flags of run (and validate) that change the
// scenario; only those given are applied.
type overrideFlags struct {
	variants []string
	repeat   int
	duration time.Duration
	seed     uint64
	rate     float64
	segment  string
}

func (o *overrideFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayVar(&o.variants, "variant", nil, "run only this variant of a family, e.g. --variant cache=sharded (repeatable)")
	f.IntVar(&o.repeat, "repeat", 0, "repetitions of every variant (overrides the scenario)")
	f.DurationVar(&o.duration, "duration", 0, "measured duration of each run (overrides the scenario)")
	f.Uint64Var(&o.seed, "seed", 0, "random seed (overrides the scenario)")
	f.Float64Var(&o.rate, "rate", 0, "requests per second of an open loop or paced closed loop (overrides the scenario)")
	f.StringVar(&o.segment, "segment", "", "run segment i of n of the schedule (e.g. 2/3): the n segments, run anywhere, send it together; llmbench merge joins their results")
}

// overrides are the flags that were given.
func (o *overrideFlags) overrides(cmd *cobra.Command) (plan.Overrides, error) {
	var out plan.Overrides
	f := cmd.Flags()
	if f.Changed("rate") {
		out.Rate = &o.rate
	}
	if f.Changed("duration") {
		out.Duration = &o.duration
	}
	if f.Changed("seed") {
		out.Seed = &o.seed
	}
	if f.Changed("repeat") {
		out.Repeat = &o.repeat
	}
	out.Variants = o.variants
	if f.Changed("segment") {
		seg, err := plan.ParseSegment(o.segment)
		if err != nil {
			return out, fmt.Errorf("--segment %q: %v", o.segment, err)
		}
		out.Segment = &seg
	}
	return out, nil
}

// loadPlan resolves what `run` and `validate` are given: a scenario file,
// a results.json (its scenario as it ran, to repeat the run), or the name
// of a ready scenario.
func loadPlan(cmd *cobra.Command, arg string, ov *overrideFlags) (*plan.Plan, error) {
	o, err := ov.overrides(cmd)
	if err != nil {
		return nil, err
	}
	p, err := resolvePlan(arg, o)
	var oe *plan.OverrideError
	if errors.As(err, &oe) {
		return nil, fmt.Errorf("--%s %s: %s", oe.Name, oe.Value, oe.Msg)
	}
	return p, err
}

func resolvePlan(arg string, o plan.Overrides) (*plan.Plan, error) {
	st, err := os.Stat(arg)
	if err == nil && st.IsDir() {
		if _, serr := os.Stat(filepath.Join(arg, "results.json")); serr != nil {
			return nil, fmt.Errorf("%s is a folder without a results.json: give a scenario file, a results.json, or a run's folder", arg)
		}
	}
	switch {
	case err == nil && !st.IsDir() && strings.HasSuffix(arg, ".json"), err == nil && st.IsDir():
		r, err := results.Read(arg)
		if err != nil {
			return nil, err
		}
		return plan.FromResults(r, arg, o)
	case err == nil:
		return plan.Open(arg, o)
	}
	if data, ok := scenarios.Builtin(arg); ok && !strings.ContainsAny(arg, `/\`) {
		// A ready scenario reads no file: it has no folder.
		return plan.Resolve(data, strings.TrimSuffix(arg, ".yaml")+" (ready scenario)", "", o)
	}
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: no such file, and no ready scenario of that name (llmbench list shows them)", arg)
	}
	return nil, err
}

func newRunCmd() *cobra.Command {
	var (
		ov          overrideFlags
		out         string
		cpuprof     string
		quiet       bool
		withReport  bool
		force       bool
		noFloor     bool
		startAt     string
		metricsAddr string
	)
	cmd := &cobra.Command{
		Use:         "run FILE|NAME|RESULTS.json",
		Annotations: map[string]string{annotInterruptible: "yes"},
		Short:       "Drive load through a pipeline of primitives and report latency, rates and errors per variant",
		Long: `Run a scenario: every repetition of every variant, interleaved, then print
latency percentiles (TTFT, ITL, end to end), rates (offered, sent,
throughput, goodput), outcomes, costs per request, thresholds and, with
several variants, a paired verdict; and write results.json and results.txt
(Go benchmark format, so that "go tool benchstat -col /cache results.txt"
compares variants).

FILE is a scenario file, NAME a ready scenario (llmbench list), and
RESULTS.json (or a run's folder) repeats a recorded run exactly: the
scenario as it ran, its seed, schedule and variants.
Exit codes: 0 ok, 1 a threshold failed or a variant measured nothing,
2 bad input, 130 interrupted (the results measured so far are written,
marked partial).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := loadPlan(cmd, args[0], &ov)
			if err != nil {
				return badInput(err)
			}
			var start time.Time
			if startAt != "" {
				if start, err = time.Parse(time.RFC3339, startAt); err != nil {
					return badInputf("--start-at %q: want an RFC 3339 instant such as 2026-11-28T18:00:00Z", startAt)
				}
				if p.Load.RunLength() == 0 {
					return badInputf("--start-at: the scenario counts requests; segments start in step only on a schedule that lasts a duration")
				}
				// Past (beyond the engine's 1 s of tolerance), every
				// repetition would start out of step with the other
				// segments, each with a warning, and their merge would be
				// no one schedule.
				if d := time.Until(start); d < -time.Second {
					return badInputf("--start-at %s: that was %s ago; segments start in step only at an instant still to come (set it a minute ahead)", startAt, (-d).Round(time.Second))
				}
			}
			// The output is checked before the first request: a run must
			// not measure for minutes and then have nowhere to go.
			dir, err := openOut("--out", out, p.Name, force)
			if err != nil {
				return err
			}
			defer dir.Close()
			var metricsLn net.Listener
			if metricsAddr != "" {
				if metricsLn, err = listen("--metrics-addr", metricsAddr); err != nil {
					dir.Abandon()
					return err
				}
			}

			rawStderr := cmd.ErrOrStderr()
			// The interrupt notice, the engine's log and this function all
			// write to it, from their own goroutines.
			stderr := &lockedWriter{w: rawStderr}
			grace := min(p.Load.Timeout, 10*time.Second)
			opts := engine.Options{Commit: gitCommit(p.Dir), SkipFloor: noFloor, StartAt: start, Grace: grace, Abort: abortNow}
			finished := make(chan struct{})
			defer close(finished)
			go func() {
				select {
				case <-cmd.Context().Done():
					fmt.Fprintf(stderr, "\nllmbench: interrupted: no more requests are sent; those in flight get up to %s to finish (interrupt again to stop them now)\n", grace)
				case <-finished:
				}
			}()
			if metricsLn != nil {
				opts.Live = engine.NewLive()
				segment := "all"
				if p.Segment != nil {
					segment = p.Segment.String()
				}
				ctx, stop := context.WithCancel(cmd.Context())
				served := make(chan error, 1)
				go func() { served <- live.Serve(ctx, metricsLn, live.NewCollector(opts.Live, segment)) }()
				defer func() { stop(); <-served }()
				// Even with --quiet: with port 0, this line is the only way
				// to find the endpoint.
				fmt.Fprintf(stderr, "llmbench: live metrics on http://%s/metrics\n", metricsLn.Addr())
			}
			if f, ok := rawStderr.(*os.File); ok && !quiet && term.IsTerminal(int(f.Fd())) {
				opts.Progress = newProgressBar(stderr)
			}
			if d := time.Until(start); !start.IsZero() && d > time.Second {
				// Silent, a run waiting for its instant looks hung (even
				// with --quiet).
				fmt.Fprintf(stderr, "llmbench: waiting for --start-at %s (in %s)\n", start.Format(time.RFC3339), d.Round(time.Second))
			}
			if !quiet {
				fmt.Fprintf(stderr, "llmbench: %s: %d variant(s) × %d repetition(s)\n", p.Name, len(p.Variants), p.Repeat)
			} else {
				opts.Log = stderr // the tables, which list the warnings, are not printed
			}
			if cpuprof != "" {
				if _, err := os.Stat(cpuprof); err == nil && !force {
					dir.Abandon()
					return badInputf("--cpuprofile %s: the file exists; name another, or pass --force to replace it", cpuprof)
				}
				if b := filepath.Base(cpuprof); filepath.Clean(filepath.Dir(cpuprof)) == filepath.Clean(dir.Path) && (b == "results.json" || b == "results.txt" || b == "report.html") {
					dir.Abandon()
					return badInputf("--cpuprofile %s: the run writes that file; name another", cpuprof)
				}
				f, err := os.Create(cpuprof)
				if err != nil {
					dir.Abandon()
					return badInputf("--cpuprofile: %v", err)
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			res, runErr := engine.Run(cmd.Context(), p, opts)
			interrupted := errors.Is(runErr, context.Canceled)
			if runErr != nil && !interrupted {
				if res == nil || len(res.Variants) == 0 {
					return runErr
				}
				fmt.Fprintln(stderr, "llmbench:", runErr)
			}
			if !quiet {
				if err := report.WriteTables(cmd.OutOrStdout(), res); err != nil {
					return err
				}
			}
			out = dir.Path
			where, saveErr := res.Save(dir)
			if saveErr != nil && where == "" {
				return fmt.Errorf("the results could not be written: %w", saveErr)
			}
			if saveErr != nil {
				fmt.Fprintln(stderr, "llmbench:", saveErr)
			}
			fmt.Fprintf(stderr, "llmbench: wrote %s and %s\n", filepath.Join(where, "results.json"), filepath.Join(where, "results.txt"))
			if !withReport && saveErr == nil {
				removeStaleReport(where)
			}
			if withReport {
				if err := writeReport(res, filepath.Join(where, "report.html")); err != nil {
					return fmt.Errorf("writing the report: %w", err)
				}
				fmt.Fprintln(stderr, "llmbench: wrote", filepath.Join(where, "report.html"))
			}
			unmeasured := res.Unmeasured()
			switch {
			case interrupted:
				fmt.Fprintln(stderr, "llmbench: interrupted: the results written are partial")
				return &exitError{exitInterrupted, errors.New("")}
			case saveErr != nil:
				return &exitError{exitBadInput, errors.New("")}
			case runErr != nil:
				return &exitError{exitFailed, errors.New("")}
			case len(unmeasured) > 0:
				return &exitError{exitFailed, fmt.Errorf("nothing was measured for %s: no request was scheduled after the warm-up", strings.Join(unmeasured, ", "))}
			case len(res.NoSuccess()) == len(res.Variants):
				// Nothing worked at all (an endpoint down, say): a failure,
				// whatever the thresholds. One variant failing everything is
				// a finding, which the tables and the verdict show.
				return &exitError{exitFailed, fmt.Errorf("no request succeeded%s", firstError(res))}
			case res.Failed():
				return &exitError{exitFailed, errors.New("thresholds failed")}
			}
			return nil
		},
	}
	ov.add(cmd)
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "output directory (default results/NAME-TIME); it must not hold results already, unless --force")
	f.BoolVar(&force, "force", false, "replace the results an --out directory already holds")
	f.StringVar(&startAt, "start-at", "", "start at this RFC 3339 instant, every repetition in a slot of its own after it, so that segments on several machines run in step")
	f.StringVar(&metricsAddr, "metrics-addr", "", "serve live Prometheus metrics on this address during the run (e.g. 127.0.0.1:9464; a port alone, :9464, is loopback; off by default)")
	f.BoolVar(&noFloor, "no-floor", false, "skip measuring the harness's own floor (timer lateness, engine CPU per request; about 0.6 s) before the run")
	f.BoolVar(&quiet, "quiet", false, "no progress and no tables, only warnings, errors, file names and where to wait or look (--start-at, --metrics-addr)")
	f.BoolVar(&withReport, "report", false, "also write report.html beside the results")
	f.StringVar(&cpuprof, "cpuprofile", "", "write a CPU profile of the run (the harness's own cost included) to this file")
	return cmd
}

// newProgressBar draws the engine's progress on a terminal: elapsed time
// against the schedule's length (or requests done against the count),
// with completions per second, requests in flight and errors.
func newProgressBar(w io.Writer) func(engine.Progress) {
	var bar *progressbar.ProgressBar
	var label string
	return func(pr engine.Progress) {
		if bar == nil || label != pr.Label {
			if bar != nil {
				_ = bar.Finish()
			}
			max := int64(pr.Length / (100 * time.Millisecond))
			if pr.Length == 0 {
				max = pr.Requests
			}
			bar = progressbar.NewOptions64(max, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(pr.Label),
				progressbar.OptionClearOnFinish(), progressbar.OptionSetWidth(20), progressbar.OptionThrottle(200*time.Millisecond),
				progressbar.OptionSetRenderBlankState(true))
			label = pr.Label
		}
		if pr.Length == 0 {
			_ = bar.Set64(pr.Done)
		} else {
			_ = bar.Set64(int64(pr.Elapsed / (100 * time.Millisecond)))
		}
		bar.Describe(fmt.Sprintf("%s  %5.1fs  done/s %.0f  in flight %d  errors %d", pr.Label, pr.Elapsed.Seconds(),
			float64(pr.Done)/max(pr.Elapsed.Seconds(), 1e-9), pr.InFlight, pr.Errors))
		if pr.Length > 0 && pr.Elapsed >= pr.Length || pr.Requests > 0 && pr.Done >= pr.Requests {
			_ = bar.Finish()
		}
	}
}

func newValidateCmd() *cobra.Command {
	var ov overrideFlags
	cmd := &cobra.Command{
		Use:   "validate FILE|NAME|RESULTS.json",
		Short: "Check a scenario without running it (everything a run would check first)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := loadPlan(cmd, args[0], &ov)
			if err != nil {
				return badInput(err)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "%s: ok: %d variant(s) × %d repetition(s)", p.Path, len(p.Variants), p.Repeat)
			if d := p.Load.RunLength(); d > 0 {
				fmt.Fprintf(w, ", %s each", d)
			}
			if r := p.Load.Offered(); r > 0 {
				fmt.Fprintf(w, ", offered %s requests/s", strconv.FormatFloat(r, 'g', 6, 64))
				if sg := p.Segment; sg != nil && p.Load.Open() {
					// The figures above are the whole schedule's.
					fmt.Fprintf(w, "; segment %s sends 1 in %d of them (about %s/s)", sg, sg.Count, strconv.FormatFloat(r/float64(sg.Count), 'g', 3, 64))
				}
			}
			if sg := p.Segment; sg != nil && !p.Load.Open() {
				fmt.Fprintf(w, "; segment %s runs 1 in %d of the %d users", sg, sg.Count, p.Load.Users)
			}
			fmt.Fprintln(w)
			for _, v := range p.Variants {
				fmt.Fprintln(w, "  "+v.Name)
			}
			return nil
		},
	}
	ov.add(cmd)
	return cmd
}

func newListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the ready scenarios, the families a scenario can vary and their variants, and the metrics",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := cmd.OutOrStdout()
			fmt.Fprintln(w, "Ready scenarios (llmbench run NAME; in the repository, scenarios/NAME.yaml):")
			for _, b := range scenarios.Builtins() {
				fmt.Fprintf(w, "  %-20s %s\n", b.Name, b.Summary)
			}
			fmt.Fprintln(w, "\nFamilies a scenario varies (variants: {FAMILY: [...]}, --variant FAMILY=NAME), by pipeline stage:")
			for i := range plan.Families {
				f := &plan.Families[i]
				fmt.Fprintf(w, "  %-11s stage %-11s %s\n", f.Name, f.Stage+":", f.Doc)
				for _, n := range f.Names() {
					fmt.Fprintf(w, "    %-14s %s\n", n, f.VariantDoc(n))
				}
			}
			fmt.Fprintln(w, "\nFamilies measured by the microbenchmarks only (go test -bench ./bench):")
			for _, f := range benchFamilies() {
				fmt.Fprintf(w, "  %-22s %s\n", f.name, strings.Join(f.names, ", "))
			}
			fmt.Fprintf(w, "\nMetrics for thresholds (%d): latency histograms %s, each with .p50 .p90 .p95 .p99 .p999 .max .min .mean; and %s\n",
				len(results.Metrics()), strings.Join(results.LatencyNames(), ", "), strings.Join(results.ScalarNames(), ", "))
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

// firstError is " (KIND: message)" of the first error a variant saw, or
// what ended its requests when none was an error.
func firstError(res *results.Results) string {
	for i := range res.Variants {
		v := &res.Variants[i]
		for _, kind := range results.ErrorKindNames {
			if msg := report.ErrorSample(v, kind); msg != "" {
				return fmt.Sprintf(" (%s: %s)", kind, msg)
			}
		}
	}
	if len(res.Variants) > 0 {
		o := res.Variants[0].Summary().Outcomes
		return fmt.Sprintf(" (%d timed out, %d dropped, %d cancelled)", o.Timeout, o.Dropped, o.Cancelled)
	}
	return ""
}

// removeStaleReport removes the report.html that results replaced with
// --force leave behind: it would describe the earlier results.
func removeStaleReport(dir string) {
	_ = os.Remove(filepath.Join(dir, "report.html"))
}

// openOut opens the output directory: out, or by default
// results/NAME-TIME, with -2, -3... added when another run started in the
// same second holds that name. Its errors are the flag's.
func openOut(flag, out, name string, force bool) (*results.OutDir, error) {
	given := out != ""
	base := filepath.Join("results", name+"-"+time.Now().Format("20060102-150405"))
	for i := 1; ; i++ {
		if !given {
			out = base
			if i > 1 {
				out = fmt.Sprintf("%s-%d", base, i)
			}
		}
		dir, err := results.OpenOut(out, force)
		switch {
		case err == nil:
			return dir, nil
		case !given && i < 100 && (errors.Is(err, results.ErrLocked) || errors.Is(err, results.ErrHoldsResults)):
			continue
		case errors.Is(err, results.ErrHoldsResults):
			return nil, badInputf("%s %s: %v; choose another directory, or pass --force to replace them", flag, out, err)
		default:
			return nil, badInputf("%s %s: %v", flag, out, err)
		}
	}
}

// lockedWriter serialises writes from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
