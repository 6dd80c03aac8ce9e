#!/usr/bin/env bash
# Starts the balancer tier on this host: COUNT sc-balancer processes sharing a plain port and a
# TLS port (SO_REUSEPORT when COUNT > 1) in front of the workers, and waits until each port
# answers GET /health through to a worker.  Usable alone on a balancer host (give it the
# workers' addresses) and used by start-cluster.sh.  Running it again starts nothing new.
#   --backends H:P,...  the workers                 (SCLUSTER_BACKENDS, default
#                       127.0.0.1:8100,127.0.0.1:8101)
#   --host ADDR         address to listen on        (SCLUSTER_HOST, default 127.0.0.1; 0.0.0.0
#                       for clients on other hosts)
#   --port P            plain HTTP/WebSocket port   (SCLUSTER_PORT, default 8000)
#   --tls-port P        TLS port, 0 for none        (SCLUSTER_TLS_PORT, default 8443)
#   --balancers B       processes sharing the ports (SCLUSTER_BALANCERS, default 1)
#   --cert PEM --key PEM  the TLS pair              (SCLUSTER_CERT, SCLUSTER_KEY; default
#                       run/tls/{cert,key}.pem, self-signed for localhost, 127.0.0.1 and
#                       --host, made once with openssl; the key mode 0600)
#   --affinity MODE     ip, session or none         (SCLUSTER_AFFINITY, default session: a
#                       browser's tabs, by their sid cookie, reach one worker)
#   -- OPTION...        more sc-balancer options, e.g. -- --proxy-protocol v1
# Files: run/sc-balancer.conf (its settings; edit the backends line and send SIGHUP to change
# the workers without a restart), run/sc-balancer-N.{pid,log,info}.
set -euo pipefail
. "$(dirname "$0")/tier.sh"
BACKENDS=${SCLUSTER_BACKENDS:-127.0.0.1:8100,127.0.0.1:8101}
HOST=${SCLUSTER_HOST:-127.0.0.1}
PORT=${SCLUSTER_PORT:-8000}
TLS_PORT=${SCLUSTER_TLS_PORT:-8443}
COUNT=${SCLUSTER_BALANCERS:-1}
CERT=${SCLUSTER_CERT:-}
KEY=${SCLUSTER_KEY:-}
AFFINITY=${SCLUSTER_AFFINITY:-session}
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --backends) BACKENDS=$2; shift 2 ;;
    --host) HOST=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --tls-port) TLS_PORT=$2; shift 2 ;;
    --balancers) COUNT=$2; shift 2 ;;
    --cert) CERT=$2; shift 2 ;;
    --key) KEY=$2; shift 2 ;;
    --affinity) AFFINITY=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option $1 (--help lists them)" ;;
  esac
done
[[ "$PORT" =~ ^[0-9]+$ && "$TLS_PORT" =~ ^[0-9]+$ && "$COUNT" =~ ^[1-9][0-9]*$ ]] ||
  die "--port, --tls-port and --balancers take numbers (--balancers at least 1)"
[ "$PORT" != 0 ] || [ "$TLS_PORT" != 0 ] || die "--port and --tls-port are both 0: nothing to listen on"
[ -x "$BIN/sc-balancer" ] || die "$BIN/sc-balancer is missing: run 'make' first"
need_tool curl curl
mkdir -p "$RUN"

if [ "$TLS_PORT" != 0 ] && [ -z "$CERT$KEY" ]; then
  CERT=$RUN/tls/cert.pem KEY=$RUN/tls/key.pem
  if [ ! -s "$CERT" ] || [ ! -s "$KEY" ]; then
    need_tool openssl openssl
    san="DNS:localhost,IP:127.0.0.1,IP:::1"
    case "$HOST" in
      0.0.0.0 | :: | 127.0.0.1 | ::1) ;;
      *[!0-9.:]*) san="$san,DNS:$HOST" ;;
      *) san="$san,IP:$HOST" ;;
    esac
    (umask 077; mkdir -p "$RUN/tls" &&
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
        -subj "/CN=scluster self-signed" -addext "subjectAltName=$san" \
        -keyout "$KEY" -out "$CERT" 2>"$RUN/tls/openssl.log") ||
      die "openssl could not make a certificate: $(tail -n 3 "$RUN/tls/openssl.log")"
    chmod 0644 "$CERT"
    echo "made a self-signed certificate $CERT ($san) and its key $KEY (mode 0600)"
  fi
fi
[ "$TLS_PORT" = 0 ] || { [ -r "$CERT" ] && [ -r "$KEY" ]; } || die "cannot read --cert $CERT and --key $KEY"

# The settings go to a config file so that SIGHUP can re-read the backends line.
conf=$RUN/sc-balancer.conf
{
  echo "# written by $PROG; the backends line is re-read on SIGHUP"
  echo "backends $BACKENDS"
  echo "affinity $AFFINITY"
  echo "health-path /health"
  echo "balancers $COUNT"
  [ "$PORT" = 0 ] || echo "listen $HOST:$PORT"
  [ "$TLS_PORT" = 0 ] || printf 'tls-listen %s:%s\ncert %s\nkey %s\n' "$HOST" "$TLS_PORT" "$CERT" "$KEY"
} >"$conf.new"
args=("$conf")
[ "$COUNT" = 1 ] || args+=(--reuseport)
check_host=$(url_host "$HOST")
urls=() addrs=()
[ "$PORT" = 0 ] || { urls+=("http://$check_host:$PORT/health"); addrs+=("$HOST:$PORT"); }
[ "$TLS_PORT" = 0 ] || { urls+=("https://$check_host:$TLS_PORT/health"); addrs+=("tls $HOST:$TLS_PORT"); }

for ((i = 1; i <= COUNT; i++)); do
  name=sc-balancer-$i
  # A running balancer keeps reading the file it started with: replace it only to start one.
  instance_pid "$name" >/dev/null || mv -f "$conf.new" "$conf" 2>/dev/null || true
  launch "$name" balancer "${addrs[*]}" "http ${urls[*]}" -- "$BIN/sc-balancer" "${args[@]}" "${extra[@]}"
  [ "$LAUNCHED" = 1 ] || continue
  wait_ready "$name" 10
  echo "$name  ${addrs[*]} -> $BACKENDS  (pid $(cat "$RUN/$name.pid"), log $RUN/$name.log)"
done
rm -f "$conf.new"
