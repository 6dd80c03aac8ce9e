#!/usr/bin/env bash
# Shows each instance the start scripts started on this host: its name, pid, addresses and
# whether it answers its health check (a broker PING, a worker's GET /health on each port, a
# balancer's GET /health through to a worker), and under a worker master each worker process
# (the pid its /health reports).  Exit 0 when every one runs and answers, 1 when
# one does not, 3 when nothing was started.
set -uo pipefail
. "$(dirname "$0")/tier.sh"
[ "${1:-}" = -h ] || [ "${1:-}" = --help ] && { usage; exit 0; }
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
      if [ "$tier" = worker ]; then  # each worker process: its /health names its pid
        for url in ${words#http }; do
          h=$(curl -fsS --max-time 2 "$url" 2>/dev/null)
          wpid=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' <<<"$h")
          addr=${url#http://}
          printf '  %-16s %-8s pid %-8s %-40s %s\n' "worker" "" "${wpid:--}" "${addr%/health}" \
            "$([ -n "$wpid" ] && echo healthy || echo "NOT ANSWERING")"
        done
      fi
    else
      printf '%-18s DEAD     (stale pid file; stop-cluster.sh %s removes it)  %s\n' "$n" "$n" "$addrs"
      rc=1
    fi
  done
done
[ $any = 1 ] || { echo "nothing started (no instances in $RUN)"; exit 3; }
exit $rc
