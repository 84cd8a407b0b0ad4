#!/usr/bin/env bats
# The build itself: warnings are errors in `make` and `make check`, and the libFuzzer targets
# share one build of the core.

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
