#!/usr/bin/env bash
# What `make bench` runs: the RESP codec micro-benchmarks, then sc-broker against redis-server
# (bench/broker-vs-redis.sh; its environment knobs N, ROUNDS, SESSIONS... pass through).
# Results go to $SC_BUILD/bench/; docs/benchmarks.md quotes them.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SC_BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
export SC_BUILD="$BUILD"
mkdir -p "$BUILD/bench"

if [ -x "$BUILD/bench/resp_bench" ]; then
  echo "== RESP codec micro-benchmarks (bench/resp_bench.cpp)"
  "$BUILD/bench/resp_bench" --benchmark_min_time=0.2 \
    --benchmark_out="$BUILD/bench/resp_bench.json" --benchmark_out_format=json
fi

echo "== sc-broker vs redis-server (bench/broker-vs-redis.sh)"
bash "$ROOT/bench/broker-vs-redis.sh"
echo "== sc-broker vs redis-server, both with appendonly yes appendfsync everysec"
AOF=everysec OUT="$BUILD/bench/broker-vs-redis-aof.md" bash "$ROOT/bench/broker-vs-redis.sh"
echo "== sc-broker JSON documents (bench/broker-json.sh)"
bash "$ROOT/bench/broker-json.sh"

# The other side-by-side scripts (bench/<ours>-vs-<anchor>.sh: the balancer against HAProxy, the
# worker against the Node SocketCluster server).
for s in "$ROOT"/bench/*-vs-*.sh; do
  [ -f "$s" ] || continue
  [ "$(basename "$s")" = broker-vs-redis.sh ] && continue
  echo "== $(basename "$s")"
  bash "$s"
done
