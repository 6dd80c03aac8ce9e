#!/usr/bin/env bash
# Sessions shared across tabs and worker processes (docs/worker.md "Sessions"), judged by the
# unchanged npm socketcluster-client 20 and redis-cli (tests/support/worker_sessions.js says
# what each check proves): the sid cookie on the upgrade, two sc-conformance workers sharing an
# sc-broker, then the same against Debian's redis-server (with notify-keyspace-events Ex, which
# sc-broker has on by default, for on_session_destroy after an expiry).
. "$SC_ROOT/tests/lib.sh"
. "$SC_ROOT/tests/support/worker_lib.sh"
need_node_modules socketcluster-client ws
command -v redis-cli >/dev/null || fail "redis-cli is not installed"
JS="$SC_ROOT/tests/support/worker_sessions.js"
TIMEOUT=2

# run_pair NAME: two sc-conformance workers on $BPORT, every check, both stopped.
run_pair() {
  local name=$1
  start_worker_pair "$name" "$SC_BIN/sc-conformance" \
    --brokers "127.0.0.1:$BPORT" --session-timeout "$TIMEOUT"
  timeout 30 node "$JS" cookie "$P1" ||
    { tail -n 5 "$TEST_TMP/$name-w1.log"; fail "session cookie with $name"; }
  timeout 60 node "$JS" share "$P1" "$P2" "$BPORT" "$TIMEOUT" \
    "$TEST_TMP/$name-w1.log" "$TEST_TMP/$name-w2.log" ||
    { tail -n 5 "$TEST_TMP/$name-w1.log" "$TEST_TMP/$name-w2.log"; fail "sessions with $name"; }
  ok "sessions shared by tabs on two workers through $name"
  timeout 30 node "$JS" destroy "$P1" "$P2" "$BPORT" "$TEST_TMP/$name-w1.log" "$TEST_TMP/$name-w2.log" ||
    { tail -n 5 "$TEST_TMP/$name-w1.log" "$TEST_TMP/$name-w2.log"; fail "sessionDestroy with $name"; }
  ok "sessionDestroy through $name"
  stop_worker_pair "$name"
}

start_broker "$TEST_TMP/broker.log" "$SC_BIN/sc-broker"
run_pair sc-broker

# A page load starts the session: a served file sets the cookie unless the request has one;
# --session-cookie renames it (exact name).
mkdir -p "$TEST_TMP/pub"
echo hi >"$TEST_TMP/pub/index.html"
start_worker "$TEST_TMP/http.log" "$SC_BIN/sc-conformance" --brokers "127.0.0.1:$BPORT" \
  --public "$TEST_TMP/pub" --session-cookie app_sid
H=$(curl -s -D - -o /dev/null "http://127.0.0.1:$PORT/")
echo "$H" | grep -qiE '^set-cookie: app_sid=[A-Za-z0-9_-]{32}; Path=/; HttpOnly; SameSite=Lax' ||
  fail "no session cookie on a served file: $H"
SID=$(echo "$H" | sed -n 's/^[Ss]et-[Cc]ookie: app_sid=\([^;]*\);.*/\1/p')
curl -s -D - -o /dev/null -H "Cookie: app_sid=$SID" "http://127.0.0.1:$PORT/" | grep -qi '^set-cookie' &&
  fail "the cookie was set again on a request that carried it"
curl -s -D - -o /dev/null -H "Cookie: sid=$SID" "http://127.0.0.1:$PORT/" | grep -qi '^set-cookie: app_sid=' ||
  fail "--session-cookie app_sid took the cookie sid"
curl -s -D - -o /dev/null "http://127.0.0.1:$PORT/?app_sid=$SID" | grep -qi "^set-cookie: app_sid=$SID" &&
  fail "a served file took the session id from the query string (session fixation)"
ok "a served file sets the session cookie once; --session-cookie names it; ?app_sid= is ignored"
"$SC_BIN/sc-conformance" --session-cookie 'a;b' >/dev/null 2>&1
[ $? -eq 2 ] || fail "--session-cookie 'a;b' was not refused with exit 2"
curl -s -D - -o /dev/null -H "X-Forwarded-Proto: https" "http://127.0.0.1:$PORT/" | grep -qi 'Secure' &&
  fail "Secure without --trust-proxy"
stop_worker "$WPID" "$TEST_TMP/http.log"
# Behind a TLS-terminating proxy (--trust-proxy) X-Forwarded-Proto: https adds Secure;
# without --trust-proxy the header is not believed.
start_worker "$TEST_TMP/https.log" "$SC_BIN/sc-conformance" --brokers "127.0.0.1:$BPORT" \
  --public "$TEST_TMP/pub" --trust-proxy yes
curl -s -D - -o /dev/null -H "X-Forwarded-Proto: https" -H "X-Forwarded-For: 10.0.0.1" \
  "http://127.0.0.1:$PORT/" | grep -qiE '^set-cookie: sid=.*; SameSite=Lax; Secure' ||
  fail "no Secure on the cookie behind a TLS proxy"
stop_worker "$WPID" "$TEST_TMP/https.log"
ok "Secure on the cookie with --trust-proxy and X-Forwarded-Proto: https, not without"

# Two brokers: sessions spread over them by the consistent hash of sc:sess:<sid>.
B1=$BPORT
start_broker "$TEST_TMP/broker2.log" "$SC_BIN/sc-broker"
B2=$BPORT
start_worker_pair sh "$SC_BIN/sc-conformance" --brokers "127.0.0.1:$B1,127.0.0.1:$B2"
timeout 60 node "$JS" shard "$P1" "$P2" "$B1" "$B2" ||
  { tail -n 5 "$TEST_TMP/sh-w1.log" "$TEST_TMP/sh-w2.log"; fail "sessions over two brokers"; }
ok "sessions sharded over two brokers"
stop_worker_pair sh

# Respawn: a master with one worker; its worker is SIGKILLed under the tab.
start_worker "$TEST_TMP/m.log" "$SC_BIN/sc-conformance" --brokers "127.0.0.1:$B1" --workers 1
timeout 30 node "$JS" respawn "$PORT" || { tail -n 5 "$TEST_TMP/m.log"; fail "respawn with sessions"; }
ok "a respawned worker serves the same session"
stop_worker "$WPID" "$TEST_TMP/m.log"

# The example app on two workers.
start_worker "$TEST_TMP/ex1.log" "$SC_BIN/sc-example-sessions" --brokers "127.0.0.1:$B1"
P1=$PORT W1=$WPID
start_worker "$TEST_TMP/ex2.log" "$SC_BIN/sc-example-sessions" --brokers "127.0.0.1:$B1"
P2=$PORT W2=$WPID
timeout 30 node "$JS" example "$P1" "$P2" || { tail -n 5 "$TEST_TMP/ex1.log"; fail "sc-example-sessions"; }
ok "sc-example-sessions"
stop_worker "$W1" "$TEST_TMP/ex1.log"
stop_worker "$W2" "$TEST_TMP/ex2.log"

if command -v redis-server >/dev/null; then
  start_broker "$TEST_TMP/redis.log" redis-server --save '' --appendonly no --bind 127.0.0.1 \
    --notify-keyspace-events Ex
  run_pair redis-server
  # Respawn with sessions intact on redis-server too (issue 17 asks every check of both).
  start_worker "$TEST_TMP/rm.log" "$SC_BIN/sc-conformance" --brokers "127.0.0.1:$BPORT" --workers 1
  timeout 30 node "$JS" respawn "$PORT" || { tail -n 5 "$TEST_TMP/rm.log"; fail "respawn with sessions on redis-server"; }
  ok "a respawned worker serves the same session (redis-server)"
  stop_worker "$WPID" "$TEST_TMP/rm.log"
else
  fail "redis-server is not installed (make deps)"
fi
echo "worker_sessions: ${_checks:?} checks passed"
