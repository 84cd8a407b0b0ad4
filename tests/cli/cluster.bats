#!/usr/bin/env bats
# `--node pve2` judges pve2's VMs against what pve2 published (the fake clusters of
# cluster_helpers.bash).

load cluster_helpers

@test "--node pve2: pve2's VMs judged against pve2's snapshot say what pcipt says on pve2 itself" {
	make_cluster group-isolation
	validate --root "$other" 101 102
	local want_status=$status
	sed 's|/etc/pve/qemu-server/|/etc/pve/nodes/pve2/qemu-server/|g' "$out" >"$BATS_TEST_TMPDIR/want"
	validate --root "$root" --node pve2 101 102
	expect_status "$want_status"
	diff -u "$BATS_TEST_TMPDIR/want" "$out"
	has_check group-isolation
	lacks_check node-snapshot
}

@test "--node of this node judges against the machine; an unknown node is exit 2" {
	build_host hook-gpu
	validate --root "$root" 101
	local want_status=$status
	sed 's|/etc/pve/qemu-server/|/etc/pve/nodes/pve/qemu-server/|g' "$out" >"$BATS_TEST_TMPDIR/want"
	validate --root "$root" --node pve 101
	expect_status "$want_status"
	diff -u "$BATS_TEST_TMPDIR/want" "$out"
	validate --root "$root" --node pve9 101
	expect_status 2
	grep -qF "no node pve9 in this cluster" "$err"
	validate --root "$root" --node ../x 101
	expect_status 2
	validate --root "$root" --node pve
	expect_status 2
	validate --root "$root" --node pve --all
	expect_status 2
}

@test "node-snapshot: pve2 published nothing, so its VMs are not judged against it: an error, never a silent pass" {
	make_cluster clean
	rm "$root/etc/pve/nodes/pve2/pcipt-host.json"
	validate --root "$root" --node pve2 100
	expect_status 1
	has_check node-snapshot
	grep -qF "/etc/pve/nodes/pve2/pcipt-host.json: error: node pve2 has published no snapshot" "$out"
	[ "$(grep -c ': error: ' "$out")" -eq 1 ]
	# in JSON too
	validate --root "$root" --node pve2 --format json 100
	expect_status 1
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["findings"][0]["check"] == "node-snapshot", d' "$out"
}

@test "node-snapshot: a snapshot older than snapshot_max_age is an error beside the verdict; a younger one is none" {
	make_cluster clean $((2 * 86400 + 600))
	validate --root "$root" --node pve2 100
	expect_status 1
	has_check node-snapshot
	grep -qF "the snapshot of node pve2 is 2 days old, older than snapshot_max_age (24 hours)" "$out"
	# the VM is still judged: the finding stands beside what the snapshot says
	[ "$(grep -c ': error: ' "$out")" -eq 1 ]
	mkdir -p "$root/etc/pcipt"
	echo "snapshot_max_age = 604800" >"$root/etc/pcipt/pcipt.conf"
	validate --root "$root" --node pve2 100
	expect_status 0
	lacks_check node-snapshot
}

@test "node-snapshot: a snapshot that cannot be read is input pcipt cannot read, exit 2 with its reason" {
	make_cluster clean
	echo '{"schema":"pcipt-host","version":2}' >"$root/etc/pve/nodes/pve2/pcipt-host.json"
	validate --root "$root" --node pve2 100
	expect_status 2
	has_check node-snapshot
	grep -qF "the snapshot of node pve2 cannot be read" "$out"
	grep -qF "version" "$out"
}

@test "the nodes are the nodelist of /etc/pve/.members when it has one; a directory it does not name is a removed node" {
	make_cluster clean
	printf '{"nodename":"pve","version":7,"cluster":{"name":"c1","version":3,"nodes":2,"quorate":1},"nodelist":{"pve":{"id":1,"online":1,"ip":"10.0.0.1"},"pve2":{"id":2,"online":0}}}\n' \
		>"$root/etc/pve/.members"
	validate --root "$root" --node pve2 100
	expect_status 0
	# pve2 removed with `pvecm delnode`: its directory stays, the nodelist drops it
	printf '{"nodename":"pve","version":8,"cluster":{"name":"c1","version":4,"nodes":1,"quorate":1},"nodelist":{"pve":{"id":1,"online":1,"ip":"10.0.0.1"}}}\n' \
		>"$root/etc/pve/.members"
	validate --root "$root" --node pve2 100
	expect_status 2
	grep -qF "no node pve2 in this cluster: the nodelist of /etc/pve/.members does not name it" "$err"
	# a standalone node's .members has no nodelist: the directories count
	printf '{"nodename":"pve","version":1}\n' >"$root/etc/pve/.members"
	validate --root "$root" --node pve2 100
	expect_status 0
	# .members that is not what pmxcfs writes: input pcipt cannot read
	printf '{"nodelist": [' >"$root/etc/pve/.members"
	validate --root "$root" --node pve2 100
	expect_status 2
	grep -qF "/etc/pve/.members: not JSON" "$err"
	printf '{"nodelist": {"../x": {}}}\n' >"$root/etc/pve/.members"
	validate --root "$root" --node pve2 100
	expect_status 2
	grep -qF "is no node name" "$err"
}
