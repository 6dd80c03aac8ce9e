#!/usr/bin/env bash
# One tier per host (docs/operations.md, "Three hosts"): three network namespaces stand for the
# broker, worker and balancer hosts, joined by veth pairs with addresses this test assigns:
#
#   root (client) --A-- balancer host --B-- worker host --C-- broker host --D-- root (redis-cli)
#
# Each link is its own /30, so no host routes for another and each tier reaches only the
# addresses it is given: start-broker.sh on the broker host (a password: it serves other
# hosts), start-workers.sh on the worker host with the broker's address (the stock sc-worker),
# start-balancer.sh on the balancer host with the workers'
# addresses, each with its own run/ directory as on a host of its own.  A socketcluster-client
# in the root namespace sets a session through the balancer over ws:// and wss://; redis-cli to
# the broker host's address finds it there.  Everything made here (processes, namespaces, veth
# pairs) is removed at exit, failed or not.  Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN): else
# skipped.
. "$SC_ROOT/tests/lib.sh"
. "$SC_ROOT/tests/support/worker_lib.sh"
need_node_modules socketcluster-client
for t in ip redis-cli curl openssl; do command -v $t >/dev/null || fail "$t is not installed"; done
S=$SC_ROOT/scripts
CLIENT="$SC_ROOT/tests/support/cluster_client.js"
export SCLUSTER_BIN="$SC_BIN"

# Names and addresses of this run (a pid in them: tests may run side by side).
id=$$
NS_BROKER=scb$id NS_WORKER=scw$id NS_BAL=scl$id
net=10.$((200 + id % 50)).$(((id / 50) % 250))  # the 4 links: /30s at .0, .4, .8, .12
a() { echo "$net.$(($1 * 4 + $2))"; }  # a LINK END: LINK 0..3 (A..D), END 1 or 2
made_ns=() made_links=()

teardown() {
  local ns
  for ns in "$NS_BAL" "$NS_WORKER" "$NS_BROKER"; do
    [ -d "$TEST_TMP/$ns" ] && ip netns exec "$ns" env SCLUSTER_RUN="$TEST_TMP/$ns" "$S/stop-cluster.sh" >/dev/null 2>&1
  done
  for ns in "${made_ns[@]}"; do ip netns del "$ns" 2>/dev/null; done
  for l in "${made_links[@]}"; do ip link del "$l" 2>/dev/null; done
  cleanup
}
trap teardown EXIT
trap "exit 143" TERM INT  # (so that a timeout still runs teardown)

if ! ip netns add "$NS_BROKER" 2>/dev/null; then
  echo "cannot create network namespaces here (needs root with CAP_SYS_ADMIN and CAP_NET_ADMIN)"
  exit 77
fi
made_ns+=("$NS_BROKER")
for ns in "$NS_WORKER" "$NS_BAL"; do ip netns add "$ns" || fail "ip netns add $ns"; made_ns+=("$ns"); done
for ns in "${made_ns[@]}"; do ip -n "$ns" link set lo up || fail "lo up in $ns"; done

# link N LEFT RIGHT: a veth pair, end 1 in namespace LEFT ('' for root), end 2 in RIGHT.
link() {
  local n=$1 left=$2 right=$3 l=sc$1a$id r=sc$1b$id
  ip link add "$l" type veth peer name "$r" || fail "ip link add $l"
  made_links+=("$l")
  [ -z "$left" ] || ip link set "$l" netns "$left" || fail "move $l"
  ip link set "$r" netns "$right" || fail "move $r"
  ip ${left:+-n "$left"} addr add "$(a "$n" 1)/30" dev "$l" && ip ${left:+-n "$left"} link set "$l" up &&
    ip -n "$right" addr add "$(a "$n" 2)/30" dev "$r" && ip -n "$right" link set "$r" up || fail "addresses of link $n"
}
link 0 "" "$NS_BAL"               # A: the client (root) and the balancer host
link 1 "$NS_BAL" "$NS_WORKER"     # B: balancer host and worker host
link 2 "$NS_WORKER" "$NS_BROKER"  # C: worker host and broker host
link 3 "" "$NS_BROKER"            # D: root (the operator's redis-cli) and the broker host
BAL=$(a 0 2) WORKER=$(a 1 2) BROKER=$(a 2 2) BROKER_OPS=$(a 3 2)
ok "three hosts as namespaces: balancer $BAL, workers $WORKER (seen from the balancer), broker $BROKER (seen from the workers) and $BROKER_OPS"

# on NS CMD...: CMD on that host, with that host's own run/ directory.
on() { local ns=$1; shift; ip netns exec "$ns" env SCLUSTER_RUN="$TEST_TMP/$ns" "$@"; }
pw=$(openssl rand -hex 16)
out=$(on "$NS_BROKER" "$S/start-broker.sh" --bind "$BROKER,$BROKER_OPS" --password "$pw" 2>&1) ||
  fail "start-broker.sh on the broker host: $out"
echo "  # broker host: $out"
out=$(on "$NS_WORKER" env SCLUSTER_BROKER_PASSWORD="$pw" "$S/start-workers.sh" --host "$WORKER" \
  --brokers "$BROKER:6380" 2>&1) || fail "start-workers.sh on the worker host: $out"
echo "$out" | sed 's/^/  # worker host: /'
grep -q warning <<<"$out" && fail "the workers do not reach the broker: $out"
out=$(on "$NS_BAL" "$S/start-balancer.sh" --host "$BAL" --backends "$WORKER:8100,$WORKER:8101" 2>&1) ||
  fail "start-balancer.sh on the balancer host: $out"
echo "$out" | sed 's/^/  # balancer host: /'
ok "each tier started by its own script on its own host, given only the other hosts' addresses"

# The hosts are apart: the balancer host has no way to the broker (the root namespace has a
# default route of its own, so it is not the one to ask).
ip netns exec "$NS_BAL" timeout 3 bash -c "exec 3<>/dev/tcp/$BROKER/6380" 2>/dev/null &&
  fail "the balancer host reaches the broker"
curl -fsS --max-time 5 "http://$BAL:8000/health" | grep -q '"up":true' ||
  fail "GET /health through the balancer did not reach a worker that reaches the broker"
ok "the balancer host cannot reach the broker; from the root namespace the balancer at $BAL answers /health from a worker"

sid=hostsabcdefghijklmnopq$(printf %010d "$id")
for url in "ws://$BAL:8000" "wss://$BAL:8443"; do
  r=$(timeout 20 node "$CLIENT" "$url" "sid=$sid" "via=${url%%:*}") || fail "socketcluster-client through $url failed"
  grep -qF "\"got\":\"${url%%:*}\"" <<<"$r" || fail "through $url sessionGet did not read the value: $r"
done
ok "socketcluster-client in the root namespace sets session values through the balancer on ws:// and wss://"
expect_eq "$(REDISCLI_AUTH=$pw redis-cli -h "$BROKER_OPS" -p 6380 hget "sc:sess:$sid" via)" '"wss"' \
  "the session lives on the broker host: redis-cli -h $BROKER_OPS hget sc:sess:<sid> via"
[[ "$(redis-cli -h "$BROKER_OPS" -p 6380 ping 2>&1)" == NOAUTH* ]] || fail "the broker serves other hosts without a password"
ok "the broker wants its password from other hosts"

for ns in "$NS_BAL" "$NS_WORKER" "$NS_BROKER"; do
  on "$ns" "$S/status.sh" >"$TEST_TMP/status" || fail "status.sh on $ns: $(cat "$TEST_TMP/status")"
  on "$ns" "$S/stop-cluster.sh" >/dev/null || fail "stop-cluster.sh on $ns"
  [ -z "$(ip netns exec "$ns" ss -ltnH)" ] || fail "something still listens on $ns: $(ip netns exec "$ns" ss -ltnp)"
done
ok "status.sh on each host sees its tier healthy; stop-cluster.sh on each leaves no listener"
