#!/usr/bin/env bats
# The Debian package: `make deb` builds it from an exported tree without git, lintian has
# nothing to say, and the programs, settings, rules and man pages it installs work from a
# scratch root.

load host_helpers

top=$BATS_TEST_DIRNAME/../..

setup_file() {
	# the package is built on Debian (apt-get build-dep ./packaging installs what it needs)
	command -v dpkg-buildpackage >/dev/null ||
		skip "dpkg-buildpackage is not installed: not a Debian machine"
	# the tree as `git archive` or a release tarball gives it: no .git, no build/, and no
	# git to run either
	local tree=$BATS_FILE_TMPDIR/pcipt nogit=$BATS_FILE_TMPDIR/nogit
	mkdir -p "$tree" "$nogit"
	tar -C "$top" --exclude=./.git --exclude=./build -cf - . | tar -xf - -C "$tree"
	printf '#!/bin/sh\necho "git $*: git is not installed" >&2\nexit 127\n' >"$nogit/git"
	chmod +x "$nogit/git"
	# not silent: the compiler commands of the package build stay in the log
	export DEB_LOG=$BATS_FILE_TMPDIR/deb.log
	if ! PATH=$nogit:$PATH make -C "$tree" deb >"$DEB_LOG" 2>&1; then
		tail -n 40 "$DEB_LOG"
		return 1
	fi
	export DEB_DIR=$tree/build/deb
	DEB=$(ls "$DEB_DIR"/pcipt_*_amd64.deb)
	export DEB
	export SCRATCH=$BATS_FILE_TMPDIR/scratch
	dpkg -x "$DEB" "$SCRATCH"
}

@test "the package build compiles without -Werror: a newer compiler's new warning does not fail it" {
	# every C file of the package build; Debian's own -Werror=format-security stays
	grep -E ' -c [a-z_/]+\.c -o ' "$DEB_LOG" >"$BATS_TEST_TMPDIR/compiles"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/compiles")" -ge 40 ] || { cat "$BATS_TEST_TMPDIR/compiles"; return 1; }
	grep -q -- ' -Wall -Wextra ' "$BATS_TEST_TMPDIR/compiles"
	no_match '(^|[[:space:]])-Werror([[:space:]]|$)' "$BATS_TEST_TMPDIR/compiles"
}

@test "the package holds the programs, conffiles, default rules, man pages and completions" {
	dpkg-deb -c "$DEB" | awk '{print $6}' | sed 's|^\./|/|' >"$BATS_TEST_TMPDIR/files"
	local f
	for f in /usr/sbin/pcipt-validate /usr/lib/pcipt/pcipt-hook /etc/pcipt/pcipt.conf \
		/etc/pcipt/rules.yaml /usr/share/pcipt/rules.default.yaml \
		/usr/share/man/man8/pcipt-validate.8.gz /usr/share/man/man8/pcipt-hook.8.gz \
		/usr/share/man/man5/pcipt-rules.5.gz /usr/share/man/man5/pcipt.conf.5.gz \
		/usr/share/man/man5/pcipt-snapshot.5.gz /lib/systemd/system/pcipt-publish.service \
		/lib/systemd/system/pcipt-publish.timer /lib/systemd/system/pcipt-boot-check.service \
		/usr/share/bash-completion/completions/pcipt-validate \
		/usr/share/bash-completion/completions/pcipt-hook /usr/share/doc/pcipt/copyright \
		/var/lib/pcipt/; do
		grep -qx "$f" "$BATS_TEST_TMPDIR/files" || { echo "missing: $f"; return 1; }
	done
	# the admin's edits of both /etc/pcipt files survive upgrades
	dpkg-deb -e "$DEB" "$BATS_TEST_TMPDIR/control"
	printf '/etc/pcipt/pcipt.conf\n/etc/pcipt/rules.yaml\n' | diff -u - <(sort "$BATS_TEST_TMPDIR/control/conffiles")
	dpkg-deb -f "$DEB" Package Version Architecture | diff -u - <(printf 'Package: pcipt\nVersion: 0.1.0-1\nArchitecture: amd64\n')
	dpkg-deb -f "$DEB" Depends | grep -q 'libpci3'
	# the boot check is enabled by the installation, not started by it
	grep -q 'deb-systemd-helper.*enable.*pcipt-boot-check.service' "$BATS_TEST_TMPDIR/control/postinst"
	no_match 'deb-systemd-invoke.*start.*pcipt-boot-check' "$BATS_TEST_TMPDIR/control/postinst"
}

@test "the installed programs run: --version, and --check-rules on the installed rules.yaml" {
	run "$SCRATCH/usr/sbin/pcipt-validate" --version
	[ "$status" -eq 0 ]
	[ "$output" = "pcipt-validate 0.1.0" ]
	run "$SCRATCH/usr/lib/pcipt/pcipt-hook" --version
	[ "$status" -eq 0 ]
	[ "$output" = "pcipt-hook 0.1.0" ]
	run "$SCRATCH/usr/sbin/pcipt-validate" --check-rules --rules "$SCRATCH/etc/pcipt/rules.yaml"
	[ "$status" -eq 0 ]
	[ "$output" = "$SCRATCH/etc/pcipt/rules.yaml: ok (37 checks configured, 7 device rules)" ]
	run "$SCRATCH/usr/sbin/pcipt-validate" --check-rules --rules "$SCRATCH/usr/share/pcipt/rules.default.yaml"
	[ "$status" -eq 0 ]
	# and the installed pcipt.conf is read as the host's
	run "$SCRATCH/usr/sbin/pcipt-validate" --root "$SCRATCH" --check-rules
	[ "$status" -eq 0 ]
	[ "$output" = "/etc/pcipt/rules.yaml: ok (37 checks configured, 7 device rules)" ]
}

@test "the installed man pages render without a warning" {
	local page
	for page in man8/pcipt-validate.8 man8/pcipt-hook.8 man5/pcipt-rules.5 man5/pcipt.conf.5 \
		man5/pcipt-snapshot.5; do
		LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=w -l "$SCRATCH/usr/share/man/$page.gz" \
			>"$BATS_TEST_TMPDIR/page" 2>"$BATS_TEST_TMPDIR/err"
		[ ! -s "$BATS_TEST_TMPDIR/err" ] || { echo "$page:"; cat "$BATS_TEST_TMPDIR/err"; return 1; }
		grep -q "pcipt 0.1.0" "$BATS_TEST_TMPDIR/page"
	done
}

@test "lintian reports no error and no warning" {
	lintian --fail-on error,warning "$DEB_DIR"/pcipt_*_amd64.changes >"$BATS_TEST_TMPDIR/lintian" 2>&1 ||
		{ cat "$BATS_TEST_TMPDIR/lintian"; return 1; }
	no_match '^[EW]: ' "$BATS_TEST_TMPDIR/lintian"
}

@test "on a fake host, the packaged --install-hook registers the packaged hook and the VM passes its checks" {
	build_host clean
	dpkg -x "$DEB" "$root"
	# `validate` runs the packaged program from here on
	PCIPT_VALIDATE=$root/usr/sbin/pcipt-validate
	mkdir -p "$BATS_TEST_TMPDIR/bin" "$root/var/lib/vz"
	printf '#!/bin/sh\necho "hookscript: $4" >>"%s/etc/pve/qemu-server/$2.conf"\n' "$root" \
		>"$BATS_TEST_TMPDIR/bin/qm"
	chmod +x "$BATS_TEST_TMPDIR/bin/qm"
	PCIPT_QM=$BATS_TEST_TMPDIR/bin/qm validate --root "$root" --install-hook 100
	expect_status 0
	[ "$(readlink "$root/var/lib/vz/snippets/pcipt-hook")" = /usr/lib/pcipt/pcipt-hook ]
	grep -qx 'hookscript: local:snippets/pcipt-hook' "$root/etc/pve/qemu-server/100.conf"
	validate --root "$root" 100
	expect_status 0
	lacks_check hookscript-missing
	# Proxmox runs the volume's path: inside the root, the link leads to the packaged hook
	"$root$(readlink "$root/var/lib/vz/snippets/pcipt-hook")" --root "$root" --dry-run 100 pre-start \
		>"$BATS_TEST_TMPDIR/hook.out"
	grep -q "binding 2 devices to vfio-pci" "$BATS_TEST_TMPDIR/hook.out"
}
