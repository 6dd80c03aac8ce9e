#!/usr/bin/env bash
# JSON documents in sc-broker: JSON.SET / JSON.GET of a 1 KB document, in requests/s, next to
# plain SET / GET of the same bytes on sc-broker and on redis-server (the anchor: Debian's
# redis-server has no JSON module, so the string commands are the closest side-by-side), and
# memory per document (INFO used_memory before and after $DOCS documents).
# Servers pinned to CPU 0, redis-benchmark to CPU 1.  Env: N=200000 DOCS=100000 SC_BUILD=build
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SC_BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
BROKER=${BROKER_BIN:-$BUILD/bin/sc-broker}
N=${N:-200000}
DOCS=${DOCS:-100000}
OUT=${OUT:-$BUILD/bench/broker-json.md}
mkdir -p "$(dirname "$OUT")"
TMP=$(mktemp -d /tmp/scjson.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$TMP"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do redis-cli -p "$1" ping >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }

# A 1 KB document: nested objects, arrays, numbers, strings.
python3 - >"$TMP/doc.json" <<'PY'
import json
doc = {"user": {"id": 4242, "name": "Ann Example", "roles": ["admin", "editor"],
                "prefs": {"theme": "dark", "lang": "en", "tz": "Europe/Berlin"}},
       "cart": [{"sku": "SKU-%04d" % i, "qty": i % 3 + 1, "price": 9.99 + i} for i in range(8)],
       "flags": {"beta": True, "tracking": False}, "notes": "x" * 300}
print(json.dumps(doc, separators=(",", ":")), end="")
PY
DOC=$(cat "$TMP/doc.json")
echo "document: $(wc -c <"$TMP/doc.json") bytes"

OURS=$(free_port)
taskset -c 0 "$BROKER" --port "$OURS" >"$TMP/ours.log" 2>&1 &
PIDS+=($!)
wait_port "$OURS" || { cat "$TMP/ours.log"; exit 1; }
REDIS=$(free_port)
taskset -c 0 redis-server --port "$REDIS" --bind 127.0.0.1 --save '' --appendonly no >"$TMP/redis.log" 2>&1 &
PIDS+=($!)
wait_port "$REDIS" || { cat "$TMP/redis.log"; exit 1; }

rps() {  # port pipeline args...
  local port=$1 pipe=$2; shift 2
  # -q output ("<name>: N requests per second"); the CSV form cannot quote a JSON test name.
  taskset -c 1 redis-benchmark -p "$port" -c 50 -n "$N" -P "$pipe" -q "$@" 2>/dev/null |
    tr '\r' '\n' | grep -o '[0-9.]* requests per second' | tail -n 1 | awk '{printf "%.0f", $1}'
}
{
  echo "| pipeline | sc-broker JSON.SET | sc-broker JSON.GET | sc-broker SET (same bytes) | sc-broker GET | redis-server SET | redis-server GET |"
  echo "|---:|---:|---:|---:|---:|---:|---:|"
  for pipe in 1 16; do
    js=$(rps "$OURS" "$pipe" json.set doc '$' "$DOC")
    jg=$(rps "$OURS" "$pipe" json.get doc)
    os=$(rps "$OURS" "$pipe" set str "$DOC")
    og=$(rps "$OURS" "$pipe" get str)
    rs=$(rps "$REDIS" "$pipe" set str "$DOC")
    rg=$(rps "$REDIS" "$pipe" get str)
    echo "| $pipe | $js | $jg | $os | $og | $rs | $rg |"
  done
} >"$TMP/table.md"

# Memory per document.
# gen VERB EXTRA...: RESP for $DOCS commands "VERB doc:<i> EXTRA... <document>".
gen() {
  python3 - "$DOCS" "$TMP/doc.json" "$@" <<'PY'
import sys
n, doc, args = int(sys.argv[1]), open(sys.argv[2], "rb").read(), [a.encode() for a in sys.argv[3:]]
def cmd(*a):
    return b"*%d\r\n" % len(a) + b"".join(b"$%d\r\n%s\r\n" % (len(x), x) for x in a)
out = sys.stdout.buffer
for i in range(n):
    out.write(cmd(args[0], b"doc:%d" % i, *args[1:], doc))
PY
}
gen JSON.SET '$' >"$TMP/load.resp"
used() { redis-cli -p "$1" info memory | tr -d '\r' | awk -F: '$1=="used_memory"{print $2}'; }
redis-cli -p "$OURS" flushall >/dev/null
before=$(used "$OURS")
redis-cli -p "$OURS" --pipe <"$TMP/load.resp" >"$TMP/pipe.log" 2>&1
after=$(used "$OURS")
per_doc=$(( (after - before) / DOCS ))
gen SET >"$TMP/load-str.resp"
rbefore=$(used "$REDIS")
redis-cli -p "$REDIS" --pipe <"$TMP/load-str.resp" >/dev/null 2>&1
rafter=$(used "$REDIS")
{
  echo "Measured $(date -u '+%Y-%m-%d %H:%M') UTC on $(nproc) CPUs, $(uname -r); document $(wc -c <"$TMP/doc.json") bytes; redis-benchmark \`-c 50 -n $N\`; servers on CPU 0, client on CPU 1."
  echo
  cat "$TMP/table.md"
  echo
  echo "Memory: $DOCS documents with JSON.SET: $per_doc bytes per document in sc-broker (INFO used_memory); the same bytes as plain strings in redis-server: $(( (rafter - rbefore) / DOCS )) bytes per key."
} >"$OUT"
cat "$OUT"
