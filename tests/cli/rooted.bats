#!/usr/bin/env bats
# Under --root nothing of the machine outside the root is read or written: a link planted in
# the root (absolute, or climbing with "..") leads to the root's own file of that name, as
# in a chroot.  Files named on the command line (--config, --rules, --conf) are read as given.

load hook_helpers

@test "a romfile linked out of the root: the machine's file is never read (a valid ROM there is missing, /etc/shadow too)" {
	build_host roms
	# a valid ROM for the card, but outside the root
	cp "$root/usr/share/kvm/gtx1080.rom" "$BATS_TEST_TMPDIR/outside.rom"
	ln -sf "$BATS_TEST_TMPDIR/outside.rom" "$root/usr/share/kvm/gtx1080.rom"
	ln -s /etc/shadow "$root/usr/share/kvm/shadow.rom"
	ln -s ../../../../../../../../etc/passwd "$root/usr/share/kvm/climb.rom"
	printf 'bios: ovmf\nhostpci0: 0000:01:00,romfile=shadow.rom\n' >"$root/etc/pve/qemu-server/108.conf"
	printf 'bios: ovmf\nhostpci0: 0000:01:00,romfile=climb.rom\n' >"$root/etc/pve/qemu-server/109.conf"
	validate --root "$root" 105 108 109
	expect_status 1
	grep -q '105.conf:2: error: .*gtx1080.rom.*\[romfile-missing\]$' "$out"
	grep -q '108.conf:2: error: .*shadow.rom.*\[romfile-missing\]$' "$out"
	grep -q '109.conf:2: error: .*climb.rom.*\[romfile-missing\]$' "$out"
	# what would show that a file was read: its size or a format verdict
	no_match 'not a PCI option ROM' "$out"
	# the same link resolved inside the root finds the root's own file
	mkdir -p "$root$BATS_TEST_TMPDIR"
	cp "$BATS_TEST_TMPDIR/outside.rom" "$root$BATS_TEST_TMPDIR/outside.rom"
	validate --root "$root" 105
	expect_status 0
}

@test "a VM config linked out of the root is not read, linted or echoed" {
	build_host clean
	printf 'hostpci0: secret-from-outside\n' >"$BATS_TEST_TMPDIR/outside.conf"
	ln -s "$BATS_TEST_TMPDIR/outside.conf" "$root/etc/pve/qemu-server/108.conf"
	validate --root "$root" 108
	expect_status 2
	grep -q '108.conf: error: cannot read this file: No such file or directory' "$out"
	# what linting its line would have said
	no_match 'hostpci-syntax' "$out"
	validate --offline --root "$root" --all
	expect_status 2
	no_match 'hostpci-syntax' "$out"
	# named on the command line, the same file is read as given
	validate --offline --config "$BATS_TEST_TMPDIR/outside.conf"
	expect_status 1
	grep -q 'outside.conf:1: error: hostpci0: .*\[hostpci-syntax\]$' "$out"
}

@test "/run/pcipt as a link to another directory: post-stop refuses it as pre-start does; the state there is neither used nor removed" {
	setup_hook_host
	hook --root "$root" 101 pre-start
	expect_status 0
	# the ledger moved elsewhere, and /run/pcipt made a link to it
	mkdir -m 700 "$root/planted"
	mv "$root/run/pcipt/ledger" "$root/planted/ledger"
	rmdir "$root/run/pcipt"
	ln -s /planted "$root/run/pcipt"
	cp "$root/planted/ledger" "$BATS_TEST_TMPDIR/planted-ledger"
	hook --root "$root" 101 post-stop
	expect_status 1
	grep -q 'run/pcipt is not a directory (a link or a file is in its place)' "$err"
	# nothing acted on: the card stays where the start put it, the planted ledger is whole
	[ "$(driver_of 0000:03:00.0)" = vfio-pci ]
	cmp "$root/planted/ledger" "$BATS_TEST_TMPDIR/planted-ledger"
	hook --root "$root" 102 pre-start
	expect_status 2
	grep -q 'run/pcipt is not a directory (a link or a file is in its place)' "$err"
	cmp "$root/planted/ledger" "$BATS_TEST_TMPDIR/planted-ledger"
}

@test "a lock linked out of the root is never opened outside it" {
	setup_hook_host
	rm "$root/run/lock/pcipt.lock"
	: >"$BATS_TEST_TMPDIR/outside.lock"
	ln -s "$BATS_TEST_TMPDIR/outside.lock" "$root/run/lock/pcipt.lock"
	hook --root "$root" 101 pre-start
	expect_status 1
	grep -q 'cannot open the lock .*run/lock/pcipt.lock' "$err"
	[ "$(driver_of 0000:03:00.0)" = nouveau ]
}
