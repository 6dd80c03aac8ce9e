#!/usr/bin/env bash
# Pub/sub across worker processes through a broker, judged by the unchanged npm
# socketcluster-client 20 (tests/support/worker_pubsub.js says what each check proves):
# two sc-conformance workers sharing one sc-broker, then the same against Debian's redis-server,
# --allow-client-publish no, the pub/sub middleware points (sc-example-middleware), sc::Exchange
# (sc-example-chat on two workers), a broker
# killed and restarted under subscribed clients, and two brokers sharing the channels.
. "$SC_ROOT/tests/lib.sh"
. "$SC_ROOT/tests/support/worker_lib.sh"
need_node_modules socketcluster-client ws
command -v redis-cli >/dev/null || fail "redis-cli is not installed"
KEY="$TEST_TMP/auth.key"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$KEY"
JS="$SC_ROOT/tests/support/worker_pubsub.js"

# run_pair NAME: two sc-conformance workers on $BPORT, the basic checks, both stopped.
run_pair() {
  local name=$1
  start_worker_pair "$name" "$SC_BIN/sc-conformance" --auth-key-file "$KEY" \
    --brokers "127.0.0.1:$BPORT" --socket-channel-limit 3
  timeout 60 node "$JS" basic "$P1" "$P2" "$BPORT" ||
    { tail -n 5 "$TEST_TMP/$name-w1.log" "$TEST_TMP/$name-w2.log"; fail "pub/sub with $name"; }
  ok "pub/sub between two workers through $name"
  stop_worker_pair "$name"
}

start_broker "$TEST_TMP/broker.log" "$SC_BIN/sc-broker"
run_pair sc-broker

start_worker "$TEST_TMP/nopub.log" "$SC_BIN/sc-conformance" --brokers "127.0.0.1:$BPORT" \
  --allow-client-publish no
timeout 30 node "$JS" nopublish "$PORT" || fail "--allow-client-publish no"
stop_worker "$WPID" "$TEST_TMP/nopub.log"
start_worker "$TEST_TMP/mw.log" "$SC_BIN/sc-example-middleware" --brokers "127.0.0.1:$BPORT"
timeout 30 node "$JS" middleware "$PORT" || fail "pub/sub middleware"
stop_worker "$WPID" "$TEST_TMP/mw.log"
ok "--allow-client-publish no and the Subscribe / PublishIn / PublishOut middleware"
start_worker_pair chat "$SC_BIN/sc-example-chat" --brokers "127.0.0.1:$BPORT"
timeout 30 node "$JS" chat "$P1" "$P2" || fail "chat example"
stop_worker_pair chat

# The broker goes away under subscribed clients and comes back on the same port.
start_worker_pair r "$SC_BIN/sc-conformance" --brokers "127.0.0.1:$BPORT"
timeout 60 node "$JS" restart "$P1" "$P2" "$BPID" "$SC_BIN/sc-broker" --port "$BPORT" ||
  { tail -n 5 "$TEST_TMP/r-w1.log"; fail "broker restart"; }
grep -q "subscription connection is back" "$TEST_TMP/r-w1.log" ||
  fail "worker 1 did not log its broker reconnection"
ok "broker restart: the workers logged the outage and the reconnection"
stop_worker_pair r

# Two brokers: --brokers a,b in the same order on both workers.
start_broker "$TEST_TMP/broker-a.log" "$SC_BIN/sc-broker"
BA=$BPORT
start_broker "$TEST_TMP/broker-b.log" "$SC_BIN/sc-broker"
BB=$BPORT
start_worker_pair s "$SC_BIN/sc-conformance" --brokers "127.0.0.1:$BA,127.0.0.1:$BB"
timeout 60 node "$JS" spread "$P1" "$P2" "$BA" "$BB" || fail "two brokers"
stop_worker_pair s

# A broker that wants a password: the right one from the environment, a wrong one by flag.
start_broker "$TEST_TMP/broker-pw.log" "$SC_BIN/sc-broker" --requirepass s3cret
SCLUSTER_BROKER_PASSWORD=s3cret start_worker "$TEST_TMP/pw-good.log" "$SC_BIN/sc-conformance" \
  --brokers "127.0.0.1:$BPORT"
P1=$PORT W1=$WPID
start_worker "$TEST_TMP/pw-bad.log" "$SC_BIN/sc-conformance" --brokers "127.0.0.1:$BPORT" \
  --broker-password wrong
P2=$PORT W2=$WPID
timeout 30 node "$JS" password "$P1" "$P2" || fail "broker password"
grep -q "AUTH refused" "$TEST_TMP/pw-bad.log" || fail "the refused AUTH was not logged"
ok "the refused AUTH is logged"
stop_worker "$W1" "$TEST_TMP/pw-good.log"
stop_worker "$W2" "$TEST_TMP/pw-bad.log"

# Debian's redis-server as the broker: only commands stock Redis has are used.
if command -v redis-server >/dev/null; then
  start_broker "$TEST_TMP/redis.log" redis-server --save '' --appendonly no --bind 127.0.0.1
  run_pair redis-server
else
  fail "redis-server is not installed (make deps)"
fi
echo "worker_pubsub: ${_checks:?} checks passed"
