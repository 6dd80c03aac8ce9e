#!/usr/bin/env bash
# The sessions bench (bench/worker-vs-node.sh METRICS=sessions, docs/benchmarks.md) measures only
# right answers: sc_load --procedure sessionSet|sessionGet against sc-conformance on sc-broker
# counts no error and reads every session's last value back; a session changed behind its back
# makes sessionGet's answers count as errors; and the script's smoke run passes, but exits 1 as
# soon as sc_load reports a wrong answer.  Rates are not judged (the machine may be loaded).
. "$SC_ROOT/tests/lib.sh"
. "$SC_ROOT/tests/support/worker_lib.sh"
BUILD=${SC_BUILD:-$SC_ROOT/build}
LOAD="$BUILD/bench/sc_load"
[ -x "$LOAD" ] || fail "no $LOAD (make)"
command -v redis-cli >/dev/null || fail "redis-cli is not installed"
kv() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {print $2}'; }

start_broker "$TEST_TMP/broker.log" "$SC_BIN/sc-broker"
start_worker "$TEST_TMP/w.log" "$SC_BIN/sc-conformance" --host 127.0.0.1 \
  --brokers "127.0.0.1:$BPORT" --log-level warning
WPORT=$PORT

# sessionSet: every answer good, every session's last value read back; the hash holds it.
line=$(timeout 60 "$LOAD" --port "$WPORT" --procedure sessionSet --conns 8 --window 4 \
  --duration 1 --warmup 0.3 2>"$TEST_TMP/set.err")
[ "$(kv "$line" count)" -gt 0 ] 2>/dev/null || fail "sessionSet: no answers: $line $(cat "$TEST_TMP/set.err")"
expect_eq "$(kv "$line" errors)/$(kv "$line" verified)" "0/8" \
  "sc_load --procedure sessionSet: no wrong answer, 8 sessions' last values read back"
keys=$(redis-cli -p "$BPORT" --scan --pattern 'sc:sess:*' | sort)
[ "$(wc -l <<<"$keys")" = 8 ] || fail "8 session hashes expected: $keys"
v=$(redis-cli -p "$BPORT" hget "$(head -n1 <<<"$keys")" v)
[[ "$v" =~ ^\{\"n\":[0-9]+,\"s\":\"x{16}\"\}$ ]] || fail "the session hash holds $v"
ok "each connection had its own session (sid query parameter), holding the value it set: $v"

# sessionGet: every answer carries the value the connection set first.
line=$(timeout 60 "$LOAD" --port "$WPORT" --procedure sessionGet --conns 8 --window 4 \
  --duration 1 --warmup 0.3 2>"$TEST_TMP/get.err")
[ "$(kv "$line" count)" -gt 0 ] 2>/dev/null || fail "sessionGet: no answers: $line $(cat "$TEST_TMP/get.err")"
expect_eq "$(kv "$line" errors)" 0 "sc_load --procedure sessionGet: no wrong answer"

# The same while redis-cli rewrites field g of every session: the answers are wrong, and counted.
: >"$TEST_TMP/get2.out"
timeout 60 "$LOAD" --port "$WPORT" --procedure sessionGet --conns 4 --window 4 --duration 3 \
  --warmup 0.3 >"$TEST_TMP/get2.out" 2>"$TEST_TMP/get2.err" &
lpid=$!
_pids+=("$lpid")
for _ in $(seq 40); do
  kill -0 "$lpid" 2>/dev/null || break
  redis-cli -p "$BPORT" --scan --pattern 'sc:sess:*' |
    awk '{printf "HSET %s g \"\\\"wrong\\\"\"\n", $1}' | redis-cli -p "$BPORT" >/dev/null
  sleep 0.1
done
wait "$lpid"
line=$(tail -n1 "$TEST_TMP/get2.out")
[ "$(kv "$line" errors)" -gt 0 ] 2>/dev/null ||
  fail "sessionGet counted no error although every value was changed: $line"
ok "sessionGet counts answers that are not the connection's value ($(kv "$line" errors) of them)"

for bad in "--procedure nope" "--procedure sessionSet --raw" "--procedure sessionGet --mode pubsub"; do
  # shellcheck disable=SC2086
  "$LOAD" --port "$WPORT" $bad >/dev/null 2>&1
  [ $? -eq 2 ] || fail "sc_load $bad was not refused with exit 2"
done
ok "sc_load refuses an unknown --procedure, and session procedures with --raw or pubsub"

# The script's smoke: passes with right answers, fails when sc_load reports a wrong one (an
# sc_load that rewrites errors=0 in its result, in a build directory of links to the real one).
command -v redis-server >/dev/null || fail "redis-server is not installed (make deps)"
out=$(METRICS=sessions ROUNDS=1 DURATION=1 WARMUP=0.3 CONNS=8 WINDOW=4 OUT="$TEST_TMP/t.md" \
  timeout 600 bash "$SC_ROOT/bench/worker-vs-node.sh" 2>&1) || fail "the sessions smoke failed: $out"
for r in "sessionSet: round trips/s" "sessionGet: round trips/s" "sessionSet: of which the broker's CPU us"; do
  grep -qE "^\| $r \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \|" "$TEST_TMP/t.md" ||
    fail "no figures in the row '$r': $(cat "$TEST_TMP/t.md")"
done
ok "bench/worker-vs-node.sh METRICS=sessions: a figure for each of the three servers"
mkdir -p "$TEST_TMP/fake/bench"
ln -s "$BUILD/bin" "$TEST_TMP/fake/bin"
ln -s "$BUILD/bench/lws_echo" "$TEST_TMP/fake/bench/lws_echo"
printf '#!/bin/sh\n"%s" "$@" | sed "s/ errors=0 / errors=3 /"\n' "$LOAD" >"$TEST_TMP/fake/bench/sc_load"
chmod +x "$TEST_TMP/fake/bench/sc_load"
METRICS=sessions ROUNDS=1 DURATION=0.5 WARMUP=0.2 CONNS=4 WINDOW=2 OUT="$TEST_TMP/f.md" \
  SC_BUILD="$TEST_TMP/fake" timeout 600 bash "$SC_ROOT/bench/worker-vs-node.sh" >"$TEST_TMP/f.out" 2>&1
rc=$?
[ "$rc" = 1 ] || fail "the smoke exited $rc with wrong answers: $(tail -n 5 "$TEST_TMP/f.out")"
grep -q "wrong or error answers" "$TEST_TMP/f.out" || fail "the smoke did not say which answers were wrong"
ok "bench/worker-vs-node.sh exits 1 when sc_load reports wrong answers"

stop_worker "$WPID" "$TEST_TMP/w.log"
echo "bench_sessions: $_checks checks passed"
