#!/usr/bin/env bash
# The job-queue row of bench/broker-vs-redis.sh (docs/benchmarks.md) measures only right answers:
# bench/queue_load's BRPOP/LPUSH round trips against redis-server and sc-broker end with every
# list empty and count exactly --max-trips when told; a wrong job, a wrong reply, an error reply
# and a stopped server each end it with exit 1 and the kind on stdout; and the script's smoke run
# gives figures, but exits 1 as soon as queue_load reports a wrong answer.  Rates are not judged
# (the machine may be loaded).  SKIP (77) at the end, after the redis-server checks, while
# sc-broker answers BRPOP with an error (a broker built before the blocking list commands).
. "$SC_ROOT/tests/lib.sh"
. "$SC_ROOT/bench/lib.sh"  # kv
BUILD=${SC_BUILD:-$SC_ROOT/build}
LOAD="$BUILD/bench/queue_load"
[ -x "$LOAD" ] || fail "no $LOAD (make)"
for tool in redis-server redis-cli taskset; do
  command -v $tool >/dev/null || fail "$tool is not installed (make deps)"
done

# run_bad NAME PORT KIND PREFIX ACTION...: queue_load runs on PREFIX's keys while ACTION (a
# redis-cli command, repeated every 0.1 s for at most 5 s) disturbs them; it must exit 1 with
# error=KIND.
run_bad() {
  local name=$1 port=$2 kind=$3 prefix=$4 lpid rc
  shift 4
  timeout 60 "$LOAD" --port "$port" --pairs 2 --duration 20 --warmup 0 --timeout 5 \
    --prefix "$prefix" >"$TEST_TMP/bad.out" 2>"$TEST_TMP/bad.err" &
  lpid=$!
  _pids+=("$lpid")
  for _ in $(seq 50); do
    kill -0 "$lpid" 2>/dev/null || break
    sleep 0.1
    redis-cli -p "$port" "$@" >/dev/null
  done
  wait "$lpid"
  rc=$?
  [ "$rc" = 1 ] && grep -q "^error=$kind " "$TEST_TMP/bad.out" ||
    fail "$name: queue_load exited $rc, not 1 with error=$kind, while redis-cli $*:" \
      "$(cat "$TEST_TMP/bad.out" "$TEST_TMP/bad.err")"
  ok "$name: queue_load exits 1 (error=$kind) when redis-cli $* ($(head -c 150 "$TEST_TMP/bad.err"))"
}

# check_server NAME PORT PID: right answers pass, each kind of wrong one fails.
check_server() {
  local name=$1 port=$2 pid=$3 pairs line rc lpid
  for pairs in 1 20; do
    line=$(timeout 60 "$LOAD" --port "$port" --pairs "$pairs" --duration 0.5 --warmup 0.1 \
      --cpu-pid "$pid" 2>"$TEST_TMP/ok.err") || fail "$name: queue_load --pairs $pairs: $line $(cat "$TEST_TMP/ok.err")"
    [ "$(kv "$line" errors)" = 0 ] && [ "$(kv "$line" count)" -gt 0 ] &&
      [ "$(kv "$line" pairs)" = "$pairs" ] || fail "$name: queue_load --pairs $pairs: $line"
    expect_eq "$(redis-cli -p "$port" dbsize)" 0 \
      "$name: $pairs pair(s), $(kv "$line" count) round trips, every job answered: no list left"
  done
  line=$(timeout 60 "$LOAD" --port "$port" --pairs 5 --duration 30 --warmup 0 --max-trips 300 \
    2>"$TEST_TMP/ok.err") || fail "$name: queue_load --max-trips 300: $line $(cat "$TEST_TMP/ok.err")"
  expect_eq "$(kv "$line" count)" 300 "$name: --max-trips 300 ends the window after 300 round trips"

  run_bad "$name" "$port" wrong qt1 lpush qt1:reply:0 not-the-id
  run_bad "$name" "$port" wrong qt2 lpush qt2:job:1 1.1:not-the-job
  run_bad "$name" "$port" reply qt3 set qt3:reply:1 a-string
  redis-cli -p "$port" del qt1:reply:0 qt2:job:1 qt3:reply:1 >/dev/null

  # A server that stops answering: the trip in flight times out (--timeout 1).
  timeout 60 "$LOAD" --port "$port" --pairs 2 --duration 10 --warmup 0 --timeout 1 \
    >"$TEST_TMP/stop.out" 2>"$TEST_TMP/stop.err" &
  lpid=$!
  _pids+=("$lpid")
  sleep 0.5
  kill -STOP "$pid"
  wait "$lpid"
  rc=$?
  kill -CONT "$pid"
  [ "$rc" = 1 ] && grep -q "^error=timeout " "$TEST_TMP/stop.out" ||
    fail "$name: stopped server: queue_load exited $rc: $(cat "$TEST_TMP/stop.out" "$TEST_TMP/stop.err")"
  ok "$name: a stopped server: queue_load exits 1 (error=timeout) after --timeout"
}

start_listening "$TEST_TMP/redis.log" redis-server --bind 127.0.0.1 --save '' --appendonly no
RPORT=$PORT RPID=$SPID
check_server redis-server "$RPORT" "$RPID"
for bad in "--pairs 0" "--port 0" "--duration x" "--nope 1" "--pairs"; do
  # shellcheck disable=SC2086
  "$LOAD" --port "$RPORT" $bad >/dev/null 2>&1
  [ $? -eq 2 ] || fail "queue_load $bad was not refused with exit 2"
done
ok "queue_load refuses bad arguments with exit 2"

start_listening "$TEST_TMP/broker.log" "$SC_BIN/sc-broker"
BPORT=$PORT BPID=$SPID
probe=$(redis-cli -p "$BPORT" brpop probe 0.01 2>&1 | tr -d '\r' | sed 's/ *$//')
if [ -z "$probe" ]; then
  check_server sc-broker "$BPORT" "$BPID"
fi

# The script's smoke: figures for both servers (redis-server only while sc-broker lacks BRPOP).
out=$(QUEUE_ONLY=1 SKIP_MEMORY=1 ROUNDS=1 QUEUE_PAIRS="1 4" QUEUE_DURATION=0.3 QUEUE_WARMUP=0.1 \
  OUT="$TEST_TMP/t.md" timeout 300 bash "$SC_ROOT/bench/broker-vs-redis.sh" 2>&1) ||
  fail "the queue smoke failed: $out"
for pairs in 1 4; do
  if [ -z "$probe" ]; then want="[0-9][0-9,]* \| [0-9][0-9,]* \| [0-9.]+ \|"; else want="- \| [0-9][0-9,]* \| - \|"; fi
  grep -qE "^\| $pairs \| $want" "$TEST_TMP/t.md" ||
    fail "no figures in the queue row of $pairs pairs: $(cat "$TEST_TMP/t.md")"
done
ok "bench/broker-vs-redis.sh QUEUE_ONLY=1: a row for 1 and 4 pairs$([ -n "$probe" ] && echo ", redis-server only")"

# It exits 1 when queue_load reports wrong answers (queue_loads that rewrite errors=0, or fail,
# in build directories of links to the real one).
for fake in 'sed "s/ errors=0 / errors=2 /"' 'cat >/dev/null; echo "error=wrong pairs=1 trips=0"; exit 1'; do
  rm -rf "$TEST_TMP/fake"
  mkdir -p "$TEST_TMP/fake/bench"
  ln -s "$BUILD/bin" "$TEST_TMP/fake/bin"
  printf '#!/bin/bash\n"%s" "$@" | %s\n' "$LOAD" "$fake" >"$TEST_TMP/fake/bench/queue_load"
  chmod +x "$TEST_TMP/fake/bench/queue_load"
  QUEUE_ONLY=1 SKIP_MEMORY=1 ROUNDS=1 QUEUE_PAIRS=1 QUEUE_DURATION=0.3 QUEUE_WARMUP=0.1 \
    OUT="$TEST_TMP/f.md" SC_BUILD="$TEST_TMP/fake" timeout 300 \
    bash "$SC_ROOT/bench/broker-vs-redis.sh" >"$TEST_TMP/f.out" 2>&1
  rc=$?
  [ "$rc" = 1 ] || fail "the smoke exited $rc with a queue_load that does '$fake': $(tail -n 5 "$TEST_TMP/f.out")"
  grep -q "wrong or error answers" "$TEST_TMP/f.out" || fail "the smoke did not say the answers were wrong"
done
ok "bench/broker-vs-redis.sh exits 1 when queue_load reports errors or exits 1"

if [ -n "$probe" ]; then
  echo "bench_queue: $_checks checks passed against redis-server"
  echo "sc-broker has no BRPOP yet (it answered: $probe)"
  exit 77
fi
echo "bench_queue: $_checks checks passed"
