#!/usr/bin/env bash
# Shows which tiers started by start-cluster.sh are running.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN=${SCLUSTER_RUN:-$ROOT/run}
rc=0
for name in sc-broker sc-worker sc-balancer; do
  f="$RUN/$name.pid"
  if [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; then echo "$name: running (pid $(cat "$f"))"
  elif [ -f "$f" ]; then echo "$name: dead (stale pid file)"; rc=1
  else echo "$name: not started"; fi
done
exit $rc
