#!/usr/bin/env bash
# docs/configuration.md documents every flag that `sc-balancer --help` lists, with its default,
# in its "sc-balancer configuration" section (as broker_docs.sh does for the broker).
. "$SC_ROOT/tests/lib.sh"
section=$(sed -n '/^# sc-balancer configuration/,/^# Worker configuration/p' "$SC_ROOT/docs/configuration.md")
[ -n "$section" ] || fail "docs/configuration.md has no '# sc-balancer configuration' section"
n=0
while read -r name def; do
  row=$(grep -E "^\| \`--$name( [^\`]*)?\` \|" <<<"$section" | head -n1)
  [ -n "$row" ] || fail "docs/configuration.md lacks a row for --$name"
  if [ -n "$def" ]; then
    grep -qF "| \`$def\` |" <<<"$row" || fail "docs/configuration.md: --$name lacks its default '$def': $row"
  fi
  n=$((n + 1))
done < <("$SC_BIN/sc-balancer" --help |
         sed -n -e 's/^  --\([^ ]*\) .*(default \([^)]*\))\( \[repeatable\]\)\{0,1\}$/\1 \2/p' -e 't' \
                -e 's/^  --\([^ ]*\).*$/\1/p')
[ "$n" -gt 20 ] || fail "sc-balancer --help listed only $n flags"
ok "all $n flags of sc-balancer --help are in docs/configuration.md with their defaults"
# The documented exit code of a bad flag value, with a message that names the flag.
out=$("$SC_BIN/sc-balancer" --listen 127.0.0.1:1 --backends 127.0.0.1:2 --health-fall x 2>&1); rc=$?
[ "$rc" -eq 2 ] || fail "a bad --health-fall exited $rc, not 2: $out"
echo "$out" | grep -q "health-fall" || fail "no clear message for a bad --health-fall: $out"
ok "a bad flag value stops the start with exit code 2: $out"
