#!/usr/bin/env bats
# The build itself: warnings are errors in `make` and `make check`.

load offline_helpers

top=$BATS_TEST_DIRNAME/../..

@test "make and make check compile with -Werror" {
	local b=$BATS_TEST_TMPDIR/b
	make -s -n -C "$top" B="$b" S="$b/san" "$b/lib/xalloc.o" "$b/san/lib/xalloc.o" \
		>"$BATS_TEST_TMPDIR/make-n"
	[ "$(grep -cE ' -Wall -Wextra -Werror .* -c lib/xalloc\.c ' "$BATS_TEST_TMPDIR/make-n")" -eq 2 ] ||
		{ cat "$BATS_TEST_TMPDIR/make-n"; return 1; }
}
