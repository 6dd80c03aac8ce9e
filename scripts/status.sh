#!/usr/bin/env bash
# Shows each instance the start scripts started on this host: its name, pid, addresses and
# whether it answers its health check (a broker PING, a worker's GET /health on each port, a
# balancer's GET /health through to a worker).  Exit 0 when every one runs and answers, 1 when
# one does not, 3 when nothing was started.
set -uo pipefail
. "$(dirname "$0")/tier.sh"
[ "${1:-}" = -h ] || [ "${1:-}" = --help ] && { sed -n '2,5p' "$0"; exit 0; }
rc=0 any=0
for tier in broker worker balancer; do
  for n in $(instances "$tier"); do
    any=1
    addrs=$(sed -n "s/^ADDRS='\(.*\)'$/\1/p" "$RUN/$n.info")
    words=$(sed -n "s/^CHECK='\(.*\)'$/\1/p" "$RUN/$n.info")
    if pid=$(instance_pid "$n"); then
      # shellcheck disable=SC2086
      if check $words; then health=healthy; else health="NOT ANSWERING"; rc=1; fi
      printf '%-18s running  pid %-8s %-40s %s\n' "$n" "$pid" "$addrs" "$health"
    else
      printf '%-18s DEAD     (stale pid file; stop-cluster.sh %s removes it)  %s\n' "$n" "$n" "$addrs"
      rc=1
    fi
  done
done
[ $any = 1 ] || { echo "nothing started (no instances in $RUN)"; exit 3; }
exit $rc
