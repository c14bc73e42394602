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
#
# Among ~1000 figures, a noisy one (the seed cache's contended Get is
# bimodal here, 3 or 5 us) can land all its samples of one side beyond the
# other's by chance. So the benchmarks with a figure that moved run again,
# PASSES more times, and the check fails only if a figure moves again: a
# dependence on b.N moves every time, chance rarely twice.
set -euo pipefail
short=${1:-10ms} long=${2:-100ms} passes=${3:-5} cpu=${4:-2} bench=${5:-.}
cd "$(dirname "$0")/.."
mkdir -p results bin
go test -c -o bin/bench.test ./bench
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
# patterns turns full benchmark names (on stdin) into anchored patterns
# that match each one alone.
patterns() {
	sed -e "s/-$cpu\$//" -e 's/[][\.*^$+?(){}|]/\\&/g' -e 's|/|$/^|g' -e 's|^|^|' -e 's|$|$|'
}
# round NAME PATTERN...: PASSES passes of every pattern at both benchtimes,
# into results/bench-check[-NAME]-{short,long}.txt.
round() {
	local name=$1
	shift
	shortf=results/bench-check$name-short.txt longf=results/bench-check$name-long.txt
	: > "$shortf"
	: > "$longf"
	echo "bench-check$name: $# benchmarks, $passes passes at $short and $long" >&2
	for i in $(seq 1 "$passes"); do
		echo "pass $i/$passes" >&2
		for p in "$@"; do
			if (( i % 2 )); then
				run_short "$p" >> "$shortf"
				run "$p" "$long" >> "$longf"
			else
				run "$p" "$long" >> "$longf"
				run_short "$p" >> "$shortf"
			fi
		done
	done
}
mapfile -t all < <(run "$bench" 1x | awk '/^Benchmark/ {print $1}' | patterns)
round "" "${all[@]}"
moved=results/bench-check-moved.txt
status=0
go run ./scripts/benchcheck -moved "$moved" results/bench-check-short.txt results/bench-check-long.txt || status=$?
if [ "$status" = 1 ] && [ -s "$moved" ]; then
	mapfile -t again < <(patterns < "$moved")
	round -confirm "${again[@]}"
	status=0
	go run ./scripts/benchcheck results/bench-check-confirm-short.txt results/bench-check-confirm-long.txt || status=$?
fi
echo "bench-check: $(( $(date +%s) - start ))s ($passes passes at $short and $long, GOMAXPROCS $cpu, load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
exit "$status"
