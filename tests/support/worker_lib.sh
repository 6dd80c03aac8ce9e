# Helpers of the worker integration tests; source after tests/lib.sh.
#
# start_worker LOG BINARY ARGS...: starts BINARY --port P ARGS... on a free port and waits until
# it accepts (tests/lib.sh's start_listening, retried on another port when it cannot bind).
# Sets PORT and WPID.
start_worker() {
  local log=$1 bin=$2
  shift 2
  start_listening "$log" "$bin" "$@"
  WPID=$SPID
}

# start_worker_pair NAME BINARY ARGS...: two workers, each start_worker BINARY ARGS..., logging to
# $TEST_TMP/NAME-w1.log and NAME-w2.log.  Sets P1 W1 (the first) and P2 W2 (the second).
start_worker_pair() {
  local name=$1
  shift
  start_worker "$TEST_TMP/$name-w1.log" "$@"
  P1=$PORT W1=$WPID
  start_worker "$TEST_TMP/$name-w2.log" "$@"
  P2=$PORT W2=$WPID
}

# stop_worker_pair NAME: stop_worker on both workers of start_worker_pair NAME.
stop_worker_pair() {
  stop_worker "$W1" "$TEST_TMP/$1-w1.log"
  stop_worker "$W2" "$TEST_TMP/$1-w2.log"
}

# Installs the pinned node packages once (tests/package-lock.json).
need_node_modules() {
  command -v node >/dev/null || fail "node is not installed"
  local m
  for m in "$@"; do
    [ -d "$SC_ROOT/tests/node_modules/$m" ] && continue
    npm ci --prefix "$SC_ROOT/tests" --no-audit --no-fund >/dev/null 2>&1 || fail "npm ci failed"
    return
  done
}

# stop_worker PID LOG: SIGTERM, wait up to 10 s for exit code 0, and fail on a sanitizer report
# in LOG (SANITIZE builds print leaks and errors there at exit).
stop_worker() {
  local pid=$1 log=$2 rc
  kill -TERM "$pid" 2>/dev/null || fail "worker $pid is not running"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && fail "worker $pid ignored SIGTERM for 10 s"
  wait "$pid"; rc=$?
  if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$log"; then
    grep -E -A12 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$log" | head -40 >&2
    fail "sanitizer report in $log"
  fi
  [ "$rc" -eq 0 ] || fail "worker exited with $rc after SIGTERM"
}

# start_broker LOG CMD...: a broker on a free port (tests/lib.sh's start_listening); sets BPORT, BPID.
start_broker() {
  start_listening "$@"
  BPORT=$PORT BPID=$SPID
}
