#!/usr/bin/env bash
# start-cluster.sh starts the broker and waits for it; status.sh sees it; stop-cluster.sh stops
# exactly it.  Runs in a private run/ directory on a free port.
. "$SC_ROOT/tests/lib.sh"
export SCLUSTER_RUN="$TEST_TMP/run" SCLUSTER_BIN="$SC_BIN"
port=$(free_port)
out=$("$SC_ROOT/scripts/start-cluster.sh" --broker-port "$port") || fail "start-cluster.sh failed: $out"
pid=$(cat "$SCLUSTER_RUN/sc-broker.pid"); _pids+=("$pid")
echo "$out" | grep -q "redis-cli -p $port" || fail "start-cluster.sh did not print the redis-cli line"
expect_eq "$(redis-cli -p "$port" ping)" PONG "broker answers after start-cluster.sh"
"$SC_ROOT/scripts/status.sh" | grep -q "sc-broker: running" || fail "status.sh does not see the broker"
ok "status.sh reports the broker running"
out2=$("$SC_ROOT/scripts/start-cluster.sh" --broker-port "$port") || fail "second start failed"
echo "$out2" | grep -q "already running" || fail "second start did not notice the running broker"
ok "start-cluster.sh is idempotent"
"$SC_ROOT/scripts/stop-cluster.sh" >/dev/null
kill -0 "$pid" 2>/dev/null && fail "broker still running after stop-cluster.sh"
ok "stop-cluster.sh stopped the broker (pid $pid)"
grep -q "ready to exit" "$SCLUSTER_RUN/sc-broker.log" || fail "no clean shutdown in the log"
ok "SIGTERM shut the broker down cleanly (log says so)"
