#!/usr/bin/env bats
# Drift: `--diff OLD NEW [VMID...]` says what changed between two snapshots of a node and which
# of the node's VMs each change breaks; `--boot-diff` compares the previous boot's snapshot
# (/var/lib/pcipt/last-boot.json) with the machine now and keeps this boot's for the next.
#
# OLD is the snapshot of a fixture host; NEW is OLD edited with jq the way the machine would
# have changed (a card in another slot, a group merged by a firmware update...), its group
# list rebuilt from the devices so the two stay one host.

load host_helpers

# jq functions over a snapshot: regroup rebuilds iommu.groups from the devices' iommu_group
# (keeping each group's reserved regions), as the kernel lists them
JQ_DEFS='
def regroup:
  ((.iommu.groups // []) | map({key: (.number | tostring), value: .}) | from_entries) as $was
  | .pci.devices |= sort_by(.address)
  | .iommu.groups = ([.pci.devices[] | select(.iommu_group != null)]
      | group_by(.iommu_group)
      | map(.[0].iommu_group as $n | {number: $n, devices: (map(.address) | sort),
          regions_known: ($was[$n | tostring].regions_known // true),
          regions: ($was[$n | tostring].regions // [])}));
def dev(a; f): .pci.devices |= map(if .address == a then f else . end) | regroup;
def move(a; b): dev(a; .address = b);
def drop(a): .pci.devices |= map(select(.address != a)) | regroup;
def group(a; n): dev(a; .iommu_group = n);
def driver(a; d): dev(a; .driver = d);
def ids(a; v; d): dev(a; .vendor = v | .device = d);
def add(a; v; d; class; g; drv):
  .pci.devices += [(.pci.devices[0] | .address = a | .vendor = v | .device = d
    | .subsystem_vendor = v | .subsystem_device = "0000" | .class = class
    | .iommu_group = g | .driver = drv)] | regroup;
'

# snapshots NAME: build fixture host NAME into $root, its snapshot into $old (and $new, a copy)
snapshots() {
	build_host "$1"
	old=$BATS_TEST_TMPDIR/old.json
	new=$BATS_TEST_TMPDIR/new.json
	validate --root "$root" --snapshot
	expect_status 0
	cp "$out" "$old"
	cp "$out" "$new"
}

# change JQ: $new becomes $old changed by the jq program JQ
change() {
	jq -c "$JQ_DEFS $1" "$old" >"$new.tmp" && mv "$new.tmp" "$new"
}

diff_run() {
	validate --root "$root" --diff "$old" "$new" "$@"
}

# drift_lines SEVERITY: how many [drift] findings of that severity the last run printed
drift_lines() {
	grep -c ": $1: .*\[drift\]\$" "$out" || true
}

@test "--diff of a snapshot with itself: nothing changed, nothing to say, exit 0" {
	snapshots clean
	diff_run
	expect_status 0
	[ ! -s "$out" ] || { cat "$out"; return 1; }
	[ ! -s "$err" ] || { cat "$err"; return 1; }
}

@test "drift: a device vanished that no VM passes: info on the new snapshot, exit 0" {
	snapshots clean
	change 'drop("0000:02:00.0")'
	diff_run
	expect_status 0
	grep -qF "$new: info: node pve: the device at 0000:02:00.0 vanished: " "$out"
	grep -qF "8086:1533 subsystem 8086:1533 class 020000" "$out"
	[ "$(drift_lines info)" -eq 1 ]
	[ "$(drift_lines error)" -eq 0 ]
}

@test "drift: the GPU moved to another slot: VM 100 breaks, an error naming the node, VM and device, exit 1" {
	snapshots clean
	change 'move("0000:01:00.0"; "0000:03:00.0") | move("0000:01:00.1"; "0000:03:00.1")'
	diff_run
	expect_status 1
	# each function moved; both changes break VM 100, whose hostpci0 names the old slot
	[ "$(drift_lines error)" -eq 2 ]
	[ "$(drift_lines info)" -eq 0 ]
	grep -qF "/etc/pve/nodes/pve/qemu-server/100.conf:1: error: node pve: 0000:01:00.0 (" "$out"
	grep -qF ") moved to 0000:03:00.0: VM 100 hostpci0: there is no PCI device 0000:01:00 on this host" "$out"
	grep -qF "(device-missing) [drift]" "$out"
	grep -qF "0000:01:00.1 (" "$out"
	# the hint is the one of the error the change causes
	grep -qF "hint: check the address with \`lspci -D\`" "$out"
	# a device vanished and one appeared, each once: a move is no vanish and no appearance
	no_match "vanished|appeared" "$out"
}

@test "drift: a device appeared in the GPU's group: VM 100's group is no longer its own, exit 1" {
	snapshots clean
	# in another slot: a device in the GPU's own slot would be passed with it (hostpci0: 01:00)
	change 'add("0000:04:00.0"; "1b21"; "1242"; "0c0330"; 14; "xhci_hcd")'
	diff_run
	expect_status 1
	[ "$(drift_lines error)" -eq 1 ]
	grep -qF "100.conf:1: error: node pve: a device appeared at 0000:04:00.0: " "$out"
	grep -qF "VM 100 hostpci0: " "$out"
	grep -qF "(group-isolation) [drift]" "$out"
}

@test "drift: another device at an address: info when no VM is broken by it" {
	snapshots clean
	change 'ids("0000:02:00.0"; "8086"; "15b8")'
	diff_run
	expect_status 0
	grep -qF "info: node pve: another device at 0000:02:00.0: " "$out"
	grep -qF "(8086:15b8 subsystem 8086:1533 class 020000), was " "$out"
	[ "$(drift_lines info)" -eq 1 ]
}

@test "drift: a driver changed: info when no VM is broken by it" {
	snapshots clean
	change 'driver("0000:01:00.1"; "snd_hda_intel")'
	diff_run
	expect_status 0
	grep -qF "info: node pve: the driver of 0000:01:00.1 (" "$out"
	grep -qF ") changed from vfio-pci to snd_hda_intel" "$out"
}

@test "drift: a driver claimed a peer of VM 102's device: an error for VM 102, none for VM 101" {
	snapshots group-isolation
	# the LPC bridge 00:1f.0 had no driver, so VM 102 could take group 9; now lpc_ich holds it
	change 'driver("0000:00:1f.0"; "lpc_ich")'
	diff_run
	expect_status 1
	grep -qF "/etc/pve/nodes/pve/qemu-server/102.conf:1: error: node pve: the driver of 0000:00:1f.0 (" "$out"
	grep -qF "(group-isolation) [drift]" "$out"
	# VM 101 had that group-isolation error before: not one the change causes
	no_match "101.conf.*\[drift\]" "$out"
}

@test "drift: a group merged by a firmware update: the SATA controller in VM 100's group, exit 1" {
	snapshots clean
	change 'group("0000:00:17.0"; 14)'
	diff_run
	expect_status 1
	grep -qF "100.conf:1: error: node pve: IOMMU groups merged into group 14 (group 5: 0000:00:17.0; group 14: 0000:01:00.0, 0000:01:00.1): VM 100 hostpci0: " "$out"
	grep -qF "(group-isolation)" "$out"
	[ "$(drift_lines error)" -eq 1 ]
}

@test "drift: a group split that helps: info, exit 0" {
	snapshots group-isolation
	change 'group("0000:00:1f.3"; 20)'
	diff_run
	expect_status 0
	grep -qF "info: node pve: IOMMU group 9 split: group 9: 0000:00:1f.0, 0000:00:1f.4, 0000:00:1f.5; group 20: 0000:00:1f.3" "$out"
}

@test "drift: a group renumbered breaks the mapping that names it (iommugroup=14): VM 111, exit 1" {
	snapshots hook-mapping
	change 'group("0000:01:00.0"; 17) | group("0000:01:00.1"; 17)'
	diff_run
	expect_status 1
	grep -qF "111.conf:1: error: node pve: IOMMU group 14 is now group 17 (0000:01:00.0, 0000:01:00.1): VM 111 hostpci0: resource mapping 'gpu'" "$out"
	grep -qF "(device-ids) [drift]" "$out"
	# VM 100 passes the address, not the mapping: Proxmox does not look at its group number
	no_match "100.conf.*\[drift\]" "$out"
}

@test "drift: the IOMMU off breaks every VM that passes a device; interrupt remapping off too" {
	snapshots clean
	change '.iommu.units = [] | .pci.devices |= map(.iommu_group = null) | regroup'
	diff_run
	expect_status 1
	grep -qF "100.conf: error: node pve: the IOMMU is now off (was on): VM 100 passes 0000:01:00.0: no IOMMU is active" "$out"
	grep -qF "(iommu-disabled) [drift]" "$out"
	change '.iommu.remapped_irq_chips = false'
	diff_run
	expect_status 1
	grep -qF "100.conf: error: node pve: interrupt remapping is now off (was on): VM 100 passes 0000:01:00.0: interrupts are not remapped" "$out"
}

@test "drift: the kernel command line changed and broke nothing: info naming the words" {
	snapshots clean
	change '.boot.running.words += ["pcie_aspm=off"] | .boot.running.words -= ["quiet"]'
	diff_run
	expect_status 0
	grep -qF "info: node pve: the kernel command line changed: removed quiet; added pcie_aspm=off" "$out"
}

@test "drift: VMIDs limit the VMs judged; the others' breakage is not looked at" {
	snapshots group-isolation
	change 'driver("0000:00:1f.0"; "lpc_ich")'
	diff_run 101
	expect_status 0
	grep -qF "info: node pve: the driver of 0000:00:1f.0 (" "$out"
	diff_run 102
	expect_status 1
}

@test "drift: --format json: one document, check drift, the VM, device and file of each finding" {
	snapshots clean
	change 'move("0000:01:00.0"; "0000:03:00.0") | move("0000:01:00.1"; "0000:03:00.1") | drop("0000:02:00.0")'
	diff_run --format json
	expect_status 1
	python3 - "$out" "$new" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
f = d["findings"]
assert all(x["check"] == "drift" for x in f), f
info = [x for x in f if x["severity"] == "info"]
error = [x for x in f if x["severity"] == "error"]
assert len(info) == 1 and len(error) == 2, f
assert info[0]["file"] == sys.argv[2] and info[0]["vmid"] is None, info
assert info[0]["device"] == "0000:02:00.0", info
e = error[0]
assert e["file"] == "/etc/pve/nodes/pve/qemu-server/100.conf" and e["vmid"] == 100 and e["line"] == 1, e
assert e["device"] == "0000:01:00.0", e
assert "node pve" in e["message"] and "VM 100" in e["message"], e
assert error[1]["device"] == "0000:01:00.1", error[1]
assert d["summary"] == {"errors": 2, "warnings": 0, "infos": 1}, d["summary"]
PY
}

@test "drift: the rules set its severity: off silences it, warning turns errors into warnings" {
	snapshots clean
	change 'move("0000:01:00.0"; "0000:03:00.0") | move("0000:01:00.1"; "0000:03:00.1") | drop("0000:02:00.0")'
	printf 'version: 1\nchecks:\n  drift: warning\n' >"$BATS_TEST_TMPDIR/rules.yaml"
	diff_run --rules "$BATS_TEST_TMPDIR/rules.yaml"
	expect_status 0
	[ "$(drift_lines warning)" -eq 2 ]
	[ "$(drift_lines info)" -eq 1 ]
	printf 'version: 1\nchecks:\n  drift: off\n' >"$BATS_TEST_TMPDIR/rules.yaml"
	diff_run --rules "$BATS_TEST_TMPDIR/rules.yaml"
	expect_status 0
	[ ! -s "$out" ]
}

@test "drift: a new error no compared change explains is still an error: the host now runs on the GPU" {
	snapshots clean
	change '.uses.items += [{"address": "0000:01:00.0", "kind": "mount", "what": "/srv (xfs on /dev/sdb1)"}] | .uses.items |= sort_by(.address)'
	diff_run
	expect_status 1
	grep -qF "100.conf:1: error: node pve: a change pcipt does not compare: VM 100 hostpci0: " "$out"
	grep -qF "(host-critical) [drift]" "$out"
}

@test "drift: which VMs run and what they reserve is no drift of the host" {
	snapshots in-use
	# the old snapshot taken while nothing ran; now VM 101 runs with the GPU
	jq -c '.runstate = {"reservations": [], "vms": []}' "$new" >"$old"
	diff_run
	expect_status 0
	[ ! -s "$out" ] || { cat "$out"; return 1; }
}

@test "--diff: snapshots of two different nodes are a usage error, exit 2" {
	snapshots clean
	change '.node = "pve2"'
	diff_run
	expect_status 2
	grep -qF "$old names node pve, $new names node pve2" "$err"
}

@test "--diff: a node name that names no directory is refused, exit 2" {
	snapshots clean
	jq -c '.node = "../pve"' "$old" >"$new"
	cp "$new" "$old"
	diff_run
	expect_status 2
	grep -qF "'../pve' is no node name" "$err"
}

@test "--diff: a snapshot that cannot be read is exit 2 naming the file, with line and column" {
	snapshots clean
	printf '{"schema": "pcipt-host", "version": 1,' >"$new"
	diff_run
	expect_status 2
	grep -qE "^pcipt-validate: $new:[0-9]+:[0-9]+: " "$err"
	printf '{"schema": "pcipt-host", "version": 2}\n' >"$new"
	diff_run
	expect_status 2
	grep -qF "$new: " "$err"
	validate --root "$root" --diff "$BATS_TEST_TMPDIR/absent.json" "$old"
	expect_status 2
	grep -qF "absent.json" "$err"
	head -c 1048577 /dev/zero | tr '\0' ' ' >"$new"
	diff_run
	expect_status 2
	grep -qF "larger than" "$err"
}

@test "--diff: an unreadable VM config is exit 2 with its finding; a VMID that is no number a usage error" {
	snapshots clean
	change 'drop("0000:02:00.0")'
	diff_run 100 199
	expect_status 2
	grep -qF "/etc/pve/nodes/pve/qemu-server/199.conf: error: cannot read this file" "$out"
	diff_run abc
	expect_status 2
	grep -qF "'abc' is not a VMID" "$err"
}

@test "--diff refuses what it cannot go with" {
	snapshots clean
	validate --root "$root" --diff "$old"
	expect_status 2
	diff_run --all
	expect_status 2
	diff_run --host
	expect_status 2
	diff_run --offline
	expect_status 2
	diff_run --snapshot
	expect_status 2
	diff_run --node pve
	expect_status 2
	diff_run --host-snapshot "$old"
	expect_status 2
	diff_run --config "$root/etc/pve/qemu-server/100.conf"
	expect_status 2
	validate --root "$root" --diff "$old" "$new" --boot-diff
	expect_status 2
}

# --- --boot-diff: the previous boot's snapshot against the machine now ------------------------

# build_base_with NAME LINES: the base host with the spec lines LINES added, into $root
build_base_with() {
	local spec=$BATS_TEST_TMPDIR/$1.spec
	cat "$HOST_FIXTURES/base-boot.spec" "$HOST_FIXTURES/base-machine.spec" >"$spec"
	printf '%s\n' "$2" >>"$spec"
	root=$BATS_TEST_TMPDIR/root-$1
	rm -rf "$root"
	python3 "$MKHOST" "$spec" "$root" >"$BATS_TEST_TMPDIR/mkhost.log" 2>&1 || {
		cat "$BATS_TEST_TMPDIR/mkhost.log"; return 1; }
}

# same_as_machine: the kept snapshot is the machine's, apart from when it was read
same_as_machine() {
	validate --root "$root" --snapshot
	expect_status 0
	diff <(jq -c 'del(.origin.taken)' "$out") <(jq -c 'del(.origin.taken)' "$root/var/lib/pcipt/last-boot.json")
}

@test "--boot-diff, the first boot: nothing to compare, said; this boot's snapshot kept for the next, exit 0" {
	build_host clean
	umask 022
	validate --root "$root" --boot-diff
	expect_status 0
	[ ! -s "$out" ] || { cat "$out"; return 1; }
	grep -qF "no snapshot of an earlier boot in /var/lib/pcipt/last-boot.json: nothing to compare" "$err"
	[ "$(stat -c %a "$root/var/lib/pcipt")" = 755 ]
	[ "$(stat -c %a "$root/var/lib/pcipt/last-boot.json")" = 644 ]
	# written whole, under its name: nothing else in the directory
	[ "$(ls -A "$root/var/lib/pcipt")" = last-boot.json ]
	same_as_machine
	# in JSON too: an empty document
	rm "$root/var/lib/pcipt/last-boot.json"
	validate --root "$root" --boot-diff --format json
	expect_status 0
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["findings"] == [], d' "$out"
}

@test "--boot-diff, the next boot: a USB controller came into the GPU's group; VM 100 breaks, exit 1; then this boot's snapshot is the one kept" {
	build_host clean
	validate --root "$root" --boot-diff
	expect_status 0
	local previous=$root/var/lib/pcipt/last-boot.json
	# the same node after a firmware update, with the first boot's snapshot kept
	build_base_with usb-in-gpu-group "device 0000:04:00.0 1b21:1242 class=0c0330 group=14 driver=xhci_hcd rootbus"
	mkdir -p "$root/var/lib/pcipt"
	cp "$previous" "$root/var/lib/pcipt/last-boot.json"
	validate --root "$root" --boot-diff
	expect_status 1
	grep -qF "/etc/pve/nodes/pve/qemu-server/100.conf:1: error: node pve: a device appeared at 0000:04:00.0: " "$out"
	grep -qF "(group-isolation) [drift]" "$out"
	grep -qF "note: node pve as of " "$err"
	same_as_machine
	[ "$(ls -A "$root/var/lib/pcipt")" = last-boot.json ]
	# the boot after: nothing changed since
	validate --root "$root" --boot-diff
	expect_status 0
	[ ! -s "$out" ] || { cat "$out"; return 1; }
}

@test "--boot-diff: a kept snapshot that cannot be read is said with its place, exit 2, and replaced by this boot's" {
	build_host clean
	mkdir -p "$root/var/lib/pcipt"
	printf '{"schema": "pcipt-host",\n "version": 1,' >"$root/var/lib/pcipt/last-boot.json"
	validate --root "$root" --boot-diff
	expect_status 2
	grep -qE "^pcipt-validate: /var/lib/pcipt/last-boot.json:[0-9]+:[0-9]+: " "$err"
	same_as_machine
	validate --root "$root" --boot-diff
	expect_status 0
}

@test "--boot-diff: the previous boot named another node: exit 2, and this boot's snapshot kept" {
	build_host clean
	validate --root "$root" --boot-diff
	jq -c '.node = "pve-old"' "$root/var/lib/pcipt/last-boot.json" >"$BATS_TEST_TMPDIR/renamed.json"
	cp "$BATS_TEST_TMPDIR/renamed.json" "$root/var/lib/pcipt/last-boot.json"
	validate --root "$root" --boot-diff
	expect_status 2
	grep -qF "names node pve-old" "$err"
	same_as_machine
}

@test "--boot-diff: a link at the kept snapshot is replaced, not followed; a place it cannot write is exit 2" {
	build_host clean
	mkdir -p "$root/var/lib/pcipt"
	cp "$root/etc/hostname" "$BATS_TEST_TMPDIR/hostname"
	ln -s /etc/hostname "$root/var/lib/pcipt/last-boot.json"
	validate --root "$root" --boot-diff
	# the link's target is no snapshot (exit 2), and stays as it was
	expect_status 2
	[ ! -L "$root/var/lib/pcipt/last-boot.json" ]
	cmp "$BATS_TEST_TMPDIR/hostname" "$root/etc/hostname"
	same_as_machine
	# /var/lib/pcipt is a file: there is nowhere to keep it
	rm -r "$root/var/lib/pcipt"
	touch "$root/var/lib/pcipt"
	validate --root "$root" --boot-diff
	expect_status 2
	grep -qF "cannot keep this boot's snapshot in /var/lib/pcipt/last-boot.json" "$err"
}

@test "--boot-diff takes no VMIDs, files or other mode" {
	build_host clean
	validate --root "$root" --boot-diff 100
	expect_status 2
	validate --root "$root" --boot-diff --all
	expect_status 2
	validate --root "$root" --boot-diff --snapshot
	expect_status 2
	validate --root "$root" --boot-diff --host-snapshot x.json
	expect_status 2
	[ ! -e "$root/var/lib/pcipt" ]
}
