#!/usr/bin/env bash
# The demo page (worker/app/public/index.html, docs/worker.md "The demo") end to end in headless
# Chromium (Debian's chromium, driven by npm playwright-core pinned in tests/e2e/package-lock.json)
# through sc-balancer's plain and TLS ports, in front of sc-worker --workers 2 and an sc-broker,
# all started by tests/e2e/demo.js on free ports.  On each port: two tabs of one browser context
# share a session and see each other's values at once (Enter in one, the Set button in the other),
# a second context does not (and the broker holds the value), the seed's greet and rand, chat
# from one context to the other and back, then kill -9 of both workers: every tab reconnects by
# itself to the respawned workers with its session and value, and works; no uncaught error and no
# console error on any tab; a screenshot per port in $SC_BUILD/test-logs/.
. "$SC_ROOT/tests/lib.sh"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
  [ -n "$CI" ] && fail "$CHROMIUM is not installed (make test installs Debian's chromium)"
  echo "$CHROMIUM is not installed (make deps installs it)"; exit 77
fi
for tool in node npm openssl redis-cli ps; do
  command -v "$tool" >/dev/null || fail "$tool is not installed"
done
E2E="$SC_ROOT/tests/e2e"
if [ ! -d "$E2E/node_modules/playwright-core" ]; then
  npm ci --prefix "$E2E" --no-audit --no-fund >"$TEST_TMP/npm.log" 2>&1 ||
    { tail -n 20 "$TEST_TMP/npm.log"; fail "npm ci in tests/e2e failed"; }
fi
E2E_TMP="$TEST_TMP" E2E_SHOTS="${SC_BUILD:-$SC_ROOT/build}/test-logs" CHROMIUM="$CHROMIUM" \
  SC_BIN="$SC_BIN" SC_ROOT="$SC_ROOT" node "$E2E/demo.js" || fail "the demo end to end"
