#!/usr/bin/env bash
# Raw WebSocket frames (npm ws) against sc-conformance: handshake rules and their close codes
# (4009, 4008, 4005), pong timeout (4001), oversize (1009), invalid UTF-8 (1007), malformed
# JSON and wrong field types ignored, batches, byte-exact echo, auth errors as captured.
. "$SC_ROOT/tests/lib.sh"
. "$SC_ROOT/tests/support/worker_lib.sh"
need_node_modules ws socketcluster-client
KEY="$TEST_TMP/auth.key"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$KEY"
# --ping-timeout comes from the environment; --handshake-timeout from the flag, which wins.
export SCLUSTER_PING_TIMEOUT=1000 SCLUSTER_HANDSHAKE_TIMEOUT=5000
start_worker "$TEST_TMP/worker.log" "$SC_BIN/sc-conformance" --auth-key-file "$KEY" \
  --handshake-timeout 800 --ping-interval 300 --max-payload 100000
unset SCLUSTER_PING_TIMEOUT SCLUSTER_HANDSHAKE_TIMEOUT
node "$SC_ROOT/tests/support/worker_raw.js" "$PORT" "$KEY" || { tail -20 "$TEST_TMP/worker.log"; fail "raw frames"; }
ok "raw-frame checks passed (pingTimeout 1000 from SCLUSTER_PING_TIMEOUT, the flag beat SCLUSTER_HANDSHAKE_TIMEOUT)"
kill -0 "$WPID" || fail "the worker died"
ok "the worker is still running"
stop_worker "$WPID" "$TEST_TMP/worker.log"
ok "SIGTERM: exit code 0, no sanitizer report"
help=$("$SC_BIN/sc-conformance" --help) || fail "--help exit code"
for o in port host path protocol-version ping-interval ping-timeout handshake-timeout ack-timeout \
    auth-key-file auth-default-expiry max-payload rx-buffer-size log-level logfile; do
  grep -q -- "--$o " <<<"$help" || fail "--help lacks --$o"
done
grep -q -- '--ping-timeout MS .*(default 30000)' <<<"$help" || fail "--help default of --ping-timeout"
ok "--help lists every option with its default"
"$SC_BIN/sc-conformance" --ping-interval 5000 --ping-timeout 4000 2>/dev/null; rc=$?
expect_eq "$rc" "2" "ping-interval >= ping-timeout is refused with exit code 2"
"$SC_BIN/sc-conformance" --no-such-flag 2>/dev/null; rc=$?
expect_eq "$rc" "2" "an unknown flag exits 2"
"$SC_BIN/sc-conformance" --port "$PORT" --auth-key-file /nonexistent 2>/dev/null; rc=$?
expect_eq "$rc" "1" "an unreadable --auth-key-file exits 1"
echo "worker_raw: ${_checks:?} checks passed"
