#!/usr/bin/env bash
# test-timeout: 1200
# A fresh clone works as README says: `git clone` of this checkout's committed HEAD into a
# temporary directory, `make`, `./scripts/start-cluster.sh` (its default run/ inside the clone;
# free ports), the demo page over HTTP, socketcluster-client over WebSocket through the
# balancer, a session seen with redis-cli, and after `./scripts/stop-cluster.sh` no process of
# the clone and no listener on its ports.
#
# What it costs, and why the build is seeded: a clean build takes 6-15 minutes on the 2-core
# machines we test on, which would push `make test` (about 22 minutes) past half an hour.  What
# a clone must show is that the *committed tree* is complete and builds and runs on its own
# paths, so the clone's build/ starts as a copy of this checkout's build outputs with the
# checkout's paths rewritten to the clone's, and only what the clone's own `make` can trust is
# kept: a source file keeps the checkout's timestamp only when it is byte-identical to the file
# this checkout built (so make rebuilds every file that differs, and a file that is missing from
# the commit fails the build as it would from scratch), and a target whose compile flags carry
# a path of the checkout (sc-worker's SC_APP_PUBLIC) is rebuilt.  The clone's `make` runs the
# configure step and the build as a user's would (here: about 40 s, one file compiled, one
# program linked).  ccache was the other candidate: it needs a new package, the main build
# going through it, and hits across directories only when every absolute path the compiler
# sees (-I, -g's, __FILE__ in common/log.h's assert) is rewritten; the copy depends on none of
# that.  What this does not repeat is a build from nothing on a machine without build/.
. "$SC_ROOT/tests/lib.sh"
. "$SC_ROOT/tests/support/worker_lib.sh"
need_node_modules socketcluster-client
for t in git redis-cli curl ss; do command -v $t >/dev/null || fail "$t is not installed"; done
BUILD=${SC_BUILD:-$SC_ROOT/build}
[ -x "$BUILD/bin/sc-worker" ] || fail "no build in $BUILD to seed the clone from (run make)"
C=$TEST_TMP/scluster
trap '[ -x "$C/scripts/stop-cluster.sh" ] && "$C/scripts/stop-cluster.sh" >/dev/null 2>&1; cleanup' EXIT
trap "exit 143" TERM INT  # the cluster runs in sessions of its own: a timeout must still stop it

git clone -q "$SC_ROOT" "$C" || fail "git clone failed"
ok "cloned $(git -C "$C" log -1 --format='%h %s' | cut -c1-60)"

# Seed build/ (see the header): copy with timestamps, rewrite the checkout's paths in the text
# files CMake wrote (keeping their timestamps), then let the clone's make decide.
mkdir -p "$C/build"
tar -C "$BUILD" --exclude=./test-logs -cf - . | tar -C "$C/build" -xpf - || fail "copying the build failed"
python3 - "$SC_ROOT" "$BUILD" "$C" <<'EOF' || fail "seeding the clone's build failed"
import os, re, subprocess, sys
root, build, clone = sys.argv[1:4]
cbuild = os.path.join(clone, "build")
# 1. The checkout's paths in the text files of build/ become the clone's (build first: it may
#    lie inside root); each file keeps its timestamp so make sees nothing new in it.
pairs = [(build.encode(), cbuild.encode()), (root.encode(), clone.encode())]
for d, _, files in os.walk(cbuild):
    if "/bin" in d[len(cbuild):] or "client-bundle" in d: continue
    for f in files:
        p = os.path.join(d, f)
        if os.path.islink(p): continue
        data = open(p, "rb").read()
        if b"\0" in data[:8192] or root.encode() not in data: continue
        st = os.stat(p)
        for a, b in pairs: data = data.replace(a, b)
        open(p, "wb").write(data)
        os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
        # A define holding a checkout path is compiled into the program: rebuild that target.
        if f == "flags.make" and re.search(rb"-D\w+=\S*" + re.escape(clone.encode()), data):
            os.utime(p)
            print("rebuilt for its path define:", os.path.relpath(d, cbuild))
# 2. A tracked file identical to the checkout's keeps the checkout's timestamp; others stay new.
files = subprocess.run(["git", "-C", clone, "ls-files", "-z"], capture_output=True, check=True).stdout
same = 0
for rel in files.decode().split("\0"):
    if not rel: continue
    a, b = os.path.join(root, rel), os.path.join(clone, rel)
    try:
        if os.path.isfile(a) and open(a, "rb").read() == open(b, "rb").read():
            os.utime(b, ns=(os.stat(a).st_atime_ns, os.stat(a).st_mtime_ns), follow_symlinks=False)
            same += 1
    except OSError:
        pass
print(f"{same} tracked files identical to the checkout's keep their timestamps")
EOF

cd "$C" || fail "no clone"
start=$SECONDS
make JOBS=2 >"$TEST_TMP/make.log" 2>&1 || { tail -n 30 "$TEST_TMP/make.log"; fail "make failed in the clone"; }
grep -aq "$C/worker/app/public" build/bin/sc-worker || fail "the clone's sc-worker was not rebuilt with the clone's public/"
ok "make in the clone took $((SECONDS - start)) s, compiled $(grep -c 'Building C' "$TEST_TMP/make.log") files and linked $(grep -c 'Linking C' "$TEST_TMP/make.log") (sc-worker serves the clone's worker/app/public)"

BP=$(free_port) WP=$(free_port) PP=$(free_port) TP=$(free_port)
(exec 3<>"/dev/tcp/127.0.0.1/$((WP + 1))") 2>/dev/null && WP=$(free_port)
ports=("$BP" "$WP" "$((WP + 1))" "$PP" "$TP")
args=(--broker-port "$BP" --worker-port "$WP" --port "$PP" --tls-port "$TP")
env -u SCLUSTER_RUN -u SCLUSTER_BIN ./scripts/start-cluster.sh "${args[@]}" >"$TEST_TMP/start.log" 2>&1 ||
  { cat "$TEST_TMP/start.log"; fail "start-cluster.sh failed in the clone"; }
grep -qF "redis-cli -p $BP hgetall sc:sess:<sid>" "$TEST_TMP/start.log" || fail "no redis-cli line: $(cat "$TEST_TMP/start.log")"
[ -f run/sc-broker-$BP.pid ] || fail "the clone's run/ holds no pid files"
ok "./scripts/start-cluster.sh in the clone started every tier (pid files in the clone's run/)"

head=$(curl -fsS -D - -o "$TEST_TMP/page" "http://127.0.0.1:$PP/") || fail "GET / through the balancer failed"
cmp -s "$TEST_TMP/page" worker/app/public/index.html || fail "GET / is not the clone's worker/app/public/index.html"
sid=$(sed -n 's/^[Ss]et-[Cc]ookie: sid=\([^;]*\);.*/\1/p' <<<"$head")
[ -n "$sid" ] || fail "no sid cookie: $head"
r=$(timeout 20 node "$SC_ROOT/tests/support/cluster_client.js" "ws://127.0.0.1:$PP" "sid=$sid") ||
  fail "socketcluster-client through the balancer failed"
grep -q '"greet":"hello cluster"' <<<"$r" || fail "greet: $r"
ok "the demo page over HTTP (with a sid cookie) and socketcluster-client over WebSocket through the balancer"

r=$(timeout 20 node "$SC_ROOT/tests/support/cluster_client.js" "wss://127.0.0.1:$TP" "sid=$sid" note=fresh) ||
  fail "sessionSet through the balancer failed"
grep -qF '"got":"fresh"' <<<"$r" || fail "sessionGet after sessionSet: $r"
expect_eq "$(redis-cli -p "$BP" hget "sc:sess:$sid" note)" '"fresh"' \
  "the page's session (sid cookie) holds a value set over wss://: redis-cli -p $BP hget sc:sess:<sid> note"

all=$(cat run/*.pid; ps -o pid= --ppid "$(cat run/sc-worker-$WP.pid)")
./scripts/stop-cluster.sh >"$TEST_TMP/stop.log" 2>&1 || fail "stop-cluster.sh: $(cat "$TEST_TMP/stop.log")"
for p in $all; do alive "$p" && fail "process $p still runs after stop-cluster.sh: $(cat "/proc/$p/stat")"; done
for p in "${ports[@]}"; do [ -z "$(ss -ltnH "sport = :$p")" ] || fail "port $p still listens"; done
left=$(for e in /proc/[0-9]*/exe; do readlink "$e" 2>/dev/null; done | grep -c "^$C/")
expect_eq "$left" 0 "after stop-cluster.sh no process runs a program of the clone and nothing listens on ${ports[*]}"
