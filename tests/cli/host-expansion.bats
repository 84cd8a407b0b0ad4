#!/usr/bin/env bats
# Start-time rules that hang on how Proxmox expands a hostpci line on the node it starts on:
# a slot without a function over the functions the host has, a mapping over its devices there.

load host_helpers

@test "a slot without a function with mdev= or legacy-igd=1 is refused only where the host has several functions" {
	host_scenario slot-expansion 1
	no_match "/10[45].conf:" "$out"
	grep -qF "106.conf:1: error: hostpci0 combines mdev=nvidia-63 with 0000:01:00, which has 2 functions on this host;" "$out"
	grep -qF '("cannot use mediated device with multifunction device") [hostpci-syntax]' "$out"
	grep -qF "107.conf:2: error: hostpci0: legacy IGD assignment is not compatible with multifunction devices (0000:01:00 has 2 functions on this host)" "$out"
	# Proxmox's order: the multifunction rule comes before the 00:02.0 one, and only one is said
	[ "$(grep -c '^/etc/pve/qemu-server/107.conf:' "$out")" -eq 1 ]
}

@test "one mapping on two lines: refused when the node has fewer free devices of it than lines, not otherwise" {
	host_scenario mapping-lines 1
	grep -qF "110.conf:2: error: hostpci1: mapping 'nic' has 2 devices on node pve (1 of them held by other VMs)" "$out"
	grep -qF "(\"could not find a free device for 'hostpci1'\") [hostpci-duplicate]" "$out"
	no_match "/11[12].conf:" "$out"
}

@test "each line of one mapping gets another device, as qemu-server's choose_hostpci_devices gives them (the bind plan and --groups)" {
	build_host mapping-lines
	validate --root "$root" --groups
	expect_status 0
	grep -A1 '^IOMMU group 21:' "$out" | grep -qF '<- VM 112 hostpci0'
	grep -A1 '^IOMMU group 22:' "$out" | grep -qF '<- VM 112 hostpci1'
	no_match 'VM 112 hostpci1.*VM 112 hostpci0|VM 112 hostpci0.*VM 112 hostpci1' "$out"
}
