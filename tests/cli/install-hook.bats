#!/usr/bin/env bats
# pcipt-validate --install-hook VMID: a link in a storage's snippets directory to the installed
# pcipt-hook, then `qm set VMID --hookscript VOLUME` (a fake qm that records its arguments and
# edits the config as Proxmox would), and the hookscript check passing on the result.

load host_helpers

HOOK=/usr/lib/pcipt/pcipt-hook

setup() {
	# the base host (VM 100 passes every check), the hook installed where the package puts it
	build_host clean
	mkdir -p "$root/usr/lib/pcipt"
	printf '#!/bin/sh\n' >"$root$HOOK" && chmod 0755 "$root$HOOK"
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	cat >"$BATS_TEST_TMPDIR/bin/qm" <<'EOF'
#!/bin/sh
# qm set VMID --hookscript VOLUME
echo "$*" >>"$QM_LOG"
[ -z "$QM_FAIL" ] || exit 3
echo "hookscript: $4" >>"$FAKE_ROOT/etc/pve/qemu-server/$2.conf"
EOF
	chmod +x "$BATS_TEST_TMPDIR/bin/qm"
	export PATH=$BATS_TEST_TMPDIR/bin:$PATH QM_LOG=$BATS_TEST_TMPDIR/qm.log FAKE_ROOT=$root QM_FAIL=
	: >"$QM_LOG"
}

storage_cfg() {
	mkdir -p "$root/etc/pve"
	cat >"$root/etc/pve/storage.cfg"
}

@test "--install-hook links the snippet to the installed hook, runs qm set, and the VM then passes hookscript-missing" {
	storage_cfg <<'EOF'
dir: local
	path /var/lib/vz
	content iso,vztmpl,backup,snippets
EOF
	validate --root "$root" --install-hook 100
	expect_status 0
	[ "$(readlink "$root/var/lib/vz/snippets/pcipt-hook")" = "$HOOK" ]
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

@test "--install-hook picks the storage asked for, or the first that allows snippets when local does not" {
	storage_cfg <<'EOF'
dir: local
	path /var/lib/vz
	content iso,vztmpl,backup

nfs: nas
	server 192.0.2.10
	export /export/pve
	content snippets,iso

dir: scratch
	path /srv/scratch
	content snippets
EOF
	validate --root "$root" --install-hook 100
	expect_status 0
	[ "$(readlink "$root/mnt/pve/nas/snippets/pcipt-hook")" = "$HOOK" ]
	[ "$(cat "$QM_LOG")" = "set 100 --hookscript nas:snippets/pcipt-hook" ]
	validate --root "$root" --install-hook --storage scratch 101
	expect_status 2
	grep -q "no VM 101 on this node" "$err"
	sed -i '/^hookscript:/d' "$root/etc/pve/qemu-server/100.conf"
	validate --root "$root" --install-hook --storage scratch 100
	expect_status 0
	[ "$(readlink "$root/srv/scratch/snippets/pcipt-hook")" = "$HOOK" ]
	validate --root "$root" 100
	lacks_check hookscript-missing
}

@test "--install-hook refuses, changing nothing, when no storage allows snippets" {
	storage_cfg <<'EOF'
dir: local
	path /var/lib/vz
	content iso,vztmpl,backup

lvmthin: local-lvm
	thinpool data
	vgname pve
	content rootdir,images
EOF
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
	[ ! -e "$root/var/lib/vz/snippets/pcipt-hook" ]
	sed -i '/^hookscript:/d' "$root/etc/pve/qemu-server/100.conf"

	mkdir -p "$root/var/lib/vz/snippets"
	echo '#!/bin/sh' >"$root/var/lib/vz/snippets/pcipt-hook"
	validate --root "$root" --install-hook 100
	expect_status 2
	grep -qF "/var/lib/vz/snippets/pcipt-hook exists and is not a link to $HOOK" "$err"
	[ "$(cat "$root/var/lib/vz/snippets/pcipt-hook")" = '#!/bin/sh' ]
	rm "$root/var/lib/vz/snippets/pcipt-hook"

	rm "$root$HOOK"
	validate --root "$root" --install-hook 100
	expect_status 2
	grep -qF "pcipt-hook is not installed at $HOOK" "$err"
	[ ! -s "$QM_LOG" ]
}

@test "--install-hook takes the link back when qm fails, and says when there is no qm" {
	QM_FAIL=1 validate --root "$root" --install-hook 100
	expect_status 2
	grep -qF '`qm set 100 --hookscript local:snippets/pcipt-hook` failed (exit status 3)' "$err"
	[ ! -L "$root/var/lib/vz/snippets/pcipt-hook" ]
	rm "$BATS_TEST_TMPDIR/bin/qm"
	PATH=$BATS_TEST_TMPDIR/bin validate --root "$root" --install-hook 100
	expect_status 2
	grep -qF '`qm` was not found in PATH' "$err"
	[ ! -L "$root/var/lib/vz/snippets/pcipt-hook" ]
}

@test "--install-hook usage: one VMID, no other mode; --storage only with it" {
	validate --root "$root" --install-hook
	expect_status 2
	validate --root "$root" --install-hook 100 101
	expect_status 2
	validate --root "$root" --install-hook --offline 100
	expect_status 2
	validate --root "$root" --install-hook abc
	expect_status 2
	grep -qF "'abc' is not a VMID" "$err"
	validate --root "$root" --storage local 100
	expect_status 2
	grep -qF -- "--storage goes with --install-hook" "$err"
	[ ! -s "$QM_LOG" ]
}
