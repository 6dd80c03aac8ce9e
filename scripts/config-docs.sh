#!/usr/bin/env bash
# Writes (or with --check, compares) the option tables of docs/configuration.md from the
# programs' own option tables: the block between "<!-- BEGIN <program> --help-markdown -->" and
# "<!-- END <program> --help-markdown -->" is what `<program> --help-markdown` prints.
# Usage: scripts/config-docs.sh [--check] [BIN_DIR]   (BIN_DIR defaults to build/bin)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
check=0
[ "${1:-}" = --check ] && { check=1; shift; }
BIN=${1:-$ROOT/build/bin}
DOC=$ROOT/docs/configuration.md
new=$(mktemp)
trap 'rm -f "$new" "$new".*' EXIT
cp "$DOC" "$new"
for prog in $(sed -n 's/^<!-- BEGIN \([^ ]*\) --help-markdown -->$/\1/p' "$DOC"); do
  [ -x "$BIN/$prog" ] || { echo "config-docs: $BIN/$prog is missing (run make)" >&2; exit 1; }
  "$BIN/$prog" --help-markdown > "$new.table"
  awk -v prog="$prog" -v table="$new.table" '
    $0 == "<!-- BEGIN " prog " --help-markdown -->" { print; while ((getline l < table) > 0) print l; skip = 1; next }
    $0 == "<!-- END " prog " --help-markdown -->" { skip = 0 }
    !skip { print }' "$new" > "$new.out"
  mv "$new.out" "$new"
done
if [ $check = 1 ]; then
  diff -u "$DOC" "$new" >&2 || { echo "docs/configuration.md differs from --help-markdown: run scripts/config-docs.sh" >&2; exit 1; }
else
  cmp -s "$DOC" "$new" || cp "$new" "$DOC"
fi
