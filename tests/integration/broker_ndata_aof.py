#!/usr/bin/env python3
"""nData writes and the append-only file: every nData write action, replayed from the AOF
after SIGKILL (and again after BGREWRITEAOF), gives the same keyspace (type, value, absolute
expiry) and the same member deadlines as before the restart.

Covers `set` over keys of other types (a string, a list, a string with a TTL), deep sets,
add, concat, remove, removeRange, removeAll, splice, pop (a scalar key too), expire/unexpire
of keys and of members (a member deadline is logged as NDATA.PEXPIREAT / NDATA.PERSIST and
written by the rewrite; a deadline that fired is not applied again to a member set later).
Also `splice` that fails validation changes nothing (the array is whole, a WATCH on it still
lets EXEC run), and one that succeeds reaches WATCH.
"""
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import respdiff as rd  # noqa: E402
from respdiff import kill9  # noqa: E402
from broker_ndata import ND, val  # noqa: E402

DEEP = [["doc", "m"], ["doc", "arr"], ["later", "z"], ["sw", "a"]]


def start(d):
    return rd.Server.start("broker", ["--appendonly", "yes", "--appendfsync", "always",
                                      "--dir", d])


def snapshot(srv):
    c = srv.conn()
    n = ND(srv.port)
    state = {}
    for k in sorted(c("KEYS", "*")):
        t = str(c("TYPE", k))
        if t == "string":
            v = c("GET", k)
        elif t == "list":
            v = c("LRANGE", k, 0, -1)
        elif t == "hash":
            v = sorted(c("HGETALL", k))
        elif t == "set":
            v = sorted(c("SMEMBERS", k))
        else:
            v = json.loads(c("JSON.GET", k))
        state[k.decode()] = (t, v, c("PEXPIRETIME", k))
    for chain in DEEP:
        state["deep:" + "/".join(chain)] = val(n.req("getExpiry", key=chain))
    c.close()
    n.sock.close()
    return state


def compare(before, after, desc):
    diff = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    rd.check(not diff, desc, "\n".join("%s: before %r, after %r" % (k, before.get(k),
                                                                   after.get(k))
                                       for k in diff[:10]))


def main():
    d = tempfile.mkdtemp(prefix="ndata-aof-")
    srv = start(d)
    c = srv.conn()
    n = ND(srv.port)

    def ok(r, desc):
        rd.check("error" not in r, desc, repr(r))

    # removeAll first (it deletes every document of the database).
    n.req("set", key=["ra"], value=1)
    ok(n.req("removeAll"), "removeAll")

    c("SET", "s1", "hello")
    c("RPUSH", "l1", "a", "b")
    c("SET", "s2", "x", "PX", "500000")
    c("HSET", "h1", "f", "v")
    ok(n.req("set", key=["s1"], value={"a": 1}), "set over a string key")
    ok(n.req("set", key=["l1"], value=[1, 2, 3, 4, 5]), "set over a list key")
    ok(n.req("set", key=["s2"], value={"t": 1}), "set over a string key with a TTL")
    rd.check(c("PTTL", "s2") > 0, "set kept the TTL of the key it replaced")
    r = n.req("set", key=["h1", "x"], value=1)
    rd.check(r.get("error", {}).get("name") == "WrongType", "set inside a hash: WrongType")
    ok(n.req("set", key=["doc", "a", "b"], value="deep"), "deep set")
    n.req("add", key=["doc", "arr"], value=1)
    n.req("add", key=["doc", "arr"], value=2)
    ok(n.req("concat", key=["doc", "arr"], value=[3, 4]), "concat an array")
    ok(n.req("concat", key=["doc"], value={"m": 1, "k": [1]}), "concat an object")
    ok(n.req("remove", key=["doc", "a"]), "remove a member")
    ok(n.req("removeRange", key=["l1"], fromIndex=0, toIndex=1), "removeRange")
    ok(n.req("splice", key=["l1"], index=0, count=1, items=["x", "y"]), "splice")
    ok(n.req("pop", key=["l1"]), "pop")
    n.req("set", key=["gone"], value=1)
    ok(n.req("remove", key=["gone"]), "remove a key")
    n.req("set", key=["p"], value=5)
    ok(n.req("pop", key=["p"]), "pop a scalar key")
    n.req("add", key=["q"], value="first")
    ok(n.req("expire", keys=[["doc"]], value=100000), "expire a key")
    ok(n.req("expire", keys=[["doc", "m"]], value=5000), "expire a member")
    n.req("expire", keys=[["doc", "arr"]], value=6000)
    ok(n.req("unexpire", keys=[["doc", "arr"]]), "unexpire a member")
    ok(n.req("expire", keys=[["later", "z"]], value=7000), "expire a member not set yet")
    n.req("set", key=["tmpk"], value=1)
    n.req("expire", keys=[["tmpk"]], value=100000)
    ok(n.req("unexpire", keys=[["tmpk"]]), "unexpire a key")
    n.req("set", key=["gonek"], value=1)
    ok(n.req("expire", keys=[["gonek"]], value=-1), "expire in the past deletes the key")

    # splice: validation before change (item 6).
    # The array sits 4 levels down; items 125 deep parse (the request line is 127 deep, under
    # json-max-depth 128) but would make the document too deep.
    chain = ["arr2", "x", "y", "z"]
    n.req("set", key=chain, value=[1, 2, 3])
    w = srv.conn()
    w("WATCH", "arr2")
    deep_item = json.loads("[" * 125 + "]" * 125)
    r = n.req("splice", key=chain, index=0, count=2, items=[deep_item])
    rd.check(r.get("error", {}).get("name") == "BadRequest", "splice with too deep items: error",
             repr(r))
    rd.check(val(n.req("get", key=chain)) == [1, 2, 3],
             "a splice that fails leaves the array whole", repr(val(n.req("get", key=chain))))
    w("MULTI")
    w("SET", "w1", "1")
    r = w("EXEC")
    rd.check(r is not None, "a failed splice does not touch a WATCHed key (EXEC runs)", repr(r))
    w("WATCH", "arr2")
    ok(n.req("splice", key=chain, index=0, count=1, items=[9]), "splice that succeeds")
    w("MULTI")
    w("SET", "w2", "1")
    rd.check(w("EXEC") is None, "a splice reaches WATCH (EXEC aborted)")

    # A member deadline that fires, then the member is set again: not removed after replay.
    n.req("set", key=["sw", "a"], value=1)
    n.req("expire", keys=[["sw", "a"]], value=1)
    for _ in range(40):
        if val(n.req("get", key=["sw", "a"])) == "<undefined>":
            break
        time.sleep(0.1)
    rd.check(val(n.req("get", key=["sw", "a"])) == "<undefined>", "member deadline fired")
    n.req("set", key=["sw", "a"], value=2)

    before = snapshot(srv)
    kill9(srv)
    srv = start(d)
    compare(before, snapshot(srv), "after SIGKILL the AOF replays to the same keyspace and "
            "member deadlines (%d entries)" % len(before))

    c = srv.conn()
    rd.check("started" in str(c("BGREWRITEAOF")), "BGREWRITEAOF")
    rd.wait_rewrite(c)
    kill9(srv)
    srv = start(d)
    compare(before, snapshot(srv), "after a rewrite and SIGKILL: the same state again")
    time.sleep(2.2)  # a sweep (once a second) must not remove sw.a
    n = ND(srv.port)
    rd.check(val(n.req("get", key=["sw", "a"])) == 2,
             "a deadline that fired before the restart is not applied to the member set later",
             repr(val(n.req("get", key=["sw", "a"]))))
    srv.stop()
    rd.finish()


def test_grown_past_json_max_size():
    """A document that grew past json-max-size by small writes comes back whole."""
    d = tempfile.mkdtemp(prefix="ndata-aof-big-")
    args = ["--appendonly", "yes", "--appendfsync", "always", "--dir", d,
            "--json-max-size", "1024"]
    srv = rd.Server.start("broker", args)
    n = ND(srv.port)
    for i in range(100):
        n.req("add", key=["big"], value="x" * 50)
    before = val(n.req("get", key=["big"]))
    kill9(srv)
    srv = rd.Server.start("broker", args)
    after = val(ND(srv.port).req("get", key=["big"]))
    rd.check(after == before, "a 5 KB document built by 100 adds under json-max-size 1kb is "
             "replayed whole", "%d items after" % len(after) if isinstance(after, list) else after)
    srv.stop()


if __name__ == "__main__":
    test_grown_past_json_max_size()
    main()
