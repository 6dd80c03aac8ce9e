#!/usr/bin/env bash
# docs/configuration.md documents every flag that `sc-balancer --help` lists, with its default,
# in its "sc-balancer configuration" section (as broker_docs.sh does for the broker): the table
# is what `sc-balancer --help-markdown` prints from the same option table.
. "$SC_ROOT/tests/lib.sh"
out=$("$SC_ROOT/scripts/config-docs.sh" --check "$SC_BIN" 2>&1) ||
  fail "docs/configuration.md is not what --help-markdown prints: $out"
ok "docs/configuration.md's option tables are those --help-markdown prints (scripts/config-docs.sh)"
section=$(sed -n '/^# sc-balancer configuration/,/^# Worker configuration/p' "$SC_ROOT/docs/configuration.md")
[ -n "$section" ] || fail "docs/configuration.md has no '# sc-balancer configuration' section"
docs_cover_help "$section" "$SC_BIN/sc-balancer" 20
# The documented exit code of a bad flag value, with a message that names the flag.
out=$("$SC_BIN/sc-balancer" --listen 127.0.0.1:1 --backends 127.0.0.1:2 --health-fall x 2>&1); rc=$?
[ "$rc" -eq 2 ] || fail "a bad --health-fall exited $rc, not 2: $out"
echo "$out" | grep -q "health-fall" || fail "no clear message for a bad --health-fall: $out"
ok "a bad flag value stops the start with exit code 2: $out"
# The same checks hold in the config file, which names the line.
printf 'listen 127.0.0.1:1  # a comment\nbackends 127.0.0.1:2\nhealth-interval 0.01\n' > "$TEST_TMP/bad.conf"
out=$("$SC_BIN/sc-balancer" "$TEST_TMP/bad.conf" 2>&1); rc=$?
[ "$rc" -eq 2 ] || fail "an out-of-range health-interval in the file exited $rc, not 2: $out"
grep -q "bad.conf:3: health-interval" <<<"$out" || fail "the file's error does not name line and option: $out"
ok "a bad value in the config file exits 2 naming file, line and option: $out"
