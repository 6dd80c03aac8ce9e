#!/usr/bin/env bash
# Every middleware point of the toolkit (worker/examples/middleware.cpp): HandshakeWS (HTTP
# 401), HandshakeSC (close 4501), Authenticate, Invoke (block, silent block, rewrite), Transmit;
# and worker/examples/echo.cpp: a per-socket procedure, on_connection / on_disconnect.
. "$SC_ROOT/tests/lib.sh"
. "$SC_ROOT/tests/support/worker_lib.sh"
need_node_modules socketcluster-client ws
KEY="$TEST_TMP/auth.key"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$KEY"
start_worker "$TEST_TMP/worker.log" "$SC_BIN/sc-example-middleware" --auth-key-file "$KEY"
node "$SC_ROOT/tests/support/worker_middleware.js" "$PORT" "$KEY" || { tail -20 "$TEST_TMP/worker.log"; fail "middleware"; }
ok "middleware checks passed"
kill -0 "$WPID" || fail "the middleware worker died"
MWPID=$WPID

start_worker "$TEST_TMP/echo.log" "$SC_BIN/sc-example-echo"
node "$SC_ROOT/tests/support/worker_echo.js" "$PORT" || fail "echo example"
ok "echo example: per-socket procedure and connection hooks"
kill -0 "$WPID" || fail "the echo worker died"
ok "both workers are still running"
stop_worker "$MWPID" "$TEST_TMP/worker.log"
stop_worker "$WPID" "$TEST_TMP/echo.log"
ok "SIGTERM: exit code 0, no sanitizer report"
echo "worker_middleware: ${_checks:?} checks passed"
