#!/usr/bin/env bats
# `--target NODE VMID`: would the VM start on NODE, and may it move there?  The cluster: node pve
# (this machine: hook-gpu, with its second GPU 03:00 on nouveau) runs VMs 101 (host=03:00) and
# 102 (host=00:1f.3); node pve2 (hook-mapping's host, published) runs VM 100 (host=01:00, live)
# and holds VM 111 (mapping=gpu, stopped).

load cluster_helpers

@test "--target: a running VM with a raw address never migrates live: Proxmox's words, exit 1" {
	make_mapping_cluster
	validate --root "$root" --target pve 100
	expect_status 1
	has_check migration
	grep -qF "/etc/pve/nodes/pve2/qemu-server/100.conf:1: error: hostpci0: VM 100 runs on pve2 and passes a raw address (0000:01:00,pcie=1): Proxmox never migrates it live to pve (\"can't migrate VM which uses local devices: hostpci0\"), not even with --force [migration]" "$out"
	# the card is there on pve: nothing else stops the start
	[ "$(grep -c ': error: ' "$out")" -eq 1 ]
}

@test "--target: a stopped VM with a raw address moves only with --force: a warning, and the start checks run against the target" {
	make_mapping_cluster
	validate --root "$root" --target pve2 101
	expect_status 0
	has_check migration
	grep -qF "warning: hostpci0: a raw address (0000:03:00,pcie=1) is a local device: Proxmox migrates VM 101 from pve to pve2 only while it is stopped and with --force (\"can't migrate VM which uses local devices: hostpci0\")" "$out"
	# 00:1f.3 is not on pve2: the start check says so, naming the node it judged against
	validate --root "$root" --target pve2 102
	expect_status 1
	grep -qF "/etc/pve/nodes/pve/qemu-server/102.conf:1: error: node pve2: hostpci0: there is no PCI device 0000:00:1f.3 on this host; Proxmox will fail to start the VM [device-missing]" "$out"
	validate --root "$root" --target pve2 --format json 102
	expect_status 1
	python3 - "$out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
missing = [f for f in d["findings"] if f["check"] == "device-missing"]
assert missing and missing[0]["node"] == "pve2", d
moves = [f for f in d["findings"] if f["check"] == "migration"]
assert moves and "node" not in moves[0], d
PY
	# judged on its own node (where it shares a group), a finding names no node
	validate --root "$root" --target pve 102
	expect_status 1
	has_check group-isolation
	run grep -F "node pve" "$out"
	[ "$status" -ne 0 ]
	lacks_check migration
}

@test "--target: a mapping without an entry for the target: the start fails there, and Proxmox refuses the move" {
	make_mapping_cluster
	validate --root "$root" --target pve 111
	expect_status 1
	grep -qF "error: node pve: hostpci0: resource mapping 'gpu' has no device on this node (pve); Proxmox will fail to start the VM here [device-missing]" "$out"
	grep -qF "error: hostpci0: resource mapping 'gpu' has no device on pve: Proxmox refuses to migrate VM 111 there (\"can't migrate to 'pve': missing mapped devices hostpci0\") [migration]" "$out"
}

@test "--target: a mapped card moves offline with an entry; live only when live-migration-capable" {
	make_mapping_cluster
	cluster_file mapping/pci.cfg <<EOF
gpu
	map id=10de:1b80,iommugroup=14,node=pve2,path=0000:01:00,subsystem-id=1458:3702
	map id=10de:1b80,iommugroup=16,node=pve2,path=0000:03:00,subsystem-id=1458:3702
	map id=10de:1b80,iommugroup=16,node=pve,path=0000:03:00,subsystem-id=1458:3702
EOF
	validate --root "$root" --target pve 111
	lacks_check migration
	lacks_check device-missing
	# VM 111 now runs on pve2 (as its snapshot says)
	edit_pve2_snapshot 's["runstate"]["vms"].append({"vmid": 111, "pid": 4343, "devices": ["0000:03:00.0", "0000:03:00.1"]})'
	validate --root "$root" --target pve 111
	expect_status 1
	grep -qF "error: hostpci0: VM 111 runs on pve2, and resource mapping 'gpu' is not live-migration-capable: Proxmox refuses to migrate it live to pve (\"can't live migrate running VM which uses following mapped devices: hostpci0:gpu\") [migration]" "$out"
	sed -i 's/^gpu$/gpu\n\tlive-migration-capable 1/' "$root/etc/pve/mapping/pci.cfg"
	validate --root "$root" --target pve 111
	lacks_check migration
}

@test "--target finds the config wherever it lives: .vmlist first, else the nodes' directories" {
	make_mapping_cluster
	# a second 101.conf on pve2: the directories alone cannot say which is the VM
	cp "$root/etc/pve/nodes/pve/qemu-server/101.conf" "$root/etc/pve/nodes/pve2/qemu-server/"
	validate --root "$root" --target pve2 101
	expect_status 2
	grep -qF "VM 101 has a config on node pve and on node pve2" "$err"
	# pmxcfs' .vmlist names the node
	printf '{"version":5,"ids":{"101":{"node":"pve","type":"qemu","version":3},"300":{"node":"pve2","type":"lxc","version":1}}}\n' \
		>"$root/etc/pve/.vmlist"
	validate --root "$root" --target pve2 101
	expect_status 0
	grep -qF "/etc/pve/nodes/pve/qemu-server/101.conf" "$out"
	validate --root "$root" --target pve 300
	expect_status 2
	grep -qF "300 is a container (lxc) on node pve2, not a VM" "$err"
	# a VM .vmlist does not name: the directories
	validate --root "$root" --target pve 100
	expect_status 1
	has_check migration
	validate --root "$root" --target pve 999
	expect_status 2
	grep -qF "there is no VM 999 on any node of this cluster" "$err"
	printf '{"ids": [' >"$root/etc/pve/.vmlist"
	validate --root "$root" --target pve 101
	expect_status 2
	grep -qF "/etc/pve/.vmlist: not JSON" "$err"
}

@test "--target: a target without a snapshot is a node-snapshot error; usage errors are exit 2" {
	make_mapping_cluster
	rm "$root/etc/pve/nodes/pve2/pcipt-host.json"
	validate --root "$root" --target pve2 101
	expect_status 1
	has_check node-snapshot
	validate --root "$root" --target pve9 101
	expect_status 2
	grep -qF "no node pve9 in this cluster" "$err"
	validate --root "$root" --target pve2
	expect_status 2
	validate --root "$root" --target pve2 --all
	expect_status 2
	validate --root "$root" --target pve2 --node pve 101
	expect_status 2
	validate --root "$root" --target pve2 abc
	expect_status 2
	grep -qF "'abc' is not a VMID" "$err"
}
