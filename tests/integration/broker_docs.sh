#!/usr/bin/env bash
# docs/configuration.md documents every setting that `sc-broker --help` lists, with its default.
. "$SC_ROOT/tests/lib.sh"
n=0
while read -r name def; do
  grep -qF "| \`$name\` | \`$def\` |" "$SC_ROOT/docs/configuration.md" ||
    fail "docs/configuration.md lacks '$name' with default '$def'"
  n=$((n + 1))
done < <("$SC_BIN/sc-broker" --help | sed -n 's/^  --\([^ ]*\) .*(default: \(.*\))$/\1 \2/p')
[ "$n" -gt 30 ] || fail "sc-broker --help listed only $n settings"
ok "all $n settings of sc-broker --help are in docs/configuration.md with their defaults"
# A bad setting stops the start with a clear message.
out=$("$SC_BIN/sc-broker" --port notaport 2>&1) && fail "bad port accepted"
echo "$out" | grep -q "FATAL CONFIG" || fail "no clear message for a bad port: $out"
ok "a bad flag value stops the start: $(echo "$out" | tail -1)"
printf 'port 1\nmaxmemory 10zb\n' > "$TEST_TMP/bad.conf"
out=$("$SC_BIN/sc-broker" "$TEST_TMP/bad.conf" 2>&1) && fail "bad config file accepted"
echo "$out" | grep -q "at line 2" || fail "config error does not name the line: $out"
ok "a bad config file line is reported with its line number"
