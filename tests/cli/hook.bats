#!/usr/bin/env bats
# pcipt-hook over fake hosts and the fake kernel of tests/fakekernel: sysfs writes that move
# driver links, and that fail or hang on demand.

load hook_helpers

@test "usage: an unknown phase or a bad VMID is exit 2; post-start and pre-stop do nothing" {
	setup_hook_host
	hook --root "$root" 101 pre-migrate
	expect_status 2
	grep -q "unknown phase 'pre-migrate'" "$err"
	hook --root "$root" 0101 pre-start
	expect_status 2
	grep -q "'0101' is not a VMID" "$err"
	hook --root "$root" 101
	expect_status 2
	tree >"$BATS_TEST_TMPDIR/before"
	hook --root "$root" 101 post-start
	expect_status 0
	hook --root "$root" 101 pre-stop
	expect_status 0
	[ ! -s "$out" ] && [ ! -s "$err" ]
	tree | diff -u "$BATS_TEST_TMPDIR/before" -
}

@test "pre-start binds the card to vfio-pci, post-stop gives both functions back" {
	setup_hook_host
	tree >"$BATS_TEST_TMPDIR/before"
	hook --root "$root" 101 pre-start
	expect_status 0
	[ "$(driver_of 0000:03:00.0)" = vfio-pci ]
	[ "$(driver_of 0000:03:00.1)" = vfio-pci ]
	[ "$(cat "$root/sys/bus/pci/devices/0000:03:00.0/driver_override")" = vfio-pci ]
	# the ledger: each device's host driver and the VM that holds it since its pre-start
	sed -E 's/ 101:[0-9]+$/ 101:T/' "$root/run/pcipt/ledger" |
		diff -u <(printf 'pcipt-ledger 1\ndevice 0000:03:00.0 nouveau 101:T\ndevice 0000:03:00.1 snd_hda_intel 101:T\n') -
	[ "$(stat -c %a "$root/run/pcipt/ledger")" = 600 ]
	hook --root "$root" 101 post-stop
	expect_status 0
	[ "$(driver_of 0000:03:00.0)" = nouveau ]
	[ "$(driver_of 0000:03:00.1)" = snd_hda_intel ]
	[ ! -e "$root/run/pcipt/ledger" ]
	tree | diff -u "$BATS_TEST_TMPDIR/before" -
}

@test "pre-start and post-stop publish the node's snapshot anew: the other nodes see the card's driver now" {
	setup_hook_host
	local published=$root/etc/pve/nodes/pve/pcipt-host.json
	hook --root "$root" 101 pre-start
	expect_status 0
	[ -f "$published" ] || { echo "no snapshot published"; return 1; }
	driver_in_snapshot() {
		python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
print([d.get("driver") for d in s["pci"]["devices"] if d["address"] == sys.argv[2]][0])' "$published" "$1"
	}
	[ "$(driver_in_snapshot 0000:03:00.0)" = vfio-pci ]
	hook --root "$root" 101 post-stop
	expect_status 0
	[ "$(driver_in_snapshot 0000:03:00.0)" = nouveau ]
	# without quorum the write is refused: said, and the start still goes on
	rm -f "$published"
	chmod -R a+rX "$root"
	chmod 0555 "$root/etc/pve/nodes/pve"
	if [ "$(id -u)" -ne 0 ]; then
		hook --root "$root" 101 pre-start
		chmod 0755 "$root/etc/pve/nodes/pve"
		expect_status 0
		grep -q "not published" "$out" "$err"
	fi
	chmod 0755 "$root/etc/pve/nodes/pve"
	# --dry-run changes nothing, the snapshot neither
	rm -f "$published"
	hook --root "$root" --dry-run 101 pre-start
	[ ! -e "$published" ]
}

@test "a start the checks refuse: findings on stderr, exit 1, nothing bound" {
	setup_hook_host
	tree >"$BATS_TEST_TMPDIR/before"
	hook --root "$root" 102 pre-start
	expect_status 1
	grep -q 'error: hostpci0: 0000:00:1f.3 .*\[group-isolation\]$' "$err"
	grep -q '^pcipt-hook: error: VM 102 must not start: 1 error above$' "$err"
	tree | diff -u "$BATS_TEST_TMPDIR/before" -
}

@test "--dry-run prints every sysfs write and changes nothing" {
	setup_hook_host
	tree >"$BATS_TEST_TMPDIR/before"
	hook --root "$root" --dry-run 101 pre-start
	expect_status 0
	grep -qx "0000:03:00.0: set driver_override: write 'vfio-pci' to /sys/bus/pci/devices/0000:03:00.0/driver_override" "$out"
	grep -qx "0000:03:00.1: probe: write '0000:03:00.1' to /sys/bus/pci/drivers_probe" "$out"
	[ "$(grep -c ': write ' "$out")" -eq 6 ]
	tree | diff -u "$BATS_TEST_TMPDIR/before" -
}

@test "a failure at any write of pre-start leaves the host exactly as it was" {
	setup_hook_host
	tree >"$BATS_TEST_TMPDIR/before"
	PCIPT_FAKE_LOG=$BATS_TEST_TMPDIR/writes hook --root "$root" --dry-run 101 pre-start
	writes=$(grep -c ': write ' "$out")
	[ "$writes" -eq 6 ]
	for n in $(seq 1 "$writes"); do
		PCIPT_FAKE_FAIL_WRITE=$n hook --root "$root" 101 pre-start
		expect_status 1
		grep -q "^pcipt-hook: error: VM 101 must not start: 0000:03:00.[01]: .*failed: Input/output error" "$err" ||
			{ echo "write $n:"; cat "$err"; return 1; }
		tree | diff -u "$BATS_TEST_TMPDIR/before" - || { echo "after failing write $n"; return 1; }
	done
}

@test "a write that hangs is cut off by bind_timeout and named; the VM keeps its devices for post-stop" {
	setup_hook_host
	printf 'bind_timeout = 1\n' >"$BATS_TEST_TMPDIR/pcipt.conf"
	tree >"$BATS_TEST_TMPDIR/before"
	PCIPT_FAKE_HANG_WRITE=2 hook --root "$root" --conf "$BATS_TEST_TMPDIR/pcipt.conf" 101 pre-start
	expect_status 1
	grep -q '0000:03:00.0: unbind from its driver: writing /sys/bus/pci/devices/0000:03:00.0/driver/unbind did not finish within 1 s: the driver hangs' "$err"
	# the hung write may still land in the kernel after any undo: post-stop finishes the job
	grep -q 'a write may still land: VM 101 holds its devices for 300 s more' "$err"
	grep -q '^device 0000:03:00.0 nouveau 101:[0-9]*$' "$root/run/pcipt/ledger"
	hook --root "$root" --conf "$BATS_TEST_TMPDIR/pcipt.conf" 101 post-stop
	expect_status 0
	tree | diff -u "$BATS_TEST_TMPDIR/before" -
}

@test "the rules' bind: section counts too: timeout is a limit beside bind_timeout, restore_on_stop can keep devices on vfio-pci" {
	setup_hook_host
	printf 'version: 1\nbind: {timeout: 1, restore_on_stop: false}\n' >"$BATS_TEST_TMPDIR/rules.yaml"
	printf 'bind_timeout = 30\n' >"$BATS_TEST_TMPDIR/pcipt.conf"
	PCIPT_FAKE_HANG_WRITE=2 hook --root "$root" --conf "$BATS_TEST_TMPDIR/pcipt.conf" \
		--rules "$BATS_TEST_TMPDIR/rules.yaml" 101 pre-start
	expect_status 1
	grep -q 'did not finish within 1 s' "$err"
	hook --root "$root" --rules "$BATS_TEST_TMPDIR/rules.yaml" 101 post-stop
	expect_status 0
	grep -q '0000:03:00.0 stays on vfio-pci: restore_on_stop is off' "$out" "$err"
	[ ! -e "$root/run/pcipt/ledger" ]
}

@test "bind_timeout alone decides the time a write may take; the rules' timeout can only shorten it" {
	setup_hook_host
	printf 'bind_timeout = 30\n' >"$BATS_TEST_TMPDIR/pcipt.conf"
	hook --root "$root" --conf "$BATS_TEST_TMPDIR/pcipt.conf" --dry-run 101 pre-start
	expect_status 0
	grep -qx 'binding 2 devices to vfio-pci (each write may take up to 30 s)' "$out"
	printf 'version: 1\nbind: {timeout: 5}\n' >"$BATS_TEST_TMPDIR/rules.yaml"
	hook --root "$root" --conf "$BATS_TEST_TMPDIR/pcipt.conf" --rules "$BATS_TEST_TMPDIR/rules.yaml" \
		--dry-run 101 pre-start
	grep -qx 'binding 2 devices to vfio-pci (each write may take up to 5 s)' "$out"
	hook --root "$root" --dry-run 101 pre-start
	grep -qx 'binding 2 devices to vfio-pci (each write may take up to 10 s)' "$out"
}

@test "a rules file broken after the start refuses the next start but not the stop: post-stop gives the devices back" {
	setup_hook_host
	tree >"$BATS_TEST_TMPDIR/before"
	hook --root "$root" 101 pre-start
	expect_status 0
	mkdir -p "$root/etc/pcipt"
	printf 'version: 1\nchecks: {nope: error}\n' >"$root/etc/pcipt/rules.yaml"
	hook --root "$root" 102 pre-start
	expect_status 2
	grep -q '^pcipt-hook: /etc/pcipt/rules.yaml:2:.*error' "$err"
	hook --root "$root" 101 post-stop
	expect_status 0
	grep -qx 'pcipt-hook: giving the devices back with pcipt.conf and the built-in rules' "$err"
	[ "$(driver_of 0000:03:00.0)" = nouveau ]
	rm -r "$root/etc/pcipt"
	tree | diff -u "$BATS_TEST_TMPDIR/before" -
}

@test "a ledger left by a crash keeps the original drivers and is never overwritten unread" {
	setup_hook_host
	tree >"$BATS_TEST_TMPDIR/before"
	hook --root "$root" 101 pre-start
	expect_status 0
	# no post-stop (a crash), and the VM is started again: the drivers recorded stay nouveau
	hook --root "$root" 101 pre-start
	expect_status 0
	grep -q '^device 0000:03:00.0 nouveau 101:[0-9]*$' "$root/run/pcipt/ledger"
	chmod 644 "$root/run/pcipt/ledger"
	hook --root "$root" 101 pre-start
	expect_status 2
	grep -q "refusing it; remove it once the devices are where they belong" "$err"
	chmod 600 "$root/run/pcipt/ledger"
	hook --root "$root" 101 post-stop
	expect_status 0
	tree | diff -u "$BATS_TEST_TMPDIR/before" -
}

@test "the lock must be a regular file of ours: a file another user planted is refused" {
	setup_hook_host
	chown 65534 "$root/run/lock/pcipt.lock"
	hook --root "$root" 101 pre-start
	expect_status 1
	grep -q 'the lock .*pcipt.lock is not a regular file of uid [0-9]*; remove it' "$err"
	[ "$(driver_of 0000:03:00.0)" = nouveau ]
}

@test "post-stop beats a new_id that Proxmox's own binding left in vfio-pci" {
	setup_hook_host
	hook --root "$root" 101 pre-start
	expect_status 0
	# qemu-server's bind writes the ids to vfio-pci's new_id: a plain reprobe would land there
	mkdir -p "$root/.fakekernel" && printf '10de 1b80' >"$root/.fakekernel/newid-vfio-pci"
	hook --root "$root" 101 post-stop
	expect_status 0
	[ "$(driver_of 0000:03:00.0)" = nouveau ]
	[ "$(cat "$root/sys/bus/pci/devices/0000:03:00.0/driver_override")" = "(null)" ]
}

@test "kill -9 in the middle of binding: post-stop still restores from the ledger" {
	setup_hook_host
	printf 'bind_timeout = 60\n' >"$BATS_TEST_TMPDIR/pcipt.conf"
	tree >"$BATS_TEST_TMPDIR/before"
	PCIPT_FAKE_HANG_WRITE=5 "$PCIPT_HOOK_FAKE" --root "$root" --conf "$BATS_TEST_TMPDIR/pcipt.conf" \
		101 pre-start >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		[ "$(driver_of 0000:03:00.0)" = vfio-pci ] && break
		sleep 0.1
	done
	kill -9 "$pid"
	wait "$pid" || true
	pkill -9 -f "pcipt-hook-fake --root $root" || true
	[ "$(driver_of 0000:03:00.0)" = vfio-pci ]
	[ -e "$root/run/pcipt/ledger" ]
	hook --root "$root" 101 post-stop
	expect_status 0
	[ "$(driver_of 0000:03:00.0)" = nouveau ]
	[ "$(driver_of 0000:03:00.1)" = snd_hda_intel ]
	tree | diff -u "$BATS_TEST_TMPDIR/before" -
}

@test "a state file of the previous version that is corrupt, foreign or a link is refused and nothing is touched" {
	setup_hook_host
	hook --root "$root" 101 pre-start
	expect_status 0
	rm "$root/run/pcipt/ledger"
	printf 'pcipt-state 1\nvmid 101\ndevice 0000:03:00.0 nouveau\ndevice 0000:03:00.1 snd_hda_intel\n' >"$BATS_TEST_TMPDIR/good"
	cp "$BATS_TEST_TMPDIR/good" "$root/run/pcipt/101.state"
	chmod 644 "$root/run/pcipt/101.state"
	hook --root "$root" 101 post-stop
	expect_status 1
	grep -q "is not pcipt's (owner uid [0-9]*, mode 0644; expected uid [0-9]*, mode 0600); refusing it" "$err"
	[ "$(driver_of 0000:03:00.0)" = vfio-pci ]
	printf 'pcipt-state 1\nvmid 101\ndevice 0000:03:00.0 nouveau; rm -rf /\n' >"$root/run/pcipt/101.state"
	chmod 600 "$root/run/pcipt/101.state"
	hook --root "$root" 101 post-stop
	expect_status 1
	grep -q 'is corrupt (line 3: expected .device ADDRESS DRIVER.); refusing it' "$err"
	rm "$root/run/pcipt/101.state"
	ln -s "$BATS_TEST_TMPDIR/good" "$root/run/pcipt/101.state"
	hook --root "$root" 101 post-stop
	expect_status 1
	grep -q 'is a symbolic link; refusing it' "$err"
	[ "$(driver_of 0000:03:00.0)" = vfio-pci ]
}

@test "two hooks at once on the same group are serialised by the lock" {
	setup_hook_host
	cp "$root/etc/pve/qemu-server/101.conf" "$root/etc/pve/qemu-server/103.conf"
	"$PCIPT_HOOK_FAKE" --root "$root" 101 pre-start 2>"$BATS_TEST_TMPDIR/a" &
	a=$!
	"$PCIPT_HOOK_FAKE" --root "$root" 103 pre-start 2>"$BATS_TEST_TMPDIR/b" &
	b=$!
	wait "$a"
	wait "$b"
	# one of them bound the card; the other found it on vfio-pci and changed nothing; the
	# ledger keeps the host drivers, held by both
	[ "$(cat "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b" | grep -c ': write ')" -eq 6 ]
	grep -Eq '^device 0000:03:00.0 nouveau (101:[0-9]+ 103:[0-9]+|103:[0-9]+ 101:[0-9]+)$' "$root/run/pcipt/ledger"
	[ "$(driver_of 0000:03:00.0)" = vfio-pci ]
}

@test "a mapping with several alternatives: pre-start binds the one the checks judged, not the one another VM runs with" {
	build_host hook-mapping
	mkdir -p "$root/run/pcipt" "$root/run/lock" && chmod 700 "$root/run/pcipt"
	: >"$root/run/lock/pcipt.lock" && chmod 600 "$root/run/lock/pcipt.lock"
	hook --root "$root" 111 pre-start
	expect_status 0
	# the checks found no fault with the alternative they judged (VM 100's would be in-use)
	! grep -q 'error' "$err"
	[ "$(driver_of 0000:03:00.0)" = vfio-pci ]
	[ "$(driver_of 0000:03:00.1)" = vfio-pci ]
	[ "$(driver_of 0000:01:00.0)" = vfio-pci ]
	sed -E 's/ 111:[0-9]+$/ 111:T/' "$root/run/pcipt/ledger" |
		diff -u <(printf 'pcipt-ledger 1\ndevice 0000:03:00.0 nouveau 111:T\ndevice 0000:03:00.1 snd_hda_intel 111:T\n') -
	# VM 100 stops: the first alternative is free again, and both take it
	rm "$root/run/qemu-server/100.pid"
	hook --root "$root" 111 post-stop
	expect_status 0
	hook --root "$root" --dry-run 111 pre-start
	expect_status 0
	grep -q '^0000:01:00.0: ' "$out"
	! grep -q '0000:03:00' "$out"
}
