#!/usr/bin/env bash
# test-timeout: 2400
# The broker's JSON, nData, AOF, strings, blocking and list compression tests, every
# balancer test and every worker test again, against a build with AddressSanitizer and
# UndefinedBehaviorSanitizer (make
# SANITIZE=address,undefined into build-asan/, only the binaries those tests run).  Any sanitizer report from any
# process (a memory error, undefined behaviour, a leak at exit) fails the test: the processes
# stop at the first report and write it to a file of their own, which is shown here.
# broker_limits.py stays out: its RSS figures mean nothing under ASan's allocator.
set -u
ROOT=${SC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT" || exit 1
ASAN_BUILD=${SC_ASAN_BUILD:-$ROOT/build-asan}
# SANITIZER_TESTS="a.py b.sh" runs only those.
TESTS=${SANITIZER_TESTS:-"broker_json.py broker_json_limits.py broker_ndata.py broker_aof.py broker_strings.py
  broker_blocking.py
  broker_list_compress.py
  $(cd tests/integration && ls balancer_*.py balancer_*.sh worker_*.py worker_*.sh 2>/dev/null)"}
TARGETS="sc-broker sc-balancer sc-testbackend sc-conformance sc-example-middleware sc-example-echo
  sc-example-chat sc-worker sc-example-auth sc-example-sessions sc-client-bundle"

start=$SECONDS
mkdir -p "$ASAN_BUILD"; mlog="$ASAN_BUILD/make.log"
if ! make --no-print-directory BUILD="$ASAN_BUILD" SANITIZE=address,undefined JOBS="${JOBS:-2}" \
    TARGETS="$(echo $TARGETS)" >"$mlog" 2>&1; then
  tail -40 "$mlog"
  echo "not ok - make SANITIZE=address,undefined"; exit 1
fi
echo "ok - built with SANITIZE=address,undefined into $ASAN_BUILD ($((SECONDS - start)) s)"

reports=$(mktemp -d)
trap 'rm -rf "$reports"' EXIT
export SC_BIN="$ASAN_BUILD/bin" SC_BUILD="$ASAN_BUILD"
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=0:log_path=$reports/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan"
export LSAN_OPTIONS="log_path=$reports/lsan:suppressions=$ROOT/tests/support/lsan.supp:print_suppressions=0"

failed=0
for t in $TESTS; do
  log=$(mktemp)
  t0=$SECONDS
  case "$t" in
    *.py) timeout -k 10 900 python3 "tests/integration/$t" >"$log" 2>&1 ;;
    *.sh) timeout -k 10 900 bash "tests/integration/$t" >"$log" 2>&1 ;;
  esac
  rc=$?
  found=$(ls "$reports" 2>/dev/null)
  if [ $rc -eq 0 ] && [ -z "$found" ]; then
    echo "ok - $t under ASan+UBSan ($((SECONDS - t0)) s)"
  else
    failed=1
    echo "not ok - $t under ASan+UBSan (exit $rc, $((SECONDS - t0)) s)"
    [ $rc -ne 0 ] && tail -25 "$log" | sed 's/^/    | /'
    for f in $found; do
      echo "    sanitizer report $f:"
      head -40 "$reports/$f" | sed 's/^/    | /'
      rm -f "$reports/$f"
    done
  fi
  rm -f "$log"
done
echo "sanitizer job: $((SECONDS - start)) s"
exit $failed
