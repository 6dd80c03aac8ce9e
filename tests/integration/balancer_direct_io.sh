#!/usr/bin/env bash
# sc-balancer without the io_uring batch (--io-uring off: one connect()/send() per operation, the
# path taken on kernels or containers without io_uring): the health, silent-backend, churn, affinity,
# slow-client, WebSocket and replay tests again.  balancer_bytes.py and balancer_stalled.py cover
# both modes themselves.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
export SC_BALANCER_FLAGS="--io-uring off"
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in balancer_health balancer_blackhole balancer_churn balancer_affinity balancer_slow \
         balancer_websockets balancer_replay; do
  if python3 "$HERE/$t.py" > "$log" 2>&1; then
    echo "ok - $t.py with --io-uring off ($(grep -c '^ok ' "$log") checks)"
  else
    echo "FAILED: $t.py with --io-uring off" >&2
    tail -20 "$log" >&2
    failed=1
  fi
done
exit $failed
