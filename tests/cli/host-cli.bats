#!/usr/bin/env bats
# pcipt-validate in host mode: --groups, read-only runs, and sysfs trees libpci cannot read.

load host_helpers

# snapshot DIR: every path with its type, mode, size, mtime, link target and content hash
snapshot() {
	(cd "$1" && find . -printf '%p %y %m %s %T@ %l\n' | sort &&
		find . -type f -print0 | sort -z | xargs -0 sha256sum)
}

@test "pcipt-validate changes nothing under the root (VMIDs, --all, --host, --groups, json)" {
	build_host in-use
	snapshot "$root" >"$BATS_TEST_TMPDIR/before"
	validate --root "$root" 100
	expect_status 1
	validate --root "$root" --all
	validate --root "$root" --host
	validate --root "$root" --groups
	validate --root "$root" --groups --format json
	validate --root "$root" --config "$root/etc/pve/qemu-server/100.conf"
	snapshot "$root" >"$BATS_TEST_TMPDIR/after"
	diff -u "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
}

@test "--groups lists every group with names, drivers and the VMs that claim each device" {
	build_host group-isolation
	validate --root "$root" --groups
	expect_status 0
	grep -qx 'IOMMU group 14:' "$out"
	grep -qx '  0000:01:00.0 \[10de:1b80\] NVIDIA Corporation GP104 \[GeForce GTX 1080\] (driver vfio-pci) <- VM 100 hostpci0' "$out"
	grep -qx '  0000:00:1f.3 \[8086:a348\] Intel Corporation Cannon Lake PCH cAVS (driver snd_hda_intel) <- VM 101 hostpci0 <- VM 102 hostpci0' "$out"
	grep -qx '  0000:00:01.0 \[8086:1901\] .* (driver pcieport, bridge, ACS yes)' "$out"
	[ "$(grep -c '^IOMMU group' "$out")" -eq 7 ]
}

@test "--groups --format json is one JSON document with the same facts" {
	build_host group-isolation
	validate --root "$root" --groups --format json
	expect_status 0
	python3 - "$out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
groups = {g["group"]: g["devices"] for g in doc["groups"]}
assert sorted(groups) == [0, 1, 5, 6, 9, 14, 15], sorted(groups)
audio = [d for d in groups[9] if d["address"] == "0000:00:1f.3"][0]
assert audio["driver"] == "snd_hda_intel" and audio["class"] == "040300", audio
assert [c["vmid"] for c in audio["claimed_by"]] == [101, 102], audio
lpc = [d for d in groups[9] if d["address"] == "0000:00:1f.0"][0]
assert lpc["driver"] is None and lpc["claimed_by"] == [], lpc
assert doc["ungrouped"] == []
PY
}

@test "config space an unprivileged reader sees (64 bytes): ACS is unknown, never absent" {
	build_host clean
	printf '%s\n' 'device 0000:00:1d.0 8086:a330 class=060400 bridge secbus=09 group=30 driver=pcieport config=64' \
		>"$BATS_TEST_TMPDIR/extra.spec"
	cat "$HOST_FIXTURES/base-boot.spec" "$HOST_FIXTURES/base-machine.spec" \
		"$BATS_TEST_TMPDIR/extra.spec" >"$BATS_TEST_TMPDIR/full.spec"
	rm -rf "$root" && python3 "$MKHOST" "$BATS_TEST_TMPDIR/full.spec" "$root"
	validate --root "$root" --groups
	grep -q '0000:00:1d.0 .*ACS unknown (run as root)' "$out"
	grep -q '0000:00:01.0 .*ACS yes' "$out"
	validate --root "$root" --groups --format json
	grep -q '"address":"0000:00:1d.0",[^}]*"acs":"unknown"' "$out"
}

@test "libpci's fatal errors are contained: a device without its resource file is exit 2, one line" {
	build_host clean
	rm "$root/sys/bus/pci/devices/0000:02:00.0/resource"
	validate --root "$root" 100
	expect_status 2
	[ ! -s "$out" ]
	grep -q '^pcipt-validate: cannot list the PCI devices: Cannot open .*0000:02:00.0/resource' "$err"
	[ "$(wc -l <"$err")" -eq 1 ]
	validate --root "$root" --groups
	expect_status 2
}

@test "hostile sysfs values: a 3 MiB vendor file and a huge reset_method are refused, not read" {
	build_host clean
	head -c 3000000 /dev/zero | tr '\0' 'f' >"$root/sys/bus/pci/devices/0000:02:00.0/vendor"
	validate --root "$root" --host
	expect_status 2
	grep -q 'too long' "$err"
	build_host clean
	head -c 100000 /dev/zero | tr '\0' 'x' >"$root/sys/bus/pci/devices/0000:01:00.0/reset_method"
	validate --root "$root" 100
	# an attribute too big to be real counts as absent: the device still has its reset file
	expect_status 0
}

@test "modprobe.d lines modprobe ignores are warnings with file and line" {
	build_host clean
	printf 'blacklist\nopts vfio-pci ids=10de:1b80\n' >"$root/etc/modprobe.d/bad.conf"
	validate --root "$root" --host
	expect_status 0
	grep -qx "/etc/modprobe.d/bad.conf:1: warning: 'blacklist' without a module name (modprobe ignores the line) \[config-syntax\]" "$out"
	grep -q "^/etc/modprobe.d/bad.conf:2: warning: unknown command 'opts'" "$out"
}

@test "--config FILE runs the host checks too, unless --offline" {
	build_host sriov-pf
	validate --root "$root" --config "$root/etc/pve/qemu-server/101.conf"
	expect_status 1
	has_check sriov-pf
	validate --offline --root "$root" --config "$root/etc/pve/qemu-server/101.conf"
	expect_status 0
	lacks_check sriov-pf
}

@test "a capture of this machine reads like the machine: --groups and --host give the same output" {
	[ -d /sys/bus/pci/devices ] || skip "this machine has no /sys/bus/pci to capture"
	capture=$BATS_TEST_TMPDIR/capture
	"$BATS_TEST_DIRNAME/../fakehost/capture-host.sh" "$capture" >"$BATS_TEST_TMPDIR/capture.log" 2>&1
	validate --groups
	cp "$out" "$BATS_TEST_TMPDIR/live-groups"
	validate --root "$capture" --groups
	expect_status 0
	diff -u "$BATS_TEST_TMPDIR/live-groups" "$out"
	validate --host
	cp "$out" "$BATS_TEST_TMPDIR/live-host"
	validate --root "$capture" --host
	diff -u "$BATS_TEST_TMPDIR/live-host" "$out"
}

@test "a bridge that lists itself as its lower device, eight times over, is followed once" {
	build_host clean
	bridge=$(readlink -f "$root/sys/class/net/vmbr0")
	for i in 0 1 2 3 4 5 6 7; do
		ln -s ../vmbr0 "$bridge/lower_loop$i"
		ln -s ../../devices/virtual/net/vmbr0 "$root/sys/class/net/loop$i"
	done
	out=$BATS_TEST_TMPDIR/stdout err=$BATS_TEST_TMPDIR/stderr status=0
	timeout 20 "$PCIPT_VALIDATE" --root "$root" 100 >"$out" 2>"$err" || status=$?
	expect_status 0
}
