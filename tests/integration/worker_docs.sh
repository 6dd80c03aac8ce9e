#!/usr/bin/env bash
# docs/configuration.md documents every option that the worker's --help lists, with its default,
# in its "Worker configuration" section: the table is what `sc-conformance --help-markdown`
# prints from the same option table (as broker_docs.sh and balancer_docs.sh check for theirs).
. "$SC_ROOT/tests/lib.sh"
[ -x "$SC_BIN/sc-conformance" ] || { echo "sc-conformance is not built"; exit 77; }
out=$("$SC_ROOT/scripts/config-docs.sh" --check "$SC_BIN" 2>&1) ||
  fail "docs/configuration.md is not what --help-markdown prints: $out"
ok "docs/configuration.md's option tables are those --help-markdown prints (scripts/config-docs.sh)"
section=$(sed -n '/^# Worker configuration/,$p' "$SC_ROOT/docs/configuration.md")
docs_cover_help "$section" "$SC_BIN/sc-conformance" 15
# Bad values stop the start with exit code 2, from a flag or from a variable, naming it; a flag
# wins over its variable without the variable being read.
out=$("$SC_BIN/sc-conformance" --rx-buffer-size 64 2>&1); rc=$?
[ "$rc" -eq 2 ] && grep -q -- "--rx-buffer-size 64: argument must be between 128 and" <<<"$out" ||
  fail "a too small --rx-buffer-size: exit $rc, $out"
out=$(SCLUSTER_ALLOW_CLIENT_PUBLISH=maybe "$SC_BIN/sc-conformance" 2>&1); rc=$?
[ "$rc" -eq 2 ] && grep -q "SCLUSTER_ALLOW_CLIENT_PUBLISH=maybe" <<<"$out" ||
  fail "a bad SCLUSTER_ALLOW_CLIENT_PUBLISH: exit $rc, $out"
out=$(SCLUSTER_LOG_LEVEL=loud "$SC_BIN/sc-conformance" --log-level x --help 2>&1); rc=$?
[ "$rc" -eq 0 ] || fail "--help with a bad variable and a bad flag value: exit $rc, $out"
out=$(SCLUSTER_BROKERS=nope "$SC_BIN/sc-conformance" --brokers 127.0.0.1:1 --ping-interval 5000 \
      --ping-timeout 4000 2>&1); rc=$?
[ "$rc" -eq 2 ] && grep -q -- "--ping-interval must be shorter" <<<"$out" ||
  fail "SCLUSTER_BROKERS=nope under --brokers was read, or the cross-check is gone: exit $rc, $out"
ok "bad values exit 2 naming the flag or the variable; a flag hides its variable"
