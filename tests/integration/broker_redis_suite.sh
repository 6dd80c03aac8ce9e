#!/usr/bin/env bash
# Redis 7.0.15's own test suite against sc-broker on the units of tests/redis-suite/run.sh
# (about a minute): every test that is not in tests/redis-suite/skip.txt must pass.  It needs
# the Redis 7.0.15 source tree, in $REDIS_SRC or beside the repository (../redis-7.0.15);
# without it this test says so and exits 77, which tests/run.sh reports as SKIP (the source is
# not a Debian package, and code from elsewhere never enters the repository).
set -u
SC_ROOT=${SC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
src=${REDIS_SRC:-$SC_ROOT/../redis-7.0.15}
if [ ! -f "$src/tests/test_helper.tcl" ]; then
  echo "no Redis 7.0.15 source at $src (set REDIS_SRC)"
  exit 77
fi
exec bash "$SC_ROOT/tests/redis-suite/run.sh" "$src"
