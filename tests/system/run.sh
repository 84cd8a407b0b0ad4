#!/usr/bin/env bash
# run.sh [BUILD_DIR] -- the system test: Debian bookworm's own kernel boots under QEMU (TCG, no
# KVM needed) on a q35 machine with an emulated Intel or AMD IOMMU, and pcipt-validate (and
# pcipt-hook, when BUILD_DIR has it) run against that kernel's sysfs, IOMMU groups, DMAR ecap and
# vfio-pci. The fake hosts under tests/fixtures say what we believe the kernel shows; this says
# what it does. After each verdict the guest starts QEMU itself with the VM's devices as Proxmox
# would pass them, so the judge of a verdict is the program that would have failed, not us.
#
# The kernel package is fetched with `apt-get download` once and unpacked with `dpkg -x` into
# $PCIPT_SYSTEM_CACHE (default ~/.cache/pcipt-system-test); it is never installed. Each boot runs
# one scenario of tests/system/init, which prints TAP lines and "SYSTEM-RESULT pass=N fail=M" on
# the serial console; a boot without that line (panic, timeout) is a failure. Consoles are kept
# in BUILD_DIR/system-test/*.log. The last line is "N passed, M failed".
#
#   PCIPT_SYSTEM_CACHE    kernel cache directory
#   PCIPT_SYSTEM_TIMEOUT  seconds one boot may take before it counts as hung (default 300)
#   PCIPT_SYSTEM_BOOTS    the boots to run, by name (default: all of them)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
cache=${PCIPT_SYSTEM_CACHE:-$HOME/.cache/pcipt-system-test}
boot_timeout=${PCIPT_SYSTEM_TIMEOUT:-300}
only_boots=${PCIPT_SYSTEM_BOOTS:-}
work=$build/system-test
pci_ids=/usr/share/misc/pci.ids

# The recipe's order: busybox has no modprobe here, so dependencies come first, and
# vfio_iommu_type1 (only a soft dependency of vfio) is named explicitly.
modules="irqbypass vfio vfio_iommu_type1 vfio_virqfd vfio-pci-core vfio-pci e1000 e1000e
	virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover
	net_failover virtio_net"

die() {
	echo "system test: $*" >&2
	exit 2
}

# --- tools --------------------------------------------------------------------------------
busybox=$(command -v busybox || true)
missing=
for tool in qemu-system-x86_64 cpio gzip; do
	command -v "$tool" >/dev/null || missing="$missing $tool"
done
# the dynamically linked busybox would need its libraries in the initramfs too
if [ -z "$busybox" ] || ldd "$busybox" >/dev/null 2>&1; then missing="$missing busybox(static)"; fi
if [ -n "$missing" ]; then
	echo "system test: missing$missing; install the Debian packages: apt-get install --no-install-recommends qemu-system-x86 busybox-static cpio gzip" >&2
	exit 2
fi
[ -x "$build/pcipt-validate" ] || die "$build/pcipt-validate is not built (make system-test builds it)"
[ -r "$pci_ids" ] || die "$pci_ids is missing (Debian package pci.ids)"

# --- kernel: bookworm's current linux-image-amd64, cached ---------------------------------
# linux-image-amd64 is a metapackage; its one Depends names the ABI package (6.1.0-NN).
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1) || true
mkdir -p "$cache"
if [ -z "$kpkg" ]; then
	# apt knows no candidate (no apt-get update yet): use the newest kernel already cached
	kpkg=$(find "$cache" -mindepth 2 -maxdepth 2 -name .unpacked -printf '%h\n' 2>/dev/null |
		xargs -r -n 1 basename | sort -V | tail -n 1)
	[ -n "$kpkg" ] || die "apt-cache knows no linux-image-amd64 and $cache holds no kernel; run apt-get update"
fi
kdir=$cache/$kpkg
if [ ! -e "$kdir/.unpacked" ]; then
	echo "# fetching $kpkg into $cache (once)"
	rm -rf "$cache/download" "$kdir.partial"
	mkdir -p "$cache/download"
	# as root apt drops to _apt for downloads, which cannot write into root's home
	sandbox=()
	[ "$(id -u)" -ne 0 ] || sandbox=(-o APT::Sandbox::User=root)
	(cd "$cache/download" && apt-get -q "${sandbox[@]}" download "$kpkg") ||
		die "apt-get download $kpkg failed"
	deb=$(find "$cache/download" -name "${kpkg}_*.deb" | head -n 1)
	[ -n "$deb" ] || die "apt-get download left no ${kpkg}_*.deb"
	dpkg -x "$deb" "$kdir.partial"
	touch "$kdir.partial/.unpacked"
	mv "$kdir.partial" "$kdir"
	rm -rf "$cache/download"
	# an older ABI's kernel is not needed any more
	find "$cache" -mindepth 1 -maxdepth 1 -name 'linux-image-*' ! -name "$kpkg" -exec rm -rf {} +
fi
vmlinuz=$(find "$kdir/boot" -name 'vmlinuz-*' | head -n 1)
[ -n "$vmlinuz" ] || die "$kdir has no boot/vmlinuz-*"
kmods=
for d in "$kdir"/lib/modules/* "$kdir"/usr/lib/modules/*; do
	[ -d "$d/kernel" ] && kmods=$d && break
done
[ -n "$kmods" ] || die "$kdir has no lib/modules/VERSION"

# --- initramfs ----------------------------------------------------------------------------
rm -rf "$work"
root=$work/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib/modules,etc,proc,sys,dev,run,tmp,usr/share/misc}
cp "$busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh" # /init's #!/bin/sh runs before `busybox --install`
cp "$top/tests/system/init" "$root/init"
chmod 755 "$root/init"
cp "$pci_ids" "$root/usr/share/misc/pci.ids"

for m in $modules; do
	ko=$(find "$kmods/kernel" -name "$m.ko" | head -n 1)
	[ -n "$ko" ] || die "$kmods has no $m.ko"
	cp "$ko" "$root/lib/modules/"
done
xargs <<<"$modules" >"$root/etc/modules-order"

# Every shared library ldd names for FILE, the dynamic loader included, at the same paths
# (Debian ships no static libpci, and QEMU comes only dynamically linked).
install_libs() {
	local file=$1 lib
	# grep reads on to the end: with -q, ldd could die of SIGPIPE and pipefail hide the match
	if ldd "$file" | grep 'not found' >/dev/null; then die "ldd $file: a library is not found"; fi
	ldd "$file" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
		while read -r lib; do
			[ -e "$root$lib" ] && continue
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		done
}
# A file at its host path, with the libraries it needs.
install_at_host_path() {
	local file=$1
	[ -r "$file" ] || die "$file is missing"
	mkdir -p "$root$(dirname "$file")"
	cp -L "$file" "$root$file"
	case $file in *.so | */bin/*) install_libs "$file" ;; esac
}
# A program in /usr/bin, with its libraries.
install_program() {
	cp "$1" "$root/usr/bin/"
	install_libs "$1"
}
install_program "$build/pcipt-validate"
# asks the kernel whether a bound IOMMU group is viable (VFIO_GROUP_GET_STATUS)
cc -O2 -Wall -Wextra -Werror -o "$work/vfio-viable" "$top/tests/system/vfio-viable.c"
install_program "$work/vfio-viable"
hook=no
if [ -x "$build/pcipt-hook" ]; then
	install_program "$build/pcipt-hook"
	hook=yes
fi

# QEMU itself, to start in the guest as Proxmox would: the binary at its host path (it finds
# its data relative to itself, /usr/bin/../share/{qemu,seabios}), the TCG accelerator, which is
# a module Debian loads at run time, and the firmware a q35 machine loads even when paused.
# /usr/share/kvm is where Proxmox resolves romfile= names; it stays empty.
qemu=$(command -v qemu-system-x86_64)
[ "$qemu" = /usr/bin/qemu-system-x86_64 ] || die "qemu-system-x86_64 is $qemu, not Debian's /usr/bin/qemu-system-x86_64"
for f in "$qemu" /usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so \
	/usr/share/seabios/bios-256k.bin /usr/share/qemu/kvmvapic.bin \
	/usr/share/qemu/linuxboot_dma.bin; do
	install_at_host_path "$f"
done
mkdir -p "$root/usr/share/kvm"

# The option ROM QEMU gives an e1000 unless romfile= is emptied: iPXE's, from Debian's package
# ipxe-qemu, found on QEMU's firmware path. The Intel boot adds such an e1000 (00:07.0) for
# `pcipt-validate --read-rom`, which must read these very bytes from the guest's kernel.
e1000_rom=
for d in $(qemu-system-x86_64 -L help); do
	[ -r "$d/efi-e1000.rom" ] && e1000_rom=$d/efi-e1000.rom && break
done
rom=no
if [ -n "$e1000_rom" ]; then
	mkdir -p "$root/etc/pcipt-test"
	cp -L "$e1000_rom" "$root/etc/pcipt-test/efi-e1000.rom"
	rom=yes
fi

(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd.gz"

# --- boots --------------------------------------------------------------------------------
passed=0 failed=0 skipped=0
summary=()

# boot NAME MACHINE_ARGS CMDLINE DESCRIPTION: one boot of the recipe's machine, with the IOMMU
# (and CPU, and extra devices) MACHINE_ARGS give it, running the guest scenario NAME; its TAP
# lines are printed with NAME in front and counted. Boots PCIPT_SYSTEM_BOOTS does not name are
# left out.
boot() {
	local name=$1 machine=$2 cmdline=$3 desc=$4 log=$work/$1.log status=0 t0 t1 secs
	local ok notok skip result
	case " $only_boots " in "  " | *" $name "*) ;; *) return 0 ;; esac
	t0=$(date +%s%N)
	# 00:03.0 alone; 01:00.0 alone behind a root port with ACS; 00:05.0+00:05.1 together
	# (multifunction without ACS); the PCIe-to-PCI bridge with 03:01.0 and 03:02.0 together.
	# -nic none: the NICs have no backend, the guest reaches no network. 1 GiB: the initramfs
	# holds QEMU, and the QEMU the guest starts pins its own memory for DMA.
	# shellcheck disable=SC2086 # MACHINE_ARGS is a list of words
	timeout "$boot_timeout" qemu-system-x86_64 \
		-M q35,kernel-irqchip=split -accel tcg -m 1024 -smp 1 -nic none \
		$machine \
		-device e1000e,addr=03.0,romfile= \
		-device pcie-root-port,id=rp1,chassis=1,slot=1,addr=04.0 \
		-device virtio-net-pci,bus=rp1,romfile= \
		-device e1000,addr=05.0,multifunction=on,romfile= -device e1000,addr=05.1,romfile= \
		-device pcie-root-port,id=rp2,chassis=2,slot=2,addr=06.0 \
		-device pcie-pci-bridge,id=pb,bus=rp2 \
		-device e1000,bus=pb,addr=01.0,romfile= -device e1000,bus=pb,addr=02.0,romfile= \
		-kernel "$vmlinuz" -initrd "$work/initrd.gz" \
		-append "console=ttyS0 panic=-1 $cmdline pcipt_scenario=$name pcipt_hook=$hook pcipt_rom=$rom" \
		-nographic -no-reboot </dev/null >"$log" 2>&1 || status=$?
	t1=$(date +%s%N)
	secs=$(awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.1f", ns / 1e9 }')

	# the TAP lines, named after the boot, and the "#   " detail lines under a failed one
	tr -d '\r' <"$log" | awk -v name="$name" -v tap="$work/$name.tap" '
		/^(not )?ok [0-9]+ - / { print >tap; show = /^not ok/; sub(/ - /, " - " name ": "); print; next }
		/^#   / && show { print; next }
		{ show = 0 }'
	touch "$work/$name.tap"
	ok=$(grep -E '^ok ' "$work/$name.tap" | grep -cv '# SKIP') || true
	skip=$(grep -c '# SKIP' "$work/$name.tap") || true
	notok=$(grep -E '^not ok ' "$work/$name.tap" | grep -cv '# SKIP') || true
	passed=$((passed + ok)) skipped=$((skipped + skip)) failed=$((failed + notok))

	result=$(tr -d '\r' <"$log" | grep -E '^SYSTEM-RESULT pass=[0-9]+ fail=[0-9]+$' | tail -n 1) || true
	if [ -z "$result" ]; then
		if [ "$status" -eq 124 ]; then
			echo "not ok - $name: no SYSTEM-RESULT line: timed out after $boot_timeout s, see $log"
		else
			echo "not ok - $name: no SYSTEM-RESULT line (panic?), qemu exit status $status, see $log"
		fi
		failed=$((failed + 1))
	elif [ "$result" != "SYSTEM-RESULT pass=$ok fail=$notok" ]; then
		echo "not ok - $name: console shows pass=$ok fail=$notok but the guest says ${result#SYSTEM-RESULT }, see $log"
		failed=$((failed + 1))
	fi
	summary+=("$(printf '# %-16s %5s s  %s' "$name" "$secs" "$desc")")
}

echo "# system test: $(basename "$vmlinuz") under $(qemu-system-x86_64 --version | head -n 1)"
t_all=$(date +%s)
# QEMU's default CPU says AuthenticAMD: an Intel IOMMU gets an Intel CPU, as on real hosts
intel="-cpu qemu64,vendor=GenuineIntel"
# an e1000 that keeps its option ROM (no romfile=), for --read-rom; no other case passes it
e1000_with_rom=
[ "$rom" = no ] || e1000_with_rom="-device e1000,addr=07.0"
boot normal "$intel -device intel-iommu,intremap=on,caching-mode=on $e1000_with_rom" \
	"intel_iommu=on iommu=pt" \
	"intel_iommu=on iommu=pt: --host clean, --groups, group-isolation, hook, QEMU's verdicts, --read-rom"
boot intremap-off "$intel -device intel-iommu,intremap=off,caching-mode=on" "intel_iommu=on iommu=pt" \
	"-device intel-iommu,intremap=off: interrupt-remapping"
boot iommu-off "$intel -device intel-iommu,intremap=on,caching-mode=on" "intel_iommu=off" \
	"intel_iommu=off: iommu-disabled"
# AMD-Vi needs no command-line word; without intremap the kernel turns remapping off itself
boot amd "-device amd-iommu,intremap=on" "" \
	"-device amd-iommu,intremap=on: --host clean, --groups, hook, QEMU starts"
boot amd-intremap-off "-device amd-iommu,intremap=off" "" \
	"-device amd-iommu,intremap=off: interrupt-remapping"
echo "# seconds per boot (boot, tests, poweroff):"
printf '%s\n' "${summary[@]}"
echo "# all boots: $(($(date +%s) - t_all)) s; consoles in $work/*.log"

if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
