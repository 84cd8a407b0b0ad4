#!/usr/bin/env bats
# Input no real host has, from a broken capture or a hostile root: FIFOs, sockets and devices
# where files belong, directories too large to list, Proxmox files that cannot be read, hex in
# a case Proxmox refuses.  Nothing may block, and what pcipt cannot read is said (exit 2), never
# read as absent.

load host_helpers

: "${PCIPT_HOOK_FAKE:=$BATS_TEST_DIRNAME/../../build/san/pcipt-hook-fake}"

# every run here has a time limit: a run that blocks fails with status 124 instead of hanging
# the suite (generous: the point is "never blocks", not "fast")
LIMIT=${PCIPT_TEST_LIMIT:-60}

# limited PROGRAM ARGS...: stdout in $out, stderr in $err, exit status in $status
limited() {
	out=$BATS_TEST_TMPDIR/stdout err=$BATS_TEST_TMPDIR/stderr status=0
	timeout -k 5 "$LIMIT" "$@" >"$out" 2>"$err" || status=$?
}

# The files of a device directory that libpci's sysfs backend opens for pcipt (pciutils
# lib/sysfs.c: sysfs_get_string, sysfs_get_resources, sysfs_setup), without O_NONBLOCK; and
# those it opens only for fill flags and reads pcipt never asks for.
LIBPCI_ATTRIBUTES="vendor device class revision subsystem_vendor subsystem_device irq resource
	config"
LIBPCI_UNASKED="modalias label numa_node vpd"

# replace_with_fifo PATH: keep what is there in PATH.saved, put a named pipe in its place
replace_with_fifo() {
	rm -f "$1.saved"
	if [ -e "$1" ]; then mv "$1" "$1.saved"; fi
	mkfifo "$1"
}

# restore PATH: undo replace_with_fifo
restore() {
	rm -f "$1"
	if [ -e "$1.saved" ]; then mv "$1.saved" "$1"; fi
}

hook_host() {
	build_host hook-gpu
	mkdir -p "$root/run/pcipt" "$root/run/lock" && chmod 700 "$root/run/pcipt"
}

@test "a FIFO in place of any attribute libpci may open: VMID, --groups and --host exit 2 naming it, never blocking" {
	build_host hook-gpu
	local dev=/sys/bus/pci/devices/0000:03:00.0 attr mode
	for attr in $LIBPCI_ATTRIBUTES; do
		replace_with_fifo "$root$dev/$attr"
		for mode in 101 --groups --host; do
			limited "$PCIPT_VALIDATE" --root "$root" "$mode"
			if [ "$status" -ne 2 ] || ! grep -qF "$dev/$attr" "$err"; then
				echo "$attr as a FIFO, $mode: exit status $status (124: blocked)"
				cat "$err"
				return 1
			fi
		done
		grep -qF "not a regular file" "$err"
		restore "$root$dev/$attr"
	done
	# files libpci never opens for pcipt block nothing either
	for attr in $LIBPCI_UNASKED; do
		replace_with_fifo "$root$dev/$attr"
		limited "$PCIPT_VALIDATE" --root "$root" 101
		[ "$status" -eq 0 ] || { echo "$attr as a FIFO: exit status $status"; cat "$err"; return 1; }
		restore "$root$dev/$attr"
	done
	# and the tree as it was reads again
	validate --root "$root" 101
	expect_status 0
}

@test "a link to a FIFO in place of a file libpci opens: judged by what it leads to, exit 2, never blocking" {
	build_host hook-gpu
	local dev=/sys/bus/pci/devices/0000:03:00.0
	mkfifo "$root/fifo" "$BATS_TEST_TMPDIR/outside-fifo"
	# libpci opens the path with a plain open(2): a relative link inside the root, and an
	# absolute one that open(2) follows out of it, both lead to a pipe
	for target in ../../../../../fifo "$BATS_TEST_TMPDIR/outside-fifo"; do
		mv "$root$dev/class" "$root$dev/class.saved"
		ln -s "$target" "$root$dev/class"
		limited "$PCIPT_VALIDATE" --root "$root" 101
		[ "$status" -eq 2 ] || { echo "link to $target: exit status $status (124: blocked)"; cat "$err"; return 1; }
		grep -qF "$dev/class is a named pipe, not a regular file" "$err" || { cat "$err"; return 1; }
		rm "$root$dev/class"
		mv "$root$dev/class.saved" "$root$dev/class"
	done
	# a link to a regular file is what a captured tree may hold: read through it
	mv "$root$dev/class" "$root/class-file"
	ln -s ../../../../../class-file "$root$dev/class"
	validate --root "$root" 101
	expect_status 0
}

@test "a FIFO in place of a device's config: pcipt-hook pre-start exits 2 naming it and binds nothing" {
	hook_host
	local dev=/sys/bus/pci/devices/0000:03:00.0
	replace_with_fifo "$root$dev/config"
	limited "$PCIPT_HOOK_FAKE" --root "$root" 101 pre-start
	[ "$status" -eq 2 ] || { echo "exit status $status (124: blocked)"; cat "$err"; return 1; }
	grep -qF "$dev/config" "$err"
	[ "$(basename "$(readlink "$root$dev/driver")")" = nouveau ]
	limited "$PCIPT_HOOK_FAKE" --root "$root" --dry-run 101 pre-start
	[ "$status" -eq 2 ] || { echo "dry run: exit status $status (124: blocked)"; cat "$err"; return 1; }
	grep -qF "$dev/config" "$err"
}

@test "a FIFO in place of any file or directory of a root never blocks pcipt-validate or pcipt-hook" {
	build_host fifo-sweep
	mkdir -p "$root/run/pcipt" "$root/run/lock" && chmod 700 "$root/run/pcipt"
	local file blocked=""
	while IFS= read -r -d '' file; do
		replace_with_fifo "$file"
		limited "$PCIPT_VALIDATE" --root "$root" 110
		[ "$status" -le 2 ] || blocked+="${file#"$root"}: pcipt-validate 110 exit status $status"$'\n'
		limited "$PCIPT_HOOK_FAKE" --root "$root" --dry-run 110 pre-start
		[ "$status" -le 2 ] || blocked+="${file#"$root"}: pcipt-hook --dry-run exit status $status"$'\n'
		restore "$file"
	done < <(find "$root" -mindepth 1 \( -type f -o -type d \) -print0 | sort -z)
	[ -z "$blocked" ] || { printf '%s' "$blocked"; return 1; }
}

@test "more than 65536 entries in /sys/kernel/iommu_groups: exit 2 naming it, not an IOMMU that is off" {
	build_host hook-gpu
	python3 -c 'import os, sys
for n in range(100000, 165537):
    os.mkdir(os.path.join(sys.argv[1], str(n)))' "$root/sys/kernel/iommu_groups"
	local mode
	for mode in --groups --host 101; do
		limited "$PCIPT_VALIDATE" --root "$root" "$mode"
		expect_status 2
		grep -qF "/sys/kernel/iommu_groups: more than 65536 entries" "$err"
		no_match 'iommu-disabled|IOMMU is off' "$out"
	done
	mkdir -p "$root/run/pcipt" "$root/run/lock" && chmod 700 "$root/run/pcipt"
	limited "$PCIPT_HOOK_FAKE" --root "$root" 101 pre-start
	expect_status 2
	grep -qF "/sys/kernel/iommu_groups: more than 65536 entries" "$err"
}

@test "more than 65536 entries in /etc/modprobe.d or /run/qemu-server: exit 2 naming it" {
	build_host hook-gpu
	local dir
	for dir in /etc/modprobe.d /run/qemu-server; do
		mkdir -p "$root$dir.big"
		python3 -c 'import os, sys
for n in range(65537):
    open(os.path.join(sys.argv[1], f"x{n}.conf"), "w").close()' "$root$dir.big"
		mv "$root$dir" "$root$dir.small" 2>/dev/null || true
		mv "$root$dir.big" "$root$dir"
		limited "$PCIPT_VALIDATE" --root "$root" 101
		expect_status 2
		grep -qF "$dir: more than 65536 entries" "$err"
		rm -rf "$root$dir"
		mv "$root$dir.small" "$root$dir" 2>/dev/null || true
	done
	validate --root "$root" 101
	expect_status 0
}

@test "more IOMMU groups than pcipt reads (16384): exit 2, none dropped silently" {
	build_host hook-gpu
	python3 -c 'import os, sys
for n in range(100000, 116385):
    os.mkdir(os.path.join(sys.argv[1], str(n)))' "$root/sys/kernel/iommu_groups"
	limited "$PCIPT_VALIDATE" --root "$root" --groups
	expect_status 2
	grep -qF "more than 16384 IOMMU groups" "$err"
}

@test "romfile that is a named pipe or a socket: not a regular file, never read" {
	host_scenario romfile-not-regular 1
}

@test "romfile that is a device: not a regular file, never read" {
	build_host clean
	mkdir -p "$root/usr/share/kvm"
	mknod "$root/usr/share/kvm/null.rom" c 1 3 2>/dev/null || skip "mknod is not permitted here"
	printf 'hostpci0: 0000:01:00,pcie=1,romfile=null.rom\nmachine: q35\n' \
		>"$root/etc/pve/qemu-server/110.conf"
	limited "$PCIPT_VALIDATE" --root "$root" 110
	expect_status 1
	grep -qF "romfile=null.rom: /usr/share/kvm/null.rom is a device, not a regular file" "$out"
}

@test "iommu-disabled: an unreadable /proc/cmdline is unknown, never a missing intel_iommu=on" {
	host_scenario iommu-disabled-cmdline-unknown 1
	no_match "lacks" "$out"
}

@test "iommu-disabled: an unreadable /proc/cmdline on an AMD host asserts no off switch either" {
	build_host iommu-disabled-cmdline-unknown
	sed -i 's/GenuineIntel/AuthenticAMD/; s/ vmx / svm /' "$root/proc/cpuinfo"
	rm "$root/sys/firmware/acpi/tables/DMAR"
	printf 'IVRS' >"$root/sys/firmware/acpi/tables/IVRS"
	validate --root "$root" --host
	expect_status 1
	grep -qF "whether it was booted with amd_iommu=off or iommu=off is unknown [iommu-disabled]" "$out"
	no_match "booted with amd_iommu=off \[|lacks" "$out"
}

@test "mapping with uppercase hex: path= skipped as Proxmox skips it, id= and subsystem-id= compared as text" {
	host_scenario mapping-uppercase 1
	# and the hook refuses each start instead of binding nothing
	mkdir -p "$root/run/pcipt" "$root/run/lock" && chmod 700 "$root/run/pcipt"
	local vmid
	for vmid in 110 111 112; do
		limited "$PCIPT_HOOK_FAKE" --root "$root" --dry-run "$vmid" pre-start
		expect_status 1
		grep -qF "VM $vmid must not start" "$err"
	done
}

@test "storage.cfg that is not UTF-8: exit 2 with the place, hookscripts not checked" {
	build_host storage-cfg-malformed
	validate --root "$root" 110
	expect_status 0
	printf 'dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup,snippets \377\n' \
		>"$root/etc/pve/storage.cfg"
	validate --root "$root" 110
	expect_status 2
	expect_output "$HOST_FIXTURES/storage-cfg-malformed/expected.txt"
}

@test "storage.cfg that cannot be read: VMID and the hook exit 2; an absent one is only local" {
	build_host storage-cfg-malformed
	replace_with_fifo "$root/etc/pve/storage.cfg"
	limited "$PCIPT_VALIDATE" --root "$root" 110
	expect_status 2
	grep -qF "/etc/pve/storage.cfg: error: cannot read the storage definitions: not a regular file; hookscripts were not checked [config-syntax]" "$out"
	mkdir -p "$root/run/pcipt" "$root/run/lock" && chmod 700 "$root/run/pcipt"
	limited "$PCIPT_HOOK_FAKE" --root "$root" --dry-run 110 pre-start
	expect_status 2
	grep -qF "cannot read the storage definitions" "$err"
	# --host needs no storage
	limited "$PCIPT_VALIDATE" --root "$root" --host
	expect_status 0
	rm "$root/etc/pve/storage.cfg"
	validate --root "$root" 110
	expect_status 0
	lacks_check hookscript-missing
}

# the hook installed where the package puts it, and a qm that records its arguments
install_hook_setup() {
	build_host clean
	mkdir -p "$root/usr/lib/pcipt" "$root/var/lib/vz"
	printf '#!/bin/sh\n' >"$root/usr/lib/pcipt/pcipt-hook" && chmod 0755 "$root/usr/lib/pcipt/pcipt-hook"
	printf '#!/bin/sh\necho "$*" >>"%s"\n' "$BATS_TEST_TMPDIR/qm.log" >"$BATS_TEST_TMPDIR/qm"
	chmod +x "$BATS_TEST_TMPDIR/qm"
	export PCIPT_QM=$BATS_TEST_TMPDIR/qm
	: >"$BATS_TEST_TMPDIR/qm.log"
}

# nothing_installed: no link, no snippets directory, no qm run
nothing_installed() {
	[ ! -e "$root/var/lib/vz/snippets" ] && [ ! -L "$root/var/lib/vz/snippets/pcipt-hook" ]
	[ ! -s "$BATS_TEST_TMPDIR/qm.log" ]
}

@test "--install-hook with a storage.cfg that is not UTF-8 or not a file: exit 2 naming it, nothing installed" {
	install_hook_setup
	printf 'dir: local\n\tpath /var/lib/vz\n\tcontent snippets \377\n' >"$root/etc/pve/storage.cfg"
	validate --root "$root" --install-hook 100
	expect_status 2
	grep -qF "/etc/pve/storage.cfg:3: invalid UTF-8" "$err"
	nothing_installed
	replace_with_fifo "$root/etc/pve/storage.cfg"
	limited "$PCIPT_VALIDATE" --root "$root" --install-hook 100
	expect_status 2
	grep -qF "cannot read /etc/pve/storage.cfg: not a regular file" "$err"
	nothing_installed
	# absent: Proxmox's own default, local at /var/lib/vz
	rm "$root/etc/pve/storage.cfg"
	validate --root "$root" --install-hook 100
	expect_status 0
	[ "$(readlink "$root/var/lib/vz/snippets/pcipt-hook")" = /usr/lib/pcipt/pcipt-hook ]
}

@test "--install-hook and the hookscript check refuse a storage path that is not absolute, as Proxmox does" {
	install_hook_setup
	mkdir -p "$root/etc/pve"
	printf 'dir: local\n\tpath var/lib/vz\n\tcontent snippets\n' >"$root/etc/pve/storage.cfg"
	validate --root "$root" --install-hook 100
	expect_status 2
	grep -qF "storage 'local' has path 'var/lib/vz', not an absolute path" "$err"
	nothing_installed
	echo "hookscript: local:snippets/pcipt-hook" >>"$root/etc/pve/qemu-server/100.conf"
	validate --root "$root" 100
	expect_status 1
	grep -qF "hookscript local:snippets/pcipt-hook is on a storage whose path is not absolute" "$out"
}
