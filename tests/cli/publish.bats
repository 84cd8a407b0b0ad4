#!/usr/bin/env bats
# --publish: the snapshot written to /etc/pve/nodes/NODE/pcipt-host.json the way Proxmox
# writes its files on pmxcfs.  pmxcfs is not in Debian; its semantics are faked with a
# directory: without quorum it shows the node's directory read-only (0555) and refuses every
# write with EACCES, which a directory of mode 0555 does for any user but root, so the refused
# write runs as nobody.

load host_helpers

# as_nobody CMD...: run CMD as an unprivileged user when this is root
as_nobody() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
	else
		"$@"
	fi
}

published() {
	echo "$root/etc/pve/nodes/pve/pcipt-host.json"
}

@test "--publish writes this node's snapshot, mode 0640, through a temporary file it renames" {
	build_host hook-gpu
	validate --root "$root" --publish
	expect_status 0
	grep -qx "published /etc/pve/nodes/pve/pcipt-host.json ([0-9]* bytes)" "$out"
	[ "$(stat -c %a "$(published)")" = 640 ]
	# nothing else is left in the node's directory
	[ -z "$(find "$root/etc/pve/nodes/pve" -maxdepth 1 -name '*.tmp.*')" ]
	# it is what --snapshot prints, but for the time it was read
	validate --root "$root" --snapshot
	python3 - "$(published)" "$out" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
for s in (a, b):
    s["origin"].pop("taken")
assert a == b, "the published snapshot is not the one --snapshot prints"
PY
	# publishing again replaces it: the node's old snapshot never stays half written
	echo 'old' >"$(published)"
	validate --root "$root" --publish
	expect_status 0
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$(published)"
}

@test "--publish without quorum: pmxcfs refuses the write (EACCES), exit 2 saying so, nothing left behind" {
	build_host hook-gpu
	# the unprivileged writer must reach the root: a copy where every directory above it is
	# open to all (bats' own temporary directories are not)
	local open_dir
	open_dir=$(mktemp -d /tmp/pcipt-publish.XXXXXX)
	chmod 0755 "$open_dir"
	cp -a "$root" "$open_dir/root"
	root=$open_dir/root
	echo 'previous' >"$(published)"
	chmod -R a+rX "$root"
	chmod 0555 "$root/etc/pve/nodes/pve"
	out=$BATS_TEST_TMPDIR/stdout err=$BATS_TEST_TMPDIR/stderr status=0
	as_nobody "$PCIPT_VALIDATE" --root "$root" --publish >"$out" 2>"$err" || status=$?
	chmod 0755 "$root/etc/pve/nodes/pve"
	cp "$(published)" "$BATS_TEST_TMPDIR/after"
	find "$root/etc/pve/nodes/pve" -maxdepth 1 -name '*.tmp.*' >"$BATS_TEST_TMPDIR/left"
	rm -rf "$open_dir"
	expect_status 2
	grep -q "quorum" "$err" || { cat "$err"; return 1; }
	grep -q "Permission denied" "$err"
	[ "$(cat "$BATS_TEST_TMPDIR/after")" = previous ]
	[ ! -s "$BATS_TEST_TMPDIR/left" ]
}

@test "--publish where /etc/pve/nodes/NODE does not exist: not a Proxmox node (or pmxcfs not mounted), exit 2" {
	build_host hook-gpu
	rm -rf "$root/etc/pve/nodes/pve" "$root/etc/pve/local" "$root/etc/pve/qemu-server"
	validate --root "$root" --publish
	expect_status 2
	grep -qF "/etc/pve/nodes/pve does not exist" "$err"
	rm -f "$root/etc/hostname"
	validate --root "$root" --publish
	expect_status 2
	grep -qF "/etc/hostname names no node" "$err"
}

@test "--publish takes no VMIDs or other mode" {
	build_host hook-gpu
	validate --root "$root" --publish 101
	expect_status 2
	validate --root "$root" --publish --snapshot
	expect_status 2
	validate --root "$root" --publish --offline
	expect_status 2
}
