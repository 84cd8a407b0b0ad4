#!/usr/bin/env bats
# The rules file: --check-rules, hostile files, and severities that change the outcome.

load offline_helpers

RULES=$PCIPT_FIXTURES/rules

@test "--check-rules accepts the shipped rules/default.yaml" {
	validate --check-rules --rules "$BATS_TEST_DIRNAME/../../rules/default.yaml"
	expect_status 0
	[ "$(cat "$out")" = "$BATS_TEST_DIRNAME/../../rules/default.yaml: ok (37 checks configured, 7 device rules)" ]
}

@test "--check-rules without a file checks the built-in rules" {
	validate --check-rules --root "$BATS_TEST_TMPDIR"
	expect_status 0
	[ "$(cat "$out")" = "built-in rules: ok (37 checks configured, 7 device rules)" ]
}

@test "hostile and broken rules files are refused with one clear line, exit 2" {
	while IFS='|' read -r file expected; do
		validate --check-rules --rules "$RULES/$file"
		expect_status 2
		[ ! -s "$out" ]
		[ "$(wc -l <"$err")" -eq 1 ] || { cat "$err"; return 1; }
		grep -qF -- "$RULES/$file:$expected" "$err" || { echo "want: $expected"; cat "$err"; return 1; }
	done <<'LIST'
alias-bomb.yaml|2:4: error: anchors (&a) are not allowed in pcipt files
duplicate-key.yaml|5:3: error: duplicate key 'xvga-ovmf' (first on line 3)
wrong-type.yaml|7:14: error: devices[0].match.class: expected an id such as 0x10de (hex) or 4318 (decimal)
unknown-key.yaml|6:3: error: bind: unknown key 'retries' (expected one of: group_peers, restore_on_stop, timeout)
tagged.yaml|1:10: error: tags (tag:yaml.org,2002:int) are not allowed in pcipt files
LIST
}

@test "a misspelt check id is refused where it stands, never left to its default" {
	printf 'version: 1\nchecks:\n  xvga-ovfm: off\n' >"$BATS_TEST_TMPDIR/checks.yaml"
	validate --check-rules --rules "$BATS_TEST_TMPDIR/checks.yaml"
	expect_status 2
	[ "$(cat "$err")" = "$BATS_TEST_TMPDIR/checks.yaml:3:3: error: checks.xvga-ovfm: unknown check id 'xvga-ovfm'" ]
	# a lint with it runs no check at all
	validate --offline --root "$CLI_FIXTURES/xvga-ovmf" --all --rules "$BATS_TEST_TMPDIR/checks.yaml"
	expect_status 2
	[ ! -s "$out" ]
	printf 'version: 1\ndevices:\n  - {id: my-gpu, name: GPU, hint: h, match: {vendor: 0x10de},\n     overrides: {pcie-needs-q53: off}}\n' \
		>"$BATS_TEST_TMPDIR/overrides.yaml"
	validate --check-rules --rules "$BATS_TEST_TMPDIR/overrides.yaml"
	expect_status 2
	grep -qF "overrides.yaml:4:18: error: devices[0].overrides.pcie-needs-q53: unknown check id 'pcie-needs-q53'" "$err"
}

@test "100,000 levels of nesting are refused at level 65" {
	for _ in $(seq 100000); do echo '['; done >"$BATS_TEST_TMPDIR/deep.yaml"
	validate --check-rules --rules "$BATS_TEST_TMPDIR/deep.yaml"
	expect_status 2
	grep -qF "deep.yaml:65:1: error: nesting deeper than 64 levels" "$err"
}

@test "a 2 MiB rules file and binary junk are refused" {
	head -c 2097152 /dev/zero | tr '\0' '#' | fold -w 80 >"$BATS_TEST_TMPDIR/big.yaml"
	validate --check-rules --rules "$BATS_TEST_TMPDIR/big.yaml"
	expect_status 2
	grep -qF "big.yaml: error: file is larger than 1048576 bytes" "$err"
	printf 'version: 1\n\x01\x02\xff\xfe' >"$BATS_TEST_TMPDIR/junk.yaml"
	validate --check-rules --rules "$BATS_TEST_TMPDIR/junk.yaml"
	expect_status 2
	grep -qF "junk.yaml:2:3: error: invalid UTF-8 (byte 0xff)" "$err"
}

@test "raising xvga-ovmf to error turns a clean lint into a failing one" {
	validate --offline --root "$CLI_FIXTURES/xvga-ovmf" --all
	expect_status 0
	validate --offline --root "$CLI_FIXTURES/xvga-ovmf" --all --rules "$RULES/xvga-is-error.yaml"
	expect_status 1
	grep -q '^/etc/pve/qemu-server/800.conf:3: error: .*\[xvga-ovmf\]$' "$out"
}

@test "off silences a check, info keeps it without failing" {
	validate --offline --root "$CLI_FIXTURES/config-syntax" --all --rules "$RULES/quiet-syntax.yaml"
	expect_status 0
	[ ! -s "$out" ]
	validate --offline --root "$CLI_FIXTURES/xvga-ovmf" --all --rules "$RULES/quiet-syntax.yaml"
	expect_status 0
	grep -q '800.conf:3: info: .*\[xvga-ovmf\]$' "$out"
}

@test "ROOT/etc/pcipt/rules.yaml is used when present" {
	cp -r "$CLI_FIXTURES/xvga-ovmf" "$BATS_TEST_TMPDIR/root"
	mkdir -p "$BATS_TEST_TMPDIR/root/etc/pcipt"
	cp "$RULES/xvga-is-error.yaml" "$BATS_TEST_TMPDIR/root/etc/pcipt/rules.yaml"
	validate --offline --root "$BATS_TEST_TMPDIR/root" --all
	expect_status 1
	validate --check-rules --root "$BATS_TEST_TMPDIR/root"
	[ "$(cat "$out")" = "/etc/pcipt/rules.yaml: ok (37 checks configured, 7 device rules)" ]
}

@test "a bad rules file never half-applies: no findings, exit 2" {
	validate --offline --root "$CLI_FIXTURES/mixed" --all --rules "$RULES/duplicate-key.yaml"
	expect_status 2
	[ ! -s "$out" ]
	grep -q "duplicate key 'xvga-ovmf'" "$err"
}

@test "romfile-path: rom_roots admits another ROM directory" {
	mkdir -p "$BATS_TEST_TMPDIR/etc/pve/qemu-server"
	printf 'hostpci0: 01:00,romfile=../../../opt/vbios/gtx1080.rom\n' \
		>"$BATS_TEST_TMPDIR/etc/pve/qemu-server/100.conf"
	validate --offline --root "$BATS_TEST_TMPDIR" --all
	expect_status 1
	grep -qF "resolves to /opt/vbios/gtx1080.rom, outside the ROM directory (/usr/share/kvm)" "$out"
	validate --offline --root "$BATS_TEST_TMPDIR" --all --rules "$RULES/extra-rom-root.yaml"
	expect_status 0
	grep -qF "100.conf:1: warning: hostpci0: romfile=../../../opt/vbios/gtx1080.rom contains '..'; it resolves to /opt/vbios/gtx1080.rom, which is allowed but hard to read [romfile-path]" "$out"
}

@test "a device rule's hint appears in its finding (K80 through a resource mapping)" {
	lint_scenario mapped-devices 1
	grep -qF "100.conf:2: warning: hostpci0: NVIDIA Tesla K80 (10de:102d, mapping tesla-k80) needs \`-machine pc,max-ram-below-4g=1G\` in the VM's args: [nvidia-k80-ram-below-4g]" "$out"
	grep -qF "    hint: The Tesla K80 is reported to need \`args: -machine pc,max-ram-below-4g=1G\` in the VM config." "$out"
	no_match "/101.conf:" "$out"
}

@test "a device rule of the admin's own, at severity error, fails the lint" {
	validate --offline --root "$CLI_FIXTURES/mapped-devices" --all --rules "$RULES/x710-whole-card.yaml"
	expect_status 1
	grep -qF "102.conf:2: error: hostpci0: Intel X710 (8086:1572, mapping x710) should be passed with all its functions [x710-whole-card]" "$out"
	grep -qF "    hint: pass both ports of the X710" "$out"
	# the file's devices: list replaces the built-in one
	no_match "nvidia-k80" "$out"
}

@test "a device rule's overrides set the severity of other checks for that device" {
	validate --offline --root "$CLI_FIXTURES/mapped-devices" 103
	expect_status 1
	grep -q '^/etc/pve/qemu-server/103.conf:2: error: .*\[pcie-needs-q35\]$' "$out"
	validate --offline --root "$CLI_FIXTURES/mapped-devices" 103 --rules "$RULES/k80-overrides.yaml"
	expect_status 0
	grep -q '^/etc/pve/qemu-server/103.conf:2: warning: .*\[pcie-needs-q35\]$' "$out"
	grep -q '^/etc/pve/qemu-server/103.conf:2: info: hostpci0: our Tesla K80s (10de:102d, mapping tesla-k80) \[k80-known-good\]$' "$out"
}
