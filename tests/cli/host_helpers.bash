# Host scenarios: fake hosts built by tests/fakehost/mkhost.py from short specs.
load offline_helpers

HOST_FIXTURES=$PCIPT_FIXTURES/host
MKHOST=$BATS_TEST_DIRNAME/../fakehost/mkhost.py

# build_host NAME: build the root of scenario NAME into $root
#   base-boot.spec (unless the scenario's first line is "# own boot"), base-machine.spec
#   (unless it is "# standalone"), then the scenario's host.spec
build_host() {
	local dir=$HOST_FIXTURES/$1 spec=$BATS_TEST_TMPDIR/$1.spec first
	root=$BATS_TEST_TMPDIR/root-$1
	first=$(head -n 1 "$dir/host.spec")
	: >"$spec"
	case $first in
	"# standalone"*) ;;
	"# own boot"*) cat "$HOST_FIXTURES/base-machine.spec" >>"$spec" ;;
	*) cat "$HOST_FIXTURES/base-boot.spec" "$HOST_FIXTURES/base-machine.spec" >>"$spec" ;;
	esac
	cat "$dir/host.spec" >>"$spec"
	rm -rf "$root"
	python3 "$MKHOST" "$spec" "$root" >"$BATS_TEST_TMPDIR/mkhost.log" 2>&1 || {
		cat "$BATS_TEST_TMPDIR/mkhost.log"; return 1; }
}

# host_scenario NAME STATUS: build NAME, run pcipt-validate --root ROOT with the words of
# its `args` file (default: 100), compare stdout with its expected.txt
host_scenario() {
	local dir=$HOST_FIXTURES/$1 args=100
	build_host "$1"
	[ -f "$dir/args" ] && args=$(cat "$dir/args")
	# shellcheck disable=SC2086 # args is a list of words
	validate --root "$root" $args
	expect_status "$2"
	expect_output "$dir/expected.txt"
	[ ! -s "$err" ] || { echo "unexpected stderr:"; cat "$err"; return 1; }
}

# has_check ID: the last run reported check ID; lacks_check ID: it did not
has_check() {
	grep -q "\[$1\]\$" "$out" || { echo "no [$1] finding:"; cat "$out"; return 1; }
}
lacks_check() {
	no_match "\[$1\]\$" "$out"
}
