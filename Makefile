# llmbench: see README.md. Every target works on a fresh clone with only Go installed.
GO ?= go
PKGS := ./...

.PHONY: all test vet race norace fmt-check mutants

all: test

## test: what CI runs: vet, gofmt, the race-enabled suite, and the defect
## tests that need a build without the race detector.
test: vet fmt-check race norace bench-smoke

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

race:
	$(GO) test -race -count=1 $(PKGS)

# Tests tagged !race show data races by their effects (lost updates), which
# the race detector would report as failures instead.
norace:
	$(GO) test -count=1 -run 'SeedDefect' ./core/...

## mutants: the mutation check of the defect tests: every mutants/*.patch
## (a fix of a seed defect, or a defect brought into a corrected variant)
## must make the test it names fail. See scripts/mutants.sh.
mutants:
	scripts/mutants.sh

# ---- benchmarks ---------------------------------------------------------
# The suite: every family, -cpu 1,2,4 (this machine has 2 cores; 4 shows
# oversubscription), 10 passes of short runs (benchstat wants samples more
# than long runs). About 29 minutes here (1761 s for the baseline, load 1 to 3).
BENCH_CPUS ?= 1,2,4
BENCH_PASSES ?= 10
BENCH_TIME ?= 80ms
BENCH ?= .
BENCH_OUT ?= results/bench-$(shell date -u +%Y%m%d)-$(shell git rev-parse --short HEAD 2>/dev/null || echo nogit).txt

.PHONY: bench bench-quick bench-compare bench-smoke bench-check bench-cache-matrix fidelity baseline-bench

bench:
	scripts/bench.sh $(BENCH_OUT) $(BENCH_PASSES) $(BENCH_TIME) $(BENCH_CPUS) '$(BENCH)' MockFidelity
	@echo "compare variants: make bench-compare FILE=$(BENCH_OUT)"

## bench-quick: a subset (cache, stream, validate, compute), in under 2 minutes.
bench-quick:
	scripts/bench.sh results/bench-quick.txt 5 50ms 1,2 \
		'^BenchmarkCache$$/impl=.*/^reads=90$$/^keys=1000$$/^dist=zipf$$|BenchmarkStreamPool/.*/tokens=16|BenchmarkValidate/.*/schema=small|BenchmarkCompute' MockFidelity
	go tool benchstat -col /impl results/bench-quick.txt

## bench-cache-matrix: the response cache's whole workload matrix
## (BenchmarkCacheMatrix: reads 100-50 %, 1000 and 100 000 keys, Zipf and
## uniform, 7 implementations), which make bench leaves out for its time:
## 5 passes at -cpu 1,2,4, about 10 minutes here. The committed one,
## results/baseline/cache-matrix.txt (README, "Response cache"), was made by
## make bench-cache-matrix CACHE_MATRIX_OUT=results/baseline/cache-matrix.txt
CACHE_MATRIX_OUT ?= results/cache-matrix-$(shell date -u +%Y%m%d).txt
bench-cache-matrix:
	LLMBENCH_CACHE_MATRIX=1 scripts/bench.sh $(CACHE_MATRIX_OUT) 5 $(BENCH_TIME) $(BENCH_CPUS) 'BenchmarkCacheMatrix'

## bench-compare FILE=...: variants side by side.
bench-compare:
	@test -n "$(FILE)" || { echo "usage: make bench-compare FILE=results/bench-....txt"; exit 2; }
	go tool benchstat -col /impl $(FILE)

## bench-check: every benchmark at two benchtimes 10x apart (5 interleaved
## passes, GOMAXPROCS 2); fails when a figure moves by more than 20 % twice
## (a confirmation round re-runs what moved),
## except figures declared amortised (scripts/benchcheck/exemptions.go).
BENCH_CHECK_SHORT ?= 10ms
BENCH_CHECK_LONG ?= 100ms
BENCH_CHECK_PASSES ?= 5
bench-check:
	scripts/bench-check.sh $(BENCH_CHECK_SHORT) $(BENCH_CHECK_LONG) $(BENCH_CHECK_PASSES) 2 '$(BENCH)'

## bench-smoke: every benchmark once, under the race detector (part of test).
bench-smoke:
	$(GO) test -race -run '^$$' -bench . -benchtime 1x ./bench/...

## fidelity: the mock's timing fidelity, 500 concurrent streams (a few seconds).
fidelity:
	$(GO) test -run '^$$' -bench MockFidelity -count 5 ./bench/

## baseline-bench: refresh the committed benchmark baseline.
baseline-bench:
	scripts/bench.sh results/baseline/bench.txt $(BENCH_PASSES) $(BENCH_TIME) $(BENCH_CPUS) '$(BENCH)' MockFidelity

# ---- regression gate ----------------------------------------------------
# The allocation gate CI runs: a subset whose allocations are deterministic
# (no sync.Pool under RunParallel, where the GC decides), -cpu 1, 10 samples,
# at the baseline's benchtime: B/op of structures that grow by amortised
# steps depends on b.N, so the two sides must size b.N alike. The seed's
# eviction is left out: its map's growth adds to B/op with b.N (81.38 KB at
# 100 inserts, 81.97 KB at 358 in the baseline), and at 0.3 to 3 ms an
# insert, b.N varies with the machine's load more than the gate's 8 bytes.
GATE_BENCH ?= BenchmarkCacheEvict/impl=(rwmutex|mutex|syncmap|sharded)/|BenchmarkTokenPool|BenchmarkResponsePool|BenchmarkStreamSender/impl=.*/tokens=16|BenchmarkMessages/impl=.*/history=100$$/op=.*/mode=serial
GATE_OUT ?= results/gate-candidate.txt

.PHONY: gate gate-allocs baseline

## gate-allocs: the allocation gate of CI (allocs/op and B/op against the baseline).
gate-allocs:
	scripts/bench.sh $(GATE_OUT) 1 $(BENCH_TIME) 1 '$(GATE_BENCH)' '' 10
	$(GO) run ./cmd/llmbench gate --baseline results/baseline/bench.txt --candidate $(GATE_OUT) --units allocs/op,B/op

## gate FILE=...: gate a full run of make bench against the baseline (all units).
gate:
	@test -n "$(FILE)" || { echo "usage: make gate FILE=results/bench-....txt"; exit 2; }
	$(GO) run ./cmd/llmbench gate --baseline results/baseline/bench.txt --candidate $(FILE)

## baseline: refresh the committed benchmark baseline (make bench, about 29 minutes).
baseline: baseline-bench
