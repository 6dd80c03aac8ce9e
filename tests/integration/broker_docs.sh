#!/usr/bin/env bash
# docs/configuration.md documents every setting that `sc-broker --help` lists, with its default:
# its table is what `sc-broker --help-markdown` prints from the same option table.
. "$SC_ROOT/tests/lib.sh"
out=$("$SC_ROOT/scripts/config-docs.sh" --check "$SC_BIN" 2>&1) ||
  fail "docs/configuration.md is not what --help-markdown prints: $out"
ok "docs/configuration.md's option tables are those --help-markdown prints (scripts/config-docs.sh)"
section=$(sed -n '/^# sc-broker configuration/,/^# sc-balancer configuration/p' "$SC_ROOT/docs/configuration.md")
docs_cover_help "$section" "$SC_BIN/sc-broker" 30 ""
# A bad setting stops the start with a clear message.
out=$("$SC_BIN/sc-broker" --port notaport 2>&1) && fail "bad port accepted"
echo "$out" | grep -q "FATAL CONFIG" || fail "no clear message for a bad port: $out"
ok "a bad flag value stops the start: $(echo "$out" | tail -1)"
printf 'port 1\nmaxmemory 10zb\n' > "$TEST_TMP/bad.conf"
out=$("$SC_BIN/sc-broker" "$TEST_TMP/bad.conf" 2>&1) && fail "bad config file accepted"
echo "$out" | grep -q "at line 2" || fail "config error does not name the line: $out"
ok "a bad config file line is reported with its line number"
printf 'port 1\nrequirepass "unbalanced\n' > "$TEST_TMP/quote.conf"
out=$("$SC_BIN/sc-broker" "$TEST_TMP/quote.conf" 2>&1) && fail "unbalanced quotes accepted"
grep -q "Unbalanced quotes" <<<"$out" && grep -q "at line 2" <<<"$out" ||
  fail "unbalanced quotes not reported with the line: $out"
ok "unbalanced quotes in the config file are reported with their line"
