#!/usr/bin/env bash
# gen-host.sh SPEC: a fake host of 256 PCI devices in 64 IOMMU groups for make bench.
# 64 root ports (00:01.0-00:08.7), each with a 3-function card behind it (GPU, audio, and a
# NIC or a SATA controller), port and card in one group; the default route on the NIC of bus
# 01, the root disk on the SATA controller of bus 02; VM 110 passes the card on bus 0b and
# passes every check, as most VMs do at most starts.
set -eu
spec=${1:?usage: gen-host.sh SPEC}
{
	cat <<'SPEC'
cpu intel
hostname pve
cmdline BOOT_IMAGE=/boot/vmlinuz-6.8.12-4-pve root=/dev/mapper/pve-root ro quiet intel_iommu=on
grub quiet intel_iommu=on
acpi DMAR
iommu dmar0 intel
interrupts IR-IO-APIC IR-PCI-MSI DMAR-MSI
module kvm ignore_msrs=Y
module vfio
module vfio_iommu_type1 allow_unsafe_interrupts=N
module vfio_pci
SPEC
	for g in $(seq 0 63); do
		slot=$((1 + g / 8)) fn=$((g % 8)) bus=$((g + 1))
		printf 'device 0000:00:%02x.%x 8086:1901 class=060400 bridge secbus=%02x acs group=%d driver=pcieport\n' \
			"$slot" "$fn" "$bus" "$g"
		printf 'device 0000:%02x:00.0 10de:1b80 class=030000 subsys=1458:3702 group=%d driver=vfio-pci bar0=0x%x-0x%x:mem64\n' \
			"$bus" "$g" $((0xd0000000 + g * 0x1000000)) $((0xd0ffffff + g * 0x1000000))
		printf 'device 0000:%02x:00.1 10de:10f0 class=040300 subsys=1458:3702 group=%d driver=vfio-pci\n' "$bus" "$g"
		if [ $((g % 2)) -eq 0 ]; then
			printf 'device 0000:%02x:00.2 8086:1533 class=020000 group=%d driver=igb\n' "$bus" "$g"
		else
			printf 'device 0000:%02x:00.2 8086:a352 class=010601 group=%d driver=ahci\n' "$bus" "$g"
		fi
	done
	cat <<'SPEC'
block sda 8:0 on 0000:02:00.2
block sda3 8:3 part-of sda
block dm-1 253:1 dm sda3 name=pve-root
mount / 253:1 ext4 /dev/mapper/pve-root
net eno1 on 0000:01:00.2
net vmbr0 bridge lower eno1
route default vmbr0
file /etc/modules <<EOF
vfio
vfio_iommu_type1
vfio_pci
EOF
vm 110 <<EOF
hostpci0: 0000:0b:00,pcie=1,x-vga=1
machine: q35
vga: none
EOF
SPEC
} >"$spec"
