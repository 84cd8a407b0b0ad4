#!/usr/bin/env bash
# Generate N realistic VM configs (GPU, NIC, HBA, IGD shapes, some with problems) under
# DIR/etc/pve/qemu-server/, for `make bench`.
set -eu
dir=${1:?usage: gen-configs.sh DIR N}
n=${2:?usage: gen-configs.sh DIR N}
out=$dir/etc/pve/qemu-server
mkdir -p "$out"
awk -v n="$n" -v out="$out" 'BEGIN {
	for (i = 0; i < n; i++) {
		vmid = 1000 + i
		f = out "/" vmid ".conf"
		bus = sprintf("%02x", (i * 7) % 256)
		kind = i % 5
		printf "#generated VM %d\n", vmid > f
		printf "agent: 1\nboot: order=scsi0;net0\ncores: %d\nmemory: %d\nname: vm-%d\n", 2 + i % 6, 2048 * (1 + i % 8), vmid > f
		printf "net0: virtio=BC:24:11:%02X:%02X:%02X,bridge=vmbr0,firewall=1\n", int(i / 65536) % 256, int(i / 256) % 256, i % 256 > f
		printf "ostype: l26\nscsi0: local-lvm:vm-%d-disk-0,iothread=1,size=32G\nscsihw: virtio-scsi-single\n", vmid > f
		printf "smbios1: uuid=%08x-0000-4000-8000-%012x\nsockets: 1\nvmgenid: %08x-1111-4222-8333-%012x\n", i, i, i, i > f
		if (kind == 0) {
			printf "bios: ovmf\nmachine: q35\nefidisk0: local-lvm:vm-%d-disk-1,efitype=4m,size=4M\n", vmid > f
			printf "hostpci0: 0000:%s:00,pcie=1,x-vga=1\nvga: none\n", bus > f
		} else if (kind == 1) {
			printf "hostpci0: %s:00.0,pcie=1\nonboot: 1\n", bus > f
		} else if (kind == 2) {
			printf "machine: pc-q35-8.1\nhostpci0: %s:00.0;%s:00.1,pcie=1\nhostpci1: mapping=hba-%d\n", bus, bus, i > f
		} else if (kind == 3) {
			printf "hostpci0: 00:02.0,legacy-igd=1\nvga: none\n" > f
		} else {
			printf "hostpci0: %s:00,romfile=vbios-%d.bin\n[snap1]\nhostpci0: 01:00\nsnaptime: 1700000000\n", bus, i > f
		}
		close(f)
	}
}'
