#!/usr/bin/env bash
# Measures the regression gate itself on this machine:
#   - A/A: GATES gates of a benchmark subset against itself (false alarms);
#   - power: GATES gates with a 10 % slowdown injected into one variant
#     (LLMBENCH_SLOWDOWN), counting detections.
# Each gate is what llmbench gate --base-ref does after building: ROUNDS
# interleaved rounds (A B A B ...) of the same flags, then the gate. The
# binary is built once for all gates (both sides are the working tree; only
# the candidate's environment differs), which changes nothing in the
# statistics and saves a build per gate.
#   scripts/gate-power.sh [GATES] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
gates=${1:-10} rounds=${2:-20}
bench='BenchmarkCache/impl=sharded/reads=90/keys=1000/dist=zipf$|BenchmarkValidate/impl=fixed/regex=loadorstore/pool=pooled/schema=small$|BenchmarkStreamPool/impl=safe/tokens=16$'
slow='BenchmarkCache/impl=sharded/reads=90/keys=1000/dist=zipf=10%'
flags=(-test.run '^$' -test.bench "$bench" -test.benchtime 300ms -test.cpu 1 -test.count 1)
mkdir -p bin
go test -c -o bin/bench.test ./bench
go build -o bin/llmbench ./cmd/llmbench
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
one() { # one gate: $1 = candidate's LLMBENCH_SLOWDOWN ("" for none)
	: > "$tmp/a.txt"; : > "$tmp/b.txt"
	for r in $(seq 1 "$rounds"); do
		(cd bench && ../bin/bench.test "${flags[@]}") >> "$tmp/a.txt"
		(cd bench && LLMBENCH_SLOWDOWN="$1" ../bin/bench.test "${flags[@]}") >> "$tmp/b.txt"
	done
	bin/llmbench gate --baseline "$tmp/a.txt" --candidate "$tmp/b.txt" --units sec/op > "$tmp/gate.txt" 2>&1 && echo pass || echo fail
}
start=$(date +%s)
alarms=0
for i in $(seq 1 "$gates"); do
	v=$(one "")
	echo "A/A gate $i: $v"
	[ "$v" = fail ] && { alarms=$((alarms+1)); grep -A3 "regressed" "$tmp/gate.txt" || true; }
done
mid=$(date +%s)
hits=0
for i in $(seq 1 "$gates"); do
	v=$(one "$slow")
	echo "10% slowdown gate $i: $v"
	[ "$v" = fail ] && hits=$((hits+1))
	grep "impl=sharded" "$tmp/gate.txt" | head -1 || true
done
end=$(date +%s)
echo "A/A: $alarms false alarm(s) in $gates gates"
echo "power: $hits detection(s) of a 10% slowdown in $gates gates"
echo "time per gate (after the build): $(( (end - start) / (2 * gates) ))s"
