#!/usr/bin/env bash
# sc-broker against redis-server 7.0, side by side on the same machine.
#
# Throughput: redis-benchmark (pinned to CPU 1) drives each server (pinned to CPU 0) with
# -c $CLIENTS -n $N at pipeline depths $PIPELINES, for SET GET INCR HSET SADD, PUBLISH, HGET
# and a session workload (HSET of a 4-field session, EXPIRE, HGETALL on random session keys).
# Servers are measured alternately, $ROUNDS rounds; the table gives medians of requests/s,
# the ratio ours/redis, and the server's CPU use during the run (close to 100% means the
# server, not the load generator, was the bottleneck) and per request (the server's main-thread
# CPU time divided by the requests: the figure least disturbed by a busy machine).
#
# Job queue: bench/queue_load (pinned to CPU 1) runs $QUEUE_PAIRS producer/consumer pairs
# against each server, in the same rounds and the same alternation: the producer LPUSHes a job
# and BRPOPs its reply queue, the consumer (blocked in BRPOP on the job queue) LPUSHes the job's
# id as the answer.  Round trips/s, p50/p99 latency, the server's CPU per round trip; every
# answer is checked, and a wrong one, an error reply or a timeout stops the script with exit 1.
# Skipped, with the reason printed and in the report, when sc-broker answers BRPOP with an error.
#
# Memory: $SESSIONS session hashes (4 small fields, TTL set) loaded with redis-cli --pipe into
# a fresh instance of each; INFO used_memory and the process RSS, before and after.
#
# Persistence: AOF=everysec (or always) starts both servers with appendonly yes and that
# appendfsync, runs only SET and HSET, and skips the memory part.
#
# Env: N=2000000 ROUNDS=3 CLIENTS=50 PIPELINES="1 32" SESSIONS=1000000 SC_BUILD=build AOF=
#      QUEUE_PAIRS="1 50" QUEUE_DURATION=5 QUEUE_WARMUP=1 (seconds per run; QUEUE_PAIRS= skips
#      the job queue; AOF= runs skip it as well)  QUEUE_ONLY=1 (no redis-benchmark tests)
#      OUT=<markdown file, default $SC_BUILD/bench/broker-vs-redis.md>  SKIP_MEMORY=1
#      SKIP_THROUGHPUT=1 (the memory part only: it does not depend on load, so it may run on a
#      busy machine; SKIP_THROUGHPUT=1 SESSIONS=100000 gives the figure issue 17 asks for)
# Duration on 2 cores: about 50 minutes with the defaults (the -P 1 runs dominate), about 15
# with N=300000; the job queue adds about 25 s a round.
# A quick run: N=100000 ROUNDS=1 SESSIONS=100000 bash bench/broker-vs-redis.sh
# The job queue alone: QUEUE_ONLY=1 SKIP_MEMORY=1 bash bench/broker-vs-redis.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SC_BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
BROKER=${BROKER_BIN:-$BUILD/bin/sc-broker}
N=${N:-2000000}
ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-50}
PIPELINES=${PIPELINES:-1 32}
SESSIONS=${SESSIONS:-1000000}
KEYSPACE=${KEYSPACE:-100000}
OUT=${OUT:-$BUILD/bench/broker-vs-redis.md}
SERVER_CPU=${SERVER_CPU:-0}
AOF=${AOF:-}
CLIENT_CPU=${CLIENT_CPU:-1}
QLOAD=$BUILD/bench/queue_load
QUEUE_PAIRS=${QUEUE_PAIRS-1 50}
QUEUE_DURATION=${QUEUE_DURATION:-5}
QUEUE_WARMUP=${QUEUE_WARMUP:-1}
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"  # kv

for tool in redis-server redis-benchmark redis-cli taskset python3; do
  command -v $tool >/dev/null || { echo "broker-vs-redis: $tool is missing (make deps)" >&2; exit 1; }
done
[ -x "$BROKER" ] || { echo "broker-vs-redis: no $BROKER (make)" >&2; exit 1; }
if [ -n "$QUEUE_PAIRS" ] && [ -z "$AOF" ]; then
  [ -x "$QLOAD" ] || { echo "broker-vs-redis: no $QLOAD (make)" >&2; exit 1; }
fi
mkdir -p "$(dirname "$OUT")"
TMP=$(mktemp -d /tmp/scbench.XXXXXX)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
wait_port() {
  for _ in $(seq 100); do redis-cli -p "$1" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "port $1 never answered" >&2; return 1
}
# start_server ours|redis: starts it pinned to $SERVER_CPU; sets PORT and PID.
start_server() {
  PORT=$(free_port)
  local extra=()
  if [ -n "$AOF" ]; then
    mkdir -p "$TMP/aof-$1-$PORT"
    extra=(--appendonly yes --appendfsync "$AOF" --dir "$TMP/aof-$1-$PORT")
  fi
  if [ "$1" = ours ]; then
    taskset -c "$SERVER_CPU" "$BROKER" --port "$PORT" "${extra[@]}" >"$TMP/ours-$PORT.log" 2>&1 &
  else
    taskset -c "$SERVER_CPU" redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no \
      --daemonize no "${extra[@]}" >"$TMP/redis-$PORT.log" 2>&1 &
  fi
  PID=$!
  PIDS+=("$PID")
  wait_port "$PORT"
}
stop_server() {  # pid
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
# Nanoseconds the server's main thread has run on a CPU (exact, unlike the 10 ms ticks of
# /proc/PID/stat); both servers do their work on the main thread.
cpu_ns() { awk '{print $1}' "/proc/$1/schedstat"; }
info_field() { redis-cli -p "$1" info memory | tr -d '\r' | awk -F: -v f="$2" '$1 == f {print $2}'; }
rss_bytes() { awk '/^VmRSS:/ {print $2 * 1024}' "/proc/$1/status"; }

# ---- the machine ----
CPU_MODEL=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
MACHINE="$(nproc) CPUs, ${CPU_MODEL:-unknown CPU}, Linux $(uname -r), $(awk '/MemTotal/ {printf "%.1f GiB RAM", $2/1048576}' /proc/meminfo)"
REDIS_VERSION=$(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/')
echo "machine: $MACHINE"
echo "redis-server $REDIS_VERSION; sc-broker $BROKER"

# ---- throughput ----
# Each test: a name and the redis-benchmark arguments after the common ones.
TESTS=(
  "SET|-t set"
  "GET|-t get"
  "INCR|-t incr"
  "HSET|-t hset"
  "SADD|-t sadd"
  "PUBLISH|publish bench:chan hello-subscribers"
  "HGET|hget bench:hash field"
  "session HSET (4 fields)|hset session:__rand_int__ user u:12345 ip 10.1.2.3 agent Mozilla/5.0 created 1700000000"
  "session EXPIRE|expire session:__rand_int__ 1800"
  "session HGETALL|hgetall session:__rand_int__"
)

if [ -n "$AOF" ]; then
  TESTS=("SET|-t set" "HSET|-t hset")
  SKIP_MEMORY=1
  QUEUE_PAIRS=
fi
if [ "${QUEUE_ONLY:-0}" = 1 ]; then
  TESTS=()
fi

RESULTS="$TMP/results.tsv"  # server  pipeline  test  round  rps  p50  cpu%  cpu-us-per-request
: >"$RESULTS"
QUEUE="$TMP/queue.tsv"      # server  pairs  round  trips/s  p50-us  p99-us  cpu%  cpu-us-per-trip
: >"$QUEUE"
QUEUE_SERVERS="ours redis"
QUEUE_NOTE=
if [ "${SKIP_THROUGHPUT:-0}" = 1 ]; then
  TESTS=()
  ROUNDS=0
fi
if [ "$ROUNDS" -gt 0 ]; then
  start_server ours; OURS_PORT=$PORT; OURS_PID=$PID
  start_server redis; REDIS_PORT=$PORT; REDIS_PID=$PID
  for p in "$OURS_PORT" "$REDIS_PORT"; do
    redis-cli -p "$p" hset bench:hash field value-of-the-field >/dev/null
  done
  # The job queue needs BRPOP: without it (an error reply) only redis-server runs the row.
  if [ -n "$QUEUE_PAIRS" ]; then
    probe=$(redis-cli -p "$OURS_PORT" brpop bench:queue:probe 0.01 2>&1 | tr -d '\r' | sed 's/ *$//')
    if [ -n "$probe" ]; then  # a nil (timed out) is an empty line
      QUEUE_SERVERS=redis
      QUEUE_NOTE="sc-broker skipped: BRPOP answered $probe"
      echo "job queue: $QUEUE_NOTE"
    fi
  fi
fi
run_one() {  # server port pid pipeline round name args...
  local server=$1 port=$2 pid=$3 pipe=$4 round=$5 name=$6
  shift 6
  local t0 c0 t1 c1 line rps p50 cpu us
  c0=$(cpu_ns "$pid"); t0=$(date +%s.%N)
  # shellcheck disable=SC2068
  line=$(taskset -c "$CLIENT_CPU" redis-benchmark -p "$port" -c "$CLIENTS" -n "$N" -P "$pipe" \
           -r "$KEYSPACE" --csv $@ 2>/dev/null | tail -n 1)
  t1=$(date +%s.%N); c1=$(cpu_ns "$pid")
  rps=$(echo "$line" | awk -F'","' '{print $2}')
  p50=$(echo "$line" | awk -F'","' '{print $5}')
  cpu=$(python3 -c "print(round(100 * ($c1 - $c0) / 1e9 / ($t1 - $t0)))")
  us=$(python3 -c "print(round(($c1 - $c0) / 1e3 / $N, 3))")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$pipe" "$name" "$round" "$rps" "$p50" \
    "$cpu" "$us" >>"$RESULTS"
  printf '  %-5s P=%-2s %-26s round %s: %10s rps  p50 %s ms  server cpu %s%%, %s us/req\n' \
    "$server" "$pipe" "$name" "$round" "$rps" "$p50" "$cpu" "$us"
}

# run_queue SERVER PORT PID PAIRS ROUND: one queue_load run; exits the script on a wrong answer.
run_queue() {
  local server=$1 port=$2 pid=$3 pairs=$4 round=$5 line rc=0 count secs cpu_s
  line=$(taskset -c "$CLIENT_CPU" "$QLOAD" --port "$port" --pairs "$pairs" \
           --duration "$QUEUE_DURATION" --warmup "$QUEUE_WARMUP" --cpu-pid "$pid" \
           2>"$TMP/queue.err") || rc=$?
  count=$(kv "$line" count)
  if [ "$rc" != 0 ] || [ "$(kv "$line" errors)" != 0 ] || ! [ "${count:-0}" -gt 0 ] 2>/dev/null; then
    echo "broker-vs-redis: queue_load against $server ($pairs pairs) exited $rc with wrong or" \
      "error answers: $line $(head -c 2000 "$TMP/queue.err")" >&2
    exit 1
  fi
  secs=$(kv "$line" secs); cpu_s=$(kv "$line" server_cpu_s)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$pairs" "$round" "$(kv "$line" rate)" \
    "$(kv "$line" p50_us)" "$(kv "$line" p99_us)" "$(calc %.0f "100 * $cpu_s / $secs")" \
    "$(calc %.3f "1e6 * $cpu_s / $count")" >>"$QUEUE"
  printf '  %-5s queue %3s pairs      round %s: %10s trips/s  p50 %s us  p99 %s us  server cpu %s s\n' \
    "$server" "$pairs" "$round" "$(kv "$line" rate)" "$(kv "$line" p50_us)" "$(kv "$line" p99_us)" \
    "$cpu_s"
}

for round in $(seq 1 "$ROUNDS"); do
  for pairs in $QUEUE_PAIRS; do
    if [ $((round % 2)) -eq 1 ]; then order="ours redis"; else order="redis ours"; fi
    for server in $order; do
      case " $QUEUE_SERVERS " in *" $server "*) ;; *) continue ;; esac
      if [ "$server" = ours ]; then
        run_queue ours "$OURS_PORT" "$OURS_PID" "$pairs" "$round"
      else
        run_queue redis "$REDIS_PORT" "$REDIS_PID" "$pairs" "$round"
      fi
    done
  done
  for pipe in $PIPELINES; do
    for t in "${TESTS[@]}"; do
      name=${t%%|*}; args=${t#*|}
      # Alternate which server goes first so neither always runs on a warmer machine.
      if [ $((round % 2)) -eq 1 ]; then order="ours redis"; else order="redis ours"; fi
      for server in $order; do
        if [ "$server" = ours ]; then
          run_one ours "$OURS_PORT" "$OURS_PID" "$pipe" "$round" "$name" $args
        else
          run_one redis "$REDIS_PORT" "$REDIS_PID" "$pipe" "$round" "$name" $args
        fi
      done
    done
  done
done
if [ "$ROUNDS" -gt 0 ]; then stop_server "$OURS_PID"; stop_server "$REDIS_PID"; fi

# ---- memory ----
if [ "${SKIP_MEMORY:-0}" != 1 ]; then
  echo "memory: generating $SESSIONS sessions"
  python3 - "$SESSIONS" >"$TMP/sessions.resp" <<'EOF'
import sys
n = int(sys.argv[1])
out = sys.stdout.buffer
def cmd(*args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(parts)
buf = []
for i in range(n):
    key = b"session:%08d" % i
    buf.append(cmd(b"HSET", key, b"user", b"u:%d" % (i * 7919 % 1000003), b"ip",
                   b"10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255),
                   b"agent", b"Mozilla/5.0", b"created", b"%d" % (1700000000 + i)))
    buf.append(cmd(b"EXPIRE", key, 86400))
    if len(buf) >= 20000:
        out.write(b"".join(buf)); buf = []
out.write(b"".join(buf))
EOF
  for server in ours redis; do
    start_server "$server"
    before_used=$(info_field "$PORT" used_memory); before_rss=$(rss_bytes "$PID")
    redis-cli -p "$PORT" --pipe <"$TMP/sessions.resp" >"$TMP/pipe-$server.log" 2>&1 \
      || { cat "$TMP/pipe-$server.log"; exit 1; }
    grep -q 'errors: 0' "$TMP/pipe-$server.log" || { cat "$TMP/pipe-$server.log"; exit 1; }
    keys=$(redis-cli -p "$PORT" dbsize)
    sleep 1
    used=$(info_field "$PORT" used_memory); rss=$(rss_bytes "$PID")
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$keys" "$before_used" "$used" "$before_rss" \
      "$rss" >>"$TMP/memory.tsv"
    echo "  $server: keys=$keys used_memory $before_used -> $used, RSS $before_rss -> $rss"
    stop_server "$PID"
  done
fi

# ---- report ----
python3 - "$RESULTS" "$TMP/memory.tsv" "$MACHINE" "$REDIS_VERSION" "$N" "$ROUNDS" "$CLIENTS" \
  "$SESSIONS" "$KEYSPACE" "$AOF" "$QUEUE" "$QUEUE_DURATION" "$QUEUE_WARMUP" "$QUEUE_NOTE" \
  >"$OUT" <<'EOF'
import statistics, sys, os, datetime
results, memfile, machine, rver, n, rounds, clients, sessions, keyspace, aof = sys.argv[1:11]
queuefile, qdur, qwarm, qnote = sys.argv[11:15]
rows = {}
order = []
for line in open(results):
    server, pipe, name, rnd, rps, p50, cpu, us = line.rstrip("\n").split("\t")
    k = (int(pipe), name)
    if k not in rows:
        rows[k] = {"ours": [], "redis": []}
        order.append(k)
    try:
        rows[k][server].append((float(rps), float(p50), int(cpu), float(us)))
    except ValueError:
        rows[k][server].append((0.0, 0.0, 0, 0.0))
def med(v, i):
    return statistics.median(x[i] for x in v) if v else 0
print(f"Measured {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC on: {machine}.  ")
persist = (f"`--appendonly yes --appendfsync {aof}` on both" if aof else
           "`--save '' --appendonly no`")
if order:
    print(f"redis-server {rver} vs sc-broker, {persist}, each pinned "
          f"to CPU 0 with `taskset`; redis-benchmark pinned to CPU 1; `-c {clients} -n {n} "
          f"-r {keyspace}`; median of {rounds} round(s), servers measured alternately.")
    print()
    print("| test | pipeline | sc-broker req/s | redis req/s | ratio | p50 ms (ours / redis) "
          "| server CPU % (ours / redis) | server CPU µs per request (ours / redis) | CPU ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
elif rounds != "0":
    print(f"redis-server {rver} vs sc-broker, {persist}, each pinned to CPU 0 with `taskset`; "
          "the job queue only (QUEUE_ONLY=1).")
else:
    print(f"redis-server {rver} vs sc-broker, {persist}; memory only (SKIP_THROUGHPUT=1).")
for k in sorted(order, key=lambda k: (k[0], order.index(k))):
    pipe, name = k
    o, r = rows[k]["ours"], rows[k]["redis"]
    mo, mr = med(o, 0), med(r, 0)
    ratio = f"{mo / mr:.2f}" if mr else "-"
    print(f"| {name} | {pipe} | {mo:,.0f} | {mr:,.0f} | {ratio} | {med(o, 1):.3f} / "
          f"{med(r, 1):.3f} | {med(o, 2):.0f} / {med(r, 2):.0f} | {med(o, 3):.2f} / "
          f"{med(r, 3):.2f} | {med(o, 3) / med(r, 3) if med(r, 3) else 0:.2f} |")
queue = {}
for line in open(queuefile):
    server, pairs, rnd, rate, p50, p99, cpu, us = line.rstrip("\n").split("\t")
    queue.setdefault(int(pairs), {"ours": [], "redis": []})[server].append(
        (float(rate), float(p50), float(p99), float(cpu), float(us)))
if queue:
    print()
    print(f"Job queue: P producer/consumer pairs over raw RESP (`bench/queue_load`, pinned to "
          f"CPU 1); the producer LPUSHes a job and BRPOPs its reply queue, the consumer, blocked "
          f"in BRPOP on the job queue, LPUSHes the job's id as the answer: one round trip, one "
          f"job in flight per pair, every answer checked.  {qdur} s measured after {qwarm} s of "
          f"warm-up; median of {rounds} round(s), servers measured alternately."
          + (f"  {qnote}." if qnote else ""))
    print()
    print("| pairs | sc-broker round trips/s | redis round trips/s | ratio | p50 µs (ours / redis) "
          "| p99 µs (ours / redis) | server CPU % (ours / redis) "
          "| server CPU µs per round trip (ours / redis) | CPU ratio |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for pairs in sorted(queue):
        o, r = queue[pairs]["ours"], queue[pairs]["redis"]
        def m(v, i, fmt):
            return format(med(v, i), fmt) if v else "-"
        ratio = f"{med(o, 0) / med(r, 0):.2f}" if o and r and med(r, 0) else "-"
        cratio = f"{med(o, 4) / med(r, 4):.2f}" if o and r and med(r, 4) else "-"
        print(f"| {pairs} | {m(o, 0, ',.0f')} | {m(r, 0, ',.0f')} | {ratio} | {m(o, 1, '.0f')} / "
              f"{m(r, 1, '.0f')} | {m(o, 2, '.0f')} / {m(r, 2, '.0f')} | {m(o, 3, '.0f')} / "
              f"{m(r, 3, '.0f')} | {m(o, 4, '.2f')} / {m(r, 4, '.2f')} | {cratio} |")
if os.path.exists(memfile) and os.path.getsize(memfile):
    mem = {}
    for line in open(memfile):
        server, keys, bu, au, br, ar = line.split()
        mem[server] = dict(keys=int(keys), bu=int(bu), au=int(au), br=int(br), ar=int(ar))
    print()
    print(f"Memory: {int(sessions):,} session hashes (4 fields: user, ip, agent, created; "
          "TTL 86400 s) loaded with `redis-cli --pipe` into a fresh instance of each.")
    print()
    print("| | keys | used_memory | used_memory per session | RSS | RSS per session |")
    print("|---|---:|---:|---:|---:|---:|")
    for server, label in (("ours", "sc-broker"), ("redis", "redis-server")):
        m = mem.get(server)
        if not m:
            continue
        k = max(m["keys"], 1)
        print(f"| {label} | {m['keys']:,} | {m['au'] / 2**20:,.1f} MiB | "
              f"{(m['au'] - m['bu']) / k:.0f} B | {m['ar'] / 2**20:,.1f} MiB | "
              f"{(m['ar'] - m['br']) / k:.0f} B |")
    if "ours" in mem and "redis" in mem:
        o, r = mem["ours"], mem["redis"]
        print(f"| ratio ours/redis | | {o['au'] / r['au']:.2f} | "
              f"{(o['au'] - o['bu']) / max(r['au'] - r['bu'], 1):.2f} | {o['ar'] / r['ar']:.2f} | "
              f"{(o['ar'] - o['br']) / max(r['ar'] - r['br'], 1):.2f} |")
EOF
echo
cat "$OUT"
echo
echo "written to $OUT"
