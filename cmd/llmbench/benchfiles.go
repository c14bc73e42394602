package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/llmbench/llmbench/bench/compare"
)

// benchInput is the Go benchmark format file that compare and gate read for
// path: path itself, or the results.txt of a run's, merge's or sweep's
// folder (as run and report take a folder). A results.json is refused
// with the file to give instead: benchfmt would only say it found no
// benchmark in it.
func benchInput(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return path, nil // Read names the file and the error
	}
	if st.IsDir() {
		txt := filepath.Join(path, "results.txt")
		if _, err := os.Stat(txt); errors.Is(err, fs.ErrNotExist) {
			return "", badInputf("%s is a folder without a results.txt: give a results.txt of llmbench run, merge or sweep, or go test -bench output", path)
		}
		return txt, nil
	}
	if filepath.Ext(path) == ".json" {
		txt := filepath.Join(filepath.Dir(path), "results.txt")
		if _, err := os.Stat(txt); err == nil {
			return "", badInputf("%s: compare and gate read the Go benchmark format; the same results are in %s", path, txt)
		}
	}
	return path, nil
}

func readDataset(paths ...string) (*compare.Dataset, error) {
	files := make([]string, len(paths))
	for i, p := range paths {
		f, err := benchInput(p)
		if err != nil {
			return nil, err
		}
		files[i] = f
	}
	ds, err := compare.Read(files...)
	var ie *compare.InputError
	if errors.As(err, &ie) {
		return nil, badInput(err)
	}
	return ds, err
}

// projKey is a projection field that names a sub-benchmark key: /KEY,
// perhaps with a sort order (/KEY@num).
var projKey = regexp.MustCompile(`^/([^@,()]+)(@.*)?$`)

// checkProjection refuses a --col or --row that names a sub-benchmark key
// no benchmark has: benchproc groups every result under an empty value,
// and the table, one column "all", reads as a comparison of nothing.
func checkProjection(flag, proj string, ds *compare.Dataset) error {
	known := subKeys(ds)
	for _, field := range strings.Split(proj, ",") {
		m := projKey.FindStringSubmatch(strings.TrimSpace(field))
		if m == nil || known[m[1]] {
			continue
		}
		return unknownKey(flag, proj, m[1], known)
	}
	return nil
}

// subKeys is the set of sub-benchmark keys the results have (/impl of
// BenchmarkCache/impl=lockfree), and gomaxprocs, which benchproc derives
// from the name's -N suffix.
func subKeys(ds *compare.Dataset) map[string]bool {
	known := map[string]bool{"gomaxprocs": true}
	for _, r := range ds.Results {
		_, parts := r.Name.Parts()
		for _, p := range parts {
			if k, _, ok := strings.Cut(string(p), "="); ok && strings.HasPrefix(k, "/") {
				known[k[1:]] = true
			}
		}
	}
	return known
}

func unknownKey(flag, expr, key string, known map[string]bool) error {
	keys := make([]string, 0, len(known))
	for k := range known {
		if k != "gomaxprocs" {
			keys = append(keys, "/"+k)
		}
	}
	slices.Sort(keys)
	return badInputf("%s %s: no benchmark has the key %q; the benchmarks' keys: %s", flag, expr, key, strings.Join(keys, ", "))
}
