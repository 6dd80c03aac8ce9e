#!/usr/bin/env bash
# One worker process of ours (build/bin/sc-conformance) against the Node SocketCluster server v20
# (socketcluster-server 20.0.1 from npm, bench/node/server.js: the same `echo` procedure), with a
# raw libwebsockets echo server (bench/lws_echo.cpp, lws + libev set up as the worker) as the
# ceiling.  The load generator is ours (bench/sc_load.cpp: epoll, SocketCluster v2 framing).
#
#   bash bench/worker-vs-node.sh             (after `make`; SC_BUILD=build-x to pick a build)
#   ROUNDS=5 DURATION=10 bash bench/worker-vs-node.sh
#   ROUNDS=1 DURATION=2 IDLE_CONNS=2000 SUBSCRIBERS=200 bash bench/worker-vs-node.sh   (smoke)
#
# Layout on a 2-core machine: the server under test (one at a time, one process) pinned to core
# $SERVER_CPU, sc_load alone on core $LOAD_CPU.  For our pub/sub, sc-broker (started once, on a
# free port) runs on the server's core too, since Node's broker runs inside its one process.
# Every metric runs ROUNDS times, a fresh server each time, the servers in an order that rotates
# from round to round; the table gives medians and the ratio ours/Node.  Server CPU is
# utime+stime of the server (all threads, /proc/PID/stat) over the measured window, read by
# sc_load itself at the window's edges; "CPU %" near 100 means the server was the bottleneck,
# the load generator's CPU % near 100 means sc_load was.
#   saturated   --conns $CONNS, each with $WINDOW echo invokes outstanding: round trips/s,
#               server CPU us per round trip, p50/p99 latency
#   fixed       the same at a fixed rate: FIXED_FRACTION (0.4) x Node's median saturated rate
#               from this run (or RATE=n): server CPU us per round trip, p50/p99 latency
#   idle        RSS growth of the server per handshaken idle connection at $IDLE_CONNS
#   pubsub      $SUBSCRIBERS sockets subscribed to one channel, one more socket publishing
#               (invokes, at most $PUB_WINDOW outstanding or undelivered): deliveries/s and
#               server CPU per delivery (ours: sc-conformance + sc-broker; Node: its process
#               with its in-process broker)
#   sessions    session get and set round trips through the one server process (issue 17):
#               sc_load --procedure sessionSet, then sessionGet, $CONNS connections each with
#               its own session (sid query parameter) and $WINDOW invokes outstanding.  Three
#               servers: sc-conformance on sc-broker ("sc"), sc-conformance on redis-server
#               ("sc_redis": the worker apart from the broker) and the Node server with ioredis
#               on redis-server ("node_redis", bench/node/server.js REDIS_PORT: HSET/HGET on
#               sc:sess:<sid>).  Each broker is started once on a free port, pinned to the
#               server's core; server CPU per round trip counts the worker and its broker, and
#               the broker's share is given apart.  Every answer is checked (sessionGet: the value
#               the connection set; sessionSet: no error, and after the window each session's
#               last value is read back).
# lws echo has no SocketCluster: sc_load runs --raw against it (no handshake; the echoed frame
# is the answer), and it has no pub/sub.  Every loop is bounded in count and time.
# Exit 1 when a measurement had no result or wrong answers (sc_load's errors), so a smoke run
# (ROUNDS=1 DURATION=2) fails on wrong answers; the table is written either way.
# Env: ROUNDS=3 DURATION=3 WARMUP=1 CONNS=100 WINDOW=16 SIZE=16 FIXED_FRACTION=0.4 RATE=
#      IDLE_CONNS=10000 IDLE_ROUNDS=1 SUBSCRIBERS=1000 PUB_WINDOW=16 SERVER_CPU=0 LOAD_CPU=1
#      METRICS="saturated fixed idle pubsub sessions" OUT=$SC_BUILD/bench/worker-vs-node.md
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SC_BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
BIN="$BUILD/bin"
BENCH="$BUILD/bench"
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-3}
WARMUP=${WARMUP:-1}
CONNS=${CONNS:-100}
WINDOW=${WINDOW:-16}
SIZE=${SIZE:-16}
FIXED_FRACTION=${FIXED_FRACTION:-0.4}
RATE=${RATE:-}
IDLE_CONNS=${IDLE_CONNS:-10000}
IDLE_ROUNDS=${IDLE_ROUNDS:-1}  # memory varies little; a round of the three took 90 s on the loaded machine
SUBSCRIBERS=${SUBSCRIBERS:-1000}
PUB_WINDOW=${PUB_WINDOW:-16}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
METRICS=${METRICS:-saturated fixed idle pubsub sessions}
OUT=${OUT:-$BENCH/worker-vs-node.md}
want() { [[ " $METRICS " == *" $1 "* ]]; }
. "$ROOT/tests/lib.sh"
. "$ROOT/bench/lib.sh"

for t in node npm taskset python3; do
  command -v $t >/dev/null || { echo "worker-vs-node: missing $t (make deps)" >&2; exit 1; }
done
for f in "$BIN/sc-conformance" "$BIN/sc-broker" "$BENCH/sc_load" "$BENCH/lws_echo"; do
  [ -x "$f" ] || { echo "worker-vs-node: no $f (make)" >&2; exit 1; }
done
if want sessions && ! command -v redis-server >/dev/null; then
  echo "worker-vs-node: sessions needs redis-server (make deps)" >&2; exit 1
fi
if [ ! -f "$ROOT/bench/node/node_modules/socketcluster-server/package.json" ] ||
   [ ! -f "$ROOT/bench/node/node_modules/ioredis/package.json" ]; then
  echo "installing the Node server's packages (npm ci in bench/node)" >&2
  timeout 600 npm ci --prefix "$ROOT/bench/node" --no-audit --no-fund >"$TEST_TMP/npm.log" 2>&1 ||
    { cat "$TEST_TMP/npm.log" >&2; echo "worker-vs-node: npm ci failed" >&2; exit 1; }
fi
# 10,000 sockets need as many descriptors in the server and in sc_load.
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((IDLE_CONNS + 200)) ]; then
  echo "worker-vs-node: only $(ulimit -n) descriptors per process: IDLE_CONNS=$IDLE_CONNS lowered" >&2
  IDLE_CONNS=$(($(ulimit -n) - 200))
fi
mkdir -p "$(dirname "$OUT")"

NODE_SC=$(node -p "require('$ROOT/bench/node/node_modules/socketcluster-server/package.json').version")
LWS_VERSION=$(pkg-config --modversion libwebsockets 2>/dev/null | sed "s/-$//" || echo "?")
MACHINE="$(nproc) CPUs, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), Linux $(uname -r)"
echo "machine: $MACHINE"
NODE_IOREDIS=$(node -p "require('$ROOT/bench/node/node_modules/ioredis/package.json').version")
echo "node $(node --version), socketcluster-server $NODE_SC, ioredis $NODE_IOREDIS, libwebsockets $LWS_VERSION"
echo "server on CPU $SERVER_CPU, sc_load on CPU $LOAD_CPU; $ROUNDS round(s), ${DURATION}s measured after ${WARMUP}s warm-up"

# sc-broker for our pub/sub, on the server's core, for the whole run.
BROKER_PORT=$(free_port)
spawn taskset -c "$SERVER_CPU" "$BIN/sc-broker" --port "$BROKER_PORT" >"$TEST_TMP/broker.log" 2>&1
BROKER_PID=$LAST_PID
wait_port "$BROKER_PORT" || exit 1
# redis-server for the sessions metric (ours on it, and the Node server's), same core, whole run.
REDIS_PORT="" REDIS_PID="" REDIS_VERSION=""
if want sessions; then
  REDIS_PORT=$(free_port)
  spawn taskset -c "$SERVER_CPU" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' \
    --appendonly no --notify-keyspace-events Ex >"$TEST_TMP/redis.log" 2>&1
  REDIS_PID=$LAST_PID
  wait_port "$REDIS_PORT" || exit 1
  REDIS_VERSION=$(redis-server --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p')
fi

# start_server sc|node|lws|sc_redis|node_redis: a fresh server pinned to $SERVER_CPU; sets PORT
# and SPID.  sc_redis is sc-conformance on redis-server; node_redis is the Node server with its
# session procedures on redis-server.
start_server() {
  PORT=$(free_port)
  case $1 in
    sc|sc_redis)
      local bp=$BROKER_PORT
      [ "$1" = sc_redis ] && bp=$REDIS_PORT
      spawn taskset -c "$SERVER_CPU" "$BIN/sc-conformance" --port "$PORT" --host 127.0.0.1 \
          --brokers "127.0.0.1:$bp" --log-level warning >>"$TEST_TMP/sc.log" 2>&1 ;;
    node) spawn taskset -c "$SERVER_CPU" node "$ROOT/bench/node/server.js" "$PORT" \
            >>"$TEST_TMP/node.log" 2>&1 ;;
    node_redis) spawn taskset -c "$SERVER_CPU" node "$ROOT/bench/node/server.js" "$PORT" \
                  "$REDIS_PORT" >>"$TEST_TMP/node.log" 2>&1 ;;
    lws) spawn taskset -c "$SERVER_CPU" "$BENCH/lws_echo" --port "$PORT" >>"$TEST_TMP/lws.log" 2>&1 ;;
  esac
  SPID=$LAST_PID
  wait_port "$PORT" || { echo "worker-vs-node: $1 did not start" >&2; exit 1; }
  sleep 0.3
}
stop_server() {
  kill -0 "$SPID" 2>/dev/null || echo "  worker-vs-node: the server (pid $SPID) died during the run; see $TEST_TMP" >&2
  kill -TERM "$SPID" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$SPID" 2>/dev/null
  wait "$SPID" 2>/dev/null
  forget "$SPID"
}
rss_kb() {  # summed VmRSS of the pids given
  local p s=0 r
  for p in "$@"; do r=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null); s=$((s + ${r:-0})); done
  echo "$s"
}
# load KIND ARGS...: runs sc_load against the current server; prints its result line (empty if
# it failed).  The CPU of the server's process tree (plus the broker's for ours in pub/sub, given
# by the caller through EXTRA_PIDS) is read by sc_load over the measured window.
load() {
  local kind=$1; shift
  local pids raw=()
  pids=$(tree_pids "$SPID" | tr '\n' ',')
  pids=${pids%,}${EXTRA_PIDS:+,$EXTRA_PIDS}
  [ "$kind" = lws ] && raw=(--raw)
  timeout -s TERM "$(calc %d "$DURATION + $WARMUP + 150")" taskset -c "$LOAD_CPU" "$BENCH/sc_load" \
    --port "$PORT" "${raw[@]}" --duration "$DURATION" --warmup "$WARMUP" --size "$SIZE" \
    --connect-timeout 90 --cpu-pids "$pids" "$@" 2>>"$TEST_TMP/load.log" | tail -n 1
}

declare -A V R   # V[metric,kind,field] = values of the rounds; R = their medians
FAILED=0         # measurements with no result or with wrong answers: the exit status
record() {  # metric kind result-line; with EXTRA_PIDS set (as for load), the last cpu figure is the broker's
  local m=$1 k=$2 line=$3 secs count cpu s c
  secs=$(kv "$line" secs); count=$(kv "$line" count)
  if [ -z "$secs" ] || [ -z "$count" ] || [ "$count" = 0 ]; then
    echo "  $m $k: no result ($(tail -n 2 "$TEST_TMP/load.log" | tr '\n' ' '))" >&2
    FAILED=$((FAILED + 1))
    return
  fi
  if [ "$(kv "$line" errors)" != 0 ]; then
    echo "  $m $k: $(kv "$line" errors) wrong or error answers (see $TEST_TMP/load.log)" >&2
    FAILED=$((FAILED + 1))
  fi
  cpu=0
  for c in $(kv "$line" cpu | tr ',' ' '); do cpu=$(calc %.4f "$cpu + ($c > 0 ? $c : 0)"); done
  if [ -n "${EXTRA_PIDS:-}" ]; then
    c=$(kv "$line" cpu | tr ',' '\n' | tail -n 1)
    V[$m,$k,bus]+="$(calc %.2f "($c > 0 ? $c : 0) * 1000000 / $count") "
  fi
  V[$m,$k,rate]+="$(kv "$line" rate) "
  V[$m,$k,us]+="$(calc %.2f "$cpu * 1000000 / $count") "
  V[$m,$k,cpu]+="$(calc %.0f "$cpu * 100 / $secs") "
  V[$m,$k,load]+="$(calc %.0f "$(kv "$line" self_cpu_s) * 100 / $secs") "
  V[$m,$k,p50]+="$(kv "$line" p50_us) "
  V[$m,$k,p99]+="$(kv "$line" p99_us) "
  s="  $m $k: $(kv "$line" rate)/s, server CPU $(calc %.0f "$cpu * 100 / $secs")% ($(kv "$line" cpu) s),"
  s+=" $(calc %.2f "$cpu * 1000000 / $count") us/msg, sc_load CPU $(calc %.0f "$(kv "$line" self_cpu_s) * 100 / $secs")%,"
  s+=" p50 $(kv "$line" p50_us) us, p99 $(kv "$line" p99_us) us, errors $(kv "$line" errors), missed $(kv "$line" missed), closed $(kv "$line" closed)"
  echo "$s" >&2
}
summarize() {  # metric kinds...
  local m=$1 k f; shift
  for k in "$@"; do
    for f in rate us bus cpu load p50 p99 mem; do
      R[$m,$k,$f]=$(printf '%s\n' ${V[$m,$k,$f]:-} | median)
    done
  done
}

# ---- 1. saturated invokes ----
if want saturated; then
  echo "== saturated: $CONNS connections x $WINDOW invokes outstanding"
  for round in $(seq "$ROUNDS"); do
    for k in $(order "$round" sc node lws); do
      start_server "$k"
      record saturated "$k" "$(load "$k" --conns "$CONNS" --window "$WINDOW")"
      stop_server
    done
  done
  summarize saturated sc node lws
fi

# ---- 2. fixed moderate rate ----
if want fixed; then
  if [ -z "$RATE" ]; then
    if [ -n "${R[saturated,node,rate]:-}" ] && [ "${R[saturated,node,rate]}" != 0 ]; then
      RATE=$(calc %.0f "${R[saturated,node,rate]} * $FIXED_FRACTION")
    else
      echo "worker-vs-node: fixed needs the saturated Node figure or RATE=n; skipped" >&2
    fi
  fi
  if [ -n "$RATE" ]; then
    echo "== fixed: $RATE invokes/s over $CONNS connections"
    for round in $(seq "$ROUNDS"); do
      for k in $(order "$round" sc node lws); do
        start_server "$k"
        record fixed "$k" "$(load "$k" --conns "$CONNS" --window "$WINDOW" --rate "$RATE")"
        stop_server
      done
    done
    summarize fixed sc node lws
  fi
fi

# ---- 3. idle memory per connection ----
if want idle; then
  echo "== idle: RSS growth per connection at $IDLE_CONNS handshaken idle connections"
  for round in $(seq "$IDLE_ROUNDS"); do
    for k in $(order "$round" sc node lws); do
      start_server "$k"
      sleep 0.5
      before=$(rss_kb $(tree_pids "$SPID"))
      raw=(); [ "$k" = lws ] && raw=(--raw)
      : >"$TEST_TMP/idle.out"
      taskset -c "$LOAD_CPU" "$BENCH/sc_load" --port "$PORT" "${raw[@]}" --mode idle \
        --conns "$IDLE_CONNS" --duration 300 --connect-timeout 120 >"$TEST_TMP/idle.out" 2>>"$TEST_TMP/load.log" &
      lpid=$!
      _pids+=("$lpid")
      for _ in $(seq 650); do
        grep -q '^ready' "$TEST_TMP/idle.out" && break
        kill -0 "$lpid" 2>/dev/null || break
        sleep 0.2
      done
      sleep 2  # let the server settle (Node's collector, lws's pending writes)
      after=$(rss_kb $(tree_pids "$SPID"))
      open=$(kv "$(grep '^ready' "$TEST_TMP/idle.out")" open)
      kill -TERM "$lpid" 2>/dev/null; wait "$lpid" 2>/dev/null; forget "$lpid"
      if [ -n "$open" ] && [ "$open" -gt 0 ]; then
        per=$(calc %.0f "($after - $before) * 1024 / $open")
        V[idle,$k,mem]+="$per "
        echo "  idle $k: $open connections open in $(kv "$(grep '^ready' "$TEST_TMP/idle.out")" connect_s) s, RSS $before -> $after kB, $per bytes per connection" >&2
      else
        echo "  idle $k: connections did not open ($(tail -n 2 "$TEST_TMP/load.log" | tr '\n' ' '))" >&2
      fi
      stop_server
    done
  done
  summarize idle sc node lws
fi

# ---- 4. publication deliveries ----
if want pubsub; then
  echo "== pubsub: $SUBSCRIBERS subscribers on one channel, one publisher ($PUB_WINDOW publications in flight)"
  for round in $(seq "$ROUNDS"); do
    for k in $(order "$round" sc node); do
      start_server "$k"
      extra=""; [ "$k" = sc ] && extra=$BROKER_PID
      record pubsub "$k" "$(EXTRA_PIDS=$extra load "$k" --mode pubsub --conns "$SUBSCRIBERS" --window "$PUB_WINDOW")"
      stop_server
    done
  done
  summarize pubsub sc node
fi

# ---- 5. session set and get round trips ----
if want sessions; then
  echo "== sessions: $CONNS connections (a session each) x $WINDOW sessionSet, then sessionGet, invokes outstanding"
  for proc in sessionSet sessionGet; do
    for round in $(seq "$ROUNDS"); do
      for k in $(order "$round" sc sc_redis node_redis); do
        start_server "$k"
        extra=$BROKER_PID; [ "$k" = sc ] || extra=$REDIS_PID
        line=$(EXTRA_PIDS=$extra load "$k" --procedure "$proc" --conns "$CONNS" --window "$WINDOW")
        EXTRA_PIDS=$extra record "$proc" "$k" "$line"
        stop_server
      done
    done
    summarize "$proc" sc sc_redis node_redis
  done
fi

# ---- report ----
g() { echo "${R[$1]:--}"; }
{
  echo "Measured $(date -u '+%Y-%m-%d %H:%M') UTC on: $MACHINE.  "
  echo "node $(node --version), socketcluster-server $NODE_SC (bench/node/server.js), libwebsockets $LWS_VERSION;"
  echo "server on CPU $SERVER_CPU, sc_load on CPU $LOAD_CPU; median of $ROUNDS round(s) of ${DURATION}s after ${WARMUP}s warm-up (idle memory: $IDLE_ROUNDS round(s)), servers alternating; invokes carry ${SIZE} bytes of filler."
  echo
  if want saturated || want fixed || want idle || want pubsub; then
    echo "| metric | sc-conformance | Node SC $NODE_SC | ratio sc/Node | issue 16 asks sc/Node | lws echo (ceiling) | ratio sc/lws |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
  fi
  row() {  # label metric field target [no-lws]
    local l=$1 m=$2 f=$3 t=$4 lws="| |"
    [ -z "${5:-}" ] && lws="| $(g "$m,lws,$f") | $(ratio "$(g "$m,sc,$f")" "$(g "$m,lws,$f")") |"
    echo "| $l | $(g "$m,sc,$f") | $(g "$m,node,$f") | $(ratio "$(g "$m,sc,$f")" "$(g "$m,node,$f")") | $t $lws"
  }
  if want saturated; then
    row "saturated: invoke round trips/s ($CONNS conns x $WINDOW in flight)" saturated rate \
      ">= 3 (>= 1.5 if sc_load's core is the limit)"
    row "saturated: server CPU us per round trip" saturated us "<= 0.33"
    row "saturated: server CPU %" saturated cpu ""
    row "saturated: sc_load CPU %" saturated load ""
    row "saturated: p50 latency us" saturated p50 ""
    row "saturated: p99 latency us" saturated p99 ""
  fi
  if want fixed && [ -n "$RATE" ]; then
    row "fixed $RATE/s (${FIXED_FRACTION} x Node's peak): round trips/s achieved" fixed rate ""
    row "fixed: server CPU us per round trip" fixed us "<= 0.8"
    row "fixed: server CPU %" fixed cpu ""
    row "fixed: p50 latency us" fixed p50 ""
    row "fixed: p99 latency us" fixed p99 "<= 1"
  fi
  want idle && row "idle: RSS bytes per connection at $IDLE_CONNS connections" idle mem "<= 0.2"
  if want pubsub; then
    row "pub/sub: deliveries/s, $SUBSCRIBERS subscribers on one channel" pubsub rate ">= 3" x
    row "pub/sub: server CPU us per delivery (sc: worker + sc-broker)" pubsub us "" x
    row "pub/sub: server CPU % (sc: worker + sc-broker)" pubsub cpu "" x
    row "pub/sub: sc_load CPU %" pubsub load "" x
  fi
  if want sessions; then
    echo
    echo "Sessions: $CONNS connections, each its own session, $WINDOW invokes outstanding on each; redis-server $REDIS_VERSION, ioredis $NODE_IOREDIS; the broker pinned with the server; CPU counts the server process and its broker."
    echo
    echo "| metric | sc-conformance + sc-broker | sc-conformance + redis-server | Node SC $NODE_SC + ioredis + redis-server | ratio sc+sc-broker/Node | ratio sc+redis/Node |"
    echo "|---|---:|---:|---:|---:|---:|"
    srow() {  # label metric field [no-ratio]
      local r
      r="$(ratio "$(g "$2,sc,$3")" "$(g "$2,node_redis,$3")") | $(ratio "$(g "$2,sc_redis,$3")" "$(g "$2,node_redis,$3")")"
      [ -n "${4:-}" ] && r=" |"
      echo "| $1 | $(g "$2,sc,$3") | $(g "$2,sc_redis,$3") | $(g "$2,node_redis,$3") | $r |"
    }
    for proc in sessionSet sessionGet; do
      srow "$proc: round trips/s" "$proc" rate
      srow "$proc: CPU us per round trip (server + broker)" "$proc" us
      srow "$proc: of which the broker's CPU us" "$proc" bus
      srow "$proc: CPU % of the server's core (server + broker)" "$proc" cpu x
      srow "$proc: sc_load CPU %" "$proc" load x
      srow "$proc: p50 latency us" "$proc" p50
      srow "$proc: p99 latency us" "$proc" p99
    done
  fi
} >"$OUT"
echo
cat "$OUT"
echo
echo "written to $OUT"
if [ "$FAILED" != 0 ]; then
  echo "worker-vs-node: $FAILED measurement(s) had no result or wrong answers" >&2
  exit 1
fi
exit 0
