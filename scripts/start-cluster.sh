#!/usr/bin/env bash
# Starts the scluster tiers that exist on this host, in order, and waits until each answers.
# Today: the broker (sc-broker).  Logs and pid files go to run/ in the repo.
#   --broker-port P     (or SCLUSTER_BROKER_PORT, default 6380)
#   --broker-bind ADDR  (or SCLUSTER_BROKER_BIND, default 127.0.0.1)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${SCLUSTER_BIN:-$ROOT/build/bin}
RUN=${SCLUSTER_RUN:-$ROOT/run}
BROKER_PORT=${SCLUSTER_BROKER_PORT:-6380}
BROKER_BIND=${SCLUSTER_BROKER_BIND:-127.0.0.1}
while [ $# -gt 0 ]; do
  case "$1" in
    --broker-port) BROKER_PORT=$2; shift 2 ;;
    --broker-bind) BROKER_BIND=$2; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "start-cluster.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -x "$BIN/sc-broker" ] || { echo "build/bin/sc-broker is missing: run 'make' first" >&2; exit 1; }
mkdir -p "$RUN"

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

if running "$RUN/sc-broker.pid"; then
  echo "sc-broker already running (pid $(cat "$RUN/sc-broker.pid"))"
else
  "$BIN/sc-broker" --port "$BROKER_PORT" --bind "$BROKER_BIND" --dir "$RUN" \
    --logfile "$RUN/sc-broker.log" --pidfile "$RUN/sc-broker.pid" </dev/null >>"$RUN/sc-broker.log" 2>&1 &
  echo $! > "$RUN/sc-broker.pid"
  for _ in $(seq 50); do
    if redis-cli -h "$BROKER_BIND" -p "$BROKER_PORT" ping 2>/dev/null | grep -q PONG; then break; fi
    running "$RUN/sc-broker.pid" || { echo "sc-broker failed to start; see $RUN/sc-broker.log" >&2; exit 1; }
    sleep 0.1
  done
  redis-cli -h "$BROKER_BIND" -p "$BROKER_PORT" ping >/dev/null || { echo "sc-broker does not answer" >&2; exit 1; }
  echo "sc-broker   $BROKER_BIND:$BROKER_PORT   (pid $(cat "$RUN/sc-broker.pid"), log $RUN/sc-broker.log)"
fi
echo
echo "Inspect the broker:  redis-cli -p $BROKER_PORT"
echo "Stop everything:     ./scripts/stop-cluster.sh"
