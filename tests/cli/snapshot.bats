#!/usr/bin/env bats
# The host model as data: `--snapshot` prints every fact the host checks read as one JSON
# document, and `--host-snapshot FILE` judges against it instead of the machine.  The contract:
# for a root R, S = `--snapshot --root R`, and C a directory holding only R's etc/pve and
# etc/pcipt, `--root C --host-snapshot S` gives exactly what `--root R` gives.

load host_helpers

# a directory with only the Proxmox and pcipt configuration of $root
config_only() {
	conf=$BATS_TEST_TMPDIR/config-only
	rm -rf "$conf"
	mkdir -p "$conf/etc"
	[ ! -d "$root/etc/pve" ] || cp -a "$root/etc/pve" "$conf/etc/pve"
	[ ! -d "$root/etc/pcipt" ] || cp -a "$root/etc/pcipt" "$conf/etc/pcipt"
}

# same_run ARGS...: pcipt-validate ARGS over the machine and over its snapshot agree in output
# and exit status
same_run() {
	validate --root "$root" "$@"
	local want_status=$status
	cp "$out" "$BATS_TEST_TMPDIR/want"
	validate --root "$conf" --host-snapshot "$snapshot" "$@"
	if [ "$status" -ne "$want_status" ] || ! cmp -s "$BATS_TEST_TMPDIR/want" "$out"; then
		echo "$scenario, $*: from the machine exit $want_status, from the snapshot exit $status"
		diff -u "$BATS_TEST_TMPDIR/want" "$out" || true
		echo "--- stderr"; cat "$err"
		return 1
	fi
}

@test "the snapshot contract over every fixture host: the same findings and output from the snapshot as from the machine" {
	local dir args checked=0
	snapshot=$BATS_TEST_TMPDIR/snapshot.json
	for dir in "$HOST_FIXTURES"/*/; do
		scenario=$(basename "$dir")
		[ -f "$dir/host.spec" ] || continue
		build_host "$scenario"
		args=100
		[ ! -f "$dir/args" ] || args=$(cat "$dir/args")
		validate --root "$root" --snapshot
		if [ "$status" -ne 0 ]; then
			# a machine pcipt cannot read has no snapshot; the run over it says why
			expect_status 2
			validate --root "$root" --host
			expect_status 2
			continue
		fi
		cp "$out" "$snapshot"
		config_only
		# shellcheck disable=SC2086 # args is a list of words
		same_run $args
		# shellcheck disable=SC2086
		same_run --format json $args
		same_run --host
		same_run --groups
		same_run --groups --format json
		same_run --all
		checked=$((checked + 1))
	done
	# most fixture hosts can be read; a contract over none would pass on anything
	[ "$checked" -ge 30 ] || { echo "only $checked fixture hosts snapshot"; return 1; }
}

@test "--snapshot is one JSON document of the schema pcipt-host, version 1, with the machine's facts" {
	build_host hook-gpu
	validate --root "$root" --snapshot
	expect_status 0
	python3 - "$out" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["schema"] == "pcipt-host" and s["version"] == 1, (s.get("schema"), s.get("version"))
text = json.dumps(s)
# the GPU of the scenario and its group are in it
assert "0000:03:00.0" in text, "no 0000:03:00.0"
PY
	[ "$(tail -c 1 "$out" | od -An -c | tr -d ' ')" = '\n' ]
	# the same machine gives the same text, apart from when it was read
	cp "$out" "$BATS_TEST_TMPDIR/first"
	validate --root "$root" --snapshot
	python3 - "$BATS_TEST_TMPDIR/first" "$out" <<'PY'
import re, sys
a, b = (re.sub(r'"taken":[0-9]+', '"taken":T', open(p).read()) for p in sys.argv[1:])
assert a == b, "two snapshots of one machine differ in more than the time"
PY
}

@test "--host-snapshot: a file that is not a snapshot is unreadable input, exit 2 naming it" {
	build_host hook-gpu
	config_only
	printf '{"schema": "something-else", "version": 1}\n' >"$BATS_TEST_TMPDIR/other.json"
	validate --root "$conf" --host-snapshot "$BATS_TEST_TMPDIR/other.json" 101
	expect_status 2
	grep -qF "$BATS_TEST_TMPDIR/other.json" "$err"
	printf '{"schema": "pcipt-host", "version": 1,' >"$BATS_TEST_TMPDIR/cut.json"
	validate --root "$conf" --host-snapshot "$BATS_TEST_TMPDIR/cut.json" 101
	expect_status 2
	grep -qF "$BATS_TEST_TMPDIR/cut.json" "$err"
	validate --root "$conf" --host-snapshot "$BATS_TEST_TMPDIR/absent.json" 101
	expect_status 2
	grep -qF "absent.json" "$err"
	# larger than pmxcfs would hold: refused before it is parsed
	head -c 1048577 /dev/zero | tr '\0' ' ' >"$BATS_TEST_TMPDIR/big.json"
	validate --root "$conf" --host-snapshot "$BATS_TEST_TMPDIR/big.json" 101
	expect_status 2
	grep -qF "larger than" "$err"
}

@test "--snapshot and --host-snapshot refuse what they cannot go with" {
	build_host hook-gpu
	validate --root "$root" --snapshot 101
	expect_status 2
	validate --root "$root" --snapshot --offline
	expect_status 2
	validate --root "$root" --snapshot --format text
	expect_status 2
	validate --root "$root" --host-snapshot x.json --offline 101
	expect_status 2
	validate --root "$root" --host-snapshot x.json --snapshot
	expect_status 2
}

@test "pcipt-snapshot(5) names every member a snapshot has" {
	build_host roms
	validate --root "$root" --snapshot
	expect_status 0
	python3 - "$out" "$BATS_TEST_DIRNAME/../../packaging/man/pcipt-snapshot.5.scd" <<'PY'
import json, sys
snapshot = json.load(open(sys.argv[1]))
page = open(sys.argv[2]).read()
keys = set()
def walk(v):
    if isinstance(v, dict):
        for k, x in v.items():
            keys.add(k)
            walk(x)
    elif isinstance(v, list):
        for x in v:
            walk(x)
walk(snapshot)
missing = sorted(k for k in keys if "*%s*" % k not in page)
assert not missing, "not in pcipt-snapshot(5): " + ", ".join(missing)
PY
}
