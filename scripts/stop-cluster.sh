#!/usr/bin/env bash
# Stops what the start scripts started on this host, by the pid files in run/: the balancers
# first (no new connections), then the workers (they drain: clients get 1001 and reconnect),
# then the brokers.  Each gets SIGTERM and up to 20 s, then SIGKILL.  A pid file whose process
# is gone, or is now another program, is only removed.
#   stop-cluster.sh            every instance
#   stop-cluster.sh NAME...    these instances (status.sh shows the names: sc-worker-8100, ...)
#   stop-cluster.sh --tier T   one tier: broker, worker or balancer
set -uo pipefail
. "$(dirname "$0")/tier.sh"
names=()
case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  --tier) mapfile -t names < <(instances "${2:?--tier needs broker, worker or balancer}") ;;
  '') for tier in balancer worker broker; do mapfile -t -O "${#names[@]}" names < <(instances "$tier"); done ;;
  *) names=("$@") ;;
esac
[ "${#names[@]}" -gt 0 ] || { echo "nothing to stop (no pid files in $RUN)"; exit 0; }
for n in "${names[@]}"; do
  [ -f "$RUN/$n.info" ] || { say "no instance $n in $RUN"; continue; }
  stop_instance "$n"
done
