#!/usr/bin/env bash
# HTTP on the worker's WebSocket port, against build/bin/sc-worker (the stock app) on an
# sc-broker: public/ files (GET, HEAD, Content-Type, Content-Length), 404 and 405, traversal
# attempts (.., %2e%2e, %2f, backslash, NUL, dotfiles, symlinks leading out, absolute and
# relative request targets), the socketcluster-client bundle byte-equal to the npm package's,
# /health, /metrics moving with real socketcluster-client traffic and closes counted by code,
# --origins (403 with raw upgrades and the real client), bad --origins/--public at start, and
# sc-example-auth (tests/support/worker_http.js says what each client check proves).
. "$SC_ROOT/tests/lib.sh"
. "$SC_ROOT/tests/support/worker_lib.sh"
need_node_modules socketcluster-client ws
command -v curl >/dev/null || fail "curl is not installed"
JS="$SC_ROOT/tests/support/worker_http.js"
PUB="$SC_ROOT/worker/app/public"

start_broker "$TEST_TMP/broker.log" "$SC_BIN/sc-broker"
start_worker "$TEST_TMP/worker.log" "$SC_BIN/sc-worker" --brokers "127.0.0.1:$BPORT"
URL="http://127.0.0.1:$PORT"

# status content-type size of one request (curl leaves the path as given).
get() { curl -s --path-as-is -o "$TEST_TMP/body" -w '%{http_code} %{content_type} %{size_download}' "$@"; }

expect_eq "$(get "$URL/")" "200 text/html; charset=utf-8 $(stat -c %s "$PUB/index.html")" \
  "GET / serves worker/app/public/index.html as text/html"
cmp -s "$TEST_TMP/body" "$PUB/index.html" && ok "its body is the file" || fail "GET / body differs"
grep -q 'import { create } from "/socketcluster-client.min.js"' "$TEST_TMP/body" &&
  ok "index.html imports create from the bundle" || fail "index.html does not load the bundle"
expect_eq "$(get "$URL/index.html")" "200 text/html; charset=utf-8 $(stat -c %s "$PUB/index.html")" "GET /index.html"
head=$(curl -s -I "$URL/index.html" | tr -d '\r')
grep -qx "content-length: $(stat -c %s "$PUB/index.html")" <<<"$head" && grep -qx "HTTP/1.1 200 OK" <<<"$head" &&
  ok "HEAD /index.html: 200 with the GET's Content-Length" || fail "HEAD: $head"
expect_eq "$(curl -s -X HEAD --max-time 3 -o - "$URL/index.html" | wc -c)" "0" "HEAD sends no body"
expect_eq "$(get "$URL/nope.html")" "404 text/plain; charset=utf-8 10" "a missing file: 404"
for m in POST PUT DELETE OPTIONS PATCH; do
  r=$(curl -s -i -X "$m" -d x=1 "$URL/index.html" | tr -d '\r')
  grep -q "^HTTP/1.1 405 " <<<"$r" && grep -qix "allow: GET, HEAD" <<<"$r" || fail "$m: $r"
done
ok "POST, PUT, DELETE, OPTIONS, PATCH: 405 with Allow: GET, HEAD"

# The bundle: a JavaScript type, and the bytes of the npm package (tests/ installs it from its
# own lock, independently of the build's npm ci).
NPM_BUNDLE="$SC_ROOT/tests/node_modules/socketcluster-client/socketcluster-client.min.js"
expect_eq "$(get "$URL/socketcluster-client.min.js")" "200 text/javascript; charset=utf-8 $(stat -c %s "$NPM_BUNDLE")" \
  "/socketcluster-client.min.js: 200, text/javascript"
cmp -s "$TEST_TMP/body" "$NPM_BUNDLE" && ok "the bundle is byte for byte the npm package's socketcluster-client.min.js" ||
  fail "the bundle differs from $NPM_BUNDLE"
grep -q 'export{' "$TEST_TMP/body" && ok "the bundle is an ES module (export)" || fail "no export in the bundle"

# /health and /metrics with the real client's traffic.
h=$(curl -s "$URL/health")
grep -q '"status":"ok"' <<<"$h" && grep -q "\"broker\":\"127.0.0.1:$BPORT\",\"up\":true" <<<"$h" &&
  ok "/health: $h" || fail "/health: $h"
node "$JS" traffic "$PORT" || { tail -20 "$TEST_TMP/worker.log"; fail "traffic checks"; }
ok "socketcluster-client traffic checks passed"
stop_worker "$WPID" "$TEST_TMP/worker.log"
ok "SIGTERM: exit code 0, no sanitizer report"

# Traversal: a public/ with a secret beside it and symlinks leading out.
mkdir -p "$TEST_TMP/site/pub/sub"
echo "SECRET-$$" >"$TEST_TMP/site/secret.txt"
echo "DOT-$$" >"$TEST_TMP/site/pub/.env"
echo "sub index" >"$TEST_TMP/site/pub/sub/index.html"
echo "body{}" >"$TEST_TMP/site/pub/site.css"
printf '\x89PNG' >"$TEST_TMP/site/pub/x.png"
echo '{}' >"$TEST_TMP/site/pub/x.json"
echo 'bin' >"$TEST_TMP/site/pub/x.unknownext"
ln -s ../secret.txt "$TEST_TMP/site/pub/out.txt"
ln -s .. "$TEST_TMP/site/pub/up"
ln -s /etc/passwd "$TEST_TMP/site/pub/passwd"
start_worker "$TEST_TMP/w2.log" "$SC_BIN/sc-worker" --brokers "127.0.0.1:$BPORT" --public "$TEST_TMP/site/pub"
URL="http://127.0.0.1:$PORT"
expect_eq "$(get "$URL/")" "404 text/plain; charset=utf-8 10" "--public without index.html: / is 404"
expect_eq "$(get "$URL/sub/")" "200 text/html; charset=utf-8 10" "/sub/ serves sub/index.html"
expect_eq "$(get "$URL/sub")" "200 text/html; charset=utf-8 10" "/sub serves sub/index.html"
expect_eq "$(get "$URL/site.css")" "200 text/css; charset=utf-8 7" "a .css file: text/css"
expect_eq "$(get "$URL/x.png")" "200 image/png 4" "a .png file: image/png"
expect_eq "$(get "$URL/x.json")" "200 application/json 3" "a .json file: application/json"
expect_eq "$(get "$URL/x.unknownext")" "200 application/octet-stream 4" "an unknown extension: application/octet-stream"
leaks=0
for p in /../secret.txt /..%2fsecret.txt /%2e%2e/secret.txt /%2E%2E%2Fsecret.txt /%2e%2e%2f%2e%2e%2fetc/passwd \
  /sub/../../secret.txt /sub/%2e%2e/%2e%2e/secret.txt '/..\secret.txt' '/%5c..%5csecret.txt' /%252e%252e/secret.txt \
  /out.txt /up/secret.txt /passwd /.env /sub/../.env //etc/passwd /%2fetc/passwd '/.%2e/secret.txt' \
  /sub/.%2e/.%2e/secret.txt /%c0%ae%c0%ae/secret.txt /%00/secret.txt /sub%00/index.html; do
  r=$(get "$URL$p")
  case "$r" in 200*) leaks=$((leaks + 1)); echo "served: $p ($r)" >&2 ;; esac
  grep -q -e "SECRET-$$" -e "DOT-$$" -e "root:" "$TEST_TMP/body" 2>/dev/null && fail "$p leaked: $(head -c 80 "$TEST_TMP/body")"
done
[ "$leaks" -eq 0 ] && ok "22 traversal attempts (.., %2e%2e, %2f, backslash, %00, dotfiles, symlinks out, overlong UTF-8): nothing served" ||
  fail "$leaks traversal attempts were served"
# Request targets that are not origin-form paths, sent raw.
for target in ../secret.txt secret.txt "http://x/../secret.txt" "*"; do
  r=$(python3 - "$PORT" "$target" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
s.sendall(b"GET " + sys.argv[2].encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
out = b""
try:
    while len(out) < 65536:
        d = s.recv(4096)
        if not d:
            break
        out += d
except OSError:
    pass
print(out.decode("latin-1"))
PY
)
  grep -q "SECRET-$$" <<<"$r" && fail "GET $target leaked the secret"
  grep -q "^HTTP/1.1 200" <<<"$r" && fail "GET $target: 200"
done
ok "raw request targets ../secret.txt, secret.txt, http://x/../secret.txt, *: no 200, no secret"
kill -0 "$WPID" || fail "the worker died"
stop_worker "$WPID" "$TEST_TMP/w2.log"

# --origins.
start_worker "$TEST_TMP/w3.log" "$SC_BIN/sc-worker" --brokers "127.0.0.1:$BPORT" --origins 'good.example:8000 *:9'
node "$JS" origins "$PORT" || { tail -20 "$TEST_TMP/w3.log"; fail "origins checks"; }
ok "--origins checks passed"
stop_worker "$WPID" "$TEST_TMP/w3.log"
start_worker "$TEST_TMP/w4.log" "$SC_BIN/sc-worker" --brokers "127.0.0.1:$BPORT"
r=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
  -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
  -H 'Origin: http://anything.example:1234' "http://127.0.0.1:$PORT/socketcluster/")
expect_eq "$r" "101" "default --origins *:*: an upgrade from any Origin is switched (101)"
stop_worker "$WPID" "$TEST_TMP/w4.log"

for bad in "example.com" "a:99999" "" "*"; do
  "$SC_BIN/sc-worker" --port 1 --origins "$bad" >"$TEST_TMP/bad.log" 2>&1
  expect_eq "$?" "2" "--origins '$bad' is a bad option (exit 2: $(head -c 90 "$TEST_TMP/bad.log"))"
done
"$SC_BIN/sc-worker" --port 0 --brokers "127.0.0.1:$BPORT" --public "$TEST_TMP/nowhere" >"$TEST_TMP/bad.log" 2>&1
expect_eq "$?" "1" "--public naming no directory: the worker does not start (exit 1)"

# sc-example-auth.
start_worker "$TEST_TMP/w5.log" "$SC_BIN/sc-example-auth" --brokers "127.0.0.1:$BPORT"
node "$JS" auth "$PORT" || { tail -20 "$TEST_TMP/w5.log"; fail "auth example checks"; }
ok "sc-example-auth checks passed"
stop_worker "$WPID" "$TEST_TMP/w5.log"
echo "worker_http: ${_checks:?} checks passed"
