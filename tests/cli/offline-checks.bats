#!/usr/bin/env bats
# pcipt-validate --offline over fake roots: every check, every message path, whole outputs.

load offline_helpers

@test "clean passthrough configs (GPU, NIC, HBA, IGD, mapping, mdev, snapshots) give no findings" {
	lint_scenario clean-passthrough 0
	[ ! -s "$out" ]
}

@test "the shapes Proxmox's own tests reject: multifunction=on, hidden=1, vga none:, no colon, legacy-igd with q35" {
	lint_scenario proxmox-negative-shapes 1
}

@test "config-syntax: every line Proxmox drops or mistakes, and CRLF, are warnings (exit 0)" {
	lint_scenario config-syntax 0
	[ "$(grep -c ': warning: ' "$out")" -eq 15 ]
	no_match ': error: ' "$out"
}

@test "config-syntax: a line ending in 'snapstate: delete' is Proxmox's snapshot marker: hostpci0 and args are lost, a description is not" {
	lint_scenario config-syntax 0
	grep -qF '302.conf:3: warning: hostpci0: the line ends in "snapstate:delete"' "$out"
	grep -q '302.conf:3: .*start the VM without the device \[config-syntax\]$' "$out"
	grep -q '302.conf:4: warning: args: .*pass no extra arguments to QEMU \[config-syntax\]$' "$out"
	grep -q '302.conf:5: warning: the line ends in "snapstate: delete"' "$out"
	no_match '302.conf:(2|6|7):' "$out"
}

@test "hostpci-syntax: every way a hostpci line is dropped or refused at start" {
	lint_scenario hostpci-syntax 1
	[ "$(grep -c '\[hostpci-syntax\]$' "$out")" -eq 22 ]
}

@test "hostpci-syntax: Proxmox's own words: every format error of a value, the schema's words for an unknown key, a duplicate before it" {
	lint_scenario hostpci-syntax 1
	grep -qF "401.conf:3: error: hostpci1: vendor-id: value does not match the regex pattern; x-vga: type check ('boolean') failed - got 'maybe';" "$out"
	grep -qF "401.conf:4: error: hostpci2: duplicate key in comma-separated list property: pcie;" "$out"
	grep -qF "hostpci12: foo: property is not defined in schema and the schema does not allow additional properties;" "$out"
	grep -qF "hostpci4: mapping: invalid format - invalid configuration ID 'a';" "$out"
	grep -qF "does not have a value in the enumeration 'vfio, keep'" "$out"
	no_match "invalid key in comma-separated list property" "$out"
}

@test "hostpci-syntax: a domain of 5 to 8 digits with a leading 0 names no device; 10000 (VMD) does" {
	lint_scenario hostpci-syntax 1
	grep -qF "401.conf:2: error: hostpci0: no PCI device can have the address 00000:01:00.0 " "$out"
	grep -qF "(\"no PCI device found for '00000:01:00.0'\")" "$out"
	no_match "401.conf:8:" "$out"
}

@test "hostpci-syntax: a bad second hostpciN line leaves the first line's device in the VM" {
	lint_scenario hostpci-syntax 1
	grep -qF "401.conf:6: error: hostpci3: rombar: type check ('boolean') failed - got '2'; Proxmox will ignore this hostpci3 line and start the VM with the device of line 5 (hostpci3: 03:00.0)" "$out"
}

@test "hostpci-duplicate: overlapping functions, a repeated id, a repeated mapping; other domains are distinct" {
	lint_scenario hostpci-duplicate 1
	no_match "500.conf:7:" "$out"
	grep -qF "(\"device '0000:01:00.1' assigned more than once\")" "$out"
}

@test "hostpci-duplicate: one mapping on two lines is fine when the node has a device for each (qemu-server's q35-linux-hostpci-mapping)" {
	lint_scenario mapping-lines 1
	no_match "/100.conf:" "$out"
	grep -qF "101.conf:3: error: hostpci1: mapping 'gpu' has one device on node pve1" "$out"
	grep -qF "(\"device '0000:07:00.0' assigned more than once\")" "$out"
	grep -qF "103.conf:4: error: hostpci2: mapping 'nic' has 2 devices on node pve1" "$out"
	grep -qF "(\"could not find a free device for 'hostpci2'\")" "$out"
}

@test "hostpci-duplicate: the node is the one whose directory holds the config; a node with one device fails" {
	validate --offline --root "$CLI_FIXTURES/mapping-lines" --config "$CLI_FIXTURES/mapping-lines/etc/pve/nodes/pve2/qemu-server/102.conf"
	expect_status 1
	grep -qF "102.conf:3: error: hostpci1: mapping 'nic' has one device on node pve2" "$out"
	grep -qF "(\"device '0000:41:00.0' assigned more than once\")" "$out"
}

@test "hostpci-duplicate: without pci.cfg, or with no known node, a mapping on two lines is a warning" {
	lint_scenario hostpci-duplicate 1
	grep -q "500.conf:6: warning: hostpci4: mapping 'gpu' is also used by hostpci3 .*there is no /etc/pve/mapping/pci.cfg \[hostpci-duplicate\]$" "$out"
	cp "$CLI_FIXTURES/mapping-lines/etc/pve/nodes/pve1/qemu-server/103.conf" "$BATS_TEST_TMPDIR/109.conf"
	validate --offline --root "$CLI_FIXTURES/mapping-lines" --config "$BATS_TEST_TMPDIR/109.conf"
	expect_status 0
	grep -q "109.conf:3: warning: hostpci1: mapping 'nic' is also used by hostpci0 .*the VM's node is not known" "$out"
}

@test "mdev= and legacy-igd=1 on a slot without a function: offline no finding (only the host knows its functions); a list still is several" {
	lint_scenario slot-without-function 1
	no_match "/90[01].conf:" "$out"
	grep -q "902.conf:2: error: .*cannot use mediated device with multifunction device" "$out"
}

@test "machine-options: aw-bits=39.5 keeps the machine line (no pcie-needs-q35) and QEMU refuses it; intel takes 39 and 48 only" {
	lint_scenario machine-options 1
	lacks() { no_match "\[$1\]\$" "$out"; }
	lacks pcie-needs-q35
	grep -qF "1100.conf:2: error: machine: aw-bits=39.5 is not a whole number" "$out"
	grep -qF "(QEMU 7.2: \"Parameter 'aw-bits' expects integer\") [machine-options]" "$out"
	grep -qF "1101.conf:2: error: machine: aw-bits=40 with viommu=intel" "$out"
	no_match "/110[23].conf:" "$out"
	grep -qF "1104.conf:2: warning: machine: aw-bits: value must have a minimum value of 32" "$out"
}

@test "device-shared: error when both VMs start on boot, warning otherwise" {
	lint_scenario device-shared 1
	grep -q '^/etc/pve/qemu-server/601.conf:3: error: .*\[device-shared\]$' "$out"
	grep -q '^/etc/pve/qemu-server/603.conf:2: warning: .*\[device-shared\]$' "$out"
}

@test "pcie-needs-q35: no machine, i440fx, options only, and a machine line Proxmox drops" {
	lint_each pcie-needs-q35
}

@test "xvga-ovmf: x-vga with OVMF is a warning" {
	lint_scenario xvga-ovmf 0
}

@test "legacy-igd: each of Proxmox's rules, in its order" {
	lint_each legacy-igd
}

@test "romfile-path: absolute, escaping, blank, and '..' that stays inside" {
	lint_scenario romfile-path 1
}

@test "romfile-path: romfile=. and romfile=.. name a directory, not a path outside the ROM directory" {
	lint_scenario romfile-path 1
	grep -qF "950.conf:7: error: hostpci6: romfile=. names a directory (/usr/share/kvm), not a file" "$out"
	grep -qF "950.conf:8: error: hostpci7: romfile=.. names a directory (/usr/share), not a file" "$out"
	no_match "950.conf:(7|8): .*outside the ROM" "$out"
}

@test "a mixed directory: one finding per problem on the right line, nothing for good configs" {
	lint_scenario mixed 1
	[ "$(wc -l <"$out")" -eq 8 ]
	for good in 1000 1002 1004 1006; do
		no_match "/$good.conf:" "$out"
	done
}

@test "json output of the mixed directory is valid JSON with the right summary" {
	validate --offline --root "$CLI_FIXTURES/mixed" --all --format json
	expect_status 1
	expect_output "$CLI_FIXTURES/mixed/expected.json"
	python3 - "$out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
s = doc["summary"]
assert (s["errors"], s["warnings"]) == (3, 1), s
f = doc["findings"][0]
assert set(f) == {"check", "severity", "file", "line", "vmid", "device", "message", "hint"}, f
assert (f["check"], f["vmid"], f["line"]) == ("pcie-needs-q35", 1001, 2), f
PY
}

@test "-q shows errors only and keeps the exit status" {
	validate --offline --root "$CLI_FIXTURES/mixed" --all -q
	expect_status 1
	[ "$(grep -c ': error: ' "$out")" -eq 3 ]
	no_match ': warning: ' "$out"
}

@test "warnings alone exit 0" {
	validate --offline --root "$CLI_FIXTURES/mixed" 1007
	expect_status 0
	grep -q '1007.conf:3: warning: .*\[xvga-ovmf\]$' "$out"
}

@test "the demo tree gives errors and warnings" {
	validate --offline --root "$PCIPT_FIXTURES/demo" --all
	expect_status 1
	grep -q ': error: ' "$out"
	grep -q ': warning: ' "$out"
}
