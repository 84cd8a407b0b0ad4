#!/usr/bin/env bats
# `--all-nodes`: every VM of every node against its own node, then what only a cluster has:
# mapping-entry, ha-raw-address, ha-target.  The cluster: node pve (this machine: hook-gpu)
# holds VMs 101 (host=03:00) and 102 (host=00:1f.3, sharing group 9); node pve2 (hook-mapping's
# host, published) holds VMs 100 (host=01:00, running) and 111 (mapping=gpu).

load cluster_helpers

@test "--all-nodes judges each node's VMs against that node: what --node says for each, node by node" {
	make_mapping_cluster
	validate --root "$root" --node pve 101 102
	cp "$out" "$BATS_TEST_TMPDIR/want"
	validate --root "$root" --node pve2 100 111
	cat "$out" >>"$BATS_TEST_TMPDIR/want"
	validate --root "$root" --all-nodes
	expect_status 1
	diff -u "$BATS_TEST_TMPDIR/want" "$out"
	validate --root "$root" --all-nodes --format json
	expect_status 1
	python3 - "$out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
files = {f["file"] for f in d["findings"]}
assert "/etc/pve/nodes/pve/qemu-server/102.conf" in files, files
assert d["summary"]["errors"] >= 1, d
PY
}

@test "--all-nodes: a node without a snapshot is a warning (its VMs unjudged), never a silent pass" {
	make_mapping_cluster
	rm "$root/etc/pve/nodes/pve2/pcipt-host.json"
	validate --root "$root" --all-nodes
	grep -qF "/etc/pve/nodes/pve2/pcipt-host.json: warning: node pve2 has published no snapshot of its host, so its VMs cannot be judged against it [node-snapshot]" "$out"
	run grep -F "nodes/pve2/qemu-server" "$out"
	[ "$status" -ne 0 ]
	# a removed node (its directory left behind; .members does not list it) is no node
	printf '{"nodename":"pve","version":8,"cluster":{"name":"c1","version":4,"nodes":1,"quorate":1},"nodelist":{"pve":{"id":1,"online":1,"ip":"10.0.0.1"}}}\n' \
		>"$root/etc/pve/.members"
	validate --root "$root" --all-nodes
	lacks_check node-snapshot
}

@test "mapping-entry: a map line for another node that its snapshot refutes is an error on pci.cfg; this node's lines are device-ids' business" {
	make_mapping_cluster
	cluster_file mapping/pci.cfg <<EOF
gpu
	map id=10de:1b80,iommugroup=14,node=pve2,path=0000:01:00,subsystem-id=1458:3702
	map id=10de:1b80,iommugroup=17,node=pve2,path=0000:03:00,subsystem-id=1458:3702
	map id=10de:1b80,iommugroup=99,node=pve,path=0000:03:00,subsystem-id=1458:3702

nic
	map id=8086:1533,iommugroup=15,node=pve2,path=0000:02:00.0,subsystem-id=8086:1533
	map id=8086:1533,node=pve9,path=0000:02:00.0
EOF
	validate --root "$root" --all-nodes
	expect_status 1
	grep -qF "/etc/pve/mapping/pci.cfg:3: error: mapping 'gpu': the map line for node pve2 does not match what pve2 has: 0000:03:00.0 is in IOMMU group 16, the mapping says iommugroup=17; every VM that passes 'gpu' fails to start on pve2 (\"PCI device mapping invalid (hardware probably changed)\") [mapping-entry]" "$out"
	[ "$(grep -c '\[mapping-entry\]' "$out")" -eq 1 ]
	# pve9 is no node of this cluster: its line is never used
	run grep -F "pve9" "$out"
	[ "$status" -ne 0 ]
	# the one stale line fails VM 111's start on pve2, which the node's own lint says too
	grep -qF "/etc/pve/nodes/pve2/qemu-server/111.conf:1: error: hostpci0: resource mapping 'gpu' (/etc/pve/mapping/pci.cfg line 3) does not match the hardware" "$out"
}

@test "ha-raw-address: an HA-managed VM that passes a raw address is a warning on its hostpci line; disabled and ignored ones are out of HA's hands" {
	make_mapping_cluster
	cluster_file ha/resources.cfg <<EOF
vm: 101
	state started

vm: 102
	state disabled

vm: 100
	state ignored
EOF
	# HA may put 101 on pve2 only when pve2 can start it: keep this test to the warning
	cluster_file ha/rules.cfg <<EOF
node-affinity: stay
	resources vm:101
	nodes pve
	strict 1
EOF
	validate --root "$root" --all-nodes
	grep -qF "/etc/pve/nodes/pve/qemu-server/101.conf:1: warning: hostpci0: VM 101 is HA-managed (state started, /etc/pve/ha/resources.cfg line 1) and passes a raw address (0000:03:00,pcie=1): when HA recovers or moves it, its config moves to another node and the address means whatever card sits there [ha-raw-address]" "$out"
	[ "$(grep -c '\[ha-raw-address\]' "$out")" -eq 1 ]
	lacks_check ha-target
}

@test "ha-target: HA may recover a VM to a node where it cannot start: one error per VM and node, with the reason and what allows the node" {
	make_mapping_cluster
	cluster_file ha/resources.cfg <<EOF
vm: 102
	state stopped
EOF
	validate --root "$root" --all-nodes
	expect_status 1
	grep -qF "/etc/pve/nodes/pve/qemu-server/102.conf:1: error: VM 102 (on pve) is HA-managed (state stopped) and HA may recover or move it to node pve2 (no node-affinity rule or HA group limits where it runs), where it cannot start: hostpci0: there is no PCI device 0000:00:1f.3 on this host; Proxmox will fail to start the VM [device-missing] [ha-target]" "$out"
	[ "$(grep -c '\[ha-target\]' "$out")" -eq 1 ]
	# its own node's error (group 9 shared) is not pve2's reason
	run grep -F "[ha-target]" "$out"
	[[ "$output" != *group-isolation* ]]
	# a strict PVE 9 rule keeps it on pve
	cluster_file ha/rules.cfg <<EOF
node-affinity: stay
	resources vm:102
	nodes pve
	strict 1
EOF
	validate --root "$root" --all-nodes
	lacks_check ha-target
	# not strict: any node when pve is down
	sed -i 's/strict 1/strict 0/' "$root/etc/pve/ha/rules.cfg"
	validate --root "$root" --all-nodes
	grep -qF "to node pve2 (node-affinity rule 'stay' is not strict: HA uses any node when the rule's are down)" "$out"
	# a PVE 8 restricted group does what a strict rule does
	rm "$root/etc/pve/ha/rules.cfg"
	cluster_file ha/resources.cfg <<EOF
vm: 102
	group gpu
EOF
	cluster_file ha/groups.cfg <<EOF
group: gpu
	nodes pve:2,pve2:1
	restricted 1
EOF
	validate --root "$root" --all-nodes
	grep -qF "to node pve2 (restricted HA group 'gpu' lists it)" "$out"
	sed -i 's/nodes pve:2,pve2:1/nodes pve/' "$root/etc/pve/ha/groups.cfg"
	validate --root "$root" --all-nodes
	lacks_check ha-target
	# a disabled VM is never recovered
	printf 'vm: 102\n\tstate disabled\n' >"$root/etc/pve/ha/resources.cfg"
	rm "$root/etc/pve/ha/groups.cfg"
	validate --root "$root" --all-nodes
	lacks_check ha-target
}

@test "ha-target: a VM on pve2 that HA may move to this node is judged against the machine" {
	make_mapping_cluster
	# VM 111's mapping has no entry for pve
	cluster_file ha/resources.cfg <<EOF
vm: 111
EOF
	validate --root "$root" --all-nodes
	expect_status 1
	grep -qF "/etc/pve/nodes/pve2/qemu-server/111.conf:1: error: VM 111 (on pve2) is HA-managed (state started) and HA may recover or move it to node pve (no node-affinity rule or HA group limits where it runs), where it cannot start: hostpci0: resource mapping 'gpu' has no device on this node (pve)" "$out"
}

@test "--all-nodes: unreadable HA files are exit 2 with the file; usage errors" {
	make_mapping_cluster
	cluster_file ha/resources.cfg <<EOF
vm: 101
EOF
	printf 'vm: 102\n\tstate \xff\n' >"$root/etc/pve/ha/resources.cfg"
	validate --root "$root" --all-nodes
	expect_status 2
	grep -qF "/etc/pve/ha/resources.cfg" "$err"
	validate --root "$root" --all-nodes 101
	expect_status 2
	validate --root "$root" --all-nodes --all
	expect_status 2
}
