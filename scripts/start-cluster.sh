#!/usr/bin/env bash
# Starts a whole scluster on this host, tier by tier, each once it can use the one before:
# the brokers (start-broker.sh), the workers (start-workers.sh), the balancers
# (start-balancer.sh); waits until each answers and prints the demo's URLs and the redis-cli
# line that shows a session.  Running it again starts nothing new.  When a tier fails to start
# it says which, shows the end of its log, stops what this run started and exits 1.
#   --brokers K        sc-broker processes, 0 to use --broker-addrs only (SCLUSTER_BROKERS, 1)
#   --broker-port P    the first broker's port            (SCLUSTER_BROKER_PORT, 6380)
#   --broker-addrs L   brokers that run elsewhere, H:P,...  (SCLUSTER_BROKER_ADDRS): Redis,
#                      Valkey or sc-broker on other hosts, used besides those started here
#   --workers N        worker processes                   (SCLUSTER_WORKERS, 2)
#   --worker-port P    the first worker's port            (SCLUSTER_WORKER_PORT, 8100)
#   --app PATH         your own worker program, built on the toolkit (SCLUSTER_APP,
#                      default build/bin/sc-worker)
#   --balancers B      sc-balancer processes sharing the ports (SCLUSTER_BALANCERS, 1)
#   --host ADDR        the balancers' address, the one users reach (SCLUSTER_HOST, 127.0.0.1)
#   --port P           plain HTTP/WebSocket port          (SCLUSTER_PORT, 8000)
#   --tls-port P       TLS port, 0 for none               (SCLUSTER_TLS_PORT, 8443)
# The brokers and workers listen on 127.0.0.1 here; for one tier per host run start-broker.sh,
# start-workers.sh and start-balancer.sh on each (docs/operations.md).  Each script's --help
# lists more; SCLUSTER_BIN and SCLUSTER_RUN choose the binaries and the run/ directory.
set -euo pipefail
. "$(dirname "$0")/tier.sh"
HERE=$(dirname "$0")
BROKERS=${SCLUSTER_BROKERS:-1}
BROKER_PORT=${SCLUSTER_BROKER_PORT:-6380}
BROKER_ADDRS=${SCLUSTER_BROKER_ADDRS:-}
WORKERS=${SCLUSTER_WORKERS:-2}
WORKER_PORT=${SCLUSTER_WORKER_PORT:-8100}
APP=${SCLUSTER_APP:-$BIN/sc-worker}
BALANCERS=${SCLUSTER_BALANCERS:-1}
HOST=${SCLUSTER_HOST:-127.0.0.1}
PORT=${SCLUSTER_PORT:-8000}
TLS_PORT=${SCLUSTER_TLS_PORT:-8443}
while [ $# -gt 0 ]; do
  case "$1" in
    --brokers) BROKERS=$2; shift 2 ;;
    --broker-port) BROKER_PORT=$2; shift 2 ;;
    --broker-addrs) BROKER_ADDRS=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --worker-port) WORKER_PORT=$2; shift 2 ;;
    --app) APP=$2; shift 2 ;;
    --balancers) BALANCERS=$2; shift 2 ;;
    --host) HOST=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --tls-port) TLS_PORT=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option $1 (--help lists them)" ;;
  esac
done
for v in BROKERS BROKER_PORT WORKERS WORKER_PORT BALANCERS PORT TLS_PORT; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || die "--$(echo "$v" | tr 'A-Z_' 'a-z-') takes a number, not '${!v}'"
done
[ "$BROKERS" -gt 0 ] || [ -n "$BROKER_ADDRS" ] || die "--brokers 0 needs --broker-addrs"
case "$APP" in /*) ;; *) APP=$PWD/$APP ;; esac
for b in sc-broker sc-balancer; do [ -x "$BIN/$b" ] || die "$BIN/$b is missing: run 'make' first"; done
mkdir -p "$RUN"
export SCLUSTER_BIN=$BIN SCLUSTER_RUN=$RUN

# What runs now is not this run's to stop if a tier fails.
before=" $(for n in $(instances); do instance_pid "$n" >/dev/null && echo "$n"; done | tr '\n' ' ') "
undo() {
  local n
  for tier in balancer worker broker; do
    for n in $(instances "$tier"); do
      [[ "$before" == *" $n "* ]] || stop_instance "$n" >&2
    done
  done
  say "stopped what this run started; nothing of it runs"
  exit 1
}

broker_list=()
for ((i = 0; i < BROKERS; i++)); do broker_list+=("127.0.0.1:$((BROKER_PORT + i))"); done
IFS=',' read -r -a more <<<"$BROKER_ADDRS"
broker_list+=("${more[@]}")
backends=()
for ((i = 0; i < WORKERS; i++)); do backends+=("127.0.0.1:$((WORKER_PORT + i))"); done
join() { local IFS=,; echo "$*"; }

if [ "$BROKERS" -gt 0 ]; then
  "$HERE/start-broker.sh" --port "$BROKER_PORT" --count "$BROKERS" --bind 127.0.0.1 || undo
fi
"$HERE/start-workers.sh" --workers "$WORKERS" --port "$WORKER_PORT" --host 127.0.0.1 \
  --brokers "$(join "${broker_list[@]}")" --app "$APP" || undo
"$HERE/start-balancer.sh" --backends "$(join "${backends[@]}")" --host "$HOST" --port "$PORT" \
  --tls-port "$TLS_PORT" --balancers "$BALANCERS" || undo

h=$(url_host "$HOST")
first=${broker_list[0]}
cli="redis-cli"
[ "${first%:*}" = 127.0.0.1 ] || cli="$cli -h ${first%:*}"
cli="$cli -p ${first##*:}"
echo
echo "scluster is up."
[ "$PORT" = 0 ] || echo "  demo:        http://$h:$PORT/"
[ "$TLS_PORT" = 0 ] || echo "  demo (TLS):  https://$h:$TLS_PORT/   (self-signed unless you gave a certificate)"
echo "  sessions:    $cli --scan --pattern 'sc:sess:*'"
echo "               $cli hgetall sc:sess:<sid>      (<sid>: your sid cookie, shown on the demo page)"
[ "${#broker_list[@]}" -eq 1 ] || echo "               (with ${#broker_list[@]} brokers a session lives on one of: ${broker_list[*]})"
echo "  status:      $HERE/status.sh     stop: $HERE/stop-cluster.sh     logs: $RUN/"
