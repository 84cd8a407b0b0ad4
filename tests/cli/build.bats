#!/usr/bin/env bats
# The build itself: warnings are errors in `make` and `make check`, the libFuzzer targets
# share one build of the core, and `make format-check` holds the sources to .clang-format.

load offline_helpers

top=$BATS_TEST_DIRNAME/../..

@test "make and make check compile with -Werror" {
	local b=$BATS_TEST_TMPDIR/b
	make -s -n -C "$top" B="$b" S="$b/san" "$b/lib/xalloc.o" "$b/san/lib/xalloc.o" \
		>"$BATS_TEST_TMPDIR/make-n"
	[ "$(grep -cE ' -Wall -Wextra -Werror .* -c lib/xalloc\.c ' "$BATS_TEST_TMPDIR/make-n")" -eq 2 ] ||
		{ cat "$BATS_TEST_TMPDIR/make-n"; return 1; }
}

@test "make fuzz compiles the core once, into one archive every target links" {
	local b=$BATS_TEST_TMPDIR/b
	make -s -n -C "$top" B="$b" fuzz >"$BATS_TEST_TMPDIR/make-n"
	# one compiler command names lib/xalloc.c: the archive's object
	[ "$(grep -c 'lib/xalloc\.c' "$BATS_TEST_TMPDIR/make-n")" -eq 1 ] ||
		{ grep 'lib/xalloc\.c' "$BATS_TEST_TMPDIR/make-n"; return 1; }
	grep -E -- '-fsanitize=fuzzer-no-link.* -c lib/xalloc\.c -o [^ ]*/fuzz/obj/lib/xalloc\.o' \
		"$BATS_TEST_TMPDIR/make-n"
	# each target: its own object and the archive, no source compiled again
	grep -E -- " -o $b/fuzz/fuzz_[a-z]+ " "$BATS_TEST_TMPDIR/make-n" >"$BATS_TEST_TMPDIR/links"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/links")" -ge 10 ]
	no_match '\.c( |$)' "$BATS_TEST_TMPDIR/links"
	[ "$(grep -c -- " -fsanitize=fuzzer .* $b/fuzz/libpcipt\.a " "$BATS_TEST_TMPDIR/links")" -eq \
		"$(wc -l <"$BATS_TEST_TMPDIR/links")" ]
}

@test "format-check fails on a file .clang-format would change and names it; --fix changes it" {
	command -v clang-format-14 >/dev/null || skip "clang-format-14 is not installed"
	local dir=$BATS_TEST_TMPDIR
	printf 'int f(int a)\n{\n\treturn a + 1;\n}\n' >"$dir/good.c"
	printf 'int f(int a) {\n  return a+1;\n}\n' >"$dir/bad.c"
	run "$top/tests/format-check.sh" "$dir/good.c"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run "$top/tests/format-check.sh" "$dir/good.c" "$dir/bad.c"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$dir/bad.c:1:"*"code should be clang-formatted"* ]]
	[[ "$output" == *"format-check: not laid out as .clang-format says: $dir/bad.c"* ]]
	"$top/tests/format-check.sh" --fix "$dir/bad.c"
	cmp "$dir/good.c" "$dir/bad.c"
}

@test "format-check refuses a clang-format other than version 14, whose layout differs" {
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	printf '#!/bin/sh\necho "Debian clang-format version 16.0.6"\n' >"$BATS_TEST_TMPDIR/bin/clang-format"
	chmod +x "$BATS_TEST_TMPDIR/bin/clang-format"
	printf 'int f(void);\n' >"$BATS_TEST_TMPDIR/a.c"
	CLANG_FORMAT=$BATS_TEST_TMPDIR/bin/clang-format run "$top/tests/format-check.sh" "$BATS_TEST_TMPDIR/a.c"
	[ "$status" -eq 2 ]
	[[ "$output" == *"is not clang-format 14"* ]]
}
