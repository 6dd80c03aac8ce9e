#!/usr/bin/env bash
# Real Redis clients against sc-broker: redis-cli (commands, --scan, -3, MONITOR),
# redis-benchmark (a short run with no errors), Node's ioredis and node-redis (RESP2 and
# RESP3 via HELLO 3), and the hiredis C client (tests/support/hiredis_client.cpp).
. "$SC_ROOT/tests/lib.sh"
BROKER=${BROKER_BIN:-$SC_BIN/sc-broker}  # BROKER_BIN=redis-server checks the test itself
[ -x "$BROKER" ] || BROKER=$(command -v "$BROKER") || fail "no broker binary at $BROKER"

PORT=$(free_port)
spawn "$BROKER" --port "$PORT" >"$TEST_TMP/broker.log" 2>&1
wait_port "$PORT"
cli() { redis-cli -p "$PORT" "$@"; }

# ---- redis-cli ----
expect_eq "$(cli ping)" "PONG" "redis-cli PING"
expect_eq "$(cli set greeting 'hello world')" "OK" "redis-cli SET"
expect_eq "$(cli get greeting)" "hello world" "redis-cli GET"
for i in $(seq 1 50); do echo "SET scan:$i v$i"; done | cli >/dev/null
expect_eq "$(cli --scan --pattern 'scan:*' | sort | wc -l | tr -d ' ')" "50" \
  "redis-cli --scan --pattern finds 50 keys"
cli hset sess:1 user u1 ip 10.0.0.1 >/dev/null
expect_eq "$(cli -3 --no-raw hgetall sess:1 | tr -d '\r')" $'1# "user" => "u1"\n2# "ip" => "10.0.0.1"' \
  "redis-cli -3 shows HGETALL as a RESP3 map"
expect_eq "$(cli -3 --no-raw hello 3 | head -2 | tr -d '\r')" $'1# "server" => "redis"\n2# "version" => "7.0.15"' \
  "redis-cli -3 HELLO 3 reply"
info=$(cli info server | tr -d '\r')
grep -q '^redis_version:7.0.15$' <<<"$info" || fail "INFO server lacks redis_version"
[ -n "${BROKER_BIN:-}" ] || grep -q '^sc_broker_version:' <<<"$info" || fail "INFO server lacks sc_broker_version"
grep -q "^tcp_port:$PORT\$" <<<"$info" || fail "INFO server tcp_port"
ok "INFO server fields (redis_version, sc_broker_version, tcp_port)"
info=$(cli info | tr -d '\r')
for s in Server Clients Memory Persistence Stats Replication CPU Keyspace; do
  grep -q "^# $s\$" <<<"$info" || fail "INFO lacks section $s"
done
grep -q '^db0:keys=52,expires=0,avg_ttl=0$' <<<"$info" || fail "INFO keyspace line: $(grep ^db0 <<<"$info")"
ok "INFO default sections and keyspace line"
expect_eq "$(cli client setname 'bad name')" \
  "ERR Client names cannot contain spaces, newlines or special characters." \
  "CLIENT SETNAME rejects spaces"
line=$(cli client info)
[[ "$line" =~ ^id=[0-9]+\ addr=127\.0\.0\.1:[0-9]+\ laddr=127\.0\.0\.1:$PORT\ fd=[0-9]+\ name=\ age=[0-9]+\ idle=[0-9]+\ flags=N\ db=0\ sub=0\ psub=0\ ssub=0\ multi=-1\ .*cmd=client\|info\ user=default\ redir=-1\ resp=2$ ]] \
  || fail "CLIENT INFO line: $line"
ok "CLIENT INFO line in Redis 7.0 format"

# MONITOR: a set shows up as Redis's line.
cli monitor >"$TEST_TMP/monitor.out" 2>&1 &
MON=$!; _pids+=("$MON")
for _ in $(seq 50); do [ -s "$TEST_TMP/monitor.out" ] && break; sleep 0.05; done
cli set 'mon key' $'va"l\n' >/dev/null
for _ in $(seq 50); do grep -q '"set"' "$TEST_TMP/monitor.out" && break; sleep 0.05; done
kill "$MON" 2>/dev/null
grep -Eq '^[0-9]+\.[0-9]{6} \[0 127\.0\.0\.1:[0-9]+\] "set" "mon key" "va\\"l\\n"$' "$TEST_TMP/monitor.out" \
  || fail "MONITOR line: $(cat "$TEST_TMP/monitor.out")"
ok "MONITOR shows commands with Redis's quoting"

# ---- redis-benchmark ----
out=$(redis-benchmark -p "$PORT" -n 20000 -c 20 -q -t set,get,incr,lpush,rpop,sadd,hset,spop,lrange_100,mset 2>&1)
echo "$out" | tr '\r' '\n' | grep -v '^\s*$' | grep -v 'rps=' | tail -n 20
if echo "$out" | tr '\r' '\n' | grep -qiE 'error|ERR '; then fail "redis-benchmark reported errors"; fi
[ "$(echo "$out" | tr '\r' '\n' | grep -c 'requests per second')" -ge 10 ] \
  || fail "redis-benchmark did not finish every test"
ok "redis-benchmark -n 20000 -q: every test completed without errors"

# ---- hiredis ----
[ -x "$SC_BIN/hiredis_client" ] || fail "no $SC_BIN/hiredis_client (build target hiredis_client)"
"$SC_BIN/hiredis_client" "$PORT" || fail "hiredis client"
ok "hiredis client round trips"

# ---- Node clients ----
if ! command -v node >/dev/null; then fail "node is not installed"; fi
if [ ! -d "$SC_ROOT/tests/node_modules/ioredis" ] || [ ! -d "$SC_ROOT/tests/node_modules/redis" ]; then
  npm ci --prefix "$SC_ROOT/tests" --no-audit --no-fund >/dev/null 2>&1 || fail "npm ci failed"
fi
node "$SC_ROOT/tests/support/node_clients.js" "$PORT" || fail "node clients"
ok "ioredis and node-redis (RESP2, RESP3) round trips"

cli flushall >/dev/null
echo "broker_clients: ${_checks:?} checks passed"
