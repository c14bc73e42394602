//go:build !race

package bench

var counterImpls = []string{"racy", "mutex", "atomic"}
