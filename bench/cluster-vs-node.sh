#!/usr/bin/env bash
# The whole path, client -> balancer -> worker -> broker -> worker -> client, measured with
# publications: ours (sc-balancer -> sc-conformance --workers N -> sc-broker) against what users
# deploy today, in the same topology: Socket.IO 4 with @socket.io/redis-adapter, and the Node
# SocketCluster server v20 with its instances joined over Redis pub/sub (bench/cluster-node/:
# socketio.js, sc.js; versions pinned by its package-lock.json), each of those behind HAProxy
# (Debian's, tcp mode) with Debian's redis-server as the broker.  The load generator is ours
# (bench/sc_load.cpp, --mode pubsub; --proto socketio for Socket.IO).
#
#   bash bench/cluster-vs-node.sh            (after `make`; SC_BUILD=build-x to pick a build)
#   ROUNDS=5 DURATION=10 bash bench/cluster-vs-node.sh
#   ROUNDS=1 DURATION=2 SUBSCRIBERS=200 bash bench/cluster-vs-node.sh        (smoke)
#
# Layout: every process of the topology under test (balancer, its N workers, broker; one
# topology at a time, started fresh for every measurement) pinned to the CPUs $SERVER_CPUS with
# taskset, sc_load alone on CPU $LOAD_CPU.  Each measurement: $SUBSCRIBERS sockets subscribe,
# spread over the metric's channels, and one more socket publishes (invokes, at most
# $PUB_WINDOW outstanding or undelivered on average); with N >= 2 workers sc_load opens about
# 1.1 x N/(N-1) x SUBSCRIBERS connections, asks each which worker serves it (invoke `worker`)
# and only connections on another worker than the publisher's subscribe, so that every
# delivery crosses the broker (the rest stay open and idle; the balancers spread connections evenly: sc-balancer --affinity none,
# HAProxy balance roundrobin, since every client has the same address).  With 1 worker the
# publication still goes out to the broker and back (ours, Node SC + Redis; Socket.IO's adapter
# delivers to its own node's sockets at once and publishes to Redis for the others).
# Measured: deliveries/s, publications/s, p50/p99 latency from the publisher's send to each
# delivery, and the CPU time (utime+stime from /proc/PID/stat, read by sc_load at the edges of
# the measured window) of every process of the topology, summed per tier (balancer, workers
# with sc-conformance's master, broker) and divided by the deliveries.  Every combination runs
# ROUNDS times, the three systems in an order that rotates from round to round; the table gives
# medians and the ratios ours/theirs.  Every loop is bounded in count and time.
# Metrics (METRICS): fanout   all subscribers on one channel
#                    rooms    the subscribers spread over $ROOMS channels (ROOMS=100), with
#                             $ROOMS_WINDOW publications in flight (each reaches only
#                             SUBSCRIBERS/ROOMS sockets: if no stack saturates its CPUs,
#                             raise it; 256 gave ours +25 % and Socket.IO +15 % deliveries/s
#                             and 10x the latency on the loaded machine)
#                    echo     no broker on the path: $ECHO_CONNS connections each keeping
#                             $ECHO_WINDOW `echo` invokes outstanding through the balancer
#                             (client -> balancer -> worker -> client, the original
#                             SocketCluster's ping/pong benchmark): round trips/s, CPU per
#                             round trip per tier, p50/p99 round-trip latency
# PUB_RATE=n: fanout and rooms publish n publications/s (evenly, from a timer) instead of as
# fast as the window allows, for latency at a load every stack sustains.
# Env: ROUNDS=3 DURATION=5 WARMUP=1 SUBSCRIBERS=1000 ROOMS=100 PUB_WINDOW=16 ROOMS_WINDOW=16
#      PUB_RATE= SIZE=16
#      ECHO_CONNS=100 ECHO_WINDOW=16 WORKERS="1 2" SERVER_CPUS=0 LOAD_CPU=1
#      SYSTEMS="sc sio scn" (ours, Socket.IO, Node SC) METRICS="fanout rooms echo"
#      OUT=$SC_BUILD/bench/cluster-vs-node.md
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SC_BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
BIN="$BUILD/bin"
BENCH="$BUILD/bench"
NODE_DIR="$ROOT/bench/cluster-node"
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
SUBSCRIBERS=${SUBSCRIBERS:-1000}
ROOMS=${ROOMS:-100}
PUB_WINDOW=${PUB_WINDOW:-16}
PUB_RATE=${PUB_RATE:-}
ROOMS_WINDOW=${ROOMS_WINDOW:-$PUB_WINDOW}
ECHO_CONNS=${ECHO_CONNS:-100}
ECHO_WINDOW=${ECHO_WINDOW:-16}
SIZE=${SIZE:-16}
WORKERS=${WORKERS:-1 2}
SYSTEMS=${SYSTEMS:-sc sio scn}
SERVER_CPUS=${SERVER_CPUS:-0}
LOAD_CPU=${LOAD_CPU:-1}
METRICS=${METRICS:-fanout rooms echo}
OUT=${OUT:-$BENCH/cluster-vs-node.md}
. "$ROOT/tests/lib.sh"
. "$ROOT/bench/lib.sh"

for t in node npm taskset haproxy redis-server python3; do
  command -v $t >/dev/null || { echo "cluster-vs-node: missing $t (make deps)" >&2; exit 1; }
done
for f in "$BIN/sc-conformance" "$BIN/sc-broker" "$BIN/sc-balancer" "$BENCH/sc_load"; do
  [ -x "$f" ] || { echo "cluster-vs-node: no $f (make)" >&2; exit 1; }
done
for m in socket.io @socket.io/redis-adapter redis socketcluster-server; do
  [ -f "$NODE_DIR/node_modules/$m/package.json" ] && continue
  echo "installing the Node servers' packages (npm ci in bench/cluster-node)" >&2
  timeout 600 npm ci --prefix "$NODE_DIR" --no-audit --no-fund >"$TEST_TMP/npm.log" 2>&1 ||
    { cat "$TEST_TMP/npm.log" >&2; echo "cluster-vs-node: npm ci failed" >&2; exit 1; }
  break
done
ulimit -n "$(ulimit -Hn)"
# HAProxy refuses to start when 2 x maxconn descriptors exceed its limit.
HA_MAXCONN=100000
[ "$(ulimit -n)" != unlimited ] && HA_MAXCONN=$(($(ulimit -n) / 2 - 100))
mkdir -p "$(dirname "$OUT")"

ver() { node -p "require('$NODE_DIR/node_modules/$1/package.json').version"; }
V_SIO=$(ver socket.io); V_ADAPTER=$(ver @socket.io/redis-adapter); V_SCS=$(ver socketcluster-server)
V_REDIS=$(ver redis); V_HA=$(haproxy -v | awk 'NR == 1 {print $3}')
V_RS=$(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p')
MACHINE="$(nproc) CPUs, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), Linux $(uname -r)"
echo "machine: $MACHINE"
echo "node $(node --version), socket.io $V_SIO + @socket.io/redis-adapter $V_ADAPTER, socketcluster-server $V_SCS + redis (npm) $V_REDIS, HAProxy $V_HA, redis-server $V_RS"
echo "servers on CPU(s) $SERVER_CPUS, sc_load on CPU $LOAD_CPU; $ROUNDS round(s), ${DURATION}s measured after ${WARMUP}s warm-up"

# ports N: the first of N consecutive ports nothing listens on, drawn at random from 20000-29999
# (below the ephemeral range; sc-conformance --workers N listens on --port .. +N-1).  Not
# free_port of tests/lib.sh: its Python start took 8 s on the loaded machine, 5 times per
# measurement.
ports() {
  local n=$1 p k ok used
  used=" $(ss -Htln | awk '{n = split($4, a, ":"); print a[n]}' | tr '\n' ' ') "
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 10000)); ok=1
    for ((k = 0; k < n; k++)); do [[ $used == *" $((p + k)) "* ]] && { ok=0; break; }; done
    [ $ok = 1 ] && { echo "$p"; return 0; }
  done
  return 1
}
wait_listen() {  # PORT PID: up to 30 s (Node and its Redis clients start slowly on a busy machine)
  for _ in $(seq 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

logs() { tail -q -n 2 "$TEST_TMP"/*.log 2>/dev/null | tr '\n' ' '; }
# start SYSTEM N: the topology, every process pinned to $SERVER_CPUS; sets PORT (the balancer's)
# and the pid lists BAL_PIDS, WORKER_PIDS (roots; their descendants count), BROKER_PIDS.
start() {
  local sys=$1 n=$2 bport wport k backends="" cfg p
  TOPO=()
  BAL_PIDS=(); WORKER_PIDS=(); BROKER_PIDS=()
  bport=$(ports $((n + 2))) || { echo "cluster-vs-node: no free ports" >&2; return 1; }
  PORT=$((bport + 1)); wport=$((bport + 2))
  if [ "$sys" = sc ]; then
    spawn taskset -c "$SERVER_CPUS" "$BIN/sc-broker" --port "$bport" >>"$TEST_TMP/broker.log" 2>&1
  else
    spawn taskset -c "$SERVER_CPUS" redis-server --port "$bport" --bind 127.0.0.1 --save '' \
      --appendonly no >>"$TEST_TMP/redis.log" 2>&1
  fi
  BROKER_PIDS=("$LAST_PID"); TOPO+=("$LAST_PID")
  wait_listen "$bport" "$LAST_PID" || { echo "cluster-vs-node: $sys broker did not start: $(logs)" >&2; return 1; }
  case $sys in
    sc)
      spawn taskset -c "$SERVER_CPUS" "$BIN/sc-conformance" --workers "$n" --port "$wport" \
        --host 127.0.0.1 --brokers "127.0.0.1:$bport" --log-level warning >>"$TEST_TMP/sc.log" 2>&1
      WORKER_PIDS=("$LAST_PID"); TOPO+=("$LAST_PID") ;;
    sio | scn)
      for ((k = 0; k < n; k++)); do
        spawn taskset -c "$SERVER_CPUS" node "$NODE_DIR/$([ "$sys" = sio ] && echo socketio || echo sc).js" \
          "$((wport + k))" "$k" "$bport" >>"$TEST_TMP/$sys.log" 2>&1
        WORKER_PIDS+=("$LAST_PID"); TOPO+=("$LAST_PID")
      done ;;
  esac
  for ((k = 0; k < n; k++)); do
    p=${WORKER_PIDS[0]}; [ "$sys" != sc ] && p=${WORKER_PIDS[$k]}
    wait_listen "$((wport + k))" "$p" || { echo "cluster-vs-node: $sys worker $k did not start: $(logs)" >&2; return 1; }
    backends+="${backends:+,}127.0.0.1:$((wport + k))"
  done
  if [ "$sys" = sc ]; then
    spawn taskset -c "$SERVER_CPUS" "$BIN/sc-balancer" --listen "127.0.0.1:$PORT" \
      --backends "$backends" --affinity none --log-level warning >>"$TEST_TMP/balancer.log" 2>&1
  else
    cfg="$TEST_TMP/haproxy-$PORT.cfg"
    {
      printf 'global\n  nbthread 1\n  maxconn %d\ndefaults\n  mode tcp\n  timeout connect 3s\n' "$HA_MAXCONN"
      printf '  timeout client 600s\n  timeout server 600s\nfrontend f\n  bind 127.0.0.1:%s\n' "$PORT"
      printf '  default_backend b\nbackend b\n  balance roundrobin\n'
      for ((k = 0; k < n; k++)); do printf '  server w%d 127.0.0.1:%d check inter 1s\n' "$k" "$((wport + k))"; done
    } >"$cfg"
    spawn taskset -c "$SERVER_CPUS" haproxy -db -f "$cfg" >>"$TEST_TMP/haproxy.log" 2>&1
  fi
  BAL_PIDS=("$LAST_PID"); TOPO+=("$LAST_PID")
  wait_listen "$PORT" "$LAST_PID" || { echo "cluster-vs-node: $sys balancer did not start: $(logs)" >&2; return 1; }
  # Ready when 2N WebSocket upgrades in a row through the balancer succeed (every worker).
  local path=/socketcluster/ good=0
  [ "$sys" = sio ] && path="/socket.io/?EIO=4&transport=websocket"
  for _ in $(seq 100); do
    if upgrade "$PORT" "$path"; then good=$((good + 1)); else good=0; sleep 0.2; fi
    [ $good -ge $((2 * n)) ] && return 0
  done
  echo "cluster-vs-node: $sys x$n: no WebSocket upgrade through the balancer" >&2
  return 1
}
# upgrade PORT PATH: one WebSocket upgrade; true when the answer is 101.
upgrade() {
  local line="" fd
  { exec {fd}<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1  # (exec's own 2> would stay)
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n' "$2" >&$fd
  read -r -t 3 line <&$fd
  exec {fd}>&-
  [[ $line == "HTTP/1.1 101"* ]]
}
stop() {  # the balancer first (TOPO is broker, workers, balancer)
  local p i
  for ((i = ${#TOPO[@]} - 1; i >= 0; i--)); do kill -TERM "${TOPO[$i]}" 2>/dev/null; done
  for p in "${TOPO[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
    forget "$p"
  done
  TOPO=()
}

sumcpu() {  # sumcpu "0.12,0.30,..." FROM COUNT: the sum of COUNT entries from index FROM
  tr ',' '\n' <<<"$1" | awk -v f="$2" -v n="$3" 'NR > f && NR <= f + n && $1 > 0 {s += $1} END {printf "%.4f", s}'
}

declare -A V R   # V[metric,sys,n,field] = the rounds' values; R = their medians
# measure METRIC SYS N: one fresh topology, one sc_load run, one line of figures.
measure() {
  local m=$1 sys=$2 n=$3 channels=1 conns=$SUBSCRIBERS cross=() proto=sc pids=() line
  local nb nw nk secs count cb cw ck ct args window=$PUB_WINDOW
  [ "$m" = rooms ] && channels=$ROOMS && window=$ROOMS_WINDOW
  [ "$sys" = sio ] && proto=socketio
  args=(--mode pubsub --channels "$channels" --window "$window" ${PUB_RATE:+--rate "$PUB_RATE"})
  [ "$m" = echo ] && args=(--mode invoke --window "$ECHO_WINDOW") && conns=$ECHO_CONNS
  if [ "$n" -ge 2 ] && [ "$m" != echo ]; then
    # ~1/N of the connections land on the publisher's worker and stay idle; 10 % to spare.
    conns=$(calc %d "$SUBSCRIBERS * $n / ($n - 1) * 1.1 + 4")
    cross=(--cross --subscribers "$SUBSCRIBERS")
  fi
  if ! start "$sys" "$n"; then stop; return; fi
  local p
  for p in "${BAL_PIDS[@]}"; do pids+=($(tree_pids "$p")); done; nb=${#pids[@]}
  for p in "${WORKER_PIDS[@]}"; do pids+=($(tree_pids "$p")); done; nw=$((${#pids[@]} - nb))
  for p in "${BROKER_PIDS[@]}"; do pids+=($(tree_pids "$p")); done; nk=$((${#pids[@]} - nb - nw))
  line=$(timeout -s TERM "$(calc %d "$DURATION + $WARMUP + 200")" taskset -c "$LOAD_CPU" \
    "$BENCH/sc_load" --port "$PORT" --proto "$proto" --conns "$conns" "${args[@]}" \
    --size "$SIZE" --duration "$DURATION" --warmup "$WARMUP" --connect-timeout 90 "${cross[@]}" \
    --cpu-pids "$(IFS=,; echo "${pids[*]}")" 2>>"$TEST_TMP/load.log" | tail -n 1)
  local alive=1
  for p in "${TOPO[@]}"; do kill -0 "$p" 2>/dev/null || alive=0; done
  [ $alive = 1 ] || echo "  cluster-vs-node: a process of $sys x$n died during the run; see $TEST_TMP" >&2
  stop
  secs=$(kv "$line" secs); count=$(kv "$line" count)
  if [ -z "$secs" ] || [ -z "$count" ] || [ "$count" = 0 ]; then
    echo "  $m $sys x$n: no result ($line; $(tail -n 2 "$TEST_TMP/load.log" | tr '\n' ' '))" >&2
    return
  fi
  cb=$(sumcpu "$(kv "$line" cpu)" 0 "$nb"); cw=$(sumcpu "$(kv "$line" cpu)" "$nb" "$nw")
  ck=$(sumcpu "$(kv "$line" cpu)" $((nb + nw)) "$nk"); ct=$(calc %.4f "$cb + $cw + $ck")
  local k="$m,$sys,$n"
  V[$k,rate]+="$(kv "$line" rate) "
  V[$k,pubs]+="$(calc %.0f "0$(kv "$line" pubs) / $secs") "
  V[$k,p50]+="$(kv "$line" p50_us) "
  V[$k,p99]+="$(kv "$line" p99_us) "
  V[$k,ub]+="$(calc %.3f "$cb * 1000000 / $count") "
  V[$k,uw]+="$(calc %.3f "$cw * 1000000 / $count") "
  V[$k,uk]+="$(calc %.3f "$ck * 1000000 / $count") "
  V[$k,ut]+="$(calc %.3f "$ct * 1000000 / $count") "
  V[$k,cpu]+="$(calc %.0f "$ct * 100 / $secs") "
  V[$k,load]+="$(calc %.0f "$(kv "$line" self_cpu_s) * 100 / $secs") "
  local what="round trips/s"
  [ "$m" != echo ] && what="deliveries/s ($(kv "$line" subs) subscribers, $(kv "$line" on_pub_worker) idle on the publisher's worker), $(calc %.0f "0$(kv "$line" pubs) / $secs") publications/s"
  echo "  $m $sys x$n: $(kv "$line" rate) $what," \
    "p50 $(kv "$line" p50_us) us, p99 $(kv "$line" p99_us) us; CPU us/message balancer $(calc %.3f "$cb * 1000000 / $count")," \
    "workers $(calc %.3f "$cw * 1000000 / $count"), broker $(calc %.3f "$ck * 1000000 / $count"); server CPU $(calc %.0f "$ct * 100 / $secs")%," \
    "sc_load $(calc %.0f "$(kv "$line" self_cpu_s) * 100 / $secs")%; errors $(kv "$line" errors), missed $(kv "$line" missed), closed $(kv "$line" closed)" >&2
}

read -ra SYS <<<"$SYSTEMS"
for m in $METRICS; do
  case $m in
    fanout) echo "== fanout: $SUBSCRIBERS subscribers on one channel, one publisher ($PUB_WINDOW in flight)" ;;
    rooms) echo "== rooms: $SUBSCRIBERS subscribers over $ROOMS channels, one publisher ($ROOMS_WINDOW in flight)" ;;
    echo) echo "== echo: $ECHO_CONNS connections x $ECHO_WINDOW echo invokes in flight through the balancer" ;;
    *) echo "cluster-vs-node: unknown metric $m" >&2; continue ;;
  esac
  for round in $(seq "$ROUNDS"); do
    for n in $WORKERS; do
      for sys in $(order "$round" "${SYS[@]}"); do measure "$m" "$sys" "$n"; done
    done
  done
  for n in $WORKERS; do
    for sys in "${SYS[@]}"; do
      for f in rate pubs p50 p99 ub uw uk ut cpu load; do
        R[$m,$sys,$n,$f]=$(printf '%s\n' ${V[$m,$sys,$n,$f]:-} | median)
      done
    done
  done
done

# ---- report ----
name() { case $1 in sc) echo "ours (sc-balancer, sc-conformance, sc-broker)" ;;
  sio) echo "Socket.IO $V_SIO + redis-adapter (HAProxy, redis-server)" ;;
  scn) echo "Node SC $V_SCS + Redis glue (HAProxy, redis-server)" ;; esac; }
{
  echo "Measured $(date -u '+%Y-%m-%d %H:%M') UTC on: $MACHINE.  "
  echo "node $(node --version), socket.io $V_SIO, @socket.io/redis-adapter $V_ADAPTER, socketcluster-server $V_SCS, redis (npm) $V_REDIS, HAProxy $V_HA, redis-server $V_RS;"
  echo "every server process on CPU(s) $SERVER_CPUS, sc_load on CPU $LOAD_CPU; median of $ROUNDS round(s) of ${DURATION}s after ${WARMUP}s warm-up, systems alternating; $SUBSCRIBERS subscribers, one publisher with $PUB_WINDOW publications in flight$([ -n "$PUB_RATE" ] && echo " at $PUB_RATE publications/s"), ${SIZE} bytes of filler."
  for m in $METRICS; do
    echo
    case $m in
      fanout) echo "**fanout**: $SUBSCRIBERS subscribers on one channel; a message is a delivery" ;;
      rooms) echo "**rooms**: $SUBSCRIBERS subscribers over $ROOMS channels, $ROOMS_WINDOW publications in flight; a message is a delivery" ;;
      echo) echo "**echo**: $ECHO_CONNS connections x $ECHO_WINDOW invokes in flight; a message is a round trip (publications/s: none)" ;;
    esac
    echo
    echo "| system | workers | messages/s | publications/s | p50 / p99 latency µs | CPU µs per message: balancer / workers / broker | total | messages/s per core (10^6 / total) | server CPU % | sc_load CPU % |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for n in $WORKERS; do
      for sys in "${SYS[@]}"; do
        k="$m,$sys,$n"
        echo "| $(name "$sys") | $n | ${R[$k,rate]} | ${R[$k,pubs]} | ${R[$k,p50]} / ${R[$k,p99]} | ${R[$k,ub]} / ${R[$k,uw]} / ${R[$k,uk]} | ${R[$k,ut]} | $(calc %.0f "(${R[$k,ut]} > 0 ? 1000000 / ${R[$k,ut]} : 0)") | ${R[$k,cpu]} | ${R[$k,load]} |"
      done
    done
    for n in $WORKERS; do
      for o in sio scn; do
        [[ " ${SYS[*]} " == *" sc "* && " ${SYS[*]} " == *" $o "* ]] || continue
        echo "| ratio ours / $( [ $o = sio ] && echo Socket.IO || echo Node SC) | $n | $(ratio "${R[$m,sc,$n,rate]}" "${R[$m,$o,$n,rate]}") | | p99 $(ratio "${R[$m,sc,$n,p99]}" "${R[$m,$o,$n,p99]}") | $(ratio "${R[$m,sc,$n,ub]}" "${R[$m,$o,$n,ub]}") / $(ratio "${R[$m,sc,$n,uw]}" "${R[$m,$o,$n,uw]}") / $(ratio "${R[$m,sc,$n,uk]}" "${R[$m,$o,$n,uk]}") | $(ratio "${R[$m,sc,$n,ut]}" "${R[$m,$o,$n,ut]}") | | | |"
      done
    done
  done
} >"$OUT"
echo
cat "$OUT"
echo
echo "written to $OUT"
exit 0
