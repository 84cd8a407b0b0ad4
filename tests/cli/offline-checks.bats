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
	[ "$(grep -c ': warning: ' "$out")" -eq 12 ]
	no_match ': error: ' "$out"
}

@test "hostpci-syntax: every way a hostpci line is dropped or refused at start" {
	lint_scenario hostpci-syntax 1
	[ "$(grep -c '\[hostpci-syntax\]$' "$out")" -eq 17 ]
}

@test "hostpci-duplicate: overlapping functions, a repeated id, a repeated mapping; other domains are distinct" {
	lint_scenario hostpci-duplicate 1
	no_match "500.conf:7:" "$out"
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
