#!/usr/bin/env bats
# pcipt-hook's pre-start has a deadline of its own (prestart_deadline): no read or write, and
# no wait for the lock, may hold a start (and the lock) forever.  Proxmox waits for a
# hookscript without any limit.

load hook_helpers

setup_deadline_host() {
	setup_hook_host
	printf 'prestart_deadline = 10\n' >"$BATS_TEST_TMPDIR/pcipt.conf"
}

@test "a read of the host that never returns: pre-start refuses at prestart_deadline, untouched, and the lock is free again" {
	setup_deadline_host
	t0=$(date +%s)
	PCIPT_FAKE_HANG_READ=1 timeout 60 "$PCIPT_HOOK_FAKE" --root "$root" \
		--conf "$BATS_TEST_TMPDIR/pcipt.conf" 101 pre-start >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" ||
		status=$?
	t1=$(date +%s)
	[ "${status:-0}" -eq 1 ] || { echo "exit ${status:-0}"; cat "$BATS_TEST_TMPDIR/err"; return 1; }
	[ $((t1 - t0)) -ge 9 ] && [ $((t1 - t0)) -le 30 ]
	grep -q 'VM 101 must not start: pre-start did not finish within 10 s (prestart_deadline)' "$BATS_TEST_TMPDIR/err"
	[ "$(driver_of 0000:03:00.0)" = nouveau ]
	# the stuck child kept no lock: the next start goes through at once
	t0=$(date +%s)
	hook --root "$root" --conf "$BATS_TEST_TMPDIR/pcipt.conf" 101 pre-start
	expect_status 0
	[ $(($(date +%s) - t0)) -le 8 ]
	[ "$(driver_of 0000:03:00.0)" = vfio-pci ]
	pkill -9 -f "pcipt-hook-fake --root $root" || true
}

@test "the wait for the lock counts against prestart_deadline" {
	setup_deadline_host
	flock "$root/run/lock/pcipt.lock" sleep 40 &
	holder=$!
	sleep 0.5
	t0=$(date +%s)
	status=0
	timeout 60 "$PCIPT_HOOK_FAKE" --root "$root" --conf "$BATS_TEST_TMPDIR/pcipt.conf" 101 pre-start \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" || status=$?
	t1=$(date +%s)
	kill "$holder" 2>/dev/null || true
	wait "$holder" 2>/dev/null || true
	[ "$status" -eq 1 ] || { echo "exit $status"; cat "$BATS_TEST_TMPDIR/err"; return 1; }
	[ $((t1 - t0)) -ge 9 ] && [ $((t1 - t0)) -le 30 ]
	grep -q 'another pcipt-hook has held .*pcipt.lock for 10 s' "$BATS_TEST_TMPDIR/err"
	[ "$(driver_of 0000:03:00.0)" = nouveau ]
}

@test "a write stuck in the kernel past its timeout does not keep the lock: the next hook runs at once" {
	setup_hook_host
	printf 'bind_timeout = 1\n' >"$BATS_TEST_TMPDIR/pcipt.conf"
	PCIPT_FAKE_HANG_WRITE=2 hook --root "$root" --conf "$BATS_TEST_TMPDIR/pcipt.conf" 101 pre-start
	expect_status 1
	grep -q 'did not finish within 1 s' "$err"
	t0=$(date +%s)
	status=0
	timeout 25 "$PCIPT_HOOK_FAKE" --root "$root" --conf "$BATS_TEST_TMPDIR/pcipt.conf" 101 post-stop \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" || status=$?
	[ "$status" -eq 0 ] || { echo "exit $status"; cat "$BATS_TEST_TMPDIR/err"; return 1; }
	[ $(($(date +%s) - t0)) -le 8 ]
	[ "$(driver_of 0000:03:00.0)" = nouveau ]
	pkill -f "pcipt-hook-fake --root $root" || true
}
