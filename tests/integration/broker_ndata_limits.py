#!/usr/bin/env python3
"""Limits on nData connections, as RESP clients have them.

- maxmemory: nData writes that may grow the data (set add concat splice) are refused with an
  {"name":"OOM"} error object while used memory is over maxmemory; reads and removals run.
  (The MISCONF refusal is checked in broker_aof_faults.py.)
- Before `init` (with requirepass) a request line may be 16 KiB at most, like Redis's
  unauthenticated bulk length: a client sending `{` and 20 MB without a newline is answered
  AuthError and closed instead of holding a big query buffer, and an 8 MB line is refused
  without being parsed.  After init the json-max-size limit applies again.
"""
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import respdiff as rd  # noqa: E402
from broker_ndata import ND, val  # noqa: E402


def test_oom():
    srv = rd.Server.start("broker", ["--maxmemory", "1"])
    c = srv.conn()
    n = ND(srv.port)
    rd.check(str(c("SET", "k", "v")).startswith("OOM"), "RESP SET over maxmemory: OOM")
    c("CONFIG", "SET", "maxmemory", "0")
    c("JSON.SET", "doc", "$", '{"a":[1,2],"b":1}')
    c("CONFIG", "SET", "maxmemory", "1")
    for action, kw in (("set", {"key": ["doc", "c"], "value": 1}),
                       ("add", {"key": ["doc", "a"], "value": 3}),
                       ("concat", {"key": ["doc", "a"], "value": [3]}),
                       ("splice", {"key": ["doc", "a"], "index": 0, "items": [0]})):
        r = n.req(action, **kw)
        err = r.get("error", {})
        rd.check(err.get("name") == "OOM" and "maxmemory" in err.get("message", ""),
                 "nData %s over maxmemory: OOM error object" % action, repr(r))
    rd.check(val(n.req("get", key=["doc"])) == {"a": [1, 2], "b": 1},
             "the refused writes changed nothing; get still works")
    rd.check("error" not in n.req("remove", key=["doc", "b"]), "remove is allowed (frees memory)")
    srv.stop()


_pending = {}  # socket -> bytes received after the last line returned


def read_line(sock, timeout=3.0):
    sock.settimeout(timeout)
    buf = _pending.pop(sock, b"")
    try:
        while b"\n" not in buf:
            d = sock.recv(65536)
            if not d:
                return None
            buf += d
    except (socket.timeout, ConnectionResetError):
        return None
    line, rest = buf.split(b"\n", 1)
    _pending[sock] = rest
    return json.loads(line)


def closed(sock, wait=2.0):
    sock.settimeout(wait)
    try:
        for _ in range(1000):
            if not sock.recv(65536):
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False
    return False


def qbufs(c):
    out = []
    for line in c("CLIENT", "LIST").decode().splitlines():
        f = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
        out.append(int(f.get("qbuf", "0")))
    return out


def test_unauthenticated():
    srv = rd.Server.start("broker", ["--requirepass", "s3cret"])
    admin = srv.conn()
    rd.check(admin("AUTH", "s3cret") == "OK", "RESP AUTH")

    # `{` and 20 MB without a newline.
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    sent, chunk, checked = 0, b"{" + b"x" * (1 << 20), False
    try:
        while sent < 20 << 20:
            s.sendall(chunk)
            sent += len(chunk)
            if sent >= 2 << 20 and not checked:
                checked = True
                time.sleep(0.2)
                rd.check(max(qbufs(admin)) <= 64 * 1024,
                         "an unauthenticated nData client never holds more than 64 KiB of "
                         "query buffer (largest: %d bytes)" % max(qbufs(admin)))
            chunk = b"x" * (1 << 20)
    except OSError:
        pass
    if not checked:
        rd.ok("the broker closed the connection before 2 MB were sent")
    rd.check(sent < 20 << 20, "the broker stopped reading the 20 MB line (%d bytes sent)" % sent)
    s.close()

    # An 8 MB request line before init: refused, not parsed.
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    line = b'{"id":1,"action":"get","key":["' + b"k" * (8 << 20) + b'"]}\n'
    t0 = time.monotonic()
    try:
        s.sendall(line)
    except OSError:
        pass
    r = read_line(s)
    rd.check(r is not None and r.get("error", {}).get("name") == "AuthError"
             and "16384" in r["error"].get("message", ""),
             "an 8 MB line before init: AuthError for its length, not parsed", repr(r)[:200])
    rd.check(closed(s), "... and the connection is closed (%.2f s)" % (time.monotonic() - t0))
    s.close()

    # init, then a big line in the same packet: the json-max-size limit applies after init.
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    big = "v" * (100 * 1024)
    s.sendall(b'{"id":1,"action":"init","secretKey":"s3cret"}\n' +
              json.dumps({"id": 2, "action": "set", "key": ["big"], "value": big}).encode() +
              b"\n")
    r1, r2 = read_line(s), read_line(s)
    rd.check(r1 == {"id": 1} and r2 == {"id": 2},
             "after init (same packet) a 100 KB line is accepted", repr((r1, r2))[:200])
    rd.check(admin("JSON.GET", "big") == json.dumps(big).encode(),
             "the 100 KB value is stored")
    s.close()
    srv.stop()


test_oom()
test_unauthenticated()
rd.finish()
