#!/usr/bin/env bash
# sc-balancer vs HAProxy 2.6 (Debian's, tcp mode), same backends, same client, same core.
#
#   bash bench/balancer-vs-haproxy.sh            (after `make`; SC_BUILD=build-bal to pick a build)
#   ROUNDS=5 DURATION=10 CONNS=50 bash bench/balancer-vs-haproxy.sh
#
# Layout on a 2-core machine: the proxy under test (sc-balancer or haproxy, one thread, never both
# at once) is pinned to core $PROXY_CPU, wrk alone to core $LOAD_CPU, the two sc-testbackend
# processes to $BACKEND_CPU (default: the proxy's core, so that this core, not wrk's, saturates
# and throughput follows the proxy's cost per request; BACKEND_CPU=1 puts them beside wrk).  Each metric runs ROUNDS times alternating the two proxies; the median is reported
# with the ratio sc/haproxy, the proxy's CPU use during the run (near 100 % means the proxy, not
# the load generator, was the bottleneck) and the proxy's CPU time per request (its efficiency,
# meaningful even when the load generator is the bottleneck).
#   keep-alive req/s   wrk -c$CONNS over persistent connections
#   new conn/s         wrk with "Connection: close" (one TCP connection per request; the backends
#                      run with --client-closes 1 so that wrk closes first, as browsers do: with
#                      the server closing first, ~9k conn/s on loopback piles TIME_WAIT sockets
#                      on the server side of 4-tuples that wrk then reuses, and SYNs stall 1-3 s)
#   TLS handshakes/s   wrk over https with "Connection: close" (full ECDSA P-256 handshakes)
#   TLS keep-alive     wrk over https on persistent connections (record en/decryption per request)
#   memory/conn        RSS growth of the proxy per open proxied WebSocket (plain and TLS)
#   reroute            SIGKILL of the client's backend, then time to the first good response
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SC_BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
BIN="$BUILD/bin"
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-8}
CONNS=${CONNS:-50}
MEMCONNS=${MEMCONNS:-2000}
PROXY_CPU=${PROXY_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
BACKEND_CPU=${BACKEND_CPU:-$PROXY_CPU}
METRICS=${METRICS:-keepalive newconn tls tlskeepalive memory reroute}  # a subset runs just those
SC_FLAGS=${SC_FLAGS:-}  # extra sc-balancer flags, e.g. "--io-uring off"
want() { [[ " $METRICS " == *" $1 "* ]]; }
. "$ROOT/tests/lib.sh"
for t in haproxy wrk taskset openssl python3; do
  command -v $t >/dev/null || { echo "missing $t (make deps)"; exit 1; }
done
[ -x "$BIN/sc-balancer" ] && [ -x "$BIN/sc-testbackend" ] || { echo "build first: make"; exit 1; }
ulimit -n "$(ulimit -Hn)"

openssl req -x509 -nodes -days 2 -subj /CN=localhost -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
  -keyout "$TEST_TMP/ecdsa.key" -out "$TEST_TMP/ecdsa.crt" 2>/dev/null
cat "$TEST_TMP/ecdsa.crt" "$TEST_TMP/ecdsa.key" > "$TEST_TMP/ecdsa.pem"

B0=$(free_port); B1=$(free_port)
start_backends() {
  spawn taskset -c "$BACKEND_CPU" "$BIN/sc-testbackend" --port "$B0" --name b0 --client-closes 1; PID_B0=$LAST_PID
  spawn taskset -c "$BACKEND_CPU" "$BIN/sc-testbackend" --port "$B1" --name b1 --client-closes 1; PID_B1=$LAST_PID
  wait_port "$B0"; wait_port "$B1"
}
start_backends

SC_PORT=$(free_port); SC_TLS=$(free_port); HA_PORT=$(free_port); HA_TLS=$(free_port)
cat > "$TEST_TMP/haproxy.cfg" <<CFG
global
  nbthread 1
  maxconn 9000
  ssl-default-bind-options ssl-min-ver TLSv1.2
defaults
  mode tcp
  timeout connect 3s
  timeout client 600s
  timeout server 600s
  retries 3
  option redispatch 1
frontend plain
  bind 127.0.0.1:$HA_PORT
  default_backend be
frontend tls
  bind 127.0.0.1:$HA_TLS ssl crt $TEST_TMP/ecdsa.pem
  default_backend be
backend be
  balance source
  hash-type consistent
  server b0 127.0.0.1:$B0 check inter 1s
  server b1 127.0.0.1:$B1 check inter 1s
CFG

start_sc() {
  spawn taskset -c "$PROXY_CPU" "$BIN/sc-balancer" --listen "127.0.0.1:$SC_PORT" \
    --tls-listen "127.0.0.1:$SC_TLS" --cert "$TEST_TMP/ecdsa.crt" --key "$TEST_TMP/ecdsa.key" \
    --backends "127.0.0.1:$B0,127.0.0.1:$B1" --affinity ip --health-interval 1 --log-level warning $SC_FLAGS
  PROXY_PID=$LAST_PID; wait_port "$SC_PORT"; wait_port "$SC_TLS"
  PLAIN=$SC_PORT; TLS=$SC_TLS
}
start_ha() {
  spawn taskset -c "$PROXY_CPU" haproxy -db -f "$TEST_TMP/haproxy.cfg"
  PROXY_PID=$LAST_PID; wait_port "$HA_PORT"; wait_port "$HA_TLS"
  PLAIN=$HA_PORT; TLS=$HA_TLS
}
stop_proxy() {
  kill -TERM "$PROXY_PID" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$PROXY_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$PROXY_PID" 2>/dev/null; wait "$PROXY_PID" 2>/dev/null
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# pct TICKS0 TICKS1 T0 T1: CPU use in % of one core over the interval
pct() { echo "$@ $(getconf CLK_TCK)" | awk '{printf "%.0f", ($2-$1)/$5/($4-$3)*100}'; }
# run_wrk URL [headers...]: prints "req/s proxy-cpu% backends-cpu%" for the current proxy
run_wrk() {
  local url=$1; shift
  local t0 c0 b0 out rps c1 b1 t1
  c0=$(cpu_ticks "$PROXY_PID"); b0=$(( $(cpu_ticks "$PID_B0") + $(cpu_ticks "$PID_B1") ))
  t0=$(date +%s.%N)
  out=$(taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"${DURATION}s" "$@" "$url" 2>&1)
  c1=$(cpu_ticks "$PROXY_PID"); b1=$(( $(cpu_ticks "$PID_B0") + $(cpu_ticks "$PID_B1") ))
  t1=$(date +%s.%N)
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  local errs; errs=$(echo "$out" | awk '/Socket errors|Non-2xx/ {print}' | tr '\n' ' ')
  [ -n "$errs" ] && echo "    wrk: $errs" >&2
  echo "$rps $(pct "$c0" "$c1" "$t0" "$t1") $(pct "$b0" "$b1" "$t0" "$t1")"
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

declare -A R
measure() {  # name, then the wrk arguments; fills R[name,sc] and R[name,ha] (+ CPU figures)
  local name=$1; shift
  want "$name" || return 0
  local -A V=()
  local rps cpu bcpu u
  for round in $(seq "$ROUNDS"); do
    for p in sc ha; do
      if [ $p = sc ]; then start_sc; else start_ha; fi
      local url=${1//@PLAIN@/$PLAIN}; url=${url//@TLS@/$TLS}
      taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d1s "${@:2}" "$url" >/dev/null 2>&1  # warm-up
      read -r rps cpu bcpu < <(run_wrk "$url" "${@:2}")
      u=$(awk -v r="$rps" -v c="$cpu" 'BEGIN {printf "%.1f", (r > 0 ? c * 10000 / r : 0)}')
      echo "  $name round $round $p: $rps req/s, proxy CPU $cpu%, ${u} us CPU/request, backends CPU $bcpu%" >&2
      V[$p]+="$rps "; V[$p,c]+="$cpu "; V[$p,u]+="$u "; V[$p,b]+="$bcpu "
      stop_proxy
    done
  done
  for p in sc ha; do
    R[$name,$p]=$(printf '%s\n' ${V[$p]} | median)
    R[$name,${p}c]=$(printf '%s\n' ${V[$p,c]} | median)
    R[$name,${p}u]=$(printf '%s\n' ${V[$p,u]} | median)
    R[$name,${p}b]=$(printf '%s\n' ${V[$p,b]} | median)
  done
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -r)"
echo "haproxy: $(haproxy -v | head -1)"
echo "wrk -t1 -c$CONNS -d${DURATION}s, $ROUNDS rounds alternating, proxy on CPU $PROXY_CPU, wrk on CPU $LOAD_CPU, backends on CPU $BACKEND_CPU"
measure keepalive "http://127.0.0.1:@PLAIN@/"
measure newconn "http://127.0.0.1:@PLAIN@/" -H "Connection: close"
measure tls "https://127.0.0.1:@TLS@/" -H "Connection: close"
measure tlskeepalive "https://127.0.0.1:@TLS@/"

# Memory per proxied connection (median of ROUNDS), plain and TLS.
want memory && for kind in plain tls; do
  for p in sc ha; do
    vals=()
    for round in $(seq "$ROUNDS"); do
      if [ $p = sc ]; then start_sc; else start_ha; fi
      port=$PLAIN; [ $kind = tls ] && port=$TLS
      n=$MEMCONNS; [ $kind = tls ] && n=$((MEMCONNS / 2))
      vals+=("$(python3 "$ROOT/bench/balancer_probe.py" memory "$PROXY_PID" "$port" "$n" $([ $kind = tls ] && echo tls))")
      stop_proxy
    done
    R[mem$kind,$p]=$(printf '%s\n' "${vals[@]}" | median)
    echo "  memory/$kind $p: ${vals[*]} bytes per connection" >&2
  done
done

# Reroute: SIGKILL the backend serving 127.0.0.1, time the first good response.
want reroute && for p in sc ha; do
  vals=(); errs=0
  for round in $(seq "$ROUNDS"); do
    if [ $p = sc ]; then start_sc; else start_ha; fi
    sleep 1.5  # let HAProxy's first health checks pass
    name=$(curl -s -D - -o /dev/null "http://127.0.0.1:$PLAIN/" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-backend" {print $2}')
    victim=$PID_B0; [ "$name" = b1 ] && victim=$PID_B1
    out=$(python3 "$ROOT/bench/balancer_probe.py" reroute "$PLAIN" "$victim")
    vals+=("${out% *}"); errs=$((errs + ${out#* }))
    echo "  reroute $p round $round: killed $name, first good response after ${out% *} ms, failed requests ${out#* }" >&2
    stop_proxy
    kill -KILL "$PID_B0" "$PID_B1" 2>/dev/null; wait "$PID_B0" "$PID_B1" 2>/dev/null
    start_backends
  done
  R[reroute,$p]=$(printf '%s\n' "${vals[@]}" | median); R[rerouteerr,$p]=$errs
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }
echo
echo "| metric | sc-balancer | HAProxy 2.6 | ratio sc/HAProxy | proxy CPU % sc / HAProxy | proxy CPU us per request sc / HAProxy | backends CPU % sc / HAProxy |"
echo "|---|---|---|---|---|---|---|"
row() { want "$1" && echo "| $2 | ${R[$1,sc]} | ${R[$1,ha]} | $(ratio "${R[$1,sc]}" "${R[$1,ha]}") | ${R[$1,scc]} / ${R[$1,hac]} | ${R[$1,scu]} / ${R[$1,hau]} | ${R[$1,scb]} / ${R[$1,hab]} |"; }
row keepalive "keep-alive requests/s"
row newconn "new connections/s"
row tls "TLS handshakes/s (ECDSA P-256)"
row tlskeepalive "TLS keep-alive requests/s"
want memory && echo "| memory per proxied connection, plain (bytes) | ${R[memplain,sc]} | ${R[memplain,ha]} | $(ratio "${R[memplain,sc]}" "${R[memplain,ha]}") | | | |"
want memory && echo "| memory per proxied connection, TLS (bytes) | ${R[memtls,sc]} | ${R[memtls,ha]} | $(ratio "${R[memtls,sc]}" "${R[memtls,ha]}") | | | |"
want reroute && echo "| reroute after backend SIGKILL: first good response, ms (failed requests in all rounds) | ${R[reroute,sc]} (${R[rerouteerr,sc]}) | ${R[reroute,ha]} (${R[rerouteerr,ha]}) | | | | |"
exit 0
