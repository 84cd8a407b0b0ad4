#!/usr/bin/env bash
# make bench: each figure against its baseline, both measured in this run:
#   offline lint of 10,000 generated configs against `cat` of the same files, and its peak
#   RSS for 10,000 and for 20,000 configs (the lint keeps no config once it is checked, so the
#   two are the same);
#   `pcipt-validate VMID` and `pcipt-hook VMID pre-start --dry-run` on a generated
#   256-device / 64-group fake host against `lspci -n` (libpci's sysfs backend) on the same tree.
set -eu
validate=${1:?usage: bench.sh PCIPT_VALIDATE}
count=${BENCH_CONFIGS:-10000}
runs=${BENCH_RUNS:-5}
# a host-mode run takes some 30 ms, so scheduling noise on a small machine is a large share of
# one run: more runs, for a best that is the program's and not the machine's
host_runs=${BENCH_HOST_RUNS:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$(dirname "$0")/gen-configs.sh" "$work" "$count"
dir=$work/etc/pve/qemu-server

now() { date +%s%N; }
# best of $runs wall-clock runs, in microseconds
best() {
	local best_us= t0 t1 us
	for _ in $(seq "$runs"); do
		t0=$(now); "$@" >/dev/null 2>&1 || true; t1=$(now)
		us=$(( (t1 - t0) / 1000 ))
		if [ -z "$best_us" ] || [ "$us" -lt "$best_us" ]; then best_us=$us; fi
	done
	echo "$best_us"
}

cat_all() { find "$dir" -name '*.conf' -print0 | xargs -0 cat; }
lint_all() { "$validate" --offline --root "$work" --all; }

bytes=$(cat_all | wc -c)
findings=$(lint_all | grep -c ': \(error\|warning\|info\): ' || true)
base=$(best cat_all)
lint=$(best lint_all)
# peak RSS in KiB through GNU time (package "time"; the shell's `time` has no RSS)
peak_rss() {
	/usr/bin/time -f '%M' -o "$work/rss" "$@" >/dev/null 2>&1 || true
	tail -n 1 "$work/rss"
}

echo "offline lint of $count configs ($bytes bytes, $findings findings), best of $runs runs:"
awk -v b="$base" -v l="$lint" 'BEGIN {
	printf "  cat (find | xargs cat)     %8.1f ms\n", b / 1000
	printf "  pcipt-validate --offline   %8.1f ms   = %.2f x cat\n", l / 1000, l / b
}'
if [ -x /usr/bin/time ]; then
	twice=$work/twice
	"$(dirname "$0")/gen-configs.sh" "$twice" $((2 * count))
	rss=$(peak_rss "$validate" --offline --root "$work" --all)
	rss_twice=$(peak_rss "$validate" --offline --root "$twice" --all)
	cat_rss=$(peak_rss cat "$dir/1000.conf")
	awk -v n="$count" -v r="$rss" -v r2="$rss_twice" -v c="$cat_rss" 'BEGIN {
		printf "  %-26s %8d KiB   (limit 8192 KiB)\n", "peak RSS, " n " configs", r
		printf "  %-26s %8d KiB   = %.2f x %d configs\n", "peak RSS, " 2 * n " configs", r2, r2 / r, n
		printf "  %-26s %8d KiB\n", "peak RSS, cat of 1 config", c
	}'
	[ "$rss" -le 8192 ] || { echo "the offline lint's peak RSS is over 8 MiB"; exit 1; }
else
	echo "  peak RSS: not measured, /usr/bin/time (package time) is not installed"
fi

# --- host mode on a 256-device / 64-group fake host ------------------------------------
host_spec=$work/host.spec
host_root=$work/host
"$(dirname "$0")/gen-host.sh" "$host_spec"
python3 "$(dirname "$0")/../fakehost/mkhost.py" "$host_spec" "$host_root"
devices=$(find "$host_root/sys/bus/pci/devices" -mindepth 1 -maxdepth 1 | wc -l)
groups=$(find "$host_root/sys/kernel/iommu_groups" -mindepth 1 -maxdepth 1 | wc -l)
lspci_n() { lspci -n -A linux-sysfs -O "sysfs.path=$host_root/sys/bus/pci"; }
validate_vm() { "$validate" --root "$host_root" 110; }
hook=$(dirname "$validate")/pcipt-hook
hook_dry_run() { "$hook" --root "$host_root" --dry-run 110 pre-start; }
if command -v lspci >/dev/null; then
	[ "$(lspci_n | wc -l)" -eq "$devices" ] || { echo "lspci does not read the fake host"; exit 1; }
	[ "$(hook_dry_run | grep -c ': write ')" -gt 0 ] || { echo "pcipt-hook --dry-run plans no write"; exit 1; }
	runs=$host_runs
	lspci_us=$(best lspci_n)
	vm_us=$(best validate_vm)
	hook_us=$(best hook_dry_run)
	echo "host mode on a fake host of $devices devices in $groups IOMMU groups, best of $runs runs:"
	awk -v b="$lspci_us" -v v="$vm_us" -v h="$hook_us" 'BEGIN {
		printf "  lspci -n (sysfs backend)               %8.1f ms\n", b / 1000
		printf "  pcipt-validate 110                     %8.1f ms   = %.2f x lspci -n\n", v / 1000, v / b
		printf "  pcipt-hook --dry-run 110 pre-start     %8.1f ms   = %.2f x lspci -n\n", h / 1000, h / b
	}'
else
	echo "host mode: lspci (package pciutils) is not installed, no baseline to measure against"
fi

# --- the host snapshot of the same host: what --publish puts on pmxcfs (1 MiB a file) ---
snapshot_us=$(best "$validate" --root "$host_root" --snapshot)
snapshot_bytes=$("$validate" --root "$host_root" --snapshot | wc -c)
awk -v t="$snapshot_us" -v b="$snapshot_bytes" 'BEGIN {
	printf "  pcipt-validate --snapshot               %8.1f ms   %d bytes (limit 262144)\n", t / 1000, b
}'
[ "$snapshot_bytes" -le 262144 ] || { echo "the snapshot of the bench host is over 256 KiB"; exit 1; }

# --- a cluster: --all-nodes over 16 nodes and 1,000 VMs, as CI lints a copy of /etc/pve ---
# Baseline: the same VMs judged node by node with --node (16 runs, no cluster checks).
cluster=$work/cluster
cluster_nodes=${BENCH_CLUSTER_NODES:-16}
cluster_vms=${BENCH_CLUSTER_VMS:-1000}
"$validate" --root "$host_root" --snapshot >"$work/snapshot.json"
"$(dirname "$0")/gen-cluster.sh" "$work/snapshot.json" "$cluster" "$cluster_nodes" "$cluster_vms"
all_nodes() { "$validate" --root "$cluster" --all-nodes; }
node_by_node() {
	local node ids
	for node in $(ls "$cluster/etc/pve/nodes"); do
		ids=$(ls "$cluster/etc/pve/nodes/$node/qemu-server" | sed 's/\.conf$//')
		# shellcheck disable=SC2086 # ids is a list of words
		"$validate" --root "$cluster" --node "$node" $ids
	done
}
runs=${BENCH_RUNS:-5}
cluster_findings=$(all_nodes | grep -c ': \(error\|warning\|info\): ' || true)
all_us=$(best all_nodes)
by_node_us=$(best node_by_node)
echo "a cluster of $cluster_nodes nodes and $cluster_vms VMs (a copy of /etc/pve, $cluster_findings findings), best of $runs runs:"
awk -v b="$by_node_us" -v a="$all_us" 'BEGIN {
	printf "  --node NODE VMID... for each node      %8.1f ms\n", b / 1000
	printf "  pcipt-validate --all-nodes             %8.1f ms   = %.2f x node by node\n", a / 1000, a / b
}'
if [ -x /usr/bin/time ]; then
	cluster_rss=$(peak_rss "$validate" --root "$cluster" --all-nodes)
	printf '  %-38s %8d KiB\n' "peak RSS, --all-nodes" "$cluster_rss"
fi
