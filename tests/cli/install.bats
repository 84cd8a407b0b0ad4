#!/usr/bin/env bats
# make install DESTDIR=...: what lands where, and that the installed programs and files work.

load offline_helpers

top=$BATS_TEST_DIRNAME/../..

setup_file() {
	export DEST=$BATS_FILE_TMPDIR/dest
	make -s -C "$top" install DESTDIR="$DEST" >"$BATS_FILE_TMPDIR/make.log" 2>&1 ||
		{ cat "$BATS_FILE_TMPDIR/make.log"; return 1; }
}

@test "make install puts programs, settings, rules and completions where the system looks" {
	[ -x "$DEST/usr/sbin/pcipt-validate" ]
	[ -x "$DEST/usr/lib/pcipt/pcipt-hook" ]
	[ "$(stat -c %a "$DEST/etc/pcipt/pcipt.conf")" = 644 ]
	cmp "$top/rules/default.yaml" "$DEST/usr/share/pcipt/rules.default.yaml"
	[ -f "$DEST/usr/share/bash-completion/completions/pcipt-validate" ]
	[ -f "$DEST/usr/share/bash-completion/completions/pcipt-hook" ]
	cmp "$top/build/man/pcipt-validate.8" "$DEST/usr/share/man/man8/pcipt-validate.8"
	cmp "$top/build/man/pcipt-hook.8" "$DEST/usr/share/man/man8/pcipt-hook.8"
	cmp "$top/build/man/pcipt-rules.5" "$DEST/usr/share/man/man5/pcipt-rules.5"
	cmp "$top/build/man/pcipt.conf.5" "$DEST/usr/share/man/man5/pcipt.conf.5"
	cmp "$top/build/man/pcipt-snapshot.5" "$DEST/usr/share/man/man5/pcipt-snapshot.5"
	# the package owns the directory of the identity pins pcipt-hook writes
	[ "$(stat -c %a "$DEST/var/lib/pcipt")" = 755 ]
	# publishing at boot and every hour: the units run the installed program
	grep -qx "ExecStart=/usr/sbin/pcipt-validate --publish" "$DEST/lib/systemd/system/pcipt-publish.service"
	grep -qx "After=pve-cluster.service" "$DEST/lib/systemd/system/pcipt-publish.service"
	grep -qx "OnCalendar=hourly" "$DEST/lib/systemd/system/pcipt-publish.timer"
	# the boot check: before Proxmox starts the onboot VMs, wanted by it, never required, and
	# its exit statuses ignored: the findings go to the journal, the boot goes on
	local unit=$DEST/lib/systemd/system/pcipt-boot-check.service
	grep '^ExecStart' "$unit" | diff -u - <(printf '%s\n' \
		"ExecStart=-/usr/sbin/pcipt-validate --all --onboot --syslog" \
		"ExecStart=-/usr/sbin/pcipt-validate --boot-diff --syslog" \
		"ExecStart=-/usr/sbin/pcipt-validate --publish")
	grep -qx "Type=oneshot" "$unit"
	grep -qx "After=pve-cluster.service" "$unit"
	grep -qx "Before=pve-guests.service" "$unit"
	grep -qx "WantedBy=pve-guests.service" "$unit"
	grep -qx "TimeoutStartSec=120" "$unit"
	no_match "^(Requires|RequiredBy|Requisite|BindsTo)=" "$unit"
}

@test "the installed programs run, and read the installed settings and rules as the host's" {
	run "$DEST/usr/sbin/pcipt-validate" --version
	[ "$status" -eq 0 ] && [[ $output == "pcipt-validate "* ]]
	run "$DEST/usr/lib/pcipt/pcipt-hook" --version
	[ "$status" -eq 0 ] && [[ $output == "pcipt-hook "* ]]
	# with --root, /etc/pcipt/{pcipt.conf,rules.yaml} are the installed ones
	run "$DEST/usr/sbin/pcipt-validate" --root "$DEST" --check-rules
	[ "$status" -eq 0 ]
	[ "$output" = "/etc/pcipt/rules.yaml: ok (37 checks configured, 7 device rules)" ]
	run "$DEST/usr/sbin/pcipt-validate" --check-rules --rules "$DEST/usr/share/pcipt/rules.default.yaml"
	[ "$status" -eq 0 ]
}

@test "bash completion offers options, VMIDs' phases for pcipt-hook, formats for --format" {
	run bash -c "source '$DEST/usr/share/bash-completion/completions/pcipt-hook'
		COMP_WORDS=(pcipt-hook 100 p); COMP_CWORD=2; _pcipt_hook; echo \"\${COMPREPLY[*]}\""
	[ "$output" = "pre-start post-start pre-stop post-stop" ]
	run bash -c "source '$DEST/usr/share/bash-completion/completions/pcipt-validate'
		COMP_WORDS=(pcipt-validate --format ''); COMP_CWORD=2; _pcipt_validate; echo \"\${COMPREPLY[*]}\""
	[ "$output" = "text json sarif" ]
	run bash -c "source '$DEST/usr/share/bash-completion/completions/pcipt-validate'
		COMP_WORDS=(pcipt-validate --gr); COMP_CWORD=1; _pcipt_validate; echo \"\${COMPREPLY[*]}\""
	[ "$output" = "--groups" ]
}

@test "bash completion of --explain offers every check id of the catalogue" {
	run bash -c "source '$DEST/usr/share/bash-completion/completions/pcipt-validate'
		COMP_WORDS=(pcipt-validate --explain ''); COMP_CWORD=2; _pcipt_validate
		printf '%s\n' \"\${COMPREPLY[@]}\""
	[ "$status" -eq 0 ]
	local id
	for id in $(grep -oE '^\s*CHECK\([A-Z0-9_]+, "[a-z0-9-]+"\)' "$top/lib/check_ids.h" |
		grep -oE '"[a-z0-9-]+"' | tr -d '"'); do
		grep -qx -- "$id" <<<"$output" || { echo "$id is not offered"; return 1; }
	done
	run bash -c "source '$DEST/usr/share/bash-completion/completions/pcipt-validate'
		COMP_WORDS=(pcipt-validate --explain xvga-); COMP_CWORD=2; _pcipt_validate
		echo \"\${COMPREPLY[*]}\""
	[ "$output" = "xvga-ovmf xvga-device" ]
}
