#!/usr/bin/env bash
# Protocol v1: the unchanged npm socketcluster-client 14 against sc-conformance started with
# --protocol-version 1 (#1/#2 pings), and dropped by a default (v2) worker.
. "$SC_ROOT/tests/lib.sh"
command -v node >/dev/null || fail "node is not installed"
if [ ! -d "$SC_ROOT/tests/node_modules/socketcluster-client-v14" ]; then
  npm ci --prefix "$SC_ROOT/tests" --no-audit --no-fund >/dev/null 2>&1 || fail "npm ci failed"
fi
P1=$(free_port)
spawn "$SC_BIN/sc-conformance" --port "$P1" --protocol-version 1 --ping-interval 500 \
  --ping-timeout 2000 >"$TEST_TMP/v1.log" 2>&1
P2=$(free_port)
spawn "$SC_BIN/sc-conformance" --port "$P2" --ping-interval 500 --ping-timeout 2000 \
  >"$TEST_TMP/v2.log" 2>&1
wait_port "$P1"; wait_port "$P2"
node "$SC_ROOT/tests/support/worker_v1.js" "$P1" "$P2" || fail "socketcluster-client 14"
ok "socketcluster-client 14 checks passed"
echo "worker_v1: ${_checks:?} checks passed"
