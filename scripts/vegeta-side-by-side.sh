#!/usr/bin/env bash
# llmbench and vegeta side by side against one `llmbench mock serve`
# (zero-latency model, loopback), at the same offered rates, so that their
# offered, sent and achieved rates can be read against each other.
#
#   scripts/vegeta-side-by-side.sh [RATE...]      (default 5000 12000 20000)
#
# vegeta is installed with `go install` into a temporary directory (it is
# not a dependency of llmbench). Both tools send non-streamed chat
# completions for DURATION (default 5s) at each rate, one after the other,
# sharing this machine's cores with the server.
set -euo pipefail
cd "$(dirname "$0")/.."
rates=("${@:-5000 12000 20000}")
rates=(${rates[*]})
duration=${DURATION:-5s}
tmp=$(mktemp -d)
server_pid=""
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/llmbench" ./cmd/llmbench
GOBIN="$tmp" go install github.com/tsenart/vegeta/v12@v12.13.0

cat > "$tmp/zero.yaml" <<EOF
name: zero
model: mock-gpt
capacity: 0
ttft: 0s
itl: 0s
output_tokens: 1
EOF
port=$((20000 + RANDOM % 20000))
"$tmp/llmbench" mock serve --config "$tmp/zero.yaml" --addr "127.0.0.1:$port" > "$tmp/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 50); do
	curl -s "http://127.0.0.1:$port/v1/models" > /dev/null && break
	sleep 0.1
done

body='{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]}'
echo "$body" > "$tmp/body.json"
printf 'POST http://127.0.0.1:%s/v1/chat/completions\nContent-Type: application/json\n@%s\n' "$port" "$tmp/body.json" > "$tmp/targets.txt"

printf '%-9s %-8s %10s %10s %12s %9s %10s %10s\n' tool rate offered/s sent/s throughput/s success p50 p99
for rate in "${rates[@]}"; do
	cat > "$tmp/s.yaml" <<EOF
name: http-max
seed: 1
providers:
  api: {kind: openai, base_url: "http://127.0.0.1:$port/v1", model: mock-gpt}
workload: {arrival: constant, rate: $rate, duration: $duration, timeout: 10s, max_in_flight: 100000, prompt: {tokens: 1}}
EOF
	out="$tmp/run-$rate"
	"$tmp/llmbench" run "$tmp/s.yaml" --out "$out" --quiet --no-floor > /dev/null 2>&1 || true
	jq -r --arg rate "$rate" '
		.variants[0].repetitions[0] as $r |
		[ "llmbench", $rate,
		  ($r.scheduled / ($r.window_ns / 1e9)),
		  ($r.sent / ($r.send_span_ns / 1e9)),
		  ((($r.outcomes.ok // 0) + ([$r.outcomes | to_entries[] | select(.key | startswith("error:")) | .value] | add // 0) + ($r.outcomes.timeout // 0)) / ($r.span_ns / 1e9)),
		  ($r.outcomes.ok / $r.scheduled * 100) ] |
		"\(.[0]) \(.[1]) \(.[2]) \(.[3]) \(.[4]) \(.[5])"' "$out/results.json" |
		while read -r tool r offered sent thr ok; do
			# results.txt: "... VALUE e2e-p50-ns ... VALUE e2e-p99-ns ..."
			read -r p50 p99 < <(awk '/^Benchmark/ { for (i = 2; i <= NF; i++) { if ($i == "e2e-p50-ns") a = $(i-1); if ($i == "e2e-p99-ns") b = $(i-1) } } END { print a/1e6, b/1e6 }' "$out/results.txt")
			printf '%-9s %-8s %10.0f %10.0f %12.0f %8.2f%% %9.1fms %9.1fms\n' "$tool" "$r" "$offered" "$sent" "$thr" "$ok" "$p50" "$p99"
		done
	"$tmp/vegeta" attack -targets "$tmp/targets.txt" -rate "$rate" -duration "$duration" -timeout 10s -max-workers 100000 > "$tmp/vegeta-$rate.bin"
	"$tmp/vegeta" report -type json < "$tmp/vegeta-$rate.bin" > "$tmp/vegeta-$rate.json"
	jq -r --arg rate "$rate" '"vegeta \($rate) \(.rate) \(.rate) \(.throughput) \(.success * 100) \(.latencies["50th"] / 1e6) \(.latencies["99th"] / 1e6)"' "$tmp/vegeta-$rate.json" |
		while read -r tool r offered sent thr ok p50 p99; do
			printf '%-9s %-8s %10s %10.0f %12.0f %8.2f%% %9.1fms %9.1fms\n' "$tool" "$r" "($rate)" "$sent" "$thr" "$ok" "$p50" "$p99"
		done
done
echo "llmbench: offered = scheduled/window, sent = sent/send span, throughput = completions from the first intended send to the last completion."
echo "vegeta: its 'rate' is what it sent per second of its attack; its 'throughput' is successes per second of attack plus wait; it reports no offered rate."
