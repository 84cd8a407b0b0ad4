# Fake clusters: node pve is one fake host (the machine under --root); node pve2 is another
# fake host whose snapshot is published into pve's /etc/pve/nodes/pve2/, with the configs of
# its VMs beside it, as pmxcfs replicates them.

load host_helpers

# the fake host of scenario $1 as node pve2 of the cluster of $root (hook-gpu, node pve)
make_cluster() {
	build_host "$1"
	other=$root
	validate --root "$other" --snapshot
	expect_status 0
	build_host hook-gpu
	local dir=$root/etc/pve/nodes/pve2
	mkdir -p "$dir/qemu-server"
	cp "$other"/etc/pve/qemu-server/*.conf "$dir/qemu-server/"
	# as pve2 publishes it: the same host, named pve2
	python3 - "$out" "$dir/pcipt-host.json" "${2:-0}" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["node"] = "pve2"
s["origin"]["taken"] -= int(sys.argv[3])
open(sys.argv[2], "w").write(json.dumps(s, separators=(",", ":")) + "\n")
PY
}

# the cluster's configs as pmxcfs would hold them: `cluster_file PATH <<EOF` (under /etc/pve)
cluster_file() {
	mkdir -p "$(dirname "$root/etc/pve/$1")"
	cat >"$root/etc/pve/$1"
}

# edit pve2's published snapshot with a python expression over s (the JSON document)
edit_pve2_snapshot() {
	python3 - "$root/etc/pve/nodes/pve2/pcipt-host.json" "$1" <<'PY'
import json, sys
path = sys.argv[1]
s = json.load(open(path))
exec(sys.argv[2])
open(path, "w").write(json.dumps(s, separators=(",", ":")) + "\n")
PY
}

# The cluster of cluster-target.bats and cluster-all-nodes.bats: node pve (this machine:
# hook-gpu) holds VMs 101 (host=03:00) and 102 (host=00:1f.3); node pve2 (hook-mapping's host,
# published) holds VMs 100 (host=01:00, running) and 111 (mapping=gpu, with entries for pve2
# only).
make_mapping_cluster() {
	make_cluster hook-mapping
	# VM 100 lives on pve2 only (pmxcfs keeps one config per VMID)
	rm "$root/etc/pve/nodes/pve/qemu-server/100.conf"
	cluster_file mapping/pci.cfg <<EOF
gpu
	map id=10de:1b80,iommugroup=14,node=pve2,path=0000:01:00,subsystem-id=1458:3702
	map id=10de:1b80,iommugroup=16,node=pve2,path=0000:03:00,subsystem-id=1458:3702
EOF
}
