//go:build race

package bench

// With the race detector on, the racy counter would be reported, not
// measured.
var counterImpls = []string{"mutex", "atomic"}
