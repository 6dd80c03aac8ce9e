#!/usr/bin/env bash
# Starts the worker tier on this host: one sc-worker master (or your own app built on the
# toolkit) running N worker processes on ports PORT..PORT+N-1, and waits until each worker
# answers GET /health.  Usable alone on a worker host (give it the brokers' addresses) and used
# by start-cluster.sh.  Running it again starts nothing new.
#   --workers N         worker processes            (SCLUSTER_WORKERS, default 2)
#   --port P            first worker's port         (SCLUSTER_WORKER_PORT, default 8100)
#   --host ADDR         address they listen on      (SCLUSTER_WORKER_HOST, default 127.0.0.1;
#                       0.0.0.0 for balancers on other hosts)
#   --brokers H:P,...   the broker tier             (SCLUSTER_BROKER_ADDRS, default 127.0.0.1:6380)
#   --auth-key-file F   HS256 key every worker of every host shares (SCLUSTER_AUTH_KEY_FILE;
#                       default run/auth.key, made once with openssl, mode 0600: copy it to
#                       the other worker hosts)
#   --app PATH          the program to run          (SCLUSTER_APP, default build/bin/sc-worker)
#   -- OPTION...        more options of the app, e.g. -- --session-timeout 600
# The app also reads its other options from SCLUSTER_<OPTION> variables (sc-worker --help), e.g.
# SCLUSTER_BROKER_PASSWORD for brokers started with --password.
# Files: run/sc-worker-PORT.{pid,log,info} (the master's pid; the log has every worker's lines).
set -euo pipefail
. "$(dirname "$0")/tier.sh"
WORKERS=${SCLUSTER_WORKERS:-2}
PORT=${SCLUSTER_WORKER_PORT:-8100}
HOST=${SCLUSTER_WORKER_HOST:-127.0.0.1}
BROKERS=${SCLUSTER_BROKER_ADDRS:-127.0.0.1:6380}
KEY=${SCLUSTER_AUTH_KEY_FILE:-}
APP=${SCLUSTER_APP:-$BIN/sc-worker}
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --workers) WORKERS=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --host) HOST=$2; shift 2 ;;
    --brokers) BROKERS=$2; shift 2 ;;
    --auth-key-file) KEY=$2; shift 2 ;;
    --app) APP=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option $1 (--help lists them)" ;;
  esac
done
[[ "$PORT" =~ ^[0-9]+$ && "$WORKERS" =~ ^[1-9][0-9]*$ ]] || die "--port and --workers take numbers (--workers at least 1)"
[ -x "$APP" ] || die "$APP is missing or not executable${SCLUSTER_APP:+ (SCLUSTER_APP)}: run 'make' first, or give --app PATH"
need_tool curl curl
mkdir -p "$RUN"
if [ -z "$KEY" ]; then
  KEY=$RUN/auth.key
  if [ ! -s "$KEY" ]; then
    need_tool openssl openssl
    (umask 077; openssl rand -hex 32 >"$KEY.new") && mv "$KEY.new" "$KEY"
    echo "made the auth key $KEY (mode 0600)"
  fi
fi
[ -r "$KEY" ] || die "cannot read the auth key file $KEY"

name=sc-worker-$PORT
check_host=$(url_host "$HOST")
urls=() addrs=()
for ((i = 0; i < WORKERS; i++)); do
  urls+=("http://$check_host:$((PORT + i))/health")
  addrs+=("$HOST:$((PORT + i))")
done
# The flags below win over any SCLUSTER_PORT, SCLUSTER_WORKERS... meant for the other scripts.
launch "$name" worker "${addrs[*]}" "http ${urls[*]}" -- "$APP" --workers "$WORKERS" \
  --port "$PORT" --host "$HOST" --brokers "$BROKERS" --auth-key-file "$KEY" "${extra[@]}"
[ "$LAUNCHED" = 1 ] || exit 0
wait_ready "$name" 15
echo "$name  ${addrs[*]}  ($WORKERS workers, master pid $(cat "$RUN/$name.pid"), log $RUN/$name.log)"
# A worker serves without its brokers (and reconnects to them), so a wrong address would only
# show later as missing sessions and publications: say it now.
for _ in $(seq 30); do
  health=$(curl -fsS --max-time 2 "${urls[0]}" 2>/dev/null || true)
  [[ "$health" == *'"up":false'* ]] || break
  sleep 0.1
done
if [[ "$health" == *'"up":false'* ]]; then
  say "warning: the workers do not reach every broker of $BROKERS yet: $health"
fi
