#!/usr/bin/env python3
"""Differential test of pub/sub and keyspace notifications: sc-broker vs redis-server.

SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH with several subscribers and patterns
(message order per subscriber, receiver counts), RESP3 push frames (also a client publishing
to itself), the RESP2 subscribed context, PUBSUB CHANNELS/NUMSUB/NUMPAT/HELP and errors,
notify-keyspace-events flag strings, keyspace/keyevent messages for writes, the "expired"
event of a key whose TTL runs out, and the disconnection of a subscriber that does not read
(pubsub output-buffer limit).
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import respdiff  # noqa: E402
from respdiff import Pair, encode, run_script  # noqa: E402


def replies(cp, args, n, desc=None, sort=False):
    """Sends one command to both sides and compares the next n replies (as a multiset when
    `sort`, for Redis's hash-ordered replies)."""
    cp._send_both(encode(*args))
    ra, rb = cp._read_both(n)
    raw_a, raw_b = [r.raw for r in ra], [r.raw for r in rb]
    if sort:  # hash order: compare the names as a multiset and the counts in order
        raw_a = (sorted(r.rsplit(b":", 1)[0] for r in raw_a), [r.rsplit(b":", 1)[1] for r in raw_a])
        raw_b = (sorted(r.rsplit(b":", 1)[0] for r in raw_b), [r.rsplit(b":", 1)[1] for r in raw_b])
    desc = desc or " ".join(args)
    respdiff.check(raw_a == raw_b, "%s (%d replies)" % (desc, n),
                   "broker: %r\nredis:  %r" % (raw_a, raw_b))


def drain(conn, wait=0.3):
    out = []
    while True:
        try:
            out.append(conn.read(timeout=wait).raw)
        except Exception:
            return out


def same_stream(cp, desc, wait=0.3, sort=False):
    """Everything pending on both connections must be identical."""
    a, b = drain(cp.a, wait), drain(cp.b, wait)
    if sort:
        a, b = sorted(a), sorted(b)
    respdiff.check(a == b, "%s (%d messages)" % (desc, len(b)),
                   "broker: %r\nredis:  %r" % (a[:30], b[:30]))
    return b


def main():
    p = Pair()

    # ---- subscribe bookkeeping and replies
    s1 = p.connect()
    replies(s1, ["SUBSCRIBE", "ch1", "ch2", "ch1"], 3)
    replies(s1, ["PSUBSCRIBE", "ch*", "news.?", "ch*"], 3)
    replies(s1, ["UNSUBSCRIBE", "ch2", "nothere"], 2)
    replies(s1, ["PUNSUBSCRIBE", "news.?", "zz"], 2)
    # RESP2 subscribed context.
    s1.cmd("GET", "x")
    s1.cmd("SET", "x", "1")
    s1.cmd("PUBLISH", "ch1", "x")
    s1.cmd("PUBSUB", "NUMPAT")

    s2 = p.connect()
    replies(s2, ["SUBSCRIBE", "ch1"], 1)
    s3 = p.connect()
    replies(s3, ["PSUBSCRIBE", "c?1"], 1)

    run_script(p, """
        PUBLISH ch1 hello
        PUBLISH ch2 nobody
        PUBLISH chX pattern-only
        PUBLISH news.a gone
        PUBLISH "" empty
        PUBLISH ch1 ""
        PUBSUB NUMSUB ch1 ch2 chX
        PUBSUB NUMSUB
        PUBSUB NUMPAT
        @sorted PUBSUB CHANNELS
        @sorted PUBSUB CHANNELS ch*
        PUBSUB CHANNELS zz*
        PUBSUB CHANNELS a b
        PUBSUB SHARDCHANNELS
        PUBSUB SHARDNUMSUB a
        PUBSUB HELP
        PUBSUB HELP x
        PUBSUB NUMPAT x
        PUBSUB FOO
        PUBSUB
        PUBLISH ch1
        SUBSCRIBE
        PSUBSCRIBE
    """)
    same_stream(s1, "messages to a subscriber with a channel and a pattern")
    same_stream(s2, "messages to a channel subscriber")
    same_stream(s3, "messages to a pattern subscriber")

    # Many messages in a row keep their order.
    for i in range(50):
        p.a.send("PUBLISH", "ch1", "m%d" % i)
        p.b.send("PUBLISH", "ch1", "m%d" % i)
    same_stream(p, "50 PUBLISH replies (receiver counts)")
    same_stream(s1, "50 messages in order (s1)")
    same_stream(s2, "50 messages in order (s2)")
    same_stream(s3, "50 messages in order (s3)")

    # Unsubscribe from everything: Redis replies in hash order, compared as a multiset.
    replies(s1, ["SUBSCRIBE", "a1", "a2", "a3"], 3)
    replies(s1, ["UNSUBSCRIBE"], 4, sort=True)
    replies(s1, ["UNSUBSCRIBE"], 1, desc="UNSUBSCRIBE when subscribed to no channel")
    replies(s1, ["PSUBSCRIBE", "p1", "p2", "p3"], 3)
    replies(s1, ["PUNSUBSCRIBE"], 4, desc="PUNSUBSCRIBE all (subscription order)")
    replies(s1, ["PUNSUBSCRIBE"], 1, desc="PUNSUBSCRIBE when subscribed to no pattern")
    s1.cmd("GET", "x", desc="normal commands again after the last unsubscribe")
    s1.cmd("PING")
    replies(s2, ["RESET"], 1)
    s2.cmd("PUBSUB", "NUMSUB", "ch1", desc="RESET unsubscribed the client")
    s3.close()
    time.sleep(0.2)
    p.cmd("PUBSUB", "NUMPAT", desc="a closed client's patterns are gone")
    p.cmd("PUBLISH", "ch1", "x", desc="PUBLISH after subscribers left")

    # ---- SUBSCRIBE / PUBLISH queued in a transaction
    tx = p.connect()
    run_script(tx, """
        MULTI
        SUBSCRIBE txch
        PSUBSCRIBE tx*
        PUBLISH txch from-inside
        EXEC
    """)
    same_stream(tx, "messages after EXEC of a subscribing transaction")
    p.cmd("PUBLISH", "txch", "after")
    same_stream(tx, "a transaction-made subscription receives")
    tx.cmd("GET", "x", desc="subscribed context after EXEC")
    tx.close()

    # ---- RESP3: push frames, a client may publish to itself and run other commands
    r3 = p.connect(resp3=True)
    replies(r3, ["SUBSCRIBE", "r3a", "r3b"], 2)
    replies(r3, ["PSUBSCRIBE", "r3*"], 1)
    replies(r3, ["PUBLISH", "r3a", "self"], 3, desc="RESP3 self publish: message, pmessage, :2")
    r3.cmd("SET", "k3", "v")
    r3.cmd("GET", "k3")
    p.cmd("PUBLISH", "r3b", "from-other")
    same_stream(r3, "RESP3 push messages")
    replies(r3, ["UNSUBSCRIBE", "r3a"], 1)
    replies(r3, ["UNSUBSCRIBE"], 1)
    replies(r3, ["UNSUBSCRIBE"], 1)
    replies(r3, ["PUNSUBSCRIBE"], 1)
    replies(r3, ["PUNSUBSCRIBE"], 1)
    r3.close()

    # ---- notify-keyspace-events flag strings
    for flags in ["KEA", "Ex", "xE", "Kx", "gE", "AKE", "KEAmn", "mnxK", "g$lshzxetd", "K", "",
                  "El", "Eh$"]:
        p.cmd("CONFIG", "SET", "notify-keyspace-events", flags)
        p.cmd("CONFIG", "GET", "notify-keyspace-events", desc="CONFIG GET after %r" % flags)
    with respdiff.optional("config.cpp: the error text lists 'Ag$lshzxeKEtmdn'"):
        p.cmd("CONFIG", "SET", "notify-keyspace-events", "KEQ")
    p.cmd("CONFIG", "GET", "notify-keyspace-events", desc="unchanged after a bad value")

    # ---- keyspace notifications
    p.cmd("CONFIG", "SET", "notify-keyspace-events", "KEA")
    ev = p.connect()
    replies(ev, ["PSUBSCRIBE", "__key*@0__:*"], 1)
    run_script(p, """
        SET ks1 v
        SET ks1 v2
        APPEND ks1 x
        INCR ks2
        DEL ks1 ks2 nothere
        RPUSH ksl a b
        LPOP ksl
        HSET ksh f v
        SADD kss m
        EXPIRE ksl 100
        PERSIST ksl
        RENAME ksl ksl2
        DEL ksl2 ksh kss
        SELECT 1
        SET other-db v
        DEL other-db
        SELECT 0
    """)
    same_stream(ev, "keyspace and keyevent messages of writes")

    # keyspace only / keyevent only
    p.cmd("CONFIG", "SET", "notify-keyspace-events", "K$")
    p.cmd("SET", "only-k", "v")
    same_stream(ev, "K$: __keyspace@ messages only")
    p.cmd("CONFIG", "SET", "notify-keyspace-events", "Eg")
    p.cmd("SET", "only-e", "v")
    p.cmd("DEL", "only-e", "only-k")
    same_stream(ev, "Eg: __keyevent@ messages of generic commands only")

    # The expired event when a key's TTL runs out (active expiry, nobody touches the key).
    p.cmd("CONFIG", "SET", "notify-keyspace-events", "KEA")
    p.cmd("SET", "exp1", "v", "PX", "150")
    time.sleep(1.5)
    got = same_stream(ev, "expired event of a key whose TTL ran out", wait=1.0)
    respdiff.check(any(b"expired" in g for g in got), "the expired event arrived")
    # Lazy expiry: the access deletes the key and sends the event.
    p.cmd("SET", "exp2", "v", "PX", "50")
    time.sleep(0.2)
    p.cmd("GET", "exp2")
    same_stream(ev, "expired event after a lazy expiry", wait=1.0)
    ev.close()
    p.cmd("CONFIG", "SET", "notify-keyspace-events", "")

    # ---- CLIENT REPLY OFF/SKIP silence command replies, never pub/sub: (un)subscribe
    # confirmations and messages still arrive, in RESP2 and RESP3 (Redis 7.0's CLIENT_PUSHING)
    for resp3 in (False, True):
        quiet = p.connect(resp3=resp3)
        quiet.a.send("CLIENT", "REPLY", "OFF")
        quiet.b.send("CLIENT", "REPLY", "OFF")
        replies(quiet, ["PSUBSCRIBE", "q.*"], 1, desc="PSUBSCRIBE under CLIENT REPLY OFF")
        if resp3:
            quiet.a.send("PING")  # a command reply stays silenced
            quiet.b.send("PING")
        p.cmd("PUBLISH", "q.1", "hello")
        same_stream(quiet, "pmessage under CLIENT REPLY OFF (resp3=%s)" % resp3)
        replies(quiet, ["PUNSUBSCRIBE"], 1, desc="PUNSUBSCRIBE under CLIENT REPLY OFF")
        quiet.close()
    # ---- a subscriber that does not read is disconnected (pubsub output-buffer limit)
    p.cmd("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 256kb 60")
    slow = p.connect()
    replies(slow, ["SUBSCRIBE", "flood"], 1)
    big = "x" * (256 * 1024)
    for _ in range(120):  # 30 MB: far beyond what socket buffers hold
        p.a.send("PUBLISH", "flood", big)
        p.b.send("PUBLISH", "flood", big)
    for _ in range(120):
        p.a.read(timeout=10)
        p.b.read(timeout=10)
    time.sleep(0.3)
    ca = slow.a.is_closed(wait=5.0)
    cb = slow.b.is_closed(wait=5.0)
    respdiff.check(ca and cb, "slow subscriber disconnected at the pubsub output limit",
                   "broker closed=%s redis closed=%s" % (ca, cb))
    p.cmd("PUBSUB", "NUMSUB", "flood", desc="the dropped subscriber is unsubscribed")
    p.cmd("PING")

    respdiff.finish()


if __name__ == "__main__":
    main()
