#!/usr/bin/env bats
# pcipt-validate --install-hook VMID: a link in a storage's snippets directory to the installed
# pcipt-hook, then `qm set VMID --hookscript VOLUME` (under --root: the stand-in PCIPT_QM names,
# here one that records its arguments and edits the config as Proxmox would), and the
# hookscript check passing on the result.

load host_helpers

HOOK=/usr/lib/pcipt/pcipt-hook

setup() {
	# the base host (VM 100 passes every check), the hook installed where the package puts it
	build_host clean
	mkdir -p "$root/usr/lib/pcipt" "$root/var/lib/vz"
	printf '#!/bin/sh\n' >"$root$HOOK" && chmod 0755 "$root$HOOK"
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	cat >"$BATS_TEST_TMPDIR/bin/qm" <<'EOF2'
#!/bin/sh
# qm set VMID --hookscript VOLUME
echo "$*" >>"$QM_LOG"
[ -z "$QM_FAIL" ] || exit 3
echo "hookscript: $4" >>"$FAKE_ROOT/etc/pve/qemu-server/$2.conf"
EOF2
	chmod +x "$BATS_TEST_TMPDIR/bin/qm"
	export PCIPT_QM=$BATS_TEST_TMPDIR/bin/qm QM_LOG=$BATS_TEST_TMPDIR/qm.log FAKE_ROOT=$root QM_FAIL=
	: >"$QM_LOG"
}

storage_cfg() {
	mkdir -p "$root/etc/pve"
	cat >"$root/etc/pve/storage.cfg"
}

@test "--install-hook links the snippet to the installed hook, runs qm set, and the VM then passes hookscript-missing" {
	storage_cfg <<'EOF2'
dir: local
	path /var/lib/vz
	content iso,vztmpl,backup,snippets
EOF2
	validate --root "$root" --install-hook 100
	expect_status 0
	[ "$(readlink "$root/var/lib/vz/snippets/pcipt-hook")" = "$HOOK" ]
	[ "$(stat -c %a "$root/var/lib/vz/snippets")" = 755 ]
	[ "$(cat "$QM_LOG")" = "set 100 --hookscript local:snippets/pcipt-hook" ]
	grep -qx "linked /var/lib/vz/snippets/pcipt-hook -> $HOOK" "$out"
	grep -qx "ran qm set 100 --hookscript local:snippets/pcipt-hook" "$out"
	# the link's absolute target is read under --root, not on the machine running the test
	validate --root "$root" 100
	expect_status 0
	lacks_check hookscript-missing
	rm "$root$HOOK"
	validate --root "$root" 100
	expect_status 1
	grep -qF "hookscript local:snippets/pcipt-hook: /var/lib/vz/snippets/pcipt-hook does not exist" "$out"
}

@test "--install-hook a second time changes nothing and runs no qm" {
	validate --root "$root" --install-hook 100
	expect_status 0
	cp "$root/etc/pve/qemu-server/100.conf" "$BATS_TEST_TMPDIR/before.conf"
	: >"$QM_LOG"
	validate --root "$root" --install-hook 100
	expect_status 0
	[ ! -s "$QM_LOG" ]
	cmp "$BATS_TEST_TMPDIR/before.conf" "$root/etc/pve/qemu-server/100.conf"
	grep -qx "VM 100 already has hookscript: local:snippets/pcipt-hook" "$out"
}

@test "under --root without PCIPT_QM, the node's qm is never run: the command is printed" {
	PCIPT_QM= validate --root "$root" --install-hook 100
	expect_status 0
	unset PCIPT_QM
	validate --root "$root" --install-hook 100
	expect_status 0
	grep -qx "not run under --root (run it on the node): qm set 100 --hookscript local:snippets/pcipt-hook" "$out"
	[ ! -s "$QM_LOG" ]
	no_match '^hookscript:' "$root/etc/pve/qemu-server/100.conf"
	[ -L "$root/var/lib/vz/snippets/pcipt-hook" ]
}

@test "--install-hook picks local, else an unshared storage of this node, and refuses an unmounted network storage" {
	mkdir -p "$root/srv/scratch" "$root/srv/elsewhere" "$root/mnt/pve/nas"
	storage_cfg <<'EOF2'
dir: local
	path /var/lib/vz
	content iso,vztmpl,backup

nfs: nas
	server 192.0.2.10
	export /export/pve
	content snippets,iso

dir: elsewhere
	path /srv/elsewhere
	content snippets
	nodes pve2,pve3

dir: scratch
	path /srv/scratch
	content snippets
EOF2
	validate --root "$root" --install-hook 100
	expect_status 0
	[ "$(readlink "$root/srv/scratch/snippets/pcipt-hook")" = "$HOOK" ]
	[ "$(cat "$QM_LOG")" = "set 100 --hookscript scratch:snippets/pcipt-hook" ]
	validate --root "$root" 100
	lacks_check hookscript-missing
	sed -i '/^hookscript:/d' "$root/etc/pve/qemu-server/100.conf"
	# /mnt/pve/nas is an empty directory here, not a mount: a link there would hide under it
	validate --root "$root" --install-hook --storage nas 100
	expect_status 2
	grep -qF "storage 'nas' (nfs) is not mounted at /mnt/pve/nas" "$err"
	[ ! -e "$root/mnt/pve/nas/snippets" ]
	validate --root "$root" --install-hook --storage elsewhere 100
	expect_status 2
	grep -qF "storage 'elsewhere' is not available on node pve (nodes pve2,pve3)" "$err"
	validate --root "$root" --install-hook --storage scratch 101
	expect_status 2
	grep -qF "no VM 101 on this node" "$err"
}

@test "--install-hook puts the link where content-dirs sends snippets, and the check finds it there" {
	mkdir -p "$root/var/lib/vz/custom"
	storage_cfg <<'EOF2'
dir: local
	path /var/lib/vz
	content snippets,iso
	content-dirs snippets=custom/hooks,iso=isos
EOF2
	validate --root "$root" --install-hook 100
	expect_status 0
	[ "$(readlink "$root/var/lib/vz/custom/hooks/pcipt-hook")" = "$HOOK" ]
	validate --root "$root" 100
	expect_status 0
	lacks_check hookscript-missing
}

@test "--install-hook stays inside --root: a storage directory that links out of it is not followed out" {
	mkdir -p "$BATS_TEST_TMPDIR/outside"
	rmdir "$root/var/lib/vz"
	ln -s "$BATS_TEST_TMPDIR/outside" "$root/var/lib/vz"
	validate --root "$root" --install-hook 100
	expect_status 2
	grep -qF "/var/lib/vz, the directory of storage 'local', No such file or directory" "$err"
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/outside")" ]
	[ ! -s "$QM_LOG" ]
}

@test "--install-hook refuses, changing nothing, when no storage allows snippets" {
	storage_cfg <<'EOF2'
dir: local
	path /var/lib/vz
	content iso,vztmpl,backup

lvmthin: local-lvm
	thinpool data
	vgname pve
	content rootdir,images
EOF2
	validate --root "$root" --install-hook 100
	expect_status 2
	grep -qF 'no storage of this node allows snippets' "$err"
	grep -qF '`pvesm set local --content iso,vztmpl,backup,snippets`' "$err"
	[ ! -e "$root/var/lib/vz/snippets" ]
	[ ! -s "$QM_LOG" ]
	validate --root "$root" --install-hook --storage local-lvm 100
	expect_status 2
	grep -qF "storage 'local-lvm' (lvmthin) holds no files" "$err"
	validate --root "$root" --install-hook --storage nope 100
	expect_status 2
	grep -qF "no storage 'nope' in /etc/pve/storage.cfg" "$err"
}

@test "--install-hook leaves another hookscript, another file at the snippet path, and a missing hook alone" {
	echo "hookscript: local:snippets/mine.pl" >>"$root/etc/pve/qemu-server/100.conf"
	validate --root "$root" --install-hook 100
	expect_status 2
	grep -qF "VM 100 already has the hookscript local:snippets/mine.pl" "$err"
	grep -qF '`qm set 100 --delete hookscript`' "$err"
	[ ! -e "$root/var/lib/vz/snippets" ]
	sed -i '/^hookscript:/d' "$root/etc/pve/qemu-server/100.conf"

	mkdir -p "$root/var/lib/vz/snippets"
	echo '#!/bin/sh' >"$root/var/lib/vz/snippets/pcipt-hook"
	validate --root "$root" --install-hook 100
	expect_status 2
	grep -qF "/var/lib/vz/snippets/pcipt-hook exists and is not a link to $HOOK" "$err"
	[ "$(cat "$root/var/lib/vz/snippets/pcipt-hook")" = '#!/bin/sh' ]
	rm -r "$root/var/lib/vz/snippets"

	rm "$root$HOOK"
	validate --root "$root" --install-hook 100
	expect_status 2
	grep -qF "pcipt-hook is not installed at $HOOK" "$err"
	[ ! -s "$QM_LOG" ]
}

@test "--install-hook takes back the link and the directory it made when qm fails, and says when there is no qm" {
	QM_FAIL=1 validate --root "$root" --install-hook 100
	expect_status 2
	grep -qF '`qm set 100 --hookscript local:snippets/pcipt-hook` failed (exit status 3)' "$err"
	[ ! -e "$root/var/lib/vz/snippets" ]
	# a snippets directory that was there stays, with what else it holds
	mkdir -p "$root/var/lib/vz/snippets" && : >"$root/var/lib/vz/snippets/other.sh"
	QM_FAIL=1 validate --root "$root" --install-hook 100
	expect_status 2
	[ ! -L "$root/var/lib/vz/snippets/pcipt-hook" ] && [ -e "$root/var/lib/vz/snippets/other.sh" ]
	PCIPT_QM=$BATS_TEST_TMPDIR/no-such-qm validate --root "$root" --install-hook 100
	expect_status 2
	grep -qF "was not found: is this a Proxmox VE node?" "$err"
	[ ! -L "$root/var/lib/vz/snippets/pcipt-hook" ]
}

@test "--install-hook usage: one VMID, no other mode or output option; --storage only with it" {
	local bad
	validate --root "$root" --install-hook
	expect_status 2
	validate --root "$root" --install-hook 100 101
	expect_status 2
	for bad in --offline --all --host --groups --check-rules --quiet "--format=json" \
		"--color=never" "--rules=/dev/null" "--conf=/dev/null"; do
		validate --root "$root" --install-hook "$bad" 100
		expect_status 2 || { echo "with $bad"; return 1; }
	done
	validate --root "$root" --install-hook abc
	expect_status 2
	grep -qF "'abc' is not a VMID" "$err"
	validate --root "$root" --storage local 100
	expect_status 2
	grep -qF -- "--storage goes with --install-hook" "$err"
	[ ! -s "$QM_LOG" ]
	[ ! -e "$root/var/lib/vz/snippets" ]
}
