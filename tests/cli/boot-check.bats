#!/usr/bin/env bats
# The boot check: before Proxmox starts the onboot VMs, pcipt-boot-check.service checks them
# (`--all --onboot`), logs each finding through syslog with the VM and the check in the message
# (`--syslog`), keeps the drift since the previous boot (`--boot-diff`) and publishes the node's
# snapshot (`--publish`).

load host_helpers

@test "--all --onboot: the findings --all has for the VMs that start with the node (onboot: 1, on), exit 1" {
	host_scenario onboot 1
	# VM 102 (no onboot), 103 (onboot: 0) and 105 (onboot: maybe, a line Proxmox drops) have
	# findings under --all, none of them here
	validate --root "$root" --all
	expect_status 1
	grep -q "^/etc/pve/qemu-server/102.conf:1: warning: .*\[device-shared\]$" "$out"
	grep -q "^/etc/pve/qemu-server/103.conf:1: error: .*\[device-missing\]$" "$out"
	grep -q "^/etc/pve/qemu-server/105.conf:1: error: .*\[device-missing\]$" "$out"
	# the same findings of 101 and 104, in the same order
	grep -E "^/etc/pve/qemu-server/10[14]\.conf:" "$out" >"$BATS_TEST_TMPDIR/all"
	grep -E "^/etc/pve/qemu-server/" "$HOST_FIXTURES/onboot/expected.txt" |
		diff -u - "$BATS_TEST_TMPDIR/all"
}

@test "--all --onboot: errors of VMs that do not start at boot leave the exit status 0" {
	build_host onboot
	sed -i '/^onboot:/d' "$root/etc/pve/qemu-server/101.conf" "$root/etc/pve/qemu-server/104.conf"
	validate --root "$root" --all --onboot
	expect_status 0
	[ ! -s "$out" ] || { cat "$out"; return 1; }
	[ ! -s "$err" ] || { cat "$err"; return 1; }
	# JSON: an empty list
	validate --root "$root" --all --onboot --format json
	expect_status 0
	[ "$(cat "$out")" = '{"findings":[],"summary":{"errors":0,"warnings":0,"infos":0}}' ]
}

@test "--all --onboot keeps the host's findings (they stop every VM) and the configs it cannot read" {
	host_scenario iommu-disabled-firmware 1
	grep -q "^/etc/pve/qemu-server/100.conf:1: warning: " "$out"
	validate --root "$root" --all --onboot
	expect_status 1
	# VM 100 does not start at boot; the IOMMU that is off is said all the same
	has_check iommu-disabled
	no_match "^/etc/pve/qemu-server/100.conf" "$out"
	# a config that cannot be read may be one that starts at boot: said, exit 2 as --all
	build_host onboot
	printf 'onboot: 1\n\0\n' >"$root/etc/pve/qemu-server/106.conf"
	validate --root "$root" --all --onboot
	expect_status 2
	grep -q "^/etc/pve/qemu-server/106.conf:2: error: cannot read this file: .*\[config-syntax\]$" "$out"
	grep -q "^/etc/pve/qemu-server/101.conf:1: error: .*\[group-isolation\]$" "$out"
	no_match "^/etc/pve/qemu-server/10[235]\.conf" "$out"
}

@test "--onboot goes with --all against the host: alone, --offline, VMIDs and other modes are usage errors" {
	build_host onboot
	local args
	for args in "--onboot" "--onboot 101" "--offline --all --onboot" "--onboot --config x.conf" \
		"--onboot --host" "--onboot --groups" "--onboot --all-nodes" "--onboot --boot-diff" \
		"--onboot --snapshot"; do
		# shellcheck disable=SC2086 # args is a list of words
		validate --root "$root" $args
		[ "$status" -eq 2 ] || { echo "$args: exit $status"; cat "$out" "$err"; return 1; }
		[ ! -s "$out" ] || { echo "$args:"; cat "$out"; return 1; }
		grep -q "^Try 'pcipt-validate --help' for more information.$" "$err"
	done
	validate --root "$root" --onboot
	grep -qx "pcipt-validate: --onboot goes with --all, against the host (not --offline)" "$err"
}
