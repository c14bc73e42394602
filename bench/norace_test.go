//go:build !race

package bench

const raceEnabled = false

var counterImpls = []string{"racy", "mutex", "atomic"}
