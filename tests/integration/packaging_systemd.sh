#!/usr/bin/env bash
# The systemd units of packaging/systemd/ pass `systemd-analyze verify` (offline: no systemd
# needs to run as PID 1) with their /usr/local/bin programs taken from this build, templates
# verified as an instance (scluster-broker@6380, scluster-worker@sc-worker); any warning is a
# failure, and a unit spoiled on purpose is caught (so the check is not vacuous).  The three
# example settings files make a working cluster when run as the units' ExecStart lines run them
# (only the addresses of the three-host layout replaced by loopback ones, and the credentials
# directory by files of the test): the broker wants its password, the workers (sc-worker.env)
# reach it with theirs, the balancer (sc-balancer.conf) reaches the workers on both ports.
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
BP=$PORT

# The example worker settings, as EnvironmentFile= gives them, with the unit's --auth-key-file.
mapfile -t wenv < <(grep -E '^SCLUSTER_[A-Z_]+=' "$U/sc-worker.env")
openssl rand -hex 32 >"$TEST_TMP/auth.key"
WP=$(free_port)
(exec 3<>"/dev/tcp/127.0.0.1/$((WP + 1))") 2>/dev/null && WP=$(free_port)
spawn env "${wenv[@]}" SCLUSTER_HOST=127.0.0.1 SCLUSTER_PORT="$WP" SCLUSTER_BROKERS="127.0.0.1:$BP" \
  "$SC_BIN/sc-worker" --auth-key-file "$TEST_TMP/auth.key" >"$TEST_TMP/worker.log" 2>&1
wait_port "$((WP + 1))" || fail "the example workers did not listen: $(tail -n 5 "$TEST_TMP/worker.log")"
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$WP/health" | grep -q '"up":true' && break; sleep 0.1; done
curl -fsS "http://127.0.0.1:$WP/health" | grep -q '"up":true' ||
  fail "the example workers do not reach the example broker (password?): $(tail -n 5 "$TEST_TMP/worker.log")"
ok "sc-worker.env: $(grep -c . <<<"$(printf '%s\n' "${wenv[@]}")") settings, 2 workers that reach the broker with its password"

# The example balancer settings: the unit's credentials directory is the test's, the addresses
# loopback ones.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=test \
  -keyout "$TEST_TMP/key.pem" -out "$TEST_TMP/cert.pem" 2>/dev/null || fail "openssl req"
LP=$(free_port) TP=$(free_port)
sed -e "s#/run/credentials/scluster-balancer.service/#$TEST_TMP/#" \
  -e "s#^backends .*#backends 127.0.0.1:$WP,127.0.0.1:$((WP + 1))#" \
  -e "s#^listen .*#listen 127.0.0.1:$LP#" -e "s#^tls-listen .*#tls-listen 127.0.0.1:$TP#" \
  "$U/sc-balancer.conf" >"$TEST_TMP/sc-balancer.conf"
[ "$(diff "$U/sc-balancer.conf" "$TEST_TMP/sc-balancer.conf" | grep -c '^>')" = 5 ] ||
  fail "the example sc-balancer.conf lacks a line the test replaces"
spawn "$SC_BIN/sc-balancer" "$TEST_TMP/sc-balancer.conf" >"$TEST_TMP/balancer.log" 2>&1
wait_port "$TP" || fail "the example balancer did not listen: $(tail -n 5 "$TEST_TMP/balancer.log")"
curl -fsS "http://127.0.0.1:$LP/health" | grep -q '"up":true' && curl -fsSk "https://127.0.0.1:$TP/health" | grep -q '"up":true' ||
  fail "the example balancer does not reach the workers"
ok "sc-balancer.conf: plain and TLS listeners in front of the example workers"
