// Package ab runs a benchmark package's test binaries at two revisions,
// interleaved (A B A B ...), so that a noisy machine's drift hits both
// sides alike: the base revision from a temporary git worktree, the
// candidate from the working tree as it is.
package ab

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Options of an A/B run.
type Options struct {
	BaseRef string   // git revision of the baseline
	Pkg     string   // package with the benchmarks (default ./bench)
	Rounds  int      // samples per benchmark on each side (default 10)
	Flags   []string // go test flags, e.g. -bench 'BenchmarkCache/' -benchtime 100ms
	// CandidateEnv is added to the candidate's environment only (the
	// injected slowdown that measures the gate's power uses it).
	CandidateEnv []string
	Dir          string    // inside the repository (default .)
	Log          io.Writer // progress (nil: none)
}

// Result is where the two sides' results were written.
type Result struct {
	BaseFile, CandFile string
	Elapsed            time.Duration
	dir                string
}

// Cleanup removes the result files.
func (r *Result) Cleanup() { os.RemoveAll(r.dir) }

// testingFlags are the go test flags a test binary takes as -test.NAME.
var testingFlags = map[string]bool{"bench": true, "benchtime": true, "benchmem": true, "count": true, "cpu": true,
	"run": true, "skip": true, "timeout": true, "short": true, "parallel": true, "v": true, "failfast": true}

// binaryFlags turns go test flags into test binary flags.
func binaryFlags(flags []string) ([]string, error) {
	var out []string
	hasRun, hasBench := false, false
	for i := 0; i < len(flags); i++ {
		f := flags[i]
		if !strings.HasPrefix(f, "-") {
			return nil, fmt.Errorf("unexpected argument %q after --: give go test flags such as -bench REGEXP", f)
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(f, "-"), "=")
		name = strings.TrimPrefix(name, "test.")
		if !testingFlags[name] {
			return nil, fmt.Errorf("flag %s: not a go test benchmark flag (%s)", f, "bench, benchtime, benchmem, cpu, run, skip, timeout, short, parallel, v")
		}
		if name == "count" {
			return nil, fmt.Errorf("-count: the gate's --count sets the rounds (one sample per round on each side)")
		}
		boolFlag := name == "benchmem" || name == "short" || name == "v" || name == "failfast"
		if !hasVal && !boolFlag {
			if i+1 >= len(flags) {
				return nil, fmt.Errorf("flag %s needs a value", f)
			}
			i++
			val, hasVal = flags[i], true
		}
		hasRun = hasRun || name == "run"
		hasBench = hasBench || name == "bench"
		if hasVal {
			out = append(out, "-test."+name+"="+val)
		} else {
			out = append(out, "-test."+name)
		}
	}
	if !hasBench {
		return nil, fmt.Errorf("give the benchmarks to run after --, e.g. -- -bench 'BenchmarkCache/' (the whole suite takes long)")
	}
	if !hasRun {
		out = append(out, "-test.run=^$")
	}
	return append(out, "-test.count=1"), nil
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return strings.TrimSpace(out.String()), nil
}

// Run builds both binaries once and runs them in alternation.
func Run(ctx context.Context, o Options) (*Result, error) {
	start := time.Now()
	if o.Pkg == "" {
		o.Pkg = "./bench"
	}
	if o.Rounds == 0 {
		o.Rounds = 10
	}
	if o.Dir == "" {
		o.Dir = "."
	}
	flags, err := binaryFlags(o.Flags)
	if err != nil {
		return nil, err
	}
	root, err := git(ctx, o.Dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, err
	}
	rev, err := git(ctx, root, "rev-parse", "--verify", o.BaseRef+"^{commit}")
	if err != nil {
		return nil, fmt.Errorf("--base-ref %s: not a revision of this repository", o.BaseRef)
	}
	tmp, err := os.MkdirTemp("", "llmbench-gate-")
	if err != nil {
		return nil, err
	}
	res := &Result{BaseFile: filepath.Join(tmp, "base.txt"), CandFile: filepath.Join(tmp, "candidate.txt"), dir: tmp}
	ok := false
	defer func() {
		if !ok {
			res.Cleanup()
		}
	}()
	wt := filepath.Join(tmp, "base-tree")
	if _, err := git(ctx, root, "worktree", "add", "--detach", wt, rev); err != nil {
		return nil, err
	}
	defer func() {
		_, _ = git(context.WithoutCancel(ctx), root, "worktree", "remove", "--force", wt)
	}()
	sides := []struct {
		name, tree, bin, out string
		env                  []string
	}{
		{"base " + rev[:min(12, len(rev))], wt, filepath.Join(tmp, "base.test"), res.BaseFile, nil},
		{"candidate (working tree)", root, filepath.Join(tmp, "cand.test"), res.CandFile, o.CandidateEnv},
	}
	for _, s := range sides {
		logf(o.Log, "building %s", s.name)
		build := exec.CommandContext(ctx, "go", "test", "-c", "-o", s.bin, o.Pkg)
		build.Dir = s.tree
		if out, err := build.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("building %s: %v\n%s", s.name, err, out)
		}
	}
	files := make([]*os.File, len(sides))
	for i, s := range sides {
		if files[i], err = os.Create(s.out); err != nil {
			return nil, err
		}
		defer files[i].Close()
	}
	for round := 1; round <= o.Rounds; round++ {
		for i, s := range sides {
			logf(o.Log, "round %d/%d: %s", round, o.Rounds, s.name)
			cmd := exec.CommandContext(ctx, s.bin, flags...)
			cmd.Dir = filepath.Join(s.tree, o.Pkg)
			cmd.Env = append(os.Environ(), s.env...)
			var errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = files[i], &errb
			if err := cmd.Run(); err != nil {
				return nil, fmt.Errorf("running %s, round %d: %v\n%s", s.name, round, err, errb.String())
			}
		}
	}
	ok = true
	res.Elapsed = time.Since(start)
	return res, nil
}

func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, "llmbench gate: "+format+"\n", args...)
	}
}
