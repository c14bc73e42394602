#!/usr/bin/env bash
# make bench-check: runs every benchmark at two benchtimes about 10x apart
# and fails when a figure moved by more than 20 % between them (see
# scripts/benchcheck; declared amortised figures excepted).
#   scripts/bench-check.sh [SHORT] [LONG] [PASSES] [CPU] [BENCH]
# Each benchmark runs at both benchtimes back to back, in a process of its
# own, PASSES times (the order alternating from pass to pass), so that a
# burst of noise on this shared machine falls on both sides of a
# comparison alike. One GOMAXPROCS (CPU) is enough: what is checked is the
# dependence on b.N.
set -euo pipefail
short=${1:-10ms} long=${2:-100ms} passes=${3:-5} cpu=${4:-2} bench=${5:-.}
cd "$(dirname "$0")/.."
mkdir -p results bin
go test -c -o bin/bench.test ./bench
shortf=results/bench-check-short.txt longf=results/bench-check-long.txt
: > "$shortf"
: > "$longf"
start=$(date +%s)
run() { # run REGEXP BENCHTIME [COUNT]
	(cd bench && GOMAXPROCS=$cpu ../bin/bench.test -test.run '^$' -test.bench "$1" -test.skip MockFidelity \
		-test.benchmem -test.benchtime "$2" -test.cpu "$cpu" -test.count "${3:-1}")
}
# The short side runs twice in its process and keeps the second sample: a
# process's first milliseconds are slower (a new process waits longer for
# a CPU on a loaded machine, and its heap is still being mapped), which
# would weigh on a 10 ms run ten times more than on a 100 ms one.
run_short() {
	run "$1" "$short" 2 | awk '/^Benchmark/ && !seen++ {next} {print}'
}
# The benchmarks, each as an anchored pattern matching it alone.
mapfile -t patterns < <(run "$bench" 1x | awk '/^Benchmark/ {print $1}' | sed -e "s/-$cpu\$//" \
	-e 's/[][\.*^$+?(){}|]/\\&/g' -e 's|/|$/^|g' -e 's|^|^|' -e 's|$|$|')
echo "bench-check: ${#patterns[@]} benchmarks, $passes passes at $short and $long" >&2
for i in $(seq 1 "$passes"); do
	echo "pass $i/$passes" >&2
	for p in "${patterns[@]}"; do
		if (( i % 2 )); then
			run_short "$p" >> "$shortf"
			run "$p" "$long" >> "$longf"
		else
			run "$p" "$long" >> "$longf"
			run_short "$p" >> "$shortf"
		fi
	done
done
echo "bench-check: $(( $(date +%s) - start ))s ($passes passes at $short and $long, GOMAXPROCS $cpu, load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
go run ./scripts/benchcheck "$shortf" "$longf"
