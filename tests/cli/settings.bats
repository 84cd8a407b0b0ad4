#!/usr/bin/env bats
# pcipt.conf (--conf, or ROOT/etc/pcipt/pcipt.conf): settings that take effect and the four
# libconfuse 3.3 problems the pre-pass closes.

load offline_helpers

CONF=$PCIPT_FIXTURES/settings

@test "color = always in pcipt.conf colours the output; --color never overrides it" {
	validate --offline --root "$CLI_FIXTURES/xvga-ovmf" --all --conf "$CONF/color-always.conf"
	expect_status 0
	grep -q $'\033\\[1;33mwarning' "$out"
	validate --offline --root "$CLI_FIXTURES/xvga-ovmf" --all --conf "$CONF/color-always.conf" --color never
	no_match $'\033' "$out"
}

@test "rules = in ROOT/etc/pcipt/pcipt.conf picks the rules file, resolved under the root" {
	cp -r "$CLI_FIXTURES/xvga-ovmf" "$BATS_TEST_TMPDIR/root"
	mkdir -p "$BATS_TEST_TMPDIR/root/etc/pcipt"
	cp "$PCIPT_FIXTURES/rules/xvga-is-error.yaml" "$BATS_TEST_TMPDIR/root/etc/pcipt/strict.yaml"
	echo 'rules = "/etc/pcipt/strict.yaml"' >"$BATS_TEST_TMPDIR/root/etc/pcipt/pcipt.conf"
	validate --offline --root "$BATS_TEST_TMPDIR/root" --all
	expect_status 1
	grep -q '\[xvga-ovmf\]$' "$out"
	rm "$BATS_TEST_TMPDIR/root/etc/pcipt/strict.yaml"
	validate --offline --root "$BATS_TEST_TMPDIR/root" --all
	expect_status 2
	grep -qF "/etc/pcipt/strict.yaml: error: No such file or directory" "$err"
}

@test "an error after comments names the right line (libconfuse alone says line 8)" {
	validate --offline --root "$CLI_FIXTURES/xvga-ovmf" --all --conf "$CONF/bad-after-comments.conf"
	expect_status 2
	[ "$(cat "$err")" = "$CONF/bad-after-comments.conf:5: error: invalid integer value for option 'bind_timeout'" ]
	[ ! -s "$out" ]
}

@test "an unclosed section is refused (libconfuse alone accepts it)" {
	validate --offline --root "$CLI_FIXTURES/xvga-ovmf" --all --conf "$CONF/unclosed-section.conf"
	expect_status 2
	[ "$(cat "$err")" = "$CONF/unclosed-section.conf:2: error: pcipt.conf has no sections: '{' is not allowed" ]
}

@test "\${VAR} is refused, never read from the environment" {
	HOME=/tmp/should-not-be-read validate --offline --root "$CLI_FIXTURES/xvga-ovmf" --all --conf "$CONF/env-var.conf"
	expect_status 2
	grep -qF "env-var.conf:1: error: \${...} is not expanded in pcipt.conf" "$err"
	no_match "should-not-be-read" "$err"
}

@test "include() is refused, so no other file is read" {
	validate --offline --root "$CLI_FIXTURES/xvga-ovmf" --all --conf "$CONF/include.conf"
	expect_status 2
	[ "$(cat "$err")" = "$CONF/include.conf:2: error: include is not supported in pcipt.conf; put every setting in this file" ]
}

@test "a missing --conf file is an error, a missing default one is not" {
	validate --offline --root "$CLI_FIXTURES/xvga-ovmf" --all --conf "$BATS_TEST_TMPDIR/none.conf"
	expect_status 2
	grep -qF "none.conf: error: No such file or directory" "$err"
	validate --offline --root "$CLI_FIXTURES/xvga-ovmf" --all
	expect_status 0
}
