# Shared helpers for shell integration tests.  Source it: . "$SC_ROOT/tests/lib.sh"
# Every process a test starts is registered and stopped by pid at exit; ports are probed free.
set -u
SC_ROOT=${SC_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
SC_BIN=${SC_BIN:-$SC_ROOT/build/bin}
TEST_TMP=$(mktemp -d /tmp/sctest.XXXXXX)
_pids=()
_checks=0
cleanup() {
  local p
  for p in "${_pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${_pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
  done
  rm -rf "$TEST_TMP"
}
trap cleanup EXIT

# free_port: prints a TCP port that nothing listens on (tests/support/tap.py's picker: below the
# ephemeral range when there is room).
free_port() {
  PYTHONPATH="$SC_ROOT/tests/support" python3 -c 'import tap; print(tap.free_port())'
}
# spawn CMD...: starts a background process, registers its pid, sets $LAST_PID.
spawn() { "$@" & LAST_PID=$!; _pids+=("$LAST_PID"); }
# start_listening LOG CMD...: starts CMD --port P (P from free_port) with its output appended to
# LOG and waits until it accepts on P.  A port found free can be taken before the server binds
# it, so a server that exits at start is retried on another port, up to 5 times (the failed
# attempt's log kept as LOG.failed-N: under ASan it holds the leak report of the failed
# listen, and the caller judges only the server that runs).  Sets PORT and SPID.
start_listening() {
  local log=$1 attempt
  shift
  for attempt in 1 2 3 4 5; do
    PORT=$(free_port)
    spawn "$@" --port "$PORT" >>"$log" 2>&1
    SPID=$LAST_PID
    for _ in $(seq 100); do
      (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0
      kill -0 "$SPID" 2>/dev/null || break
      sleep 0.1
    done
    kill "$SPID" 2>/dev/null
    echo "$1 did not start on port $PORT (attempt $attempt)" >&2
    mv "$log" "$log.failed-$attempt" 2>/dev/null
  done
  fail "$1 never started: $(tail -3 "$log.failed-5")"
}
# wait_port PORT [HOST]: waits up to 10 s until something accepts on the port.
wait_port() {
  local host=${2:-127.0.0.1}
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/$host/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "port $1 never opened" >&2; return 1
}
# alive PID: a process runs with that pid (a zombie that init has not reaped yet does not).
alive() { local s; s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; s=${s##*) }; [ "${s%% *}" != Z ]; }
ok() { _checks=$((_checks + 1)); echo "ok $_checks - $*"; }
fail() { echo "FAILED: $*" >&2; exit 1; }
# expect_eq ACTUAL EXPECTED DESCRIPTION
expect_eq() { [ "$1" == "$2" ] && ok "$3" || fail "$3: got [$1] expected [$2]"; }

# docs_cover_help SECTION PROGRAM MIN [PREFIX]: every --flag that `PROGRAM --help` lists has a
# row in SECTION (markdown text of docs/configuration.md) that names its default; there are more
# than MIN of them.  A row starts with the name after PREFIX ("--"; "" where the table lists
# config-file directives, as the broker's).  Used by the broker's, the balancer's and the
# worker's docs tests.
docs_cover_help() {
  local section=$1 prog=$2 min=$3 prefix=${4---} n=0 name def row
  while read -r name def; do
    row=$(grep -E "^\| \`$prefix$name( [^\`]*)?\` \|" <<<"$section" | head -n1)
    [ -n "$row" ] || fail "docs/configuration.md lacks a row for $prefix$name"
    if [ -n "$def" ]; then
      grep -qF "| \`$def\` |" <<<"$row" || fail "docs/configuration.md: $prefix$name lacks its default '$def': $row"
    fi
    n=$((n + 1))
  done < <("$prog" --help |
           sed -n -e 's/^  --\([^ ]*\) .*(default \([^)]*\))\( \[repeatable\]\)\{0,1\}$/\1 \2/p' -e 't' \
                  -e 's/^  --\([^ ]*\).*$/\1/p')
  [ "$n" -gt "$min" ] || fail "$(basename "$prog") --help listed only $n options"
  ok "all $n options of $(basename "$prog") --help are in docs/configuration.md with their defaults"
}
