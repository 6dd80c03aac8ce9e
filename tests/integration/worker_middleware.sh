#!/usr/bin/env bash
# Every middleware point of the toolkit (worker/examples/middleware.cpp): HandshakeWS (HTTP
# 401), HandshakeSC (close 4501), Authenticate, Invoke (block, silent block, rewrite), Transmit.
. "$SC_ROOT/tests/lib.sh"
command -v node >/dev/null || fail "node is not installed"
if [ ! -d "$SC_ROOT/tests/node_modules/socketcluster-client" ]; then
  npm ci --prefix "$SC_ROOT/tests" --no-audit --no-fund >/dev/null 2>&1 || fail "npm ci failed"
fi
KEY="$TEST_TMP/auth.key"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$KEY"
PORT=$(free_port)
spawn "$SC_BIN/sc-example-middleware" --port "$PORT" --auth-key-file "$KEY" \
  >"$TEST_TMP/worker.log" 2>&1
wait_port "$PORT"
node "$SC_ROOT/tests/support/worker_middleware.js" "$PORT" "$KEY" || { tail -20 "$TEST_TMP/worker.log"; fail "middleware"; }
ok "middleware checks passed"
kill -0 "$LAST_PID" || fail "the worker died"
ok "the worker is still running"
echo "worker_middleware: ${_checks:?} checks passed"
