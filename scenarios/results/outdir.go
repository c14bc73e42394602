package results

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// OutDir is an output directory held for one run: created and checked
// writable before the first request, locked so that a second run cannot
// write into it at the same time.
type OutDir struct {
	Path   string
	unlock func()
}

// lockName is the lock file every run holds in its output directory.
const lockName = ".llmbench.lock"

// ErrHoldsResults: the output directory already holds a run's results.
var ErrHoldsResults = errors.New("already holds results (results.json)")

// ErrLocked: another run holds the output directory.
var ErrLocked = errors.New("another llmbench run is writing there")

// OpenOut prepares dir for a run's results: it creates it, proves it
// writable, refuses one that already holds results unless replace (with
// ErrHoldsResults), and takes an exclusive lock (another run writing
// there is refused at once, not waited for).
func OpenOut(dir string, replace bool) (*OutDir, error) {
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return nil, errors.New("exists and is not a directory")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create it: %v", errors.Unwrap(err))
	}
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot write there: %v", errors.Unwrap(err))
	}
	unlock, err := lockFile(f)
	if err != nil {
		f.Close()
		return nil, ErrLocked
	}
	if _, err := os.Stat(filepath.Join(dir, "results.json")); err == nil && !replace {
		unlock()
		return nil, ErrHoldsResults
	}
	return &OutDir{Path: dir, unlock: unlock}, nil
}

// Abandon releases the directory unused: the lock file goes, and the
// directory too if it is left empty.
func (o *OutDir) Abandon() {
	o.Close()
	os.Remove(filepath.Join(o.Path, lockName))
	os.Remove(o.Path) // only if empty
}

// Close releases the lock.
func (o *OutDir) Close() {
	if o.unlock != nil {
		o.unlock()
		o.unlock = nil
	}
}

// Save writes the results into the directory. If that fails (the disk
// filled up, the folder vanished), it writes them to a new folder under
// the system's temporary directory instead and says so: nothing measured
// is lost. It returns where the results are.
func (r *Results) Save(o *OutDir) (string, error) {
	err := r.WriteFiles(o.Path)
	if err == nil {
		return o.Path, nil
	}
	fallback, ferr := os.MkdirTemp("", "llmbench-"+r.Scenario+"-"+time.Now().Format("20060102-150405")+"-")
	if ferr == nil {
		ferr = r.WriteFiles(fallback)
	}
	if ferr != nil {
		return "", fmt.Errorf("writing results to %s: %v; and to a temporary folder: %v", o.Path, err, ferr)
	}
	return fallback, fmt.Errorf("writing results to %s: %v; they were written to %s instead", o.Path, err, fallback)
}
