#!/usr/bin/env bash
# Runs every test of the project and ends with one line "N passed, M failed, K skipped".
# A test that exits 77 cannot run on this machine (its last line says why): SKIP, not PASS.
#  - unit tests: every executable that CMake built into $SC_BUILD/tests/ (CMocka)
#  - integration tests: tests/integration/*.sh and *.py (real processes on loopback)
#  - end-to-end tests: tests/e2e/*.sh (the demo page in headless Chromium)
# Each test is one result; it prints what it checked.  TEST_FILTER=substring runs a subset.
# A test gets TEST_TIMEOUT seconds (600) unless a line "# test-timeout: N" among its first ten
# lines asks for more (the sanitizer job builds the project a second time).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SC_BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
export SC_ROOT="$ROOT" SC_BIN="$BUILD/bin" SC_BUILD="$BUILD"
export CI=${CI:-} TERM=${TERM:-dumb}
FILTER=${TEST_FILTER:-}
TIMEOUT=${TEST_TIMEOUT:-600}
passed=0 failed=0 skipped=0 failed_names=() skipped_names=()
logdir="$BUILD/test-logs"; mkdir -p "$logdir"

run_one() {  # name, command...
  local name=$1; shift
  [ -n "$FILTER" ] && [[ "$name" != *"$FILTER"* ]] && return
  local log="$logdir/$(echo "$name" | tr '/' '_').log" start=$SECONDS rc limit=$TIMEOUT
  local file=${*: -1}
  if [ -f "$file" ]; then
    local own; own=$(sed -n '1,10s/^# test-timeout: *\([0-9][0-9]*\).*/\1/p' "$file" | head -n1)
    [ -n "$own" ] && [ "$own" -gt "$limit" ] && limit=$own
  fi
  timeout -k 10 "$limit" "$@" >"$log" 2>&1 </dev/null; rc=$?
  if [ $rc -eq 0 ]; then
    passed=$((passed + 1)); printf 'PASS %-50s %3ss\n' "$name" $((SECONDS - start))
  elif [ $rc -eq 77 ]; then          # the test cannot run here (it says why); not a pass
    skipped=$((skipped + 1)); skipped_names+=("$name")
    printf 'SKIP %-50s %3ss (%s)\n' "$name" $((SECONDS - start)) "$(tail -n 1 "$log")"
  else
    failed=$((failed + 1)); failed_names+=("$name")
    printf 'FAIL %-50s %3ss (exit %d, log %s)\n' "$name" $((SECONDS - start)) $rc "$log"
    tail -n 30 "$log" | sed 's/^/    | /'
  fi
}

for t in "$BUILD"/tests/test_*; do
  [ -x "$t" ] && [ -f "$t" ] && run_one "unit/$(basename "$t")" "$t"
done
for t in "$ROOT"/tests/integration/*.sh "$ROOT"/tests/integration/*.py "$ROOT"/tests/e2e/*.sh; do
  [ -f "$t" ] || continue
  kind=$(basename "$(dirname "$t")")
  case "$t" in *.sh) run_one "$kind/$(basename "$t")" bash "$t" ;;
               *.py) run_one "$kind/$(basename "$t")" python3 "$t" ;; esac
done

[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
[ ${#skipped_names[@]} -gt 0 ] && echo "skipped: ${skipped_names[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
