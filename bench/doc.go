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
// (lost-usage/op, dup-computes/lookup, ...) that only the seed variants
// should move off zero. Where a difference has several causes, a
// ...Steps benchmark runs the seed with one cause left out at a time.
//
// No figure depends on b.N: workloads have a fixed key universe and hit
// ratio, prefilled before the timer; nothing grows while timed unless
// growth is the subject; harness goroutines (submitters, responders) are
// started before the timer (see crew); no task sleeps on a timer shorter
// than 10 ms. make bench-check holds the suite to it.
//
// Benchmarks whose work runs on more than one goroutine loop over b.N
// rather than use b.Loop. With -cpu 1,2,4, the testing package runs a
// sub-benchmark's first call before it sets GOMAXPROCS for the first value
// of the list (golang/go#49980), and a b.Loop benchmark does all its
// iterations in that call: its "-cpu 1" figure is measured at the
// GOMAXPROCS the previous benchmark left (4). A b.N loop is called again
// once GOMAXPROCS is set. scripts/bench.sh also runs each -cpu value in a
// process of its own started with that GOMAXPROCS, so that the serial b.Loop
// benchmarks (whose garbage collector depends on GOMAXPROCS) are right too.
// State built per GOMAXPROCS (the sharded cache sizes itself by it) is
// keyed by it.
//
// Peers are imported here only, never by core.
package bench
