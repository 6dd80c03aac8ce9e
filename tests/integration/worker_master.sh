#!/usr/bin/env bash
# The master of `--workers N` (worker/src/master.cpp) judged by the unchanged npm
# socketcluster-client 20 against sc-conformance (tests/support/worker_master.js says what each
# check proves): two workers on two ports, kill -9 of one under traffic, a crash loop's
# back-off, SIGUSR2 rolling restart, SIGTERM drain (1001, exit 0, every process gone), two
# workers on one port with --reuseport, a worker that cannot bind at start (exit 1), the logs
# of every worker in the master's one log, and the broker restarted under subscribers on two
# workers.
. "$SC_ROOT/tests/lib.sh"
. "$SC_ROOT/tests/support/worker_lib.sh"
need_node_modules socketcluster-client ws
JS="$SC_ROOT/tests/support/worker_master.js"
CONF="$SC_BIN/sc-conformance"

# start_master LOG N ARGS...: sc-conformance --workers N --port P ARGS... on a port P with P..P+N-1
# free, waiting until the log shows N workers listening; retried on other ports (a port found
# free can be taken before the worker binds it, and the master then exits 1).  Its stderr goes
# to LOG, or to $OUT when set (with --logfile LOG).  Sets PORT, MPID.
start_master() {
  local log=$1 n=$2 attempt up
  shift 2
  for attempt in 1 2 3 4 5; do
    PORT=$(free_port)
    spawn "$CONF" --workers "$n" --port "$PORT" "$@" >>"${OUT:-$log}" 2>&1
    MPID=$LAST_PID
    for _ in $(seq 100); do
      up=$(grep -cs 'master: worker [0-9]* (pid [0-9]*) listening' "$log")
      [ "${up:-0}" -ge "$n" ] && return 0
      kill -0 "$MPID" 2>/dev/null || break
      sleep 0.1
    done
    kill "$MPID" 2>/dev/null
    wait "$MPID" 2>/dev/null
    mv "$log" "$log.failed-$attempt" 2>/dev/null
  done
  fail "the master never started: $(tail -5 "$log.failed-5")"
}

# worker_pids LOG: the pids of every worker the log saw listening.
worker_pids() { sed -n 's/.*master: worker [0-9]* (pid \([0-9]*\)) listening.*/\1/p' "$1"; }

# stop_master PID LOG: SIGTERM; the master must exit 0 within 10 s, every worker be gone, and
# the log hold no sanitizer report.
stop_master() {
  local pid=$1 log=$2 rc w
  kill -TERM "$pid" 2>/dev/null || fail "master $pid is not running"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && fail "master $pid ignored SIGTERM for 10 s"
  wait "$pid"; rc=$?
  for w in $(worker_pids "$log"); do kill -0 "$w" 2>/dev/null && fail "worker $w outlived its master"; done
  if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$log"; then
    grep -E -A12 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$log" | head -40 >&2
    fail "sanitizer report in $log"
  fi
  [ "$rc" -eq 0 ] || { tail -5 "$log" >&2; fail "master exited with $rc after SIGTERM"; }
}

# Bad options are still exit 2, before anything is forked.
"$CONF" --workers 2 --port 0 >/dev/null 2>&1; expect_eq "$?" 2 "--workers 2 --port 0: exit 2"
"$CONF" --workers -1 >/dev/null 2>&1; expect_eq "$?" 2 "--workers -1: exit 2"
"$CONF" --workers 2 --port 65535 >/dev/null 2>&1; expect_eq "$?" 2 "ports past 65535: exit 2"
"$CONF" --help | grep -q 'SCLUSTER_WORKER_ID' || fail "--help does not name SCLUSTER_WORKER_ID"
ok "--help documents --workers and the workers' SCLUSTER_WORKER_ID"

# A broker for the pub/sub checks.
start_broker "$TEST_TMP/broker.log" "$SC_BIN/sc-broker"

# Two workers on two ports; kill -9 of worker 0 under traffic.
LOG="$TEST_TMP/crash.log"
start_master "$LOG" 2 --brokers "127.0.0.1:$BPORT"
timeout 60 node "$JS" crash "$PORT" $((PORT + 1)) "$LOG" || { tail -20 "$LOG"; fail "crash"; }
grep -q 'master: worker 0 (pid [0-9]*) killed by signal 9' "$LOG" || fail "the master did not log the crash"
grep -q '^\[w0\] [0-9]*:W .* worker 0 listening on port' "$LOG" &&
  grep -q '^\[w1\] [0-9]*:W .* worker 1 listening on port' "$LOG" ||
  fail "the workers' own log lines are not in the master's log with their id"
ok "one log: the master's lines and each worker's lines prefixed [w0] / [w1]"

# The broker restarted under subscribers on both workers of this master.
timeout 60 node "$JS" broker "$PORT" $((PORT + 1)) "$BPID" "$SC_BIN/sc-broker" --port "$BPORT" ||
  { tail -20 "$LOG"; fail "broker restart"; }
stop_master "$MPID" "$LOG"
ok "SIGTERM: the master exits 0 and no worker outlives it"

# SIGTERM under clients: 1001 to each, all processes gone within the bound.
LOG="$TEST_TMP/term.log"
start_master "$LOG" 2 --brokers "127.0.0.1:$BPORT" --shutdown-timeout 2000
PIDS=$(worker_pids "$LOG")
T0=$(date +%s%N)
timeout 30 node "$JS" term "$PORT" $((PORT + 1)) "$MPID" || { tail -20 "$LOG"; fail "term"; }
for _ in $(seq 50); do kill -0 "$MPID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$MPID" 2>/dev/null && fail "the master still runs 5 s after SIGTERM"
wait "$MPID"; RC=$?
MS=$((($(date +%s%N) - T0) / 1000000))
expect_eq "$RC" 0 "SIGTERM under clients: master exit code 0"
for w in $PIDS; do kill -0 "$w" 2>/dev/null && fail "worker $w still runs"; done
ok "master and both workers gone ${MS} ms after SIGTERM (bound: --shutdown-timeout 2000 + 1 s)"

# A worker that ignores the drain is killed at the bound; the master then exits 1.
LOG="$TEST_TMP/stuck.log"
start_master "$LOG" 1 --brokers "127.0.0.1:$BPORT" --shutdown-timeout 500
W=$(worker_pids "$LOG")
kill -STOP "$W"
T0=$(date +%s%N)
kill -TERM "$MPID"
for _ in $(seq 50); do kill -0 "$MPID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$MPID" 2>/dev/null && fail "the master still runs 5 s after SIGTERM with a stopped worker"
wait "$MPID"; RC=$?
MS=$((($(date +%s%N) - T0) / 1000000))
expect_eq "$RC" 1 "a worker that does not drain: SIGKILL after the bound, master exit 1"
grep -q 'still running after the drain: SIGKILL' "$LOG" || fail "the SIGKILL was not logged"
kill -0 "$W" 2>/dev/null && fail "the stopped worker survived"
ok "the stopped worker was killed ${MS} ms after SIGTERM (--shutdown-timeout 500 + 1 s)"

# SIGUSR2: rolling restart.
LOG="$TEST_TMP/rolling.log"
start_master "$LOG" 2 --brokers "127.0.0.1:$BPORT"
timeout 60 node "$JS" rolling "$PORT" $((PORT + 1)) "$LOG" "$MPID" || { tail -20 "$LOG"; fail "rolling"; }
stop_master "$MPID" "$LOG"

# A crash loop backs off.
LOG="$TEST_TMP/loop.log"
start_master "$LOG" 1 --brokers "127.0.0.1:$BPORT"
timeout 60 node "$JS" loop "$PORT" "$LOG" || { tail -20 "$LOG"; fail "crash loop"; }
grep -q 'respawn in 2.00 s (crash 5 in a row)' "$LOG" || fail "the back-off is not logged"
ok "the master logs each respawn's delay ('respawn in 2.00 s (crash 5 in a row)')"
stop_master "$MPID" "$LOG"

# --reuseport: two workers on one port, with --logfile (the workers' lines go there too).
LOG="$TEST_TMP/reuse.log"
OUT="$TEST_TMP/reuse.stderr" start_master "$LOG" 2 --reuseport yes \
  --brokers "127.0.0.1:$BPORT" --logfile "$LOG"
timeout 60 node "$JS" reuseport "$PORT" "$LOG" || { tail -20 "$LOG"; fail "reuseport"; }
grep -q '^\[w1\] .* worker 1 listening on port '"$PORT" "$LOG" || fail "--logfile lacks the workers' lines"
[ -s "$TEST_TMP/reuse.stderr" ] && { cat "$TEST_TMP/reuse.stderr" >&2; fail "with --logfile the master still wrote to stderr"; }
ok "--logfile holds the master's and the workers' lines; stderr stays empty"
timeout 60 node "$JS" rolling-shared "$PORT" "$LOG" "$MPID" || { tail -20 "$LOG"; fail "rolling with --reuseport"; }
stop_master "$MPID" "$LOG"

# Every app on the toolkit has the master: the chat example with two workers, a message
# published on one reaches a client of the other (sc::Exchange through the broker).
# (The broker of the first tests was killed by the broker check: a new one.)
start_broker "$TEST_TMP/broker2.log" "$SC_BIN/sc-broker"
LOG="$TEST_TMP/chat.log"
CONF="$SC_BIN/sc-example-chat" start_master "$LOG" 2 --brokers "127.0.0.1:$BPORT"
timeout 30 node "$SC_ROOT/tests/support/worker_pubsub.js" chat "$PORT" $((PORT + 1)) ||
  { tail -20 "$LOG"; fail "chat example"; }
stop_master "$MPID" "$LOG"
ok "sc-example-chat --workers 2: the master comes with the toolkit"

# A worker that cannot bind at start: the master exits 1 with the error, no respawn loop.
BUSY=$(free_port)
python3 -c 'import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]) + 1)); s.listen(1); print("bound", flush=True); time.sleep(30)' "$BUSY" \
  >"$TEST_TMP/busy.out" 2>&1 &
HOLDER=$!
_pids+=("$HOLDER")
for _ in $(seq 50); do grep -q bound "$TEST_TMP/busy.out" && break; sleep 0.1; done
grep -q bound "$TEST_TMP/busy.out" || fail "could not take port $((BUSY + 1)) for the test"
timeout 20 "$CONF" --workers 2 --port "$BUSY" --brokers "127.0.0.1:$BPORT" >"$TEST_TMP/busy.log" 2>&1
expect_eq "$?" 1 "port P+1 taken: the master exits 1"
grep -q '^\[w1\] .*cannot listen on port' "$TEST_TMP/busy.log" &&
  grep -q 'master: worker 1 (pid [0-9]*) exited with code 1 before it listened: giving up' "$TEST_TMP/busy.log" ||
  { cat "$TEST_TMP/busy.log" >&2; fail "the start failure is not logged"; }
[ "$(grep -c 'master: worker 1 (pid' "$TEST_TMP/busy.log")" -eq 1 ] || fail "worker 1 was respawned"
ok "the worker's error and the master's verdict are logged; worker 1 was not respawned"
kill "$HOLDER" 2>/dev/null

echo "worker_master: ${_checks:?} checks passed"
