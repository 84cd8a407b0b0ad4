#!/usr/bin/env bats
# The man pages: they render without a groff warning, and they say what the programs and the
# built-in rules do (every option of --help, every check id with its default severity).

load offline_helpers

top=$BATS_TEST_DIRNAME/../..
MAN=$top/build/man
SRC=$top/packaging/man
: "${PCIPT_HOOK:=$top/build/san/pcipt-hook}"

@test "every page renders with man -l and groff -ww without a warning" {
	local page
	for page in pcipt-validate.8 pcipt-hook.8 pcipt-rules.5 pcipt.conf.5 pcipt-snapshot.5; do
		[ -s "$MAN/$page" ] || { echo "$MAN/$page was not built (make man)"; return 1; }
		LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=w -l "$MAN/$page" \
			>"$BATS_TEST_TMPDIR/$page.txt" 2>"$BATS_TEST_TMPDIR/$page.err"
		[ ! -s "$BATS_TEST_TMPDIR/$page.err" ] || { echo "$page:"; cat "$BATS_TEST_TMPDIR/$page.err"; return 1; }
		groff -ww -z -man "$MAN/$page" 2>"$BATS_TEST_TMPDIR/$page.err"
		[ ! -s "$BATS_TEST_TMPDIR/$page.err" ] || { echo "$page:"; cat "$BATS_TEST_TMPDIR/$page.err"; return 1; }
		# the page has its name and the version, and no unreplaced placeholder
		grep -q "^NAME" "$BATS_TEST_TMPDIR/$page.txt"
		grep -q "pcipt 0\.[0-9]" "$BATS_TEST_TMPDIR/$page.txt"
		no_match "@VERSION@" "$MAN/$page"
	done
}

# the ids and severities under `checks:` of rules/default.yaml, one "id severity" per line
default_checks() {
	awk '/^checks:/ { on = 1; next }
		on && /^[^ #]/ { on = 0 }
		on && /^  [a-z0-9-]+:/ {
			id = $1; sub(/:$/, "", id); sev = $2
			if (sev == "" || sev ~ /^#/) pending = id; else print id, sev
			next }
		on && pending != "" && /^    severity:/ { print pending, $2; pending = "" }' \
		"$top/rules/default.yaml" | sort
}

@test "pcipt-rules(5) lists every check id of the catalogue with its default severity" {
	default_checks >"$BATS_TEST_TMPDIR/yaml"
	# the catalogue in the code, the default rules and the page name the same 37 checks
	grep -oE '^\s*CHECK\([A-Z0-9_]+, "[a-z0-9-]+"\)' "$top/lib/check_ids.h" |
		grep -oE '"[a-z0-9-]+"' | tr -d '"' | sort >"$BATS_TEST_TMPDIR/code"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/code")" -eq 37 ]
	cut -d' ' -f1 "$BATS_TEST_TMPDIR/yaml" | diff -u "$BATS_TEST_TMPDIR/code" -
	# the page as built: its CHECKS section is rules/explain.scd (see explain.bats)
	sed -n '/^# CHECKS/,/^## Built-in device rules/p' "$MAN/pcipt-rules.5.scd" |
		sed -nE 's/^\*([a-z0-9-]+)\* \((error|warning|info)[,)].*/\1 \2/p' | sort |
		diff -u "$BATS_TEST_TMPDIR/yaml" -
}

@test "pcipt-rules(5) names every built-in device rule with its severity" {
	awk '/^  - id:/ { id = $3 } /^    severity:/ && id { print id, $2; id = "" }' \
		"$top/rules/default.yaml" | sort >"$BATS_TEST_TMPDIR/yaml"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/yaml")" -eq 7 ]
	sed -n '/^## Built-in device rules/,/^# EXAMPLE/p' "$SRC/pcipt-rules.5.scd" |
		sed -nE 's/^\*([a-z0-9-]+)\* \((error|warning|info)\)$/\1 \2/p' | sort |
		diff -u "$BATS_TEST_TMPDIR/yaml" -
}

# every long option a program's --help lists is described in its page
options_documented() {
	local help=$1 page=$2 opt
	for opt in $(grep -oE -- '--[a-z][a-z-]+' "$help" | sort -u); do
		grep -qF -- "*$opt*" "$page" || { echo "$opt is not in $page"; return 1; }
	done
}

@test "pcipt-validate(8) and pcipt-hook(8) describe every option of --help" {
	validate --help
	expect_status 0
	options_documented "$out" "$SRC/pcipt-validate.8.scd"
	"$PCIPT_HOOK" --help >"$BATS_TEST_TMPDIR/hook-help"
	options_documented "$BATS_TEST_TMPDIR/hook-help" "$SRC/pcipt-hook.8.scd"
}

@test "pcipt.conf(5) describes every setting pcipt.conf accepts, and the installed file lists them" {
	local name
	for name in $(grep -oE 'CFG_(STR|INT|BOOL)\("[a-z_]+"' "$top/lib/settings.c" | grep -oE '"[a-z_]+"' | tr -d '"'); do
		grep -qE "^\*$name\* = " "$SRC/pcipt.conf.5.scd" || { echo "$name is not in pcipt.conf(5)"; return 1; }
		grep -qE "^#$name = " "$top/packaging/etc/pcipt.conf" || { echo "$name is not in packaging/etc/pcipt.conf"; return 1; }
	done
	# and the page's example is a file pcipt accepts
	sed -n '/^# EXAMPLE/,/^# FILES/p' "$SRC/pcipt.conf.5.scd" | sed '1,/^```/d; /^```/,$d' \
		>"$BATS_TEST_TMPDIR/pcipt.conf"
	grep -q "bind_timeout = 30" "$BATS_TEST_TMPDIR/pcipt.conf"
	validate --conf "$BATS_TEST_TMPDIR/pcipt.conf" --check-rules
	expect_status 0
}

@test "the rules example of pcipt-rules(5) is a rules file pcipt accepts" {
	sed -n '/^# EXAMPLE/,/^# FILES/p' "$SRC/pcipt-rules.5.scd" | sed '1,/^```/d; /^```/,$d' \
		>"$BATS_TEST_TMPDIR/rules.yaml"
	grep -q "^version: 1" "$BATS_TEST_TMPDIR/rules.yaml"
	validate --rules "$BATS_TEST_TMPDIR/rules.yaml" --check-rules
	expect_status 0
	grep -qF "(37 checks configured, 1 device rules)" "$out"
}
