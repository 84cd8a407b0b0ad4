#!/usr/bin/env bats
# pcipt-validate --explain ID: a check's text (what it looks at, why it matters, how to fix it,
# the rules key), the same text pcipt-rules(5) has; a device rule of the rules in effect, as a
# rules file gives it; an unknown id's nearest ids.

load offline_helpers

top=$BATS_TEST_DIRNAME/../..
MAN=$top/build/man

setup() {
	# no /etc/pcipt of the machine running the tests: the built-in rules alone
	empty=$BATS_TEST_TMPDIR/empty
	mkdir -p "$empty"
}

# the 37 check ids of lib/check_ids.h, in order
check_ids() {
	grep -oE '^\s*CHECK\([A-Z0-9_]+, "[a-z0-9-]+"\)' "$top/lib/check_ids.h" |
		grep -oE '"[a-z0-9-]+"' | tr -d '"'
}

# words separated by one space, as a check's text reads whatever the line breaks
words() {
	tr -s '[:space:]' ' ' | sed 's/^ //; s/ $//'
}

# the entry of check $1 in pcipt-rules(5) as man renders it: its title at the entry's margin
# (7 columns), then every line up to the next title or heading
man_entry() {
	LC_ALL=C MANWIDTH=1000 man -l "$MAN/pcipt-rules.5" 2>/dev/null |
		awk -v title="       $1 (" '
			index($0, title) == 1 { on = 1; print; next }
			on && $0 != "" && substr($0, 1, 8) != "        " { exit }
			on { print }'
}

@test "every check of the catalogue explains itself: what, why, fix and the rules key" {
	local id n=0
	for id in $(check_ids); do
		validate --root "$empty" --explain "$id"
		expect_status 0
		[ ! -s "$err" ] || { cat "$err"; return 1; }
		head -n 1 "$out" | grep -qE "^$id \((error|warning|info)[,)]" ||
			{ echo "$id: title"; cat "$out"; return 1; }
		grep -q '^    Looks at: ' "$out" || { echo "$id: looks at"; return 1; }
		grep -q '^    Why: ' "$out" || { echo "$id: why"; return 1; }
		grep -q '^    Fix: ' "$out" || { echo "$id: fix"; return 1; }
		words <"$out" | grep -qF "Rules: checks: {$id: " || { echo "$id: rules key"; return 1; }
		# a terminal's width
		no_match '^.{81}' "$out"
		n=$((n + 1))
	done
	[ "$n" -eq 37 ]
}

@test "--explain and pcipt-rules(5) print one text for every check (rules/explain.scd)" {
	local id
	for id in $(check_ids); do
		validate --root "$empty" --explain "$id"
		expect_status 0
		man_entry "$id" >"$BATS_TEST_TMPDIR/man"
		[ -s "$BATS_TEST_TMPDIR/man" ] || { echo "$id is not in pcipt-rules(5)"; return 1; }
		diff -u <(words <"$BATS_TEST_TMPDIR/man") <(words <"$out") ||
			{ echo "$id: --explain and pcipt-rules(5) differ"; return 1; }
	done
	# the page's source holds no entry of its own: the section is generated from the one text
	grep -qx '@CHECKS@' "$top/packaging/man/pcipt-rules.5.scd"
	sed -n '/^# CHECKS/,/^## Built-in device rules/p' "$top/packaging/man/pcipt-rules.5.scd" \
		>"$BATS_TEST_TMPDIR/section"
	no_match '^\*[a-z0-9-]+\* \(' "$BATS_TEST_TMPDIR/section"
}

@test "--explain says what the rules in effect make of a check they change" {
	validate --root "$empty" --explain xvga-ovmf
	expect_status 0
	no_match '^In effect' "$out"
	mkdir -p "$empty/etc/pcipt"
	printf 'version: 1\nchecks:\n  device-shared: error\n  xvga-ovmf: off\n' >"$empty/etc/pcipt/rules.yaml"
	validate --root "$empty" --explain xvga-ovmf
	expect_status 0
	[ "$(tail -n 2 "$out")" = "$(printf '\nIn effect: off, set by /etc/pcipt/rules.yaml line 4.')" ]
	# set, but to the built-in severity: nothing to say
	validate --root "$empty" --explain device-shared
	expect_status 0
	no_match '^In effect' "$out"
	printf 'version: 1\nchecks:\n  romfile-path: {severity: warning}\n' >"$BATS_TEST_TMPDIR/ci.yaml"
	validate --root "$empty" --rules "$BATS_TEST_TMPDIR/ci.yaml" --explain romfile-path
	expect_status 0
	[ "$(tail -n 1 "$out")" = "In effect: warning, set by $BATS_TEST_TMPDIR/ci.yaml line 3." ]
}

@test "--explain of a built-in device rule prints the rule as a rules file gives it" {
	validate --root "$empty" --explain gpu-host-driver
	expect_status 0
	[ ! -s "$err" ]
	cat >"$BATS_TEST_TMPDIR/expected" <<'EOF'
# device rule of the built-in rules; to change it, copy it into the devices: list of
# /etc/pcipt/rules.yaml (that list replaces the built-in one)
- id: gpu-host-driver
  name: "GPU passed as the VM's primary display"
  match: {class: 0x0300/0xff00}
  when: {x_vga: true}
  host:
    drivers_unused: [radeon, amdgpu, nouveau, nvidia]
  severity: warning
  hint: >-
    Keep the host off the card: blacklist its driver in /etc/modprobe.d/blacklist.conf
    (`blacklist nouveau`) or claim it for vfio-pci with `options vfio-pci
    ids=VENDOR:DEVICE` in /etc/modprobe.d/vfio.conf, then `update-initramfs -u` and
    reboot.
EOF
	expect_output "$BATS_TEST_TMPDIR/expected"
	# every built-in rule, copied as it says, is a rules file pcipt accepts, with the same rules
	{
		echo "version: 1"
		echo "devices:"
		local id
		for id in $(awk '/^  - id:/ { print $3 }' "$top/rules/default.yaml"); do
			validate --root "$empty" --explain "$id"
			expect_status 0
			grep -v '^#' "$out"
		done
	} >"$BATS_TEST_TMPDIR/copied.yaml"
	validate --rules "$BATS_TEST_TMPDIR/copied.yaml" --check-rules
	expect_status 0
	grep -qF "(37 checks configured, 7 device rules)" "$out"
}

@test "--explain of a device rule of the admin's rules file (ROOT/etc/pcipt/rules.yaml, --rules)" {
	mkdir -p "$empty/etc/pcipt"
	cat >"$empty/etc/pcipt/rules.yaml" <<'EOF'
version: 1
devices:
  - id: my-lab-gpu
    name: the lab's Radeon Pro
    match: {vendor: 0x1002, device: 0x6929, subsystem_vendor: 0x1002}
    when: {bios: ovmf}
    vm: {machine: q35, bios: ovmf, vga_not: [qxl], all_functions: yes}
    host: {module_params: [vfio_pci.disable_vga=1], drivers_unused: [amdgpu]}
    severity: error
    hint: this card only resets under q35 with OVMF
    overrides: {reset-method: off}
EOF
	validate --root "$empty" --explain my-lab-gpu
	expect_status 0
	cat >"$BATS_TEST_TMPDIR/expected" <<'EOF'
# device rule of /etc/pcipt/rules.yaml, line 3
- id: my-lab-gpu
  name: "the lab's Radeon Pro"
  match: {vendor: 0x1002, device: 0x6929, subsystem_vendor: 0x1002}
  when: {bios: ovmf}
  vm:
    machine: q35
    bios: ovmf
    vga_not: [qxl]
    all_functions: true
  host:
    module_params: [vfio_pci.disable_vga=1]
    drivers_unused: [amdgpu]
  severity: error
  hint: >-
    this card only resets under q35 with OVMF
  overrides: {reset-method: off}
EOF
	expect_output "$BATS_TEST_TMPDIR/expected"
	# its devices: replaced the built-in ones
	validate --root "$empty" --explain gpu-host-driver
	expect_status 2
	[ ! -s "$out" ]
	# the same file named with --rules, read as given
	validate --root "$BATS_TEST_TMPDIR" --rules "$empty/etc/pcipt/rules.yaml" --explain my-lab-gpu
	expect_status 0
	sed "1s|.*|# device rule of $empty/etc/pcipt/rules.yaml, line 3|" "$BATS_TEST_TMPDIR/expected" \
		>"$BATS_TEST_TMPDIR/expected-rules"
	expect_output "$BATS_TEST_TMPDIR/expected-rules"
	# a rules file that cannot be loaded: said as every mode says it, exit 2
	printf 'version: 1\nchecks: {nope: off}\n' >"$empty/etc/pcipt/rules.yaml"
	validate --root "$empty" --explain my-lab-gpu
	expect_status 2
	grep -q "unknown check id 'nope'" "$err"
}

@test "an unknown id: the nearest checks and device rules, exit 2" {
	validate --root "$empty" --explain xvga-ovfm
	expect_status 2
	[ ! -s "$out" ]
	[ "$(cat "$err")" = "pcipt-validate: no check or device rule 'xvga-ovfm'; did you mean: xvga-ovmf" ]
	validate --root "$empty" --explain gpu-host-drivers
	expect_status 2
	[ "$(cat "$err")" = "pcipt-validate: no check or device rule 'gpu-host-drivers'; did you mean: gpu-host-driver" ]
	# up to three, nearest first
	validate --root "$empty" --explain romfile
	expect_status 2
	[ "$(cat "$err")" = "pcipt-validate: no check or device rule 'romfile'; did you mean: romfile-path, romfile-missing, romfile-format" ]
	validate --root "$empty" --explain zzzzzzzzzzzz
	expect_status 2
	[ "$(cat "$err")" = "pcipt-validate: no check or device rule 'zzzzzzzzzzzz' (pcipt-rules(5) lists the checks)" ]
}

@test "--explain takes one id and no other mode" {
	local args
	for args in "--explain xvga-ovmf --explain d3cold" "--explain xvga-ovmf 100" \
		"--explain xvga-ovmf --all" "--explain xvga-ovmf --offline" "--explain xvga-ovmf --host" \
		"--explain xvga-ovmf --groups" "--explain xvga-ovmf --check-rules" \
		"--explain xvga-ovmf --config x.conf" "--explain xvga-ovmf --format json" \
		"--explain xvga-ovmf --all-nodes" "--explain xvga-ovmf --snapshot" \
		"--explain xvga-ovmf --diff a b" "--explain xvga-ovmf --boot-diff" \
		"--explain xvga-ovmf --node pve 100" "--explain xvga-ovmf --accept-identity 100" \
		"--explain xvga-ovmf -q" "--explain xvga-ovmf --color always"; do
		# shellcheck disable=SC2086
		validate --root "$empty" $args
		expect_status 2
		[ ! -s "$out" ]
		grep -qF -- "--explain takes one check or device rule id and no other mode" "$err" ||
			{ echo "$args:"; cat "$err"; return 1; }
	done
	validate --root "$empty" --explain
	expect_status 2
	[ ! -s "$out" ]
}
