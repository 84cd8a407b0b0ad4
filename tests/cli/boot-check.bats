#!/usr/bin/env bats
# The boot check: before Proxmox starts the onboot VMs, pcipt-boot-check.service checks them
# (`--all --onboot`), logs each finding through syslog with the VM and the check in the message
# (`--syslog`), keeps the drift since the previous boot (`--boot-diff`) and publishes the node's
# snapshot (`--publish`).

load host_helpers

top=$BATS_TEST_DIRNAME/../..

setup_file() {
	export DEST=$BATS_FILE_TMPDIR/dest
	make -s -C "$top" install DESTDIR="$DEST" >"$BATS_FILE_TMPDIR/make.log" 2>&1 ||
		{ cat "$BATS_FILE_TMPDIR/make.log"; return 1; }
	export UNIT=$DEST/lib/systemd/system/pcipt-boot-check.service
}

@test "--all --onboot: the findings --all has for the VMs that start with the node (onboot: 1, on), exit 1" {
	host_scenario onboot 1
	# VM 102 (no onboot), 103 (onboot: 0) and 105 (onboot: maybe, a line Proxmox drops) have
	# findings under --all, none of them here
	validate --root "$root" --all
	expect_status 1
	grep -q "^/etc/pve/qemu-server/102.conf:1: warning: .*\[device-shared\]$" "$out"
	grep -q "^/etc/pve/qemu-server/103.conf:1: error: .*\[device-missing\]$" "$out"
	grep -q "^/etc/pve/qemu-server/105.conf:1: error: .*\[device-missing\]$" "$out"
	# the same findings of 101 and 104, in the same order
	grep -E "^/etc/pve/qemu-server/10[14]\.conf:" "$out" >"$BATS_TEST_TMPDIR/all"
	grep -E "^/etc/pve/qemu-server/" "$HOST_FIXTURES/onboot/expected.txt" |
		diff -u - "$BATS_TEST_TMPDIR/all"
}

@test "--all --onboot: errors of VMs that do not start at boot leave the exit status 0" {
	build_host onboot
	sed -i '/^onboot:/d' "$root/etc/pve/qemu-server/101.conf" "$root/etc/pve/qemu-server/104.conf"
	validate --root "$root" --all --onboot
	expect_status 0
	[ ! -s "$out" ] || { cat "$out"; return 1; }
	[ ! -s "$err" ] || { cat "$err"; return 1; }
	# JSON: an empty list
	validate --root "$root" --all --onboot --format json
	expect_status 0
	[ "$(cat "$out")" = '{"findings":[],"summary":{"errors":0,"warnings":0,"infos":0}}' ]
}

@test "--all --onboot keeps the host's findings (they stop every VM) and the configs it cannot read" {
	host_scenario iommu-disabled-firmware 1
	grep -q "^/etc/pve/qemu-server/100.conf:1: warning: " "$out"
	validate --root "$root" --all --onboot
	expect_status 1
	# VM 100 does not start at boot; the IOMMU that is off is said all the same
	has_check iommu-disabled
	no_match "^/etc/pve/qemu-server/100.conf" "$out"
	# a config that cannot be read may be one that starts at boot: said, exit 2 as --all
	build_host onboot
	printf 'onboot: 1\n\0\n' >"$root/etc/pve/qemu-server/106.conf"
	validate --root "$root" --all --onboot
	expect_status 2
	grep -q "^/etc/pve/qemu-server/106.conf:2: error: cannot read this file: .*\[config-syntax\]$" "$out"
	grep -q "^/etc/pve/qemu-server/101.conf:1: error: .*\[group-isolation\]$" "$out"
	no_match "^/etc/pve/qemu-server/10[235]\.conf" "$out"
}

@test "--onboot goes with --all against the host: alone, --offline, VMIDs and other modes are usage errors" {
	build_host onboot
	local args
	for args in "--onboot" "--onboot 101" "--offline --all --onboot" "--onboot --config x.conf" \
		"--onboot --host" "--onboot --groups" "--onboot --all-nodes" "--onboot --boot-diff" \
		"--onboot --snapshot"; do
		# shellcheck disable=SC2086 # args is a list of words
		validate --root "$root" $args
		[ "$status" -eq 2 ] || { echo "$args: exit $status"; cat "$out" "$err"; return 1; }
		[ ! -s "$out" ] || { echo "$args:"; cat "$out"; return 1; }
		grep -q "^Try 'pcipt-validate --help' for more information.$" "$err"
	done
	validate --root "$root" --onboot
	grep -qx "pcipt-validate: --onboot goes with --all, against the host (not --offline)" "$err"
}

# --- --syslog: through glibc's syslog(3) to /dev/log, as under journald --------------------

# syslog_ns: the command that makes a mount namespace where syslog_ns.py may mount /dev (as
# root, or as a user where user namespaces are allowed); skips the test where none can be made
syslog_ns() {
	if unshare -m true 2>/dev/null; then
		ns=(unshare -m)
	elif unshare -rm true 2>/dev/null; then
		ns=(unshare -rm)
	else
		skip "no mount namespace can be made here (unshare -m, unshare -rm) for a /dev/log of the test's own"
	fi
}

# with_syslog ARGS...: pcipt-validate ARGS with stdout in $out, stderr in $err, the exit status
# in $status, and what it sent to syslog in $log, one message a line as "PRIORITY MESSAGE"
with_syslog() {
	local ns sent=$BATS_TEST_TMPDIR/syslog.raw
	syslog_ns
	out=$BATS_TEST_TMPDIR/stdout err=$BATS_TEST_TMPDIR/stderr log=$BATS_TEST_TMPDIR/syslog
	status=0
	: >"$sent"
	"${ns[@]}" python3 "$BATS_TEST_DIRNAME/syslog_ns.py" "$sent" "$PCIPT_VALIDATE" "$@" \
		>"$out" 2>"$err" || status=$?
	# "<27>Dec  3 09:01:53 pcipt-validate[29153]: MESSAGE": LOG_DAEMON (24) + the level
	sed -E 's/^<([0-9]+)>[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} pcipt-validate\[[0-9]+\]: /\1 /' \
		"$sent" >"$log"
	if grep -vqE '^[0-9]+ ' "$log"; then
		echo "not a message of pcipt-validate:"; cat "$sent"; return 1
	fi
}

@test "--all --onboot --syslog: one message per finding of a VM that starts at boot, naming the VM, its line's key and the check, at the severity's priority; stdout empty" {
	build_host onboot
	with_syslog --root "$root" --all --onboot --syslog
	expect_status 1
	[ ! -s "$out" ] || { cat "$out"; return 1; }
	[ ! -s "$err" ] || { cat "$err"; return 1; }
	# LOG_DAEMON: 27 err, 28 warning, 29 notice, 30 info
	grep -qx "27 VM 101 hostpci0: \[group-isolation\] 0000:00:1f.3 (Intel Corporation Cannon Lake PCH cAVS) shares IOMMU group 9 with .*" "$log"
	grep -qx "27 VM 104 hostpci0: \[pcie-needs-q35\] hostpci0 sets pcie=1 but the machine type is the default i440fx (pc); .*" "$log"
	grep -qx "28 VM 104 hostpci0: \[device-shared\] 0000:01:00 is also passed to VM 100 by hostpci0 .*" "$log"
	# the summary last: the journal shows the check ran, and how to see the hints
	tail -n 1 "$log" | grep -qxF "29 pcipt-validate --root $root --all --onboot --syslog: 2 errors, 1 warning, 0 infos; without --syslog it prints each with its hint"
	[ "$(wc -l <"$log")" -eq 4 ]
	# the VMs that do not start at boot are not in the journal
	no_match "VM 10[235]" "$log"
	# what journalctl -u pcipt-boot-check | grep 'VM 101' finds
	[ "$(grep -c 'VM 101' "$log")" -eq 1 ]
}

@test "--syslog: the host's findings name their file, a device rule its id; -q errors only; a clean run logs its summary alone" {
	build_host iommu-disabled-firmware
	with_syslog --root "$root" --all --syslog
	expect_status 1
	grep -qx "27 /sys/class/iommu: \[iommu-disabled\] no IOMMU is active, and the firmware describes none .*" "$log"
	grep -qx "28 VM 100 hostpci0: \[nvidia-ignore-msrs\] NVIDIA GPU 0000:01:00.0 (NVIDIA Corporation GP104 \[GeForce GTX 1080\]) wants kvm.ignore_msrs=1" "$log"
	with_syslog --root "$root" --all --syslog -q
	expect_status 1
	no_match "nvidia-ignore-msrs" "$log"
	grep -q "^29 .*: 1 error, 0 warnings, 0 infos; " "$log"
	build_host clean
	with_syslog --root "$root" --all --syslog
	expect_status 0
	[ "$(cat "$log")" = "29 pcipt-validate --root $root --all --syslog: no findings" ]
	[ ! -s "$out" ] && [ ! -s "$err" ]
}

@test "--boot-diff --syslog: the drift since the previous boot, the broken VM named; the notes stay on stderr" {
	build_host onboot
	# the first boot: nothing to compare, the summary alone
	with_syslog --root "$root" --boot-diff --syslog
	expect_status 0
	grep -q "note: no snapshot of an earlier boot" "$err"
	[ "$(cat "$log")" = "29 pcipt-validate --root $root --boot-diff --syslog: no findings" ]
	# the previous boot had the SMBus and SPI controllers in a group of their own: a firmware
	# update merged them into the audio's, which VM 101 passes
	local kept=$root/var/lib/pcipt/last-boot.json
	jq -c '.pci.devices |= map(if .address == "0000:00:1f.4" or .address == "0000:00:1f.5"
			then .iommu_group = 20 else . end)
		| .iommu.groups |= (map(.devices -= ["0000:00:1f.4", "0000:00:1f.5"])
			+ [{number: 20, devices: ["0000:00:1f.4", "0000:00:1f.5"], regions_known: true,
			    regions: []}] | sort_by(.number))' "$kept" >"$kept.new"
	mv "$kept.new" "$kept"
	with_syslog --root "$root" --boot-diff --syslog
	expect_status 1
	grep -q "note: node pve as of .* compared with the machine now" "$err"
	grep -q "^27 VM 101: \[drift\] node pve: IOMMU groups merged into group 9 .*: VM 101 hostpci0: .*(group-isolation)$" "$log"
	tail -n 1 "$log" | grep -q "^29 pcipt-validate --root $root --boot-diff --syslog: 1 error, "
	[ ! -s "$out" ]
}

@test "--syslog goes with the checks of this node's VMs and host and the drift; no --format" {
	build_host onboot
	local args
	for args in "--offline --all" "--groups" "--snapshot" "--publish" "--all-nodes" \
		"--target pve 101" "--check-rules" "--install-hook 101" "--accept-identity 101" \
		"--all --format json" "--all --format text" "--boot-diff --format json"; do
		# shellcheck disable=SC2086 # args is a list of words
		validate --root "$root" --syslog $args
		[ "$status" -eq 2 ] || { echo "$args: exit $status"; cat "$out" "$err"; return 1; }
		[ ! -s "$out" ] || { echo "$args:"; cat "$out"; return 1; }
	done
	validate --root "$root" --syslog --groups
	grep -qx "pcipt-validate: --syslog logs the findings of VMIDs, --config, --all, --host, --node, --diff or --boot-diff" "$err"
	validate --root "$root" --syslog --all --format json
	grep -qx "pcipt-validate: --syslog logs each finding as one message: no --format" "$err"
}

# --- the unit ----------------------------------------------------------------------------------

@test "systemd-analyze verify has nothing to say of the installed units, in a root of the DESTDIR install with stand-ins for the units of systemd and Proxmox they name" {
	command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed (Debian package systemd)"
	local sysroot=$BATS_TEST_TMPDIR/sysroot u
	mkdir -p "$sysroot"
	cp -a "$DEST/." "$sysroot/"
	# neither Proxmox nor the units DefaultDependencies= adds are in that root: stand-ins where
	# the admin's units go, so the installed ones stay as the package installs them
	mkdir -p "$sysroot/etc/systemd/system"
	for u in sysinit.target basic.target shutdown.target timers.target multi-user.target; do
		printf '[Unit]\nDescription=stand-in for %s\n' "$u" >"$sysroot/etc/systemd/system/$u"
	done
	for u in pve-cluster.service pve-guests.service; do
		printf '[Unit]\nDescription=stand-in for %s\n[Service]\nType=oneshot\nExecStart=/bin/true\n' \
			"$u" >"$sysroot/etc/systemd/system/$u"
	done
	# MANPATH: the Documentation= pages are looked up among the installed ones
	run env MANPATH="$sysroot/usr/share/man" systemd-analyze verify --root="$sysroot" \
		/lib/systemd/system/pcipt-boot-check.service /lib/systemd/system/pcipt-publish.service \
		/lib/systemd/system/pcipt-publish.timer
	[ "$status" -eq 0 ] && [ -z "$output" ] || { echo "exit $status: $output"; return 1; }
	# verify does not look for the program of an ExecStart=- line: the installed one is there
	grep '^ExecStart=' "$UNIT" | sed -E 's/^ExecStart=-?([^ ]+).*/\1/' | sort -u >"$BATS_TEST_TMPDIR/programs"
	[ "$(cat "$BATS_TEST_TMPDIR/programs")" = /usr/sbin/pcipt-validate ]
	[ -x "$sysroot/usr/sbin/pcipt-validate" ]
	# and it does read this unit: a misspelt key is said
	sed -i 's/^Before=/Befor=/' "$sysroot/lib/systemd/system/pcipt-boot-check.service"
	run env MANPATH="$sysroot/usr/share/man" systemd-analyze verify --root="$sysroot" \
		/lib/systemd/system/pcipt-boot-check.service
	[[ $output == *"Unknown key 'Befor' in section [Unit]"* ]] || { echo "$output"; return 1; }
}

@test "the unit: before pve-guests starts the onboot VMs, after pmxcfs, wanted by pve-guests and never required, every command's exit status ignored, 120 s at most" {
	grep -qx "Type=oneshot" "$UNIT"
	grep -qx "After=pve-cluster.service" "$UNIT"
	grep -qx "Before=pve-guests.service" "$UNIT"
	grep -qx "WantedBy=pve-guests.service" "$UNIT"
	grep -qx "TimeoutStartSec=120" "$UNIT"
	no_match "^(Requires|RequiredBy|Requisite|BindsTo|PartOf)=" "$UNIT"
	# "-": systemd goes on to the next command, and the unit stays started, whatever one exits
	# with; the publish last, so a pmxcfs without quorum holds back neither the checks nor the
	# drift
	[ "$(grep -c '^ExecStart=' "$UNIT")" -eq 3 ]
	no_match "^ExecStart=[^-]" "$UNIT"
	grep '^ExecStart=' "$UNIT" | tail -n 1 | grep -qx "ExecStart=-/usr/sbin/pcipt-validate --publish"
}

# boot: run the ExecStart= commands of the installed unit in order over the fake host $root (with
# --root; the sanitizer build the tests use in the installed program's place), as systemd runs
# them at boot: each one's syslog messages, stdout and stderr appended to $journal (journald
# keeps all three for the unit), its exit status to $statuses
boot() {
	local line words
	statuses=
	while read -r line; do
		[[ $line == -/usr/sbin/pcipt-validate\ * ]] || { echo "not a pcipt-validate command: $line"; return 1; }
		read -ra words <<<"${line#-/usr/sbin/pcipt-validate }"
		with_syslog --root "$root" "${words[@]}"
		cat "$log" "$out" "$err" >>"$journal"
		statuses="$statuses $status"
	done < <(sed -n 's/^ExecStart=//p' "$UNIT")
}

@test "the unit's commands over a fake host, two boots with a firmware update between: the onboot VMs' findings in syslog by VM and check, the drift since the previous boot, the snapshot published" {
	build_host onboot
	journal=$BATS_TEST_TMPDIR/journal
	local published=$root/etc/pve/nodes/pve/pcipt-host.json kept=$root/var/lib/pcipt/last-boot.json
	: >"$journal"
	boot
	# errors in the onboot VMs (exit 1): said, and the next commands ran all the same
	[ "$statuses" = " 1 0 0" ] || { echo "exit statuses:$statuses"; cat "$journal"; return 1; }
	grep -q "^27 VM 101 hostpci0: \[group-isolation\] 0000:00:1f.3 " "$journal"
	grep -q "^27 VM 104 hostpci0: \[pcie-needs-q35\] " "$journal"
	grep -q "^28 VM 104 hostpci0: \[device-shared\] " "$journal"
	grep -q "note: no snapshot of an earlier boot in /var/lib/pcipt/last-boot.json" "$journal"
	grep -qx "published /etc/pve/nodes/pve/pcipt-host.json ([0-9]* bytes)" "$journal"
	[ -s "$kept" ] && [ -s "$published" ]

	# the firmware update: at the previous boot the SMBus and SPI controllers had a group of
	# their own; now they are in the audio's, which VM 101 passes
	jq -c '.pci.devices |= map(if .address == "0000:00:1f.4" or .address == "0000:00:1f.5"
			then .iommu_group = 20 else . end)
		| .iommu.groups |= (map(.devices -= ["0000:00:1f.4", "0000:00:1f.5"])
			+ [{number: 20, devices: ["0000:00:1f.4", "0000:00:1f.5"], regions_known: true,
			    regions: []}] | sort_by(.number))' "$kept" >"$kept.new"
	mv "$kept.new" "$kept"
	rm "$published"
	: >"$journal"
	boot
	[ "$statuses" = " 1 1 0" ] || { echo "exit statuses:$statuses"; cat "$journal"; return 1; }
	# what the admin greps for
	grep 'VM 101' "$journal" >"$BATS_TEST_TMPDIR/vm101"
	grep -q "^27 VM 101 hostpci0: \[group-isolation\] " "$BATS_TEST_TMPDIR/vm101"
	grep -q "^27 VM 101: \[drift\] node pve: IOMMU groups merged into group 9 " "$BATS_TEST_TMPDIR/vm101"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/vm101")" -eq 2 ]
	# nothing of the VMs that do not start at boot, whose checks --all would report
	no_match "VM 10[235]" "$journal"
	# each run's summary: the journal shows the checks and the drift ran
	grep -qF -- "--all --onboot --syslog: 2 errors, 1 warning, 0 infos; " "$journal"
	grep -qF -- "--boot-diff --syslog: 1 error, 0 warnings, 0 infos; " "$journal"
	# published again, and this boot's snapshot kept for the next
	[ -s "$published" ]
	grep -qx "published /etc/pve/nodes/pve/pcipt-host.json ([0-9]* bytes)" "$journal"
	jq -e '[.pci.devices[] | select(.address == "0000:00:1f.4") | .iommu_group] == [9]' "$kept"
}
