#!/usr/bin/env bash
# The mutation check of the defect tests (make mutants).
#
# Every mutants/*.patch either fixes a defect of a seed variant or brings
# one into a corrected variant. Its first lines name the test that must
# notice:
#     # test: ./core/PKG TestName [extra go test flags, e.g. -race]
#     # what: one line on what the patch changes
# For each patch, on a temporary copy of the working tree: apply it (a patch
# that no longer applies is a failure, not a skip), build the package's test
# binary (a patch that does not compile is a failure: it proves nothing),
# run the named test, and require it to FAIL, by its assertions and within
# the time bound: a test that only fails by hanging until the timeout does
# not count as catching anything.
#
# usage: scripts/mutants.sh [regexp on patch names]
#   MUTANT_JOBS (default 3): patches checked at once, each on its own copy
#   (3 on 2 cores: much of the time is spent waiting for child processes
#   and bounded waits, not computing).
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
filter=${1:-.}
jobs=${MUTANT_JOBS:-3}
timeout=${MUTANT_TEST_TIMEOUT:-45s}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

patches=()
for p in "$root"/mutants/*.patch; do
	[[ $(basename "$p" .patch) =~ $filter ]] && patches+=("$p")
done
if [[ ${#patches[@]} -eq 0 ]]; then
	echo "no mutants match $filter"
	exit 1
fi

# check PATCH: one result line, "caught NAME TEST" or "FAILED NAME: why".
check() {
	local patch=$1 name pkg test flags build out rc t0=$SECONDS
	name=$(basename "$patch" .patch)
	read -r pkg test flags < <(sed -n 's/^# test: //p' "$patch" | head -1)
	if [[ -z ${pkg:-} || -z ${test:-} ]]; then
		echo "FAILED $name: no '# test: PKG TestName' line"
		return
	fi
	if ! git apply --check "$patch" 2>/dev/null; then
		echo "FAILED $name: no longer applies"
		return
	fi
	git apply "$patch"
	# shellcheck disable=SC2086 # flags are words
	if ! build=$(go test -c -o mutant.test $flags "$pkg" 2>&1); then
		echo "FAILED $name: does not compile: $(echo "$build" | head -3 | tr '\n' ' ')"
		git apply -R "$patch"
		return
	fi
	out=$(cd "$pkg" && "$OLDPWD/mutant.test" -test.run "^${test}\$" -test.count=1 -test.timeout="$timeout" 2>&1)
	rc=$?
	git apply -R "$patch"
	if [[ $rc -eq 0 ]]; then
		echo "FAILED $name: NOT CAUGHT by $test"
	elif grep -q "panic: test timed out" <<<"$out"; then
		echo "FAILED $name: $test only hung until the $timeout timeout"
	elif grep -q "no tests to run" <<<"$out"; then
		echo "FAILED $name: no test named $test in $pkg"
	else
		echo "caught $name $test $((SECONDS - t0))s"
	fi
}

start=$(date +%s)
for ((w = 0; w < jobs; w++)); do
	(
		dir="$tmp/copy$w"
		mkdir -p "$dir"
		# The working tree as it is (tracked and new files, not ignored ones).
		cd "$root" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$dir" 2>/dev/null
		cd "$dir" || exit 2
		for ((i = w; i < ${#patches[@]}; i += jobs)); do
			check "${patches[$i]}"
		done >"$tmp/results$w"
	) &
done
wait

total=${#patches[@]}
caught=$(cat "$tmp"/results* | grep -c '^caught ')
cat "$tmp"/results* | sort | awk '$1 == "caught" { printf "  caught  %-50s %s %s\n", $2, $3, $4 }'
cat "$tmp"/results* | sort | grep '^FAILED' | sed 's/^FAILED /  FAILED  /'
echo "$caught of $total mutants caught ($(($(date +%s) - start)) s, $jobs at a time)"
[[ $caught -eq $total ]]
