#!/usr/bin/env bash
# Starts the broker tier on this host: COUNT sc-broker processes on ports PORT..PORT+COUNT-1,
# and waits until each answers PING.  Usable alone on a broker host (workers elsewhere get
# --brokers HOST:PORT,...) and used by start-cluster.sh.  Running it again starts nothing new.
#   --port P          first port               (SCLUSTER_BROKER_PORT, default 6380)
#   --count K         brokers on this host     (SCLUSTER_BROKERS, default 1)
#   --bind ADDR,...   addresses to listen on   (SCLUSTER_BROKER_BIND, default 127.0.0.1)
#   --password PW     clients must AUTH        (SCLUSTER_BROKER_PASSWORD; sc-broker refuses
#                     non-loopback clients without one, its protected mode)
#   -- OPTION...      more sc-broker options, e.g. -- --appendonly yes --maxmemory 1000000000
# Files: run/sc-broker-PORT.{pid,log,info}, run/sc-broker-PORT/ (its --dir: the AOF) and, with
# a password, run/sc-broker-PORT.conf (mode 0600; the password stays off the command line).
set -euo pipefail
. "$(dirname "$0")/tier.sh"
PORT=${SCLUSTER_BROKER_PORT:-6380}
COUNT=${SCLUSTER_BROKERS:-1}
BIND=${SCLUSTER_BROKER_BIND:-127.0.0.1}
PASSWORD=${SCLUSTER_BROKER_PASSWORD:-}
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --port) PORT=$2; shift 2 ;;
    --count) COUNT=$2; shift 2 ;;
    --bind) BIND=$2; shift 2 ;;
    --password) PASSWORD=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option $1 (--help lists them)" ;;
  esac
done
[[ "$PORT" =~ ^[0-9]+$ && "$COUNT" =~ ^[0-9]+$ ]] || die "--port and --count take numbers"
[ -x "$BIN/sc-broker" ] || die "$BIN/sc-broker is missing: run 'make' first"
need_tool redis-cli redis-tools
export SCLUSTER_BROKER_PASSWORD=$PASSWORD  # check() authenticates with it
IFS=', ' read -r -a binds <<<"$BIND"
check_host=$(url_host "${binds[0]#-}")
check_host=${check_host#[}; check_host=${check_host%]}
mkdir -p "$RUN"

for ((i = 0; i < COUNT; i++)); do
  port=$((PORT + i)) name=sc-broker-$((PORT + i))
  args=()
  if [ -n "$PASSWORD" ]; then  # the config file comes first: flags override it
    (umask 077; printf 'requirepass "%s"\n' "$PASSWORD" >"$RUN/$name.conf")
    args+=("$RUN/$name.conf")
  fi
  mkdir -p "$RUN/$name"
  args+=(--port "$port" --bind "${binds[@]}" --dir "$RUN/$name" "${extra[@]}")
  launch "$name" broker "${BIND//,/ }:$port" "broker $check_host $port" -- "$BIN/sc-broker" "${args[@]}"
  [ "$LAUNCHED" = 1 ] || continue
  wait_ready "$name" 10
  echo "$name  ${BIND//,/ }:$port  (pid $(cat "$RUN/$name.pid"), log $RUN/$name.log)"
done
