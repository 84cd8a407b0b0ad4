#!/usr/bin/env bats
# pcipt-hook across runs: the per-device ledger.  A device goes back to its host driver when
# the last VM holding it stops, whatever failed or crashed in between, and whatever pcipt.conf
# says by then; a run that leaves a device it should have given back exits non-zero naming it.

load hook_helpers

card_on_host_drivers() {
	[ "$(driver_of 0000:03:00.0)" = nouveau ] && [ "$(driver_of 0000:03:00.1)" = snd_hda_intel ] || {
		echo "03:00.0 on $(driver_of 0000:03:00.0), 03:00.1 on $(driver_of 0000:03:00.1)"
		return 1
	}
}

card_on_vfio() {
	[ "$(driver_of 0000:03:00.0)" = vfio-pci ] && [ "$(driver_of 0000:03:00.1)" = vfio-pci ] || {
		echo "03:00.0 on $(driver_of 0000:03:00.0), 03:00.1 on $(driver_of 0000:03:00.1)"
		return 1
	}
}

@test "a failed post-stop, then a failed start: the next post-stop still gives the card back" {
	setup_hook_host
	tree >"$BATS_TEST_TMPDIR/before"
	hook --root "$root" 101 pre-start
	expect_status 0
	card_on_vfio
	# post-stop gives 03:00.1 back first (4 writes), then fails on 03:00.0's first write
	PCIPT_FAKE_FAIL_WRITE=5 hook --root "$root" 101 post-stop
	expect_status 1
	grep -q '0000:03:00.0' "$err"
	[ "$(driver_of 0000:03:00.0)" = vfio-pci ]
	# the VM is started again, and its first write fails: the start is refused
	PCIPT_FAKE_FAIL_WRITE=1 hook --root "$root" 101 pre-start
	expect_status 1
	hook --root "$root" 101 post-stop
	expect_status 0
	card_on_host_drivers
	tree | diff -u "$BATS_TEST_TMPDIR/before" -
}

@test "two VMs pass one card: it goes back to its host drivers only when the last of them stops" {
	setup_hook_host
	cp "$root/etc/pve/qemu-server/101.conf" "$root/etc/pve/qemu-server/103.conf"
	tree >"$BATS_TEST_TMPDIR/before"
	hook --root "$root" 101 pre-start
	expect_status 0
	# 103 starts before 101's QEMU or reservation exists (Proxmox reserves after pre-start)
	hook --root "$root" 103 pre-start
	expect_status 0
	card_on_vfio
	hook --root "$root" 101 post-stop
	expect_status 0
	card_on_vfio # 103 still holds it
	hook --root "$root" 103 post-stop
	expect_status 0
	card_on_host_drivers
	tree | diff -u "$BATS_TEST_TMPDIR/before" -
}

@test "20 VMs on one card: 20 pre-starts and then 20 post-stops at once leave it on its host drivers" {
	setup_hook_host
	for vmid in $(seq 110 129); do
		cp "$root/etc/pve/qemu-server/101.conf" "$root/etc/pve/qemu-server/$vmid.conf"
	done
	tree >"$BATS_TEST_TMPDIR/before"
	pids=()
	for vmid in $(seq 110 129); do
		"$PCIPT_HOOK_FAKE" --root "$root" "$vmid" pre-start >/dev/null 2>&1 &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	card_on_vfio
	pids=()
	for vmid in $(seq 110 129); do
		"$PCIPT_HOOK_FAKE" --root "$root" "$vmid" post-stop >"$BATS_TEST_TMPDIR/$vmid.out" 2>&1 &
		pids+=($!)
	done
	failed=0
	for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
	[ "$failed" -eq 0 ] || { cat "$BATS_TEST_TMPDIR"/1[12]?.out; false; }
	card_on_host_drivers
	tree | diff -u "$BATS_TEST_TMPDIR/before" -
}

@test "post-stop finds what pre-start recorded whatever pcipt.conf says by then" {
	setup_hook_host
	printf 'state_dir = /run/pcipt-custom\n' >"$BATS_TEST_TMPDIR/pcipt.conf"
	hook --root "$root" --conf "$BATS_TEST_TMPDIR/pcipt.conf" 101 pre-start
	expect_status 0
	card_on_vfio
	printf 'state_dir = {\n' >"$BATS_TEST_TMPDIR/pcipt.conf"
	hook --root "$root" --conf "$BATS_TEST_TMPDIR/pcipt.conf" 101 post-stop
	expect_status 0
	card_on_host_drivers
}

@test "a pcipt.conf that still sets state_dir or lock_file is warned about; the ledger and the lock stay at their places" {
	setup_hook_host
	printf 'state_dir = /run/pcipt-custom\nlock_file = /run/custom.lock\n' >"$BATS_TEST_TMPDIR/pcipt.conf"
	hook --root "$root" --conf "$BATS_TEST_TMPDIR/pcipt.conf" 101 pre-start
	expect_status 0
	grep -q "state_dir is no longer read" "$err"
	grep -q "lock_file is no longer read" "$err"
	[ ! -e "$root/run/pcipt-custom" ] && [ ! -e "$root/run/custom.lock" ]
	[ -f "$root/run/pcipt/ledger" ]
	hook --root "$root" 101 post-stop
	expect_status 0
	card_on_host_drivers
}

@test "a holder that died without a post-stop is reaped by a later run once its grace period is over" {
	setup_hook_host
	hook --root "$root" 101 pre-start
	expect_status 0
	# VM 101's start failed after pre-start (Proxmox runs no post-stop then); 5 minutes on
	sed -i -E 's/ 101:[0-9]+/ 101:1000/' "$root/run/pcipt/ledger"
	grep -q ' 101:1000' "$root/run/pcipt/ledger"
	# any later run gives the card back: here another VM's start that passes nothing of it
	hook --root "$root" 102 pre-start
	card_on_host_drivers
	grep -q 'VM 101 .*no longer' "$err"
}

@test "a holder whose QEMU runs is live however long ago it started" {
	setup_hook_host
	hook --root "$root" 101 pre-start
	expect_status 0
	sed -i -E 's/ 101:[0-9]+/ 101:1000/' "$root/run/pcipt/ledger"
	# VM 101 runs: its pid file names a process whose command line is VM 101's QEMU
	mkdir -p "$root/run/qemu-server" "$root/proc/4711"
	echo 4711 >"$root/run/qemu-server/101.pid"
	printf '/usr/bin/kvm\0-id\000101\0-name\0gpu\0' >"$root/proc/4711/cmdline"
	hook --root "$root" 102 pre-start
	card_on_vfio
	rm "$root/run/qemu-server/101.pid"
	hook --root "$root" 101 post-stop
	expect_status 0
	card_on_host_drivers
}

@test "a ledger that is corrupt, foreign or a link is refused and nothing is touched" {
	setup_hook_host
	hook --root "$root" 101 pre-start
	expect_status 0
	cp "$root/run/pcipt/ledger" "$BATS_TEST_TMPDIR/good"
	chmod 644 "$root/run/pcipt/ledger"
	hook --root "$root" 101 post-stop
	expect_status 1
	grep -q "is not pcipt's (owner uid [0-9]*, mode 0644; expected uid [0-9]*, mode 0600); refusing it" "$err"
	card_on_vfio
	printf 'pcipt-ledger 1\ndevice 0000:03:00.0 nouveau; rm -rf /\n' >"$root/run/pcipt/ledger"
	chmod 600 "$root/run/pcipt/ledger"
	hook --root "$root" 101 post-stop
	expect_status 1
	grep -q 'ledger is corrupt (line 2: ' "$err"
	rm "$root/run/pcipt/ledger"
	ln -s "$BATS_TEST_TMPDIR/good" "$root/run/pcipt/ledger"
	hook --root "$root" 101 post-stop
	expect_status 1
	grep -q 'is a symbolic link; refusing it' "$err"
	card_on_vfio
	rm "$root/run/pcipt/ledger" && cp "$BATS_TEST_TMPDIR/good" "$root/run/pcipt/ledger"
	chmod 600 "$root/run/pcipt/ledger"
	hook --root "$root" 101 post-stop
	expect_status 0
	card_on_host_drivers
}

@test "a state file of the previous version is taken over: post-stop after an upgrade gives the card back" {
	setup_hook_host
	tree >"$BATS_TEST_TMPDIR/before"
	# what pcipt 0.1's pre-start left: the card on vfio-pci and 101.state
	hook --root "$root" 101 pre-start
	expect_status 0
	rm "$root/run/pcipt/ledger"
	printf 'pcipt-state 1\nvmid 101\ndevice 0000:03:00.0 nouveau\ndevice 0000:03:00.1 snd_hda_intel\n' \
		>"$root/run/pcipt/101.state"
	chmod 600 "$root/run/pcipt/101.state"
	hook --root "$root" 101 post-stop
	expect_status 0
	card_on_host_drivers
	tree | diff -u "$BATS_TEST_TMPDIR/before" -
}
