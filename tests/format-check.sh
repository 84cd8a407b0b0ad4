#!/usr/bin/env bash
# The C sources formatted as .clang-format says, by clang-format 14 (Debian bookworm's
# clang-format-14): other versions format the same settings differently, so the version is
# pinned rather than whatever clang-format is installed.
#   tests/format-check.sh [FILE...]         silent when no file would change; else clang-format's
#                                           warnings (file:line:col and the line) and exit 1
#   tests/format-check.sh --fix [FILE...]   reformat in place
# Without FILE: every .c and .h file of the tree.  Exit 2: no clang-format 14.
# CLANG_FORMAT names another binary of version 14.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cf=${CLANG_FORMAT:-clang-format-14}
fix=false
if [ "${1-}" = --fix ]; then
	fix=true
	shift
fi

if ! version=$("$cf" --version 2>/dev/null); then
	echo "format-check: $cf is not installed (apt-get install clang-format-14)" >&2
	exit 2
fi
case $version in
*"clang-format version 14."*) ;;
*)
	echo "format-check: $cf is not clang-format 14 ($version)" >&2
	exit 2
	;;
esac

if [ $# -eq 0 ]; then
	cd "$top" || exit 2
	mapfile -t files < <(find lib pve host rules validator hook tests -name '*.[ch]' | LC_ALL=C sort)
	set -- "${files[@]}"
fi
style=file:$top/.clang-format
if $fix; then
	exec "$cf" --style="$style" -i "$@"
fi
out=$("$cf" --style="$style" --dry-run --Werror "$@" 2>&1)
status=$?
if [ "$status" -ne 0 ]; then
	printf '%s\n' "$out"
	bad=$(printf '%s\n' "$out" | grep -oE '^[^: ]+:[0-9]+:[0-9]+: error: code should be clang-formatted' |
		cut -d: -f1 | sort -u)
	if [ -n "$bad" ]; then
		echo "format-check: not laid out as .clang-format says:" $bad
		echo "format-check: tests/format-check.sh --fix FILE... (or make format) reformats them"
	fi
	exit 1
fi
