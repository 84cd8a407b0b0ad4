#!/bin/sh
# embed.sh FILE SYMBOL: print a C file that holds FILE's bytes as `const char SYMBOL[]`
# (NUL-terminated) and `const size_t SYMBOL_size`, so the binary carries its default rules.
set -eu
file=$1 sym=$2
printf '/* generated from %s by rules/embed.sh; do not edit */\n' "$file"
printf '#include <stddef.h>\n\nconst char %s[] = {\n' "$sym"
od -An -v -tx1 "$file" | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'
printf '0x00};\nconst size_t %s_size = sizeof(%s) - 1;\n' "$sym" "$sym"
