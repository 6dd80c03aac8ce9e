#!/usr/bin/env bash
# Stops what start-cluster.sh started (by the pids in run/), newest tier first.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN=${SCLUSTER_RUN:-$ROOT/run}
for name in sc-balancer sc-worker sc-broker; do
  f="$RUN/$name.pid"
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; echo "$name (pid $pid) killed"; else echo "$name (pid $pid) stopped"; fi
  fi
  rm -f "$f"
done
