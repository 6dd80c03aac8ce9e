#!/usr/bin/env bash
# Raw WebSocket frames (npm ws) against sc-conformance: handshake rules and their close codes
# (4009, 4008, 4005), pong timeout (4001), oversize (1009), invalid UTF-8 (1007), malformed
# JSON and wrong field types ignored, batches, byte-exact echo, auth errors as captured.
. "$SC_ROOT/tests/lib.sh"
command -v node >/dev/null || fail "node is not installed"
if [ ! -d "$SC_ROOT/tests/node_modules/ws" ]; then
  npm ci --prefix "$SC_ROOT/tests" --no-audit --no-fund >/dev/null 2>&1 || fail "npm ci failed"
fi
KEY="$TEST_TMP/auth.key"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$KEY"
PORT=$(free_port)
spawn "$SC_BIN/sc-conformance" --port "$PORT" --auth-key-file "$KEY" --handshake-timeout 800 \
  --ping-interval 300 --ping-timeout 1000 --max-payload 100000 >"$TEST_TMP/worker.log" 2>&1
WPID=$LAST_PID
wait_port "$PORT"
node "$SC_ROOT/tests/support/worker_raw.js" "$PORT" "$KEY" || { tail -20 "$TEST_TMP/worker.log"; fail "raw frames"; }
ok "raw-frame checks passed"
kill -0 "$WPID" || fail "the worker died"
ok "the worker is still running"
echo "worker_raw: ${_checks:?} checks passed"
