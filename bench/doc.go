// Package bench holds the microbenchmarks of llmbench: every primitive
// family of core, each with all its variants and, where one exists, the
// well-known peer libraries, on the workloads serious Go map and pool
// benchmarks use.
//
// Sub-benchmarks are named with key=value parts, so that benchstat can put
// variants side by side:
//
//	go test -run '^$' -bench . -benchmem -count 10 ./bench > new.txt
//	go tool benchstat -col /impl new.txt
//
// Parallel benchmarks use RunParallel with per-goroutine state: key and
// operation sequences are precomputed and read-only, each goroutine walks
// them from its own offset, so no random number generator or counter is
// shared on the measured path. Defects are reported as custom metrics
// (lost-usage/op, dup-computes/op, ...) that only the seed variants should
// move off zero.
//
// Peers are imported here only, never by core.
package bench
