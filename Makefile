# llmbench: see README.md. Every target works on a fresh clone with only Go installed.
GO ?= go
PKGS := ./...

.PHONY: all test vet race norace fmt-check

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

# ---- benchmarks ---------------------------------------------------------
# The suite: every family, -cpu 1,2,4 (this machine has 2 cores; 4 shows
# oversubscription), 10 passes of short runs (benchstat wants samples more
# than long runs). About 18 minutes here.
BENCH_CPUS ?= 1,2,4
BENCH_PASSES ?= 10
BENCH_TIME ?= 80ms
BENCH ?= .
BENCH_OUT ?= results/bench-$(shell date -u +%Y%m%d)-$(shell git rev-parse --short HEAD 2>/dev/null || echo nogit).txt

.PHONY: bench bench-quick bench-compare bench-smoke fidelity baseline-bench

bench:
	scripts/bench.sh $(BENCH_OUT) $(BENCH_PASSES) $(BENCH_TIME) $(BENCH_CPUS) '$(BENCH)' MockFidelity
	@echo "compare variants: make bench-compare FILE=$(BENCH_OUT)"

## bench-quick: a subset (cache, stream, validate, compute), in under 2 minutes.
bench-quick:
	scripts/bench.sh results/bench-quick.txt 5 50ms 1,2 \
		'BenchmarkCache/impl=.*/reads=90/keys=1000/dist=zipf|BenchmarkStreamPool/.*/tokens=16|BenchmarkValidate/.*/schema=small|BenchmarkCompute' MockFidelity
	go tool benchstat -col /impl results/bench-quick.txt

## bench-compare FILE=...: variants side by side.
bench-compare:
	@test -n "$(FILE)" || { echo "usage: make bench-compare FILE=results/bench-....txt"; exit 2; }
	go tool benchstat -col /impl $(FILE)

## bench-smoke: every benchmark once, under the race detector (part of test).
bench-smoke:
	$(GO) test -race -run '^$$' -bench . -benchtime 1x ./bench/...

## fidelity: the mock's timing fidelity, 500 concurrent streams (a few seconds).
fidelity:
	$(GO) test -run '^$$' -bench MockFidelity -count 5 ./bench/

## baseline-bench: refresh the committed benchmark baseline.
baseline-bench:
	scripts/bench.sh results/baseline/bench.txt $(BENCH_PASSES) $(BENCH_TIME) $(BENCH_CPUS) '$(BENCH)' MockFidelity
