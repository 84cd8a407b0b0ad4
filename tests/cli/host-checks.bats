#!/usr/bin/env bats
# pcipt-validate against fake hosts (tests/fakehost/mkhost.py): one scenario per host check,
# whole outputs compared, with the check that must (or must not) fire named in each test.

load host_helpers

@test "the base host is clean: VM 100 and --host give no findings, exit 0" {
	host_scenario clean 0
	[ ! -s "$out" ]
	host_scenario clean-host 0
	[ ! -s "$out" ]
}

@test "iommu-disabled: no intel_iommu=on anywhere: add it to GRUB, update-grub, reboot" {
	host_scenario iommu-disabled-cmdline 1
	has_check iommu-disabled
	grep -q 'add intel_iommu=on to GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub (line [0-9]*), run `update-grub` and reboot' "$out"
}

@test "iommu-disabled: set in /etc/kernel/cmdline but not running: proxmox-boot-tool refresh, reboot" {
	host_scenario iommu-disabled-reboot 1
	grep -q 'set for the next boot but not in the running' "$out"
	grep -q 'proxmox-boot-tool refresh' "$out"
}

@test "iommu-disabled: AMD without an IVRS table names the firmware switch; VM checks still run" {
	host_scenario iommu-disabled-firmware 1
	grep -q 'no ACPI IVRS table' "$out"
	lacks_check group-isolation
}

@test "iommu-disabled: an AMD CPU with an Intel IOMMU (DMAR, no IVRS) booted with intel_iommu=off" {
	# the firmware's table decides Intel or AMD, not the CPU vendor (nested viommu=intel)
	host_scenario iommu-disabled-amd-cpu-intel-iommu 1
	no_match 'IVRS|AMD-Vi' "$out"
	host_scenario iommu-disabled-intel-cpu-amd-iommu 1
	no_match 'DMAR|VT-d' "$out"
}

@test "interrupt-remapping: a DMAR unit with ecap bit 3 clear is an error" {
	host_scenario interrupt-remapping-ecap 1
	grep -q 'IOMMU unit dmar1 cannot remap interrupts (ecap f050d2: bit 3 is clear)' "$out"
}

@test "interrupt-remapping: intremap=off leaves no IR- irq chips; the hint names the word" {
	host_scenario interrupt-remapping-off 1
	grep -q 'booted with intremap=off' "$out"
}

@test "interrupt-remapping with allow_unsafe_interrupts: both warnings, exit 0 (unsafe-interrupts)" {
	host_scenario interrupt-remapping-unsafe 0
	grep -q ': warning: .*\[interrupt-remapping\]$' "$out"
	grep -q '^/etc/modprobe.d/iommu_unsafe_interrupts.conf:1: warning: .*\[unsafe-interrupts\]$' "$out"
}

@test "vfio-modules: vfio_pci neither loaded nor listed; vfio and vfio_iommu_type1 are fine" {
	host_scenario vfio-modules 0
	grep -q 'warning: vfio_pci is neither loaded nor listed' "$out"
}

@test "config-syntax: the dangling modules.conf -> ../modules link (no /etc/modules) is not reported" {
	# systemd-modules-load skips a listed file it cannot find (ENOENT); vfio.conf still counts
	host_scenario modules-conf-dangling 0
	[ -L "$root/etc/modules-load.d/modules.conf" ] && [ ! -e "$root/etc/modules" ]
	lacks_check config-syntax
	lacks_check vfio-modules
}

@test "acs-override: pcie_acs_override on the running kernel is a warning" {
	host_scenario acs-override 0
	has_check acs-override
}

@test "device-missing: an absent address, a mapping without this node, an unknown mapping" {
	host_scenario device-missing 1
	[ "$(grep -c '\[device-missing\]$' "$out")" -eq 3 ]
}

@test "device-ids: id, group, a missing subsystem-id differ from sysfs; a free alternative is taken" {
	host_scenario device-ids 1
	[ "$(grep -c '\[device-ids\]$' "$out")" -eq 3 ]
	grep -q 'the mapping has no subsystem-id, and 0000:01:00.0 has 1458:3702' "$out"
	# VM 102's first alternative is held by the running VM 103: Proxmox takes the second
	no_match '/102.conf' "$out"
	validate --root "$root" --groups
	grep -q '^  0000:03:00.0 .* <- VM 102 hostpci0$' "$out"
}

@test "group-isolation: every non-free peer named with its driver; passing them all is fine" {
	host_scenario group-isolation 1
	[ "$(grep -c '\[group-isolation\]$' "$out")" -eq 1 ]
	grep -q '0000:00:1f.4 (Intel Corporation Cannon Lake PCH SMBus Controller, driver i801_smbus), 0000:00:1f.5' "$out"
	grep -q 'Proxmox binds every device of the group to vfio-pci at start' "$out"
	no_match '102.conf.*group-isolation' "$out"
}

@test "group-isolation: a peer on vfio-pci is free, so no finding" {
	host_scenario group-isolation-free-peers 0
	lacks_check group-isolation
}

@test "host-critical: root disk controller through LVM, NIC under vmbr0, a group peer of the NIC, NVMe multipath" {
	host_scenario host-critical 1
	grep -q '/ (ext4 on /dev/mapper/pve-root, dm-1 over sda3)' "$out"
	grep -q 'vmbr0 (the interface of the default route, over eno1)' "$out"
	[ "$(grep -c '\[host-critical\]$' "$out")" -eq 4 ]
	grep -q '/var/lib/vz (ext4 on /dev/nvme0n1p1, nvme0n1p1 over nvme0)' "$out"
}

@test "host-critical: a ZFS pool's disks found through udev (zfs_member, the pool's label)" {
	host_scenario host-critical-zfs 1
	grep -q '101.conf:1: error: .*0000:05:00.0 .*carries the host.s filesystem /rpool (zfs on rpool, nvme1n1p3).*\[host-critical\]$' "$out"
	# a disk of another pool is no host disk
	no_match '102.conf.*host-critical' "$out"
}

@test "sriov-pf: a PF with VFs enabled is an error, one with none is not" {
	host_scenario sriov-pf 1
	[ "$(grep -c '\[sriov-pf\]$' "$out")" -eq 1 ]
	no_match '102.conf' "$out"
}

@test "boot-vga: efifb inside the boot GPU's BAR; the non-boot GPU of VM 100 is fine" {
	host_scenario boot-vga 0
	grep -q '101.conf:1: warning: .*efifb holds c0000000-c07fffff inside its BAR 2.*\[boot-vga\]$' "$out"
	no_match '100.conf' "$out"
	host_scenario boot-vga-released 0
	lacks_check boot-vga
}

@test "romfile-missing (also an empty file), romfile-format (not a ROM, another card), rom-uefi both ways; a good ROM passes" {
	host_scenario roms 1
	has_check romfile-missing
	# QEMU refuses an empty romfile ("romfile ... is empty"): an error, whatever romfile-format is
	grep -q '107.conf:1: error: .*empty.rom is empty; QEMU refuses to start the VM.*\[romfile-missing\]$' "$out"
	grep -q '102.conf:1: warning: .*broken.rom is not a PCI option ROM' "$out"
	grep -q '104.conf:1: warning: .*other-card.rom is for 1002:67df' "$out"
	grep -q '103.conf:2: warning: .*no x64 EFI image.*\[rom-uefi\]$' "$out"
	grep -q '106.conf:1: warning: .*no x86 legacy image.*\[rom-uefi\]$' "$out"
	no_match '105.conf.*rom' "$out"
}

@test "romfile-format: real images QEMU starts with (a bare .efi, another card's vBIOS) are warnings; rules raise them" {
	local roms=$BATS_TEST_DIRNAME/../../../shared/testdata/roms
	[ -d "$roms" ] || skip "no real ROM images in $roms"
	build_host roms-real
	mkdir -p "$root/usr/share/kvm"
	cp "$roms/amd-gop-driver.efi" "$roms/amd-1002-1636-legacy-only.rom" "$root/usr/share/kvm/"
	validate --root "$root" 101 102 103
	expect_status 0
	expect_output "$HOST_FIXTURES/roms-real/expected.txt"
	grep -q '101.conf:1: warning: .*amd-gop-driver.efi is not a PCI option ROM: .*QEMU starts the VM.*\[romfile-format\]$' "$out"
	no_match '102.conf' "$out"
	# a rules file makes them errors again (and the same-vendor case a warning, one step milder)
	printf 'version: 1\nchecks:\n  romfile-format: error\n' >"$BATS_TEST_TMPDIR/rules.yaml"
	validate --root "$root" --rules "$BATS_TEST_TMPDIR/rules.yaml" 101 102 103
	expect_status 1
	grep -q '101.conf:1: error: .*amd-gop-driver.efi is not a PCI option ROM.*\[romfile-format\]$' "$out"
	grep -q '103.conf:2: warning: .*is for 1002:1636, but 0000:00:09.0 .*\[romfile-format\]$' "$out"
}

@test "xvga-device: x-vga=1 on a NIC and on a 3D controller (0302); a VGA card's audio function does not count" {
	host_scenario xvga-device 1
	[ "$(grep -c '\[xvga-device\]$' "$out")" -eq 2 ]
	no_match '104.conf' "$out"
	# bios: ovmf: Proxmox drops x-vga, QEMU never sees it
	validate --root "$root" 103
	expect_status 0
	lacks_check xvga-device
}

@test "xvga-device: vfio-pci disable_vga=1, live and in modprobe.d (file and line), for the next load, live alone" {
	host_scenario xvga-device-disable-vga 1
	local param=$root/sys/module/vfio_pci/parameters/disable_vga
	# set in the file but not in the running module: the next boot breaks it
	echo N >"$param"
	validate --root "$root" 101
	expect_status 0
	grep -q '101.conf:1: warning: .*vfio-pci runs without disable_vga now, but /etc/modprobe.d/vfio-vga.conf:2 sets disable_vga=1 for its next load.*\[xvga-device\]$' "$out"
	# live, but no longer in any file (an old initramfs, or the kernel command line)
	echo Y >"$param"
	rm "$root/etc/modprobe.d/vfio-vga.conf"
	validate --root "$root" 101
	expect_status 1
	grep -q '101.conf:1: error: .*vfio-pci runs with disable_vga=1 (/sys/module/vfio_pci/parameters/disable_vga is Y).*\[xvga-device\]$' "$out"
	# not loaded yet: Proxmox loads vfio-pci at start, with the file's options
	rm -r "$root/sys/module/vfio_pci"
	printf 'options vfio_pci disable_vga=on\n' >"$root/etc/modprobe.d/vfio-vga.conf"
	validate --root "$root" 101
	expect_status 1
	grep -q '101.conf:1: error: .*vfio-pci will load with disable_vga=1 (/etc/modprobe.d/vfio-vga.conf:1).*\[xvga-device\]$' "$out"
	# disable_vga=0 there: nothing
	printf 'options vfio_pci disable_vga=0\n' >"$root/etc/modprobe.d/vfio-vga.conf"
	validate --root "$root" 101
	lacks_check xvga-device
}

@test "reset-method and bus-reset-scope; a bus reset alone on its bus is fine" {
	host_scenario reset 0
	grep -q '101.conf.*offers no reset method.*\[reset-method\]$' "$out"
	grep -q '102.conf.*also holds 0000:04:00.1, not passed.*\[bus-reset-scope\]$' "$out"
	no_match '103.conf' "$out"
}

@test "d3cold: a device left in D3cold" {
	host_scenario d3cold 0
	has_check d3cold
}

@test "rmrr: a direct region is an error, a direct-relaxable one is not" {
	host_scenario rmrr 1
	[ "$(grep -c '\[rmrr\]$' "$out")" -eq 1 ]
	no_match '102.conf' "$out"
}

@test "in-use: reserved by a running VM, a group peer it holds; an expired reservation holds nothing" {
	host_scenario in-use 1
	[ "$(grep -c '\[in-use\]$' "$out")" -eq 2 ]
	grep -q "already in use by VMID '101'" "$out"
	grep -q '103.conf:1: error: .*which VM 101 holds' "$out"
}

@test "hookscript-missing: missing, not executable, not a snippet, unknown storage; a good one passes" {
	host_scenario hookscript 1
	[ "$(grep -c '\[hookscript-missing\]$' "$out")" -eq 4 ]
	no_match '105.conf' "$out"
}

@test "device rules on the host: kvm ignore_msrs off, a primary GPU on amdgpu, a GPU beside SPICE" {
	host_scenario device-rules 0
	grep -q '102.conf:1: warning: .*conflicts with the emulated display `vga: qxl` \[gpu-beside-spice\]$' "$out"
	grep -q 'wants kvm.ignore_msrs=1 (now kvm.ignore_msrs is N).*\[nvidia-ignore-msrs\]$' "$out"
	grep -q 'is driven by the host.s amdgpu.*\[gpu-host-driver\]$' "$out"
}
