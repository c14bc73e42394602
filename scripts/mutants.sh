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
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
filter=${1:-.}
timeout=${MUTANT_TEST_TIMEOUT:-45s}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The working tree as it is (tracked and new files, not ignored ones).
(cd "$root" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$tmp" 2>/dev/null)
cd "$tmp" || exit 2

total=0
caught=0
failures=()
start=$(date +%s)
for patch in mutants/*.patch; do
	name=$(basename "$patch" .patch)
	[[ $name =~ $filter ]] || continue
	total=$((total + 1))
	read -r pkg test flags < <(sed -n 's/^# test: //p' "$patch" | head -1)
	if [[ -z ${pkg:-} || -z ${test:-} ]]; then
		failures+=("$name: no '# test: PKG TestName' line")
		continue
	fi
	if ! git apply --check "$patch" 2>/dev/null; then
		failures+=("$name: no longer applies")
		continue
	fi
	git apply "$patch"
	# shellcheck disable=SC2086 # flags are words
	if ! build=$(go test -c -o "$tmp/mutant.test" $flags "$pkg" 2>&1); then
		failures+=("$name: does not compile: $(echo "$build" | head -3 | tr '\n' ' ')")
		git apply -R "$patch"
		continue
	fi
	out=$(cd "$pkg" && "$tmp/mutant.test" -test.run "^${test}\$" -test.count=1 -test.timeout="$timeout" 2>&1)
	rc=$?
	git apply -R "$patch"
	if [[ $rc -eq 0 ]]; then
		failures+=("$name: NOT CAUGHT by $test")
	elif grep -q "panic: test timed out" <<<"$out"; then
		failures+=("$name: $test only hung until the $timeout timeout")
	elif grep -q "no tests to run" <<<"$out"; then
		failures+=("$name: no test named $test in $pkg")
	else
		caught=$((caught + 1))
		printf '  caught  %-50s %s\n' "$name" "$test"
	fi
done

for f in "${failures[@]}"; do
	echo "  FAILED  $f"
done
echo "$caught of $total mutants caught ($(($(date +%s) - start)) s)"
[[ $caught -eq $total && $total -gt 0 ]]
