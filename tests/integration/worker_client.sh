#!/usr/bin/env bash
# The unchanged npm socketcluster-client 20 (protocol v2) against sc-conformance: connect,
# invoke echo/error, transmit, login and reconnect with the token, forged/expired/garbage
# tokens, #authenticate, whoami, invokeBack, batches, server pings, disconnectMe's close code,
# the client's ping timeout against a stopped worker
# (tests/support/worker_client.js says what each check proves).
. "$SC_ROOT/tests/lib.sh"
. "$SC_ROOT/tests/support/worker_lib.sh"
need_node_modules socketcluster-client ws
KEY="$TEST_TMP/auth.key"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$KEY"
start_worker "$TEST_TMP/worker.log" "$SC_BIN/sc-conformance" --auth-key-file "$KEY" \
  --ping-interval 500 --ping-timeout 2000 --ack-timeout 1000
node "$SC_ROOT/tests/support/worker_client.js" "$PORT" "$KEY" "$WPID" || { tail -20 "$TEST_TMP/worker.log"; fail "socketcluster-client 20"; }
ok "socketcluster-client 20 checks passed"
kill -0 "$WPID" || fail "the worker died"
ok "the worker is still running"
stop_worker "$WPID" "$TEST_TMP/worker.log"
ok "SIGTERM: exit code 0, no sanitizer report"
echo "worker_client: ${_checks:?} checks passed"
