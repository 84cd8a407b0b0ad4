#!/usr/bin/env bats
# device-identity: pcipt-hook pins the cards behind a VM's raw hostpci addresses at each start
# (/var/lib/pcipt/identity/VMID), and another card at such an address later is an error in the
# hook and in pcipt-validate; `pcipt-validate --accept-identity VMID` accepts a swap.

load hook_helpers

# swap_card ADDR VVVV:DDDD SSSS:SSSS CCCCCC: another card at ADDR, as after a card was added
# elsewhere and the buses moved: the ids and class sysfs shows, and the config space behind them
swap_card() {
	local dev=$root/sys/bus/pci/devices/$1 f
	for f in vendor device subsystem_vendor subsystem_device class; do chmod u+w "$dev/$f"; done
	printf '0x%s\n' "${2%%:*}" >"$dev/vendor"
	printf '0x%s\n' "${2##*:}" >"$dev/device"
	printf '0x%s\n' "${3%%:*}" >"$dev/subsystem_vendor"
	printf '0x%s\n' "${3##*:}" >"$dev/subsystem_device"
	printf '0x%s\n' "$4" >"$dev/class"
	python3 - "$dev/config" "$2" "$3" "$4" <<'PY'
import sys
path, ids, subsys, cls = sys.argv[1:]
b = bytearray(open(path, "rb").read())
v, d = (int(x, 16) for x in ids.split(":"))
sv, sd = (int(x, 16) for x in subsys.split(":"))
c = int(cls, 16)
b[0:4] = v.to_bytes(2, "little") + d.to_bytes(2, "little")
b[9:12] = c.to_bytes(3, "little")
b[0x2c:0x30] = sv.to_bytes(2, "little") + sd.to_bytes(2, "little")
open(path, "wb").write(bytes(b))
PY
}

pins_of() {
	cat "$root/var/lib/pcipt/identity/$1"
}

# the digest that keys the pins of a hostpciN line: SHA-256 of its value
digest() {
	printf '%s' "$1" | sha256sum | cut -d' ' -f1
}

# the one device-identity finding of the last run (stdout of pcipt-validate, stderr of the hook)
identity_finding() {
	grep '\[device-identity\]$' "$1"
}

@test "each start pins the cards behind the VM's raw addresses; the pins outlive the stop; --dry-run pins nothing" {
	setup_hook_host
	hook --root "$root" --dry-run 101 pre-start
	expect_status 0
	[ ! -e "$root/var/lib/pcipt/identity" ]
	hook --root "$root" 101 pre-start
	expect_status 0
	local d
	d=$(digest '0000:03:00,pcie=1')
	pins_of 101 | diff -u <(printf 'pcipt-identity 1\nvmid 101\nhostpci0 %s 0000:03:00.0 10de:1b80 1458:3702 030000\nhostpci0 %s 0000:03:00.1 10de:10f0 1458:3702 040300\n' "$d" "$d") -
	[ "$(stat -c %a "$root/var/lib/pcipt/identity/101")" = 644 ]
	[ "$(stat -c %a "$root/var/lib/pcipt/identity")" = 755 ]
	hook --root "$root" 101 post-stop
	expect_status 0
	[ -f "$root/var/lib/pcipt/identity/101" ]
	# the same cards: the next start goes on, and pcipt-validate has nothing to say about them
	validate --root "$root" 101
	lacks_check device-identity
	hook --root "$root" 101 pre-start
	expect_status 0
}

@test "another card behind the address: the start is refused naming both, pcipt-validate says the same, --accept-identity lets it start" {
	setup_hook_host
	hook --root "$root" 101 pre-start
	expect_status 0
	hook --root "$root" 101 post-stop
	expect_status 0
	# a card added in another slot moved the buses: an HBA is at 03:00.0 now
	swap_card 0000:03:00.0 1000:0097 1000:3090 010700
	tree >"$BATS_TEST_TMPDIR/before"
	hook --root "$root" 101 pre-start
	expect_status 1
	identity_finding "$err" >"$BATS_TEST_TMPDIR/hook-finding"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/hook-finding")" -eq 1 ]
	grep -Eq '^/etc/pve/qemu-server/101.conf:1: error: hostpci0: 0000:03:00.0 was 10de:1b80 \(subsystem 1458:3702, class 030000, [^)]+\) when VM 101 last started; it is now 1000:0097 \(subsystem 1000:3090, class 010700, [^)]+\): the card behind the address changed' "$BATS_TEST_TMPDIR/hook-finding"
	grep -q 'hint: if the card was swapped on purpose, run `pcipt-validate --accept-identity 101`' "$err"
	grep -q '^pcipt-hook: error: VM 101 must not start: ' "$err"
	# nothing was bound, and the pins stay as they were
	tree | diff -u "$BATS_TEST_TMPDIR/before" -
	grep -q ' 0000:03:00.0 10de:1b80 1458:3702 030000$' "$root/var/lib/pcipt/identity/101"
	# pcipt-validate VMID and --all judge the same
	validate --root "$root" 101
	expect_status 1
	identity_finding "$out" | diff -u "$BATS_TEST_TMPDIR/hook-finding" -
	validate --root "$root" --all
	expect_status 1
	identity_finding "$out" | diff -u "$BATS_TEST_TMPDIR/hook-finding" -
	validate --root "$root" --format json 101
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); f = [f for f in d["findings"] if f["check"] == "device-identity"]; assert len(f) == 1 and f[0]["device"] == "0000:03:00.0" and f[0]["vmid"] == 101, f' "$out"
	# --accept-identity: old -> new per address
	validate --root "$root" --accept-identity 101
	expect_status 0
	grep -Eqx 'hostpci0: 0000:03:00.0: 10de:1b80 \(subsystem 1458:3702, class 030000, [^)]+\) -> 1000:0097 \(subsystem 1000:3090, class 010700, [^)]+\)' "$out"
	grep -Eqx 'hostpci0: 0000:03:00.1: 10de:10f0 \(subsystem 1458:3702, class 040300, [^)]+\), unchanged' "$out"
	grep -qx 'VM 101: 2 functions pinned in /var/lib/pcipt/identity/101' "$out"
	[ ! -s "$err" ]
	grep -q ' 0000:03:00.0 1000:0097 1000:3090 010700$' "$root/var/lib/pcipt/identity/101"
	validate --root "$root" 101
	lacks_check device-identity
	hook --root "$root" 101 pre-start
	expect_status 0
	[ "$(driver_of 0000:03:00.0)" = vfio-pci ]
}

@test "device-identity judges this machine and this node's VMs only: not --offline, --host-snapshot, --config" {
	setup_hook_host
	validate --root "$root" --snapshot
	cp "$out" "$BATS_TEST_TMPDIR/before-swap.json"
	hook --root "$root" 101 pre-start
	expect_status 0
	hook --root "$root" 101 post-stop
	swap_card 0000:03:00.0 1000:0097 1000:3090 010700
	validate --root "$root" 101
	has_check device-identity
	validate --root "$root" --node pve 101
	has_check device-identity
	validate --offline --root "$root" 101
	lacks_check device-identity
	validate --root "$root" --config "$root/etc/pve/qemu-server/101.conf"
	lacks_check device-identity
	validate --root "$root" --snapshot
	validate --root "$root" --host-snapshot "$out" 101
	lacks_check device-identity
	# a rules file can turn it off, as any check
	printf 'version: 1\nchecks: {device-identity: off}\n' >"$BATS_TEST_TMPDIR/rules.yaml"
	validate --root "$root" --rules "$BATS_TEST_TMPDIR/rules.yaml" 101
	lacks_check device-identity
}

@test "editing the hostpci line ends its pins: no error, and the start pins the line as it is now" {
	setup_hook_host
	hook --root "$root" 101 pre-start
	expect_status 0
	hook --root "$root" 101 post-stop
	swap_card 0000:03:00.0 1000:0097 1000:3090 010700
	sed -i 's/^hostpci0: 0000:03:00,pcie=1$/hostpci0: 0000:03:00,pcie=1,rombar=1/' "$root/etc/pve/qemu-server/101.conf"
	validate --root "$root" 101
	lacks_check device-identity
	hook --root "$root" 101 pre-start
	expect_status 0
	local d
	d=$(digest '0000:03:00,pcie=1,rombar=1')
	pins_of 101 | diff -u <(printf 'pcipt-identity 1\nvmid 101\nhostpci0 %s 0000:03:00.0 1000:0097 1000:3090 010700\nhostpci0 %s 0000:03:00.1 10de:10f0 1458:3702 040300\n' "$d" "$d") -
}

@test "a mapping= line is not pinned: Proxmox checks a mapping's ids itself" {
	build_host hook-mapping
	mkdir -p "$root/run/pcipt" "$root/run/lock" && chmod 700 "$root/run/pcipt"
	hook --root "$root" 111 pre-start
	expect_status 0
	[ ! -e "$root/var/lib/pcipt/identity/111" ]
	# a VM that had raw lines and has a mapping now: its old pins go at its next start
	mkdir -p "$root/var/lib/pcipt/identity"
	printf 'pcipt-identity 1\nvmid 111\nhostpci0 %s 0000:03:00.0 10de:1b80 1458:3702 030000\n' \
		"$(digest '0000:03:00')" >"$root/var/lib/pcipt/identity/111"
	hook --root "$root" 111 post-stop
	hook --root "$root" 111 pre-start
	expect_status 0
	[ ! -e "$root/var/lib/pcipt/identity/111" ]
}

@test "a pin file that cannot be used is an error with its file and line, never replaced unasked; --accept-identity replaces it" {
	setup_hook_host
	hook --root "$root" 101 pre-start
	expect_status 0
	hook --root "$root" 101 post-stop
	local pins=$root/var/lib/pcipt/identity/101
	sed -i '3s/.*/hostpci0 garbage/' "$pins"
	cp "$pins" "$BATS_TEST_TMPDIR/corrupt"
	hook --root "$root" 101 pre-start
	expect_status 1
	grep -qx "/var/lib/pcipt/identity/101:3: error: VM 101's identity pins cannot be used: expected 'hostpciN DIGEST ADDRESS VENDOR:DEVICE SUBVENDOR:SUBDEVICE CLASS'; the cards behind its raw hostpci addresses cannot be compared with those of its last start \[device-identity\]" "$err"
	grep -q 'hint: see what is behind each address (`lspci -Dnn`), then pin it: `pcipt-validate --accept-identity 101`' "$err"
	[ "$(driver_of 0000:03:00.0)" = nouveau ]
	cmp "$BATS_TEST_TMPDIR/corrupt" "$pins"
	validate --root "$root" 101
	expect_status 1
	grep -q "^/var/lib/pcipt/identity/101:3: error: VM 101's identity pins cannot be used: " "$out"
	# turned off by the rules: the start goes on, and the file is still not replaced: said
	printf 'version: 1\nchecks: {device-identity: off}\n' >"$BATS_TEST_TMPDIR/rules.yaml"
	hook --root "$root" --rules "$BATS_TEST_TMPDIR/rules.yaml" 101 pre-start
	expect_status 0
	grep -qx "pcipt-hook: warning: VM 101's identity pins were not written: $root/var/lib/pcipt/identity/101:3: expected 'hostpciN DIGEST ADDRESS VENDOR:DEVICE SUBVENDOR:SUBDEVICE CLASS'; not replaced" "$err"
	cmp "$BATS_TEST_TMPDIR/corrupt" "$pins"
	hook --root "$root" 101 post-stop
	# the admin asks
	validate --root "$root" --accept-identity 101
	expect_status 0
	grep -qx "replacing /var/lib/pcipt/identity/101, which cannot be used: line 3: expected 'hostpciN DIGEST ADDRESS VENDOR:DEVICE SUBVENDOR:SUBDEVICE CLASS'" "$out"
	grep -Eqx 'hostpci0: 0000:03:00.0: pinned 10de:1b80 \(subsystem 1458:3702, class 030000, [^)]+\)' "$out"
	validate --root "$root" 101
	lacks_check device-identity
	# what another user could have written, a link, a file in the directory's place: refused
	chmod 666 "$pins"
	validate --root "$root" 101
	expect_status 1
	grep -q "^/var/lib/pcipt/identity/101: error: VM 101's identity pins cannot be used: mode 0666: writable by others than its owner; refusing it" "$out"
	chmod 644 "$pins"
	mv "$pins" "$root/elsewhere"
	ln -s /elsewhere "$pins"
	hook --root "$root" 101 pre-start
	expect_status 1
	grep -q "^/var/lib/pcipt/identity/101: error: VM 101's identity pins cannot be used: a symbolic link; refusing it" "$err"
	[ -L "$pins" ]
	rm -r "$root/var/lib/pcipt/identity"
	: >"$root/var/lib/pcipt/identity"
	validate --root "$root" 101
	expect_status 1
	grep -q "^/var/lib/pcipt/identity/101: error: VM 101's identity pins cannot be used: $root/var/lib/pcipt/identity is not a directory" "$out"
}

@test "--accept-identity: a VM without pins is said and nothing is written; it goes with one VMID and no other mode" {
	setup_hook_host
	validate --root "$root" --accept-identity 101
	expect_status 0
	grep -qx 'VM 101 has no identity pins: nothing to accept (pcipt-hook pins its cards at its next start)' "$out"
	[ ! -e "$root/var/lib/pcipt/identity" ]
	validate --root "$root" --accept-identity 999
	expect_status 2
	grep -q '999.conf' "$err"
	for args in "" "101 102" "--all" "--offline 101" "--host" "--groups" "--snapshot" \
		"--install-hook 101" "--host-snapshot x 101" "--node pve 101" "--config x" \
		"--format json 101" "--rules x 101" "-q 101" "abc"; do
		# shellcheck disable=SC2086 # a list of words
		validate --root "$root" --accept-identity $args
		[ "$status" -eq 2 ] || { echo "--accept-identity $args: exit $status"; cat "$out" "$err"; return 1; }
		grep -q "Try 'pcipt-validate --help'" "$err" || { echo "--accept-identity $args:"; cat "$err"; return 1; }
	done
	[ ! -e "$root/var/lib/pcipt/identity" ]
}
