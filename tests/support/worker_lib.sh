# Helpers of the worker integration tests; source after tests/lib.sh.
#
# start_worker LOG BINARY ARGS...: starts BINARY --port P ARGS... on a free port and waits until
# it accepts.  A port that free_port found free can be taken before the worker binds it (the
# probe picks from the ephemeral range, which outgoing connections share), so a worker that
# exits at start is retried on another port, up to 5 times (its log kept as LOG.failed-N).
# Sets PORT and WPID.
start_worker() {
  local log=$1 bin=$2 attempt
  shift 2
  for attempt in 1 2 3 4 5; do
    PORT=$(listen_port)
    spawn "$bin" --port "$PORT" "$@" >>"$log" 2>&1
    WPID=$LAST_PID
    for _ in $(seq 100); do
      (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0
      kill -0 "$WPID" 2>/dev/null || break
      sleep 0.1
    done
    kill "$WPID" 2>/dev/null
    echo "worker did not start on port $PORT (attempt $attempt)" >&2
    # The failed attempt's log (under ASan it holds lws's leak report of the failed listen)
    # moves aside, so stop_worker judges only the worker that runs.
    mv "$log" "$log.failed-$attempt" 2>/dev/null
  done
  fail "the worker never started: $(tail -3 "$log.failed-5")"
}

# listen_port: a free TCP port below the kernel's ephemeral range when there is room (outgoing
# connections never take those, and the TIME_WAIT entries they leave by the ten thousand on a
# busy machine make a listener's bind fail with EADDRINUSE), else free_port's.
listen_port() {
  python3 - <<'PY' 2>/dev/null || free_port
import random, socket
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
if low < 12000:
    raise SystemExit(1)
for _ in range(100):
    p = random.randrange(10000, low)
    s = socket.socket()
    try:
        s.bind(("0.0.0.0", p))
    except OSError:
        continue
    finally:
        s.close()
    print(p)
    raise SystemExit(0)
raise SystemExit(1)
PY
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

# start_broker LOG CMD...: a broker on a free port (CMD gets --port P appended), retried on
# another port when it cannot bind; sets BPORT, BPID.
start_broker() {
  local log=$1 attempt
  shift
  for attempt in 1 2 3 4 5; do
    BPORT=$(listen_port)
    spawn "$@" --port "$BPORT" >>"$log" 2>&1
    BPID=$LAST_PID
    for _ in $(seq 100); do
      (exec 3<>"/dev/tcp/127.0.0.1/$BPORT") 2>/dev/null && return 0
      kill -0 "$BPID" 2>/dev/null || break
      sleep 0.1
    done
    kill "$BPID" 2>/dev/null
  done
  fail "broker $* did not start: $(tail -3 "$log")"
}
