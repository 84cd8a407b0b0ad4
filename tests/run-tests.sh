#!/usr/bin/env bash
# Run every test against the sanitizer build in BUILD_DIR and print one summary line.
#   unit tests (cmocka, TAP output), CLI tests (bats, TAP), the fake-host builder's
#   self-test (TAP), fuzz corpus replay.
# Each TAP "ok"/"not ok" line counts as one test; the last line is "N passed, N failed".
set -u
build=${1:?usage: run-tests.sh BUILD_DIR}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export PCIPT_VALIDATE="$top/$build/pcipt-validate"
export PCIPT_FIXTURES="$top/tests/fixtures"

passed=0 failed=0 skipped=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# Count TAP lines from one runner's output; a runner that exits non-zero without a
# "not ok" line (a crash, a sanitizer abort) counts as one failure of its own.
tally() {
	local name=$1 status=$2 ok notok skip
	# a skip is "ok ... # skip" (bats) or "not ok ... # SKIP" (cmocka)
	ok=$(grep -E '^ok ' "$log" | grep -cvE '# ?(skip|SKIP)')
	skip=$(grep -cE '^(not )?ok .*# ?(skip|SKIP)' "$log")
	notok=$(grep -E '^not ok ' "$log" | grep -cvE '# ?(skip|SKIP)')
	passed=$((passed + ok)); skipped=$((skipped + skip)); failed=$((failed + notok))
	if [ "$status" -ne 0 ] && [ "$notok" -eq 0 ]; then
		echo "not ok - $name exited with status $status"
		failed=$((failed + 1))
	fi
}

echo "# unit tests"
for t in "$build"/tests/unit/test_*; do
	[ -x "$t" ] || continue
	CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$log" 2>&1
	status=$?
	sed -E "s/^(not ok|ok) ([0-9]+) - /\1 \2 - $(basename "$t"): /" "$log"
	tally "$(basename "$t")" "$status"
done

echo "# CLI tests"
if command -v bats >/dev/null; then
	bats --tap tests/cli >"$log" 2>&1
	status=$?
	cat "$log"
	tally bats "$status"
else
	echo "not ok - bats is not installed"
	failed=$((failed + 1))
fi

echo "# fake hosts: mkhost.py and capture-host.sh read like the kernel's trees"
tests/fakehost/selftest.sh >"$log" 2>&1
status=$?
cat "$log"
tally fakehost "$status"

echo "# fuzz corpus replay"
for t in "$build"/tests/fuzz/fuzz_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	corpus=tests/fuzz/corpus/${name#fuzz_}
	"$t" "$corpus" >"$log" 2>&1
	status=$?
	if [ "$status" -eq 0 ]; then
		echo "ok - $name: $(tail -n 1 "$log")"
		passed=$((passed + 1))
	else
		sed 's/^/  /' "$log" | tail -n 30
		echo "not ok - $name replay of $corpus (status $status)"
		failed=$((failed + 1))
	fi
done

if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
