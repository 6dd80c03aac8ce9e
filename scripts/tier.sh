# shellcheck shell=bash disable=SC2034  # BIN, LAUNCHED: for the scripts that source this
# What start-broker.sh, start-workers.sh, start-balancer.sh, start-cluster.sh, stop-cluster.sh
# and status.sh share.  Sourced, never run.
#
# Every process these scripts start is an *instance* with a name (sc-broker-6380,
# sc-worker-8100, sc-balancer-1) and three files in $RUN:
#   NAME.pid   its pid; stop-cluster.sh signals exactly this process
#   NAME.log   its stdout and stderr
#   NAME.info  shell assignments written here: TIER (broker|worker|balancer: the stop order),
#              EXE (the program), START (the process's start time, field 22 of
#              /proc/PID/stat: a pid and its start time name one process for the machine's
#              uptime, so a pid reused after a crash is never signalled), ADDRS (what it
#              listens on, for status.sh) and CHECK (the words of the health check status.sh
#              runs)
# An instance is *running* when its pid file names a live process with that start time.
# Starting a running instance does nothing, so every start script may run twice.
#
# The scripts find the binaries in $SCLUSTER_BIN and keep their files in $SCLUSTER_RUN.  Their
# defaults: in a checkout, its build/bin and run/ (ignored by git); installed by make install
# (PREFIX/share/scluster/scripts), PREFIX/bin and ~/.local/state/scluster.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -f "$ROOT/Makefile" ] || [ ! -x "$ROOT/../../bin/sc-broker" ]; then
  BIN=${SCLUSTER_BIN:-$ROOT/build/bin}
  RUN=${SCLUSTER_RUN:-$ROOT/run}
else
  BIN=${SCLUSTER_BIN:-$(cd "$ROOT/../../bin" && pwd)}
  RUN=${SCLUSTER_RUN:-${XDG_STATE_HOME:-$HOME/.local/state}/scluster}
fi
PROG=$(basename "$0")

# usage: the script's opening comment, its --help.
usage() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; }
say() { echo "$PROG: $*" >&2; }
die() { say "$*"; exit 1; }

# need_tool CMD PACKAGE: the scripts wait with redis-cli, curl and openssl.
need_tool() { command -v "$1" >/dev/null || die "$1 is missing (Debian package $2; 'make deps' installs it)"; }

# start_time PID: the process's start time in clock ticks since boot (field 22 of its stat; the
# fields are counted after the command name, which may hold spaces and parentheses).  Fails
# when there is no such process or only its zombie.
start_time() {
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*) }
  # shellcheck disable=SC2086  # split into fields 3...
  set -- $s
  [ "$1" != Z ] || return 1
  echo "${20}"
}

# instance_pid NAME: prints the pid of a running instance NAME; fails when it is not running.
instance_pid() {
  local pid start
  [ -f "$RUN/$1.pid" ] && [ -f "$RUN/$1.info" ] || return 1
  pid=$(cat "$RUN/$1.pid")
  start=$(sed -n "s/^START='\(.*\)'$/\1/p" "$RUN/$1.info")
  [ -n "$start" ] && [ "$(start_time "$pid")" = "$start" ] || return 1
  echo "$pid"
}

# launch NAME TIER ADDRS CHECK -- CMD...: starts CMD in its own session (a terminal's hang-up or
# Ctrl-C does not reach it), output appended to NAME.log, and writes NAME.pid and NAME.info.
# Sets LAUNCHED=1, or LAUNCHED=0 (and says so) when NAME was already running.
launch() {
  local name=$1 tier=$2 addrs=$3 check=$4 pid exe
  shift 5
  mkdir -p "$RUN"
  if pid=$(instance_pid "$name"); then
    echo "$name already running (pid $pid, $addrs)"
    LAUNCHED=0
    return 0
  fi
  exe=$(readlink -f "$(command -v "$1")") || die "$1 is not a program"
  # setsid execs in place here (a background job of a script leads no process group), so $!
  # is the program's own pid; its start time is fixed at the fork, before any exec.
  echo "=== $PROG: starting $name at $(date -u '+%F %T') UTC" >>"$RUN/$name.log"
  setsid "$@" </dev/null >>"$RUN/$name.log" 2>&1 &
  pid=$!
  echo "$pid" >"$RUN/$name.pid"
  printf "TIER='%s'\nEXE='%s'\nSTART='%s'\nADDRS='%s'\nCHECK='%s'\n" "$tier" "$exe" \
    "$(start_time "$pid")" "$addrs" "$check" >"$RUN/$name.info"
  LAUNCHED=1
}

# check WORDS...: one health check, quiet; succeeds when the instance answers.
#   broker HOST PORT       PING answers PONG (or NOAUTH: it answers, and wants a password;
#                          REDISCLI_AUTH, from SCLUSTER_BROKER_PASSWORD, gives one)
#   http URL...            every URL answers 2xx (certificates not checked: ours is self-signed)
check() {
  local kind=$1 url reply
  shift
  case "$kind" in
    broker)
      reply=$(REDISCLI_AUTH=${SCLUSTER_BROKER_PASSWORD:-} timeout 3 redis-cli -h "$1" -p "$2" ping 2>/dev/null)
      [ "$reply" = PONG ] || [[ "$reply" == NOAUTH* ]] ;;
    http)
      for url in "$@"; do
        curl -fsSk --max-time 2 -o /dev/null "$url" 2>/dev/null || return 1
      done ;;
    *) return 1 ;;
  esac
}

# wait_ready NAME SECONDS: polls NAME's check every 0.1 s until it passes; gives up when the
# process exits or the time is out, and then fails the instance (see fail_instance).
wait_ready() {
  local name=$1 tries=$(($2 * 10)) check_words i
  check_words=$(sed -n "s/^CHECK='\(.*\)'$/\1/p" "$RUN/$name.info")
  for ((i = 0; i < tries; i++)); do
    # shellcheck disable=SC2086  # CHECK is a list of words
    check $check_words && return 0
    instance_pid "$name" >/dev/null || fail_instance "$name" "it exited"
    sleep 0.1
  done
  fail_instance "$name" "it did not answer ($check_words) within $2 s"
}

# fail_instance NAME WHY: says which instance failed and why, shows the end of its log (since
# this start's "===" line), stops
# it and exits 1 (the caller, start-cluster.sh, then stops what it started before).
fail_instance() {
  say "$1 failed to start: $2"
  echo "--- last lines of $RUN/$1.log:" >&2
  awk '/^=== /{n=0} {l[n++]=$0} END{for(i=(n>15?n-15:0);i<n;i++) print "  | " l[i]}' \
    "$RUN/$1.log" >&2 2>/dev/null
  stop_instance "$1" >/dev/null
  exit 1
}

# stop_instance NAME: SIGTERM (each tier drains on it), up to 20 s (the balancer's --grace is
# 10 s, the worker's drain 6 s), then SIGKILL; removes NAME.pid and NAME.info.  Only a running
# instance is signalled (see instance_pid).
stop_instance() {
  local name=$1 pid
  if pid=$(instance_pid "$name"); then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 200); do start_time "$pid" >/dev/null || break; sleep 0.1; done  # gone or a zombie
    if start_time "$pid" >/dev/null; then
      kill -KILL "$pid" 2>/dev/null
      echo "$name (pid $pid) did not stop within 20 s: killed"
    else
      echo "$name (pid $pid) stopped"
    fi
  fi
  rm -f "$RUN/$name.pid" "$RUN/$name.info"
}

# instances [TIER]: the names of the instances with files in $RUN (of one tier), sorted.
instances() {
  local f
  for f in "$RUN"/*.info; do
    [ -f "$f" ] || continue
    if [ -z "${1:-}" ] || grep -qx "TIER='$1'" "$f"; then basename "$f" .info; fi
  done | sort -V
}

# url_host ADDR: ADDR as a client reaches it (a wildcard listen address is reached on loopback).
url_host() {
  case "$1" in
    0.0.0.0 | '' | '*') echo 127.0.0.1 ;;
    :: | '[::]') echo '[::1]' ;;
    *:*) echo "[$1]" ;;
    *) echo "$1" ;;
  esac
}
