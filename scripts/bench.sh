#!/usr/bin/env bash
# Runs the benchmark suite into a Go benchmark format file.
#   scripts/bench.sh OUT PASSES BENCHTIME CPUS BENCH [SKIP] [COUNT]
# The test binary is built once and run PASSES times with -count 1, so that
# the samples of one benchmark are spread over the whole run instead of
# taken back to back (a burst of noise then hits every benchmark a little
# rather than one benchmark a lot). Each -cpu value runs in a process of its
# own started with GOMAXPROCS set to it: the testing package runs the first
# call of a b.Loop sub-benchmark, which is its whole measurement, before it
# applies the first -cpu value (golang/go#49980; see bench/doc.go).
set -euo pipefail
out=$1 passes=$2 benchtime=$3 cpus=$4 bench=$5 skip=${6:-} count=${7:-1}
cd "$(dirname "$0")/.."
mkdir -p "$(dirname "$out")" bin
go test -c -o bin/bench.test ./bench
tmp=$(mktemp "$out.partial.XXXX")
trap 'rm -f "$tmp"' EXIT
{
	echo "go: $(go env GOVERSION)"
	echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo -dirty)"
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "nproc: $(nproc)"
	echo "benchtime: $benchtime"
	# Directions of the suite's custom units, for benchstat and llmbench gate.
	for u in ops/s tokens/s; do echo "Unit $u better=higher"; done
	for u in lost-usage/op chans-alloc/op result-allocs/op dup-computes/lookup \
		calls-completed/op lost/op ns/task ns/token ns/lookup timed-sends/token; do echo "Unit $u better=lower"; done
} > "$tmp"
start=$(date +%s)
for i in $(seq 1 "$passes"); do
	echo "pass $i/$passes" >&2
	for cpu in ${cpus//,/ }; do
		(cd bench && GOMAXPROCS=$cpu ../bin/bench.test -test.run '^$' -test.bench "$bench" ${skip:+-test.skip "$skip"} \
			-test.benchmem -test.benchtime "$benchtime" -test.cpu "$cpu" -test.count "$count") >> "$tmp"
	done
done
echo "wall: $(( $(date +%s) - start ))s for $passes passes" >&2
chmod 644 "$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "wrote $out" >&2
