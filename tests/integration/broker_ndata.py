#!/usr/bin/env python3
"""The nData-like JSON line protocol of sc-broker (a connection whose first byte is '{').

A small raw-socket client sends {"id":N,"action":...} lines and reads one reply line each.
Checks every action (set get getRange getAll count hasKey add concat remove removeRange
removeAll splice pop expire unexpire getExpiry subscribe unsubscribe isSubscribed publish),
expiry of keys and of deeper paths, pub/sub between two nData clients and between nData and
RESP (SUBSCRIBE / PUBLISH), the same documents seen through JSON.GET / JSON.SET, pipelining,
requests split at every byte, and garbage lines (bad JSON: error, connection usable;
over-long line: error, then close).
"""
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import respdiff  # noqa: E402
from respdiff import Server, check, finish, optional  # noqa: E402


class ND:
    """A minimal nData client: JSON lines out, JSON lines in (pushes kept apart)."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = b""
        self.next_id = 1
        self.pushes = []

    def line(self, timeout=5):
        self.sock.settimeout(timeout)
        while b"\n" not in self.buf:
            data = self.sock.recv(1 << 20)
            if not data:
                raise EOFError("closed")
            self.buf += data
        ln, self.buf = self.buf.split(b"\n", 1)
        return json.loads(ln)

    def reply(self, timeout=5):
        while True:
            m = self.line(timeout)
            if "event" in m:
                self.pushes.append(m)
                continue
            return m

    def req(self, action, **kw):
        rid = self.next_id
        self.next_id += 1
        msg = {"id": rid, "action": action}
        msg.update(kw)
        self.sock.sendall((json.dumps(msg) + "\n").encode())
        r = self.reply()
        if r.get("id") != rid:
            raise AssertionError("reply id %r for request %r" % (r.get("id"), rid))
        return r

    def push(self, timeout=3):
        if self.pushes:
            return self.pushes.pop(0)
        return self.line(timeout)

    def closed(self, wait=2):
        self.sock.settimeout(wait)
        try:
            while True:
                d = self.sock.recv(1 << 20)
                if not d:
                    return True
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False


def val(r):
    return r.get("value", "<undefined>")


def eq(got, want, desc):
    check(got == want, desc, "got %r, want %r" % (got, want))


def main():
    srv = Server.start("broker", args=("--json-max-size", "1mb"))
    n = ND(srv.port)
    c = srv.conn()

    # ---- set / get
    eq(n.req("set", key=["user", "42", "name"], value="ann"), {"id": 1}, "set deep creates maps")
    eq(val(n.req("get", key=["user"])), {"42": {"name": "ann"}}, "get whole document")
    eq(val(n.req("get", key=["user", "42", "name"])), "ann", "get leaf")
    eq(val(n.req("get", key=["user", "nope"])), "<undefined>", "get missing: no value")
    eq(val(n.req("get", key="user")), {"42": {"name": "ann"}}, "a string key is a 1-chain")
    eq(val(n.req("set", key=["user", "42", "name", "first"], value="Ann", getValue=1)), "Ann",
       "set over a scalar turns it into a map; getValue echoes")
    eq(val(n.req("get", key=["user", "42"])), {"name": {"first": "Ann"}}, "scalar replaced")
    eq(val(n.req("set", key=["list"], value=[1, 2, 3])), "<undefined>", "set array")
    n.req("set", key=["list", 1], value="two")
    n.req("set", key=["list", "3"], value=4)
    eq(val(n.req("get", key=["list"])), [1, "two", 3, 4], "set by index (number or string)")

    # ---- cross protocol
    eq(c("JSON.GET", "user", "$.42.name.first"), b'["Ann"]', "JSON.GET sees nData set")
    c("JSON.SET", "resp", "$", '{"a":[1,{"b":true}],"n":1.5}')
    eq(val(n.req("get", key=["resp", "a", 1, "b"])), True, "nData get sees JSON.SET")
    eq(val(n.req("get", key=["resp", "n"])), 1.5, "doubles keep their type")
    c("SET", "plain", "hello")
    eq(val(n.req("get", key=["plain"])), "hello", "a string key reads as a JSON string")
    eq(n.req("set", key=["plain", "x"], value=1)["error"]["name"], "WrongType",
       "writing inside a non-JSON key is WrongType")
    c("DEL", "resp")
    eq(val(n.req("hasKey", key=["resp"])), False, "DEL seen by nData")

    # ---- count / hasKey
    eq(val(n.req("count", key=["list"])), 4, "count of an array")
    eq(val(n.req("count", key=["user"])), 1, "count of an object")
    n.req("set", key=["sc"], value={"z": 0, "e": "", "t": "x", "f": False})
    eq([val(n.req("count", key=["sc", k])) for k in ("z", "e", "t", "f", "missing")],
       [0, 0, 1, 0, 0], "count of scalars: truthiness")
    eq(val(n.req("hasKey", key=["sc", "z"])), True, "hasKey of a falsy value")

    # ---- add / concat
    eq(val(n.req("add", key=["q"], value="a")), 0, "add to missing key: index 0")
    eq(val(n.req("add", key=["q"], value="b")), 1, "add appends, returns the index")
    eq(val(n.req("add", key=["sc", "t"], value="y")), 1, "add to a scalar: [old, value]")
    eq(val(n.req("get", key=["sc", "t"])), ["x", "y"], "scalar became an array")
    n.req("set", key=["m"], value={"0": "a", "5": "b", "k": "c"})
    eq(val(n.req("add", key=["m"], value="d")), 6, "add to a map: max numeric key + 1")
    eq(val(n.req("concat", key=["q"], value=["c", "d"], getValue=1)), ["a", "b", "c", "d"],
       "concat an array")
    eq(val(n.req("concat", key=["q2"], value="x", getValue=1)), ["x"], "concat to missing")
    eq(val(n.req("concat", key=["m"], value={"k": "C", "n": 1}, getValue=1)),
       {"0": "a", "5": "b", "k": "C", "6": "d", "n": 1}, "concat an object merges")

    # ---- getRange / removeRange / splice / pop / remove
    n.req("set", key=["r"], value=[0, 1, 2, 3, 4, 5])
    eq(val(n.req("getRange", key=["r"], fromIndex=1, toIndex=3)), [1, 2], "getRange [from,to)")
    eq(val(n.req("getRange", key=["r"], fromIndex=4)), [4, 5], "getRange to the end")
    eq(val(n.req("getRange", key=["r"], fromIndex=4, toIndex=99)), [4, 5], "to clamped")
    eq(val(n.req("getRange", key=["m"], fromIndex="5", toIndex="6")), {"5": "b", "k": "C"},
       "getRange on a map: by member order")
    eq(val(n.req("removeRange", key=["r"], fromIndex=1, toIndex=3, getValue=1)), [1, 2],
       "removeRange returns the removed part")
    eq(val(n.req("get", key=["r"])), [0, 3, 4, 5], "removeRange spliced")
    eq(val(n.req("splice", key=["r"], index=1, count=2, items=["a", "b", "c"], getValue=1)),
       [3, 4], "splice returns removed items")
    eq(val(n.req("get", key=["r"])), [0, "a", "b", "c", 5], "splice inserted items")
    eq(val(n.req("splice", key=["sc"], index=0, count=1, getValue=1)), [],
       "splice on a non-array: []")
    eq(val(n.req("pop", key=["r"], getValue=1)), 5, "pop returns the last element")
    eq(val(n.req("remove", key=["r", 0], getValue=1)), 0, "remove an array element")
    eq(val(n.req("get", key=["r"])), ["a", "b", "c"], "remove shifted the array")
    eq(val(n.req("remove", key=["user", "42", "name"], getValue=1)), {"first": "Ann"},
       "remove a member")
    eq(c("JSON.GET", "user"), b'{"42":{}}', "JSON.GET sees nData remove")
    eq(val(n.req("remove", key=["q2"], getValue=1)), ["x"], "remove a whole key")
    eq(c("EXISTS", "q2"), 0, "key gone for RESP too")

    # ---- getAll / removeAll
    all_ = val(n.req("getAll"))
    check(isinstance(all_, dict) and all_.get("list") == [1, "two", 3, 4] and "plain" not in all_,
          "getAll returns every JSON document", repr(all_)[:200])

    # ---- expiry
    n.req("set", key=["tmp"], value={"a": 1, "b": 2})
    t0 = time.time()
    n.req("expire", keys=[["tmp"]], value=1)
    exp = val(n.req("getExpiry", key=["tmp"]))
    check(isinstance(exp, int) and abs(exp - (t0 + 1)) <= 2, "getExpiry: absolute seconds",
          repr(exp))
    ttl = c("PTTL", "tmp")
    check(0 < ttl <= 1000, "a 1-chain expire is the key's TTL", repr(ttl))
    n.req("unexpire", keys=[["tmp"]])
    eq(c("TTL", "tmp"), -1, "unexpire persists the key")
    eq(val(n.req("getExpiry", key=["tmp"])), "<undefined>", "getExpiry after unexpire")
    n.req("expire", keys=[["tmp"]], value=1)
    n.req("expire", keys=[["keep", "a"]], value=1)  # deep: independent of the data
    n.req("set", key=["keep"], value={"a": 1, "b": 2})
    check(isinstance(val(n.req("getExpiry", key=["keep", "a"])), int), "deep getExpiry")
    time.sleep(2.6)
    eq(val(n.req("get", key=["tmp"])), "<undefined>", "expired key is gone")
    eq(val(n.req("get", key=["keep"])), {"b": 2}, "deep expiry removed only that member")

    n.req("removeAll")
    eq(c("EXISTS", "user", "list", "q", "m"), 0, "removeAll deletes JSON documents")
    eq(c("GET", "plain"), b"hello", "removeAll leaves other types alone")

    # ---- pipelining, split requests, U+0017 framing, garbage
    n.sock.sendall(b'{"id":"a","action":"set","key":["p"],"value":1}\n'
                   b'{"id":"b","action":"get","key":["p"]}\n')
    eq([n.reply(), n.reply()], [{"id": "a"}, {"id": "b", "value": 1}], "pipelined lines")
    req = b'{"id":7,"action":"get","key":["p"]}\n'
    for b in req:
        n.sock.sendall(bytes([b]))
    eq(n.reply(), {"id": 7, "value": 1}, "a request sent one byte at a time")
    n.sock.sendall(b'{"id":8,"action":"get","key":["p"]}\x17')
    eq(n.reply(), {"id": 8, "value": 1}, "U+0017 terminator (original nData framing)")
    n.sock.sendall(b'{"id":9,"action":\n')
    r = n.reply()
    check(r.get("id") is None and r["error"]["name"] == "BadRequest", "bad JSON: BadRequest",
          repr(r))
    n.sock.sendall(b'[1,2]\n')
    eq(n.reply()["error"]["name"], "BadRequest", "non-object request")
    eq(n.req("fly")["error"]["name"], "BadRequest", "unknown action gets an error")
    eq(n.req("get")["error"]["message"], "missing key", "missing key")
    eq(n.req("get", key=[])["error"]["name"], "BadRequest", "empty key chain")
    eq(n.req("get", key=[{"x": 1}])["error"]["name"], "BadRequest", "object in a key chain")
    eq(n.req("set", key=["deep", "a", "b"], value=json.loads("[" * 127 + "]" * 127))["error"]["name"],
       "BadRequest", "too deep document")
    n.sock.sendall(b"[" * 10000 + b"\n")
    eq(n.reply()["error"]["name"], "BadRequest", "10,000-deep nesting: error, no crash")
    eq(val(n.req("get", key=["p"])), 1, "connection still usable after garbage")
    big = ND(srv.port)
    big.sock.sendall(b'{"id":1,"action":"set","key":["b"],"value":"' + b"x" * (1 << 21))
    r = big.line()
    check(r.get("error", {}).get("name") == "BadRequest", "over-long line: error", repr(r)[:200])
    check(big.closed(), "over-long line: connection closed")
    eq(c("PING"), "PONG", "broker alive")

    # ---- auth: with requirepass, init must come first
    sec = Server.start("broker", args=("--requirepass", "s3cret"))
    x = ND(sec.port)
    eq(x.req("get", key=["k"])["error"]["name"], "AuthError", "before init: AuthError")
    eq(x.req("init", secretKey="nope")["error"]["name"], "AuthError", "wrong secretKey")
    eq(x.req("init", secretKey="s3cret"), {"id": 3}, "init with the password")
    eq(x.req("set", key=["k"], value=1), {"id": 4}, "after init: allowed")
    sec.stop()

    # ---- pub/sub
    a, b = ND(srv.port), ND(srv.port)
    with optional("nData pub/sub needs pubsub_subscribe_quiet + ndata_deliver wiring"):
        r = a.req("subscribe", channel="ch")
        check("error" not in r, "subscribe", repr(r))
        if "error" not in r:
            eq(val(a.req("isSubscribed", channel="ch")), True, "isSubscribed")
            b.req("publish", channel="ch", value={"x": 1})
            eq(a.push(), {"event": "message", "channel": "ch", "value": {"x": 1}},
               "nData -> nData message")
            rs = srv.conn()
            rs("SUBSCRIBE", "ch")
            b.req("publish", channel="ch", value=[1, "two"])
            eq(a.push()["value"], [1, "two"], "nData subscriber gets the 2nd message")
            eq(rs.read().value, [b"message", b"ch", b'[1,"two"]'], "nData -> RESP subscriber")
            eq(c("PUBLISH", "ch", "hello"), 2, "RESP PUBLISH reaches both subscribers")
            eq(a.push()["value"], "hello", "non-JSON message arrives as a JSON string")
            c("PUBLISH", "ch", '{"k":[1,2]}')
            eq(a.push()["value"], {"k": [1, 2]}, "JSON message arrives parsed")
            eq(c("PUBSUB", "NUMSUB", "ch"), [b"ch", 2], "PUBSUB NUMSUB counts nData clients")
            a.req("unsubscribe", channel="ch")
            eq(val(a.req("isSubscribed", channel="ch")), False, "unsubscribe")
            a.req("subscribe", channel="x")
            a.req("subscribe", channel="y")
            a.req("unsubscribe")
            eq(c("PUBLISH", "x", "1"), 0, "unsubscribe without channel drops all")
            a.sock.close()
            time.sleep(0.2)
            eq(c("PUBSUB", "NUMSUB", "ch"), [b"ch", 1], "subscriptions go with the connection")

    finish()


if __name__ == "__main__":
    main()
