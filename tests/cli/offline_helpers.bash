# Shared setup for the CLI tests: the binary under test and the fixture trees.
: "${PCIPT_VALIDATE:=$BATS_TEST_DIRNAME/../../build/san/pcipt-validate}"
: "${PCIPT_FIXTURES:=$BATS_TEST_DIRNAME/../fixtures}"
CLI_FIXTURES=$PCIPT_FIXTURES/offline

# validate ARGS...: run pcipt-validate, stdout in $out, stderr in $err, exit status in $status
validate() {
	out=$BATS_TEST_TMPDIR/stdout
	err=$BATS_TEST_TMPDIR/stderr
	status=0
	"$PCIPT_VALIDATE" "$@" >"$out" 2>"$err" || status=$?
}

# expect_status N: fail with both streams shown when the exit status differs
expect_status() {
	if [ "$status" -ne "$1" ]; then
		echo "exit status $status, expected $1"
		echo "--- stdout"; cat "$out"
		echo "--- stderr"; cat "$err"
		return 1
	fi
}

# expect_output FILE: stdout must equal FILE exactly
expect_output() {
	diff -u "$1" "$out"
}

# lint_scenario NAME STATUS: every config of the fake root NAME with --all
lint_scenario() {
	validate --offline --root "$CLI_FIXTURES/$1" --all
	expect_status "$2"
	expect_output "$CLI_FIXTURES/$1/expected.txt"
	[ ! -s "$err" ] || { echo "unexpected stderr:"; cat "$err"; return 1; }
}

# lint_each NAME: each VM of the fake root NAME on its own (no cross-VM findings), every run
# exiting 1, outputs concatenated in VMID order
lint_each() {
	local root=$CLI_FIXTURES/$1 all=$BATS_TEST_TMPDIR/all f id
	: >"$all"
	for f in "$root"/etc/pve/qemu-server/*.conf; do
		id=$(basename "$f" .conf)
		validate --offline --root "$root" "$id"
		expect_status 1
		cat "$out" >>"$all"
	done
	diff -u "$root/expected.txt" "$all"
}

# no_match PATTERN FILE: fail when FILE has a line matching PATTERN (a bare `! grep` in the
# middle of a bats test does not fail it: bash's errexit ignores negated commands)
no_match() {
	if grep -qE -- "$1" "$2"; then
		echo "unexpected line matching '$1':"; grep -E -- "$1" "$2"
		return 1
	fi
}
