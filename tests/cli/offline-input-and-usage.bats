#!/usr/bin/env bats
# Unreadable input, file selection, usage errors, --help and --version.

load offline_helpers

config() { # config NAME TEXT: write a config file into the test's temp dir
	printf '%b' "$2" >"$BATS_TEST_TMPDIR/$1"
}

@test "--config with several files checks them all and names each file" {
	config 100.conf 'hostpci0: 01:00.0,pcie=1\n'
	config 101.conf 'machine: q35\nhostpci0: 01:00.0,pcie=1\n'
	validate --offline --config "$BATS_TEST_TMPDIR/100.conf" "$BATS_TEST_TMPDIR/101.conf"
	expect_status 1
	grep -q "^$BATS_TEST_TMPDIR/100.conf:1: error: .*\[pcie-needs-q35\]$" "$out"
	grep -q "^$BATS_TEST_TMPDIR/101.conf:2: warning: .*also passed to VM 100.*\[device-shared\]$" "$out"
	[ "$(grep -c '^/\|^[^ ]' "$out")" -eq 2 ]
}

@test "a file over 1 MiB is refused with a clear message, exit 2" {
	head -c 1100000 /dev/zero | tr '\0' '#' | fold -w 100 >"$BATS_TEST_TMPDIR/big.conf"
	validate --offline --config "$BATS_TEST_TMPDIR/big.conf"
	expect_status 2
	grep -q "big.conf: error: cannot read this file: file is larger than 1048576 bytes; nothing in it was checked \[config-syntax\]" "$out"
}

@test "a line over 64 KiB is refused with its line number, exit 2" {
	{ echo 'cores: 2'; printf 'args: %070000d\n' 0; } >"$BATS_TEST_TMPDIR/long.conf"
	validate --offline --config "$BATS_TEST_TMPDIR/long.conf"
	expect_status 2
	grep -q "long.conf:2: error: cannot read this file: line is longer than 65536 bytes" "$out"
}

@test "a NUL byte is refused with line and column, exit 2" {
	config nul.conf 'cores: 2\nname: a\0b\n'
	validate --offline --config "$BATS_TEST_TMPDIR/nul.conf"
	expect_status 2
	grep -q "nul.conf:2: error: cannot read this file: NUL byte in a text file (column 8)" "$out"
}

@test "invalid UTF-8 is refused with line and column, exit 2" {
	config latin1.conf '#caf\xe9\n'
	validate --offline --config "$BATS_TEST_TMPDIR/latin1.conf"
	expect_status 2
	grep -q "latin1.conf:1: error: cannot read this file: invalid UTF-8 (byte 0xe9) (column 5)" "$out"
}

@test "an unreadable file does not stop the others from being checked" {
	config 100.conf 'hostpci0: 01:00.0,pcie=1\n'
	validate --offline --config "$BATS_TEST_TMPDIR/missing.conf" "$BATS_TEST_TMPDIR/100.conf"
	expect_status 2
	grep -q "missing.conf: error: cannot read this file: No such file or directory" "$out"
	grep -q "100.conf:1: error: .*\[pcie-needs-q35\]$" "$out"
}

@test "a directory or a FIFO given as a config is refused, exit 2" {
	mkfifo "$BATS_TEST_TMPDIR/fifo.conf"
	validate --offline --config "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR/fifo.conf"
	expect_status 2
	grep -q "cannot read this file: is a directory" "$out"
	grep -q "fifo.conf: error: cannot read this file: not a regular file" "$out"
}

@test "VMIDs resolve under --root and are shown with their host path" {
	validate --offline --root "$CLI_FIXTURES/mixed" 1001 1002
	expect_status 1
	[ "$(cat "$out" | head -n 1)" = '/etc/pve/qemu-server/1001.conf:2: error: hostpci0 sets pcie=1 but the machine type is the default i440fx (pc); Proxmox will refuse to start the VM ("q35 machine model is not enabled") [pcie-needs-q35]' ]
}

@test "a missing VMID is unreadable input, exit 2" {
	validate --offline --root "$CLI_FIXTURES/mixed" 4242
	expect_status 2
	grep -q "^/etc/pve/qemu-server/4242.conf: error: cannot read this file: No such file or directory" "$out"
}

@test "--all on a root without configs is an error, exit 2" {
	validate --offline --root "$BATS_TEST_TMPDIR" --all
	expect_status 2
	grep -q "cannot read $BATS_TEST_TMPDIR/etc/pve/qemu-server" "$err"
}

@test "usage errors exit 2 with a message on stderr" {
	validate --offline --all --format xml
	expect_status 2
	grep -q "format must be text, json or sarif, not 'xml'" "$err"
	validate --offline
	expect_status 2
	grep -q "nothing to check" "$err"
	validate --offline --all --config x.conf
	expect_status 2
	grep -q -- "--all takes no VMIDs or files" "$err"
	validate --offline vm100
	expect_status 2
	grep -q "'vm100' is not a VMID" "$err"
	validate --offline --no-such-option
	expect_status 2
	[ ! -s "$out" ]
}

@test "--host and --groups refuse --offline, VMIDs and each other, exit 2" {
	validate --host --offline
	expect_status 2
	grep -q -- "--host reads the host; it cannot run --offline" "$err"
	validate --groups 100
	expect_status 2
	grep -q -- "--groups takes no VMIDs or files" "$err"
	validate --host --groups
	expect_status 2
	grep -q -- "--host and --groups are separate runs" "$err"
	[ ! -s "$out" ]
}

@test "--help and --version exit 0" {
	validate --help
	expect_status 0
	grep -q '^Usage: pcipt-validate' "$out"
	grep -q -- '--offline' "$out"
	validate --version
	expect_status 0
	grep -qE '^pcipt-validate [0-9]+\.[0-9]+\.[0-9]+$' "$out"
}

@test "--color always colours the severity, never does not" {
	validate --offline --root "$CLI_FIXTURES/xvga-ovmf" --all --color always
	grep -q $'\033\\[1;33mwarning\033\\[0m' "$out"
	validate --offline --root "$CLI_FIXTURES/xvga-ovmf" --all --color never
	no_match $'\033' "$out"
}
