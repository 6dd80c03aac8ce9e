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

# free_port: prints a TCP port on 127.0.0.1 that nothing listens on (bind to 0, read it back).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
# spawn CMD...: starts a background process, registers its pid, sets $LAST_PID.
spawn() { "$@" & LAST_PID=$!; _pids+=("$LAST_PID"); }
# wait_port PORT [HOST]: waits up to 10 s until something accepts on the port.
wait_port() {
  local host=${2:-127.0.0.1}
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/$host/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "port $1 never opened" >&2; return 1
}
ok() { _checks=$((_checks + 1)); echo "ok $_checks - $*"; }
fail() { echo "FAILED: $*" >&2; exit 1; }
# expect_eq ACTUAL EXPECTED DESCRIPTION
expect_eq() { [ "$1" == "$2" ] && ok "$3" || fail "$3: got [$1] expected [$2]"; }
