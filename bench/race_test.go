//go:build race

package bench

// raceEnabled: the race detector is on; benchmarks that would take minutes
// under it skip themselves (bench-smoke runs every benchmark once with it).
const raceEnabled = true

// With the race detector on, the racy counter would be reported, not
// measured.
var counterImpls = []string{"mutex", "atomic"}
