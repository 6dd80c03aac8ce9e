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

# A token outlives the worker that signed it: restart on another port with the same key file,
# and once more with a new key (the token is then refused and removed).
start_worker "$TEST_TMP/w2.log" "$SC_BIN/sc-conformance" --auth-key-file "$KEY"
TOKEN=$(node "$SC_ROOT/tests/support/worker_restart.js" "$PORT" login) || fail "login"
stop_worker "$WPID" "$TEST_TMP/w2.log"
start_worker "$TEST_TMP/w3.log" "$SC_BIN/sc-conformance" --auth-key-file "$KEY"
expect_eq "$(node "$SC_ROOT/tests/support/worker_restart.js" "$PORT" reuse "$TOKEN")" \
  '{"isAuthenticated":true,"whoami":{"username":"rita"}}' \
  "a token signed before a restart authenticates on the new worker (same --auth-key-file)"
stop_worker "$WPID" "$TEST_TMP/w3.log"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TEST_TMP/other.key"
start_worker "$TEST_TMP/w4.log" "$SC_BIN/sc-conformance" --auth-key-file "$TEST_TMP/other.key"
expect_eq "$(node "$SC_ROOT/tests/support/worker_restart.js" "$PORT" reuse "$TOKEN")" \
  '{"isAuthenticated":false,"whoami":null}' "the same token is refused by a worker with another key"
stop_worker "$WPID" "$TEST_TMP/w4.log"
echo "worker_client: ${_checks:?} checks passed"
