#!/usr/bin/env bash
# The systemd units of packaging/systemd/ pass `systemd-analyze verify` (offline: no systemd
# needs to run as PID 1) with their /usr/local/bin programs taken from this build, templates
# verified as an instance (scluster-broker@6380, scluster-worker@sc-worker); any warning is a
# failure, and a unit spoiled on purpose is caught (so the check is not vacuous).  The example
# sc-broker.conf runs: its password is required.
. "$SC_ROOT/tests/lib.sh"
command -v systemd-analyze >/dev/null || fail "systemd-analyze is missing (Debian package systemd; make deps)"
U=$SC_ROOT/packaging/systemd
D=$TEST_TMP/units
mkdir -p "$D"
# verify_units: every unit of $D through systemd-analyze; prints its output, fails on any.
verify_units() { (cd "$D" && systemd-analyze verify --man=no ./*.service 2>&1); }

n=0
for f in "$U"/*.service; do
  b=$(basename "$f")
  case "$b" in
    scluster-broker@.service) b=scluster-broker@6380.service ;;
    scluster-worker@.service) b=scluster-worker@sc-worker.service ;;
    *@.service) fail "template $b has no instance to verify it as" ;;
  esac
  sed "s#/usr/local/bin/#$SC_BIN/#g" "$f" >"$D/$b"
  n=$((n + 1))
done
[ $n -ge 3 ] || fail "only $n units in packaging/systemd"
out=$(verify_units); rc=$?
[ $rc -eq 0 ] && [ -z "$out" ] || fail "systemd-analyze verify (exit $rc): $out"
ok "systemd-analyze verify passes the $n units without a word: $(ls "$D" | tr '\n' ' ')"
grep -q '^ExecReload=/bin/kill -USR2 \$MAINPID' "$U/scluster-worker@.service" || fail "no rolling restart on reload"
grep -q '^KillMode=mixed' "$U/scluster-worker@.service" || fail "the worker unit signals every worker at stop"
grep -q '^ExecReload=/bin/kill -HUP \$MAINPID' "$U/scluster-balancer.service" || fail "no backends reload"
ok "reload is a rolling restart (SIGUSR2) of the workers and a backends reload (SIGHUP) of the balancer"

sed -i 's/^Restart=/Restrt=/' "$D/scluster-balancer.service"
out=$(verify_units)
grep -q "Unknown key 'Restrt'" <<<"$out" || fail "a misspelt key went unnoticed: $out"
sed "s#$SC_BIN/#/nonexistent/#" "$U/scluster-balancer.service" >"$D/scluster-balancer.service"
out=$(verify_units) && fail "a missing program passed verify"
grep -q "is not executable" <<<"$out" || fail "a missing program: $out"
ok "verify catches a misspelt key and a missing program here"

# The example broker settings are valid (the bind line is overridden: 10.0.0.1 is not here).
pw=$(sed -n 's/^requirepass //p' "$U/sc-broker.conf")
start_listening "$TEST_TMP/broker.log" "$SC_BIN/sc-broker" "$U/sc-broker.conf" --bind 127.0.0.1 --dir "$TEST_TMP"
[[ "$(redis-cli -p "$PORT" ping 2>&1)" == NOAUTH* ]] || fail "the example broker asks no password"
expect_eq "$(REDISCLI_AUTH=$pw redis-cli -p "$PORT" ping)" PONG "the example sc-broker.conf runs and wants its password"
