#!/usr/bin/env bash
# scripts/start-cluster.sh starts every tier (a broker, sc-worker with 2 workers, a balancer on a
# plain and a TLS port), each answers, a client gets through the balancer on both ports and the
# session it sets is in the broker, --app runs another program on the toolkit that shares the
# session, a second start starts nothing, status.sh sees each instance, stop-cluster.sh leaves
# no process and no listener, and a tier that cannot start is named, its log shown and what the
# run started stopped.
# Runs in a private SCLUSTER_RUN on free ports; stops what it started even when it fails.
. "$SC_ROOT/tests/lib.sh"
. "$SC_ROOT/tests/support/worker_lib.sh"
need_node_modules socketcluster-client
for t in redis-cli curl openssl ss; do command -v $t >/dev/null || fail "$t is not installed"; done
export SCLUSTER_RUN="$TEST_TMP/run" SCLUSTER_BIN="$SC_BIN"
S=$SC_ROOT/scripts
CLIENT="$SC_ROOT/tests/support/cluster_client.js"
trap '"$S/stop-cluster.sh" >/dev/null 2>&1; cleanup' EXIT
trap "exit 143" TERM INT  # the cluster runs in sessions of its own: a timeout must still stop it

# free_ports N: N consecutive ports nothing listens on (the workers take PORT..PORT+N-1).
free_ports() {
  local p i busy
  for _ in $(seq 20); do
    p=$(free_port) busy=0
    for ((i = 1; i < $1; i++)); do
      (exec 3<>"/dev/tcp/127.0.0.1/$((p + i))") 2>/dev/null && busy=1
    done
    [ $busy = 0 ] && { echo "$p"; return; }
  done
  fail "no $1 consecutive free ports"
}
listening() { [ -n "$(ss -ltnH "sport = :$1")" ]; }
# docs/operations.md's table has every flag and variable of start-cluster.sh --help.
n=0
while read -r flag var; do
  grep -qE "^\| \`$flag( [^\`]*)?\` \| \`$var\` \|" "$SC_ROOT/docs/operations.md" ||
    fail "docs/operations.md lacks the row of $flag ($var)"
  n=$((n + 1))
done < <("$S/start-cluster.sh" --help | sed -n 's/^  \(--[a-z-]*\) .*(\(SCLUSTER_[A-Z_]*\).*/\1 \2/p')
[ $n -ge 10 ] || fail "start-cluster.sh --help lists only $n flags with a variable"
ok "docs/operations.md lists all $n flags of start-cluster.sh --help with their variables"

BP=$(free_ports 1) WP=$(free_ports 2) PP=$(free_ports 1) TP=$(free_ports 1)
ports=("$BP" "$WP" "$((WP + 1))" "$PP" "$TP")
args=(--broker-port "$BP" --worker-port "$WP" --port "$PP" --tls-port "$TP")

out=$("$S/start-cluster.sh" "${args[@]}" 2>&1) || fail "start-cluster.sh failed: $out"
echo "$out" | sed 's/^/  # /'
grep -qF "http://127.0.0.1:$PP/" <<<"$out" || fail "no demo URL in the output"
grep -qF "https://127.0.0.1:$TP/" <<<"$out" || fail "no TLS demo URL in the output"
grep -qF "redis-cli -p $BP hgetall sc:sess:<sid>" <<<"$out" || fail "no redis-cli line for sessions"
ok "start-cluster.sh started three tiers and printed both URLs and 'redis-cli -p $BP hgetall sc:sess:<sid>'"

expect_eq "$(redis-cli -p "$BP" ping)" PONG "the broker answers on $BP"
for p in "$WP" "$((WP + 1))"; do
  curl -fsS "http://127.0.0.1:$p/health" | grep -q '"up":true' || fail "worker on $p: no health or broker down"
done
ok "both workers answer GET /health on $WP and $((WP + 1)) and reach the broker"
head=$(curl -fsS -D - -o "$TEST_TMP/page" "http://127.0.0.1:$PP/") || fail "GET / through the balancer failed"
grep -qi '^set-cookie: sid=' <<<"$head" || fail "the page carried no sid cookie: $head"
grep -qi '<html' "$TEST_TMP/page" || fail "GET / is not the demo page"
curl -fsSk "https://127.0.0.1:$TP/health" | grep -q '"status":"ok"' || fail "no /health over TLS"
ok "the balancer serves the demo page (with a sid cookie) on $PP and a worker's /health over TLS on $TP"
for url in "ws://127.0.0.1:$PP" "wss://127.0.0.1:$TP"; do
  r=$(timeout 20 node "$CLIENT" "$url") || fail "socketcluster-client through $url failed"
  grep -q '"greet":"hello cluster"' <<<"$r" || fail "greet through $url: $r"
done
ok "socketcluster-client handshakes and invokes greet through the balancer on ws:// and wss://"
sid=$(sed -n 's/^[Ss]et-[Cc]ookie: sid=\([^;]*\);.*/\1/p' <<<"$head")
r=$(timeout 20 node "$CLIENT" "wss://127.0.0.1:$TP" "sid=$sid" color=blue) || fail "sessionSet through the balancer failed"
grep -qF '"got":"blue"' <<<"$r" || fail "sessionGet after sessionSet: $r"
expect_eq "$(redis-cli -p "$BP" hget "sc:sess:$sid" color)" '"blue"' \
  "the page's session (its sid cookie) holds a value set over wss://: redis-cli -p $BP hget sc:sess:<sid> color"

[ "$(stat -c %a "$SCLUSTER_RUN/auth.key")" = 600 ] || fail "auth.key is not mode 0600"
[ "$(stat -c %a "$SCLUSTER_RUN/tls/key.pem")" = 600 ] || fail "the TLS key is not mode 0600"
openssl x509 -in "$SCLUSTER_RUN/tls/cert.pem" -noout -ext subjectAltName | grep -q 'IP Address:127.0.0.1' ||
  fail "the certificate does not name 127.0.0.1"
grep -q "sc-worker.*--auth-key-file $SCLUSTER_RUN/auth.key" < <(tr '\0' ' ' <"/proc/$(cat "$SCLUSTER_RUN/sc-worker-$WP.pid")/cmdline"; echo) ||
  fail "sc-worker does not run with the auth key"
ok "the auth key and the TLS key are made once under run/ with mode 0600; the certificate names 127.0.0.1"

st=$("$S/status.sh") || fail "status.sh exit $?: $st"
for n in "sc-broker-$BP" "sc-worker-$WP" sc-balancer-1; do
  grep -qE "^$n +running .* healthy$" <<<"$st" || fail "status.sh does not show $n healthy: $st"
done
grep -qF "127.0.0.1:$WP 127.0.0.1:$((WP + 1))" <<<"$st" || fail "status.sh lacks the workers' addresses"
[ "$(grep -cE "^  worker +pid [0-9]+ +127.0.0.1:($WP|$((WP + 1))) +healthy$" <<<"$st")" = 2 ] || fail "status.sh does not list the 2 worker processes: $st"
ok "status.sh shows each instance (and each worker process) running, its addresses and healthy"

pids_before=$(cat "$SCLUSTER_RUN"/*.pid | sort)
key_before=$(md5sum <"$SCLUSTER_RUN/auth.key")
out2=$("$S/start-cluster.sh" "${args[@]}" 2>&1) || fail "the second start failed: $out2"
[ "$(grep -c 'already running' <<<"$out2")" = 3 ] || fail "the second start did not find 3 running: $out2"
expect_eq "$(cat "$SCLUSTER_RUN"/*.pid | sort)" "$pids_before" "a second start-cluster.sh starts nothing new"
expect_eq "$(md5sum <"$SCLUSTER_RUN/auth.key")" "$key_before" "the second start keeps the auth key"

# --app: another program on the toolkit (sc-conformance) replaces the workers; the broker and
# balancer that run are kept, and so is the session.
"$S/stop-cluster.sh" --tier worker >/dev/null
out3=$("$S/start-cluster.sh" "${args[@]}" --app "$SC_BIN/sc-conformance" 2>&1) || fail "--app start failed: $out3"
[ "$(grep -c 'already running' <<<"$out3")" = 2 ] || fail "--app restarted more than the workers: $out3"
r=$(timeout 20 node "$CLIENT" "ws://127.0.0.1:$PP" "sid=$sid" size=large) || fail "sessionSet through sc-conformance failed"
grep -qF '"got":"large"' <<<"$r" || fail "sessionGet through sc-conformance: $r"
expect_eq "$(redis-cli -p "$BP" hmget "sc:sess:$sid" color size | paste -sd' ')" '"blue" "large"' \
  "--app runs sc-conformance on the toolkit; it adds to the session the stock app started"

# A balancer that died: status.sh says so; the next start starts only it again.
kill -KILL "$(cat "$SCLUSTER_RUN/sc-balancer-1.pid")"
for _ in $(seq 50); do listening "$PP" || break; sleep 0.1; done
st=$("$S/status.sh"); rc=$?
[ $rc = 1 ] && grep -qE '^sc-balancer-1 +DEAD' <<<"$st" || fail "status.sh after kill -9 of the balancer (exit $rc): $st"
out5=$("$S/start-cluster.sh" "${args[@]}" --app "$SC_BIN/sc-conformance" 2>&1) || fail "restart after the crash: $out5"
[ "$(grep -c 'already running' <<<"$out5")" = 2 ] && grep -q '^sc-balancer-1 ' <<<"$out5" ||
  fail "the start after the crash did not start exactly the balancer: $out5"
ok "a balancer killed with -9: status.sh shows it DEAD (exit 1); start-cluster.sh starts only it again"

# Everything that runs: the pid files' processes and the workers under the master.
master=$(cat "$SCLUSTER_RUN/sc-worker-$WP.pid")
all=$(cat "$SCLUSTER_RUN"/*.pid; ps -o pid= --ppid "$master")
[ "$(wc -w <<<"$all")" -ge 5 ] || fail "expected 5 processes, found: $all"
out4=$("$S/stop-cluster.sh") || fail "stop-cluster.sh failed: $out4"
for p in $all; do alive "$p" && fail "process $p still runs after stop-cluster.sh: $(cat "/proc/$p/stat")"; done
for p in "${ports[@]}"; do listening "$p" && fail "port $p still listens after stop-cluster.sh"; done
ls "$SCLUSTER_RUN"/*.pid >/dev/null 2>&1 && fail "pid files left: $(ls "$SCLUSTER_RUN")"
ok "stop-cluster.sh stopped all $(wc -w <<<"$all") processes; no listener on ${ports[*]}; no pid file left"
grep -q "ready to exit" "$SCLUSTER_RUN/sc-broker-$BP.log" || fail "no clean shutdown in the broker's log"
ok "SIGTERM shut the broker down cleanly (log says so)"
"$S/status.sh" >/dev/null
expect_eq $? 3 "status.sh says nothing runs (exit 3)"

# A tier that cannot start: the TLS port is taken, so the balancer exits.  The broker and the
# workers this run started are stopped again.
python3 -c 'import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(120)' "$TP" &
_pids+=($!)
wait_port "$TP" || fail "could not occupy port $TP"
err=$("$S/start-cluster.sh" "${args[@]}" 2>&1)
rc=$?
echo "$err" | sed 's/^/  # /'
[ $rc -ne 0 ] || fail "start-cluster.sh succeeded with its TLS port taken"
grep -q "sc-balancer-1 failed to start" <<<"$err" || fail "the failure does not name the balancer"
grep -q "last lines of .*sc-balancer-1.log" <<<"$err" && grep -q '^  | .*cannot listen' <<<"$err" ||
  fail "the failure does not show the balancer's log"
for p in "$BP" "$WP" "$((WP + 1))" "$PP"; do listening "$p" && fail "port $p still listens after the failed start"; done
ls "$SCLUSTER_RUN"/*.pid >/dev/null 2>&1 && fail "pid files left after the failed start: $(ls "$SCLUSTER_RUN")"
ok "a balancer that cannot listen: start-cluster.sh exits $rc, names it, shows its log and stops the broker and workers it started"
