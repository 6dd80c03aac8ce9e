#!/usr/bin/env bash
# Protocol v1: the unchanged npm socketcluster-client 14 against sc-conformance started with
# --protocol-version 1 (#1/#2 pings), and dropped by a default (v2) worker.
. "$SC_ROOT/tests/lib.sh"
. "$SC_ROOT/tests/support/worker_lib.sh"
need_node_modules socketcluster-client-v14
start_worker "$TEST_TMP/v1.log" "$SC_BIN/sc-conformance" --protocol-version 1 \
  --ping-interval 500 --ping-timeout 2000
P1=$PORT W1=$WPID
start_worker "$TEST_TMP/v2.log" "$SC_BIN/sc-conformance" --ping-interval 500 --ping-timeout 2000
P2=$PORT W2=$WPID
node "$SC_ROOT/tests/support/worker_v1.js" "$P1" "$P2" || fail "socketcluster-client 14"
ok "socketcluster-client 14 checks passed"
stop_worker "$W1" "$TEST_TMP/v1.log"
stop_worker "$W2" "$TEST_TMP/v2.log"
ok "SIGTERM: exit code 0, no sanitizer report"
echo "worker_v1: ${_checks:?} checks passed"
