#!/usr/bin/env bash
# Builds the libFuzzer harnesses (`make fuzz`: RESP request parser, HTTP head parser, JSON
# parser, JSON paths, the worker's SocketCluster codec, the worker's public/ paths and --origins,
# the worker's PROXY header parser, the broker's list node compressor) and runs each for a bounded time from its seed corpus in
# tests/fuzz/corpus/.  Any crash, sanitizer report, leak or timeout fails the test; the input
# that caused it is kept in build-fuzz/artifacts/.  FUZZ_SECONDS (default 15) per harness.
set -u
ROOT=${SC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT" || exit 1
SECONDS_EACH=${FUZZ_SECONDS:-15}
FUZZ_BUILD=build-fuzz

mkdir -p "$FUZZ_BUILD"
if ! make --no-print-directory fuzz FUZZ_BUILD=$FUZZ_BUILD >"$FUZZ_BUILD/make.log" 2>&1; then
  cat "$FUZZ_BUILD/make.log"
  echo "not ok - make fuzz"; exit 1
fi
echo "ok - make fuzz built the harnesses into $FUZZ_BUILD/"

failed=0
mkdir -p "$FUZZ_BUILD/artifacts"
for name in resp_parser http_head json_parser json_path sc_protocol worker_http proxy_header lz; do
  bin="$FUZZ_BUILD/fuzz_$name"
  work=$(mktemp -d)                  # new inputs found in this run (the seeds stay untouched)
  log="$FUZZ_BUILD/fuzz_$name.log"
  timeout -k 5 $((SECONDS_EACH + 60)) "$bin" -max_total_time="$SECONDS_EACH" -max_len=4096 \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$FUZZ_BUILD/artifacts/$name-" "$work" "tests/fuzz/corpus/$name" >"$log" 2>&1
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  rm -rf "$work"
  if [ $rc -eq 0 ] && ! grep -q 'ERROR: \(AddressSanitizer\|LeakSanitizer\|libFuzzer\)\|runtime error:' "$log"; then
    echo "ok - fuzz_$name: ${runs:-?} inputs in ${SECONDS_EACH}s, no crash"
  else
    failed=1
    echo "not ok - fuzz_$name (exit $rc, log $log)"
    grep -m1 -A25 'ERROR\|runtime error' "$log" | sed 's/^/    | /'
  fi
done
exit $failed
