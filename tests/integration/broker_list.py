#!/usr/bin/env python3
"""Differential test of the list commands: sc-broker vs redis-server, raw reply bytes.

LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP (with COUNT) LLEN LRANGE LINDEX LSET LINSERT LREM LTRIM
LPOS (RANK COUNT MAXLEN) LMOVE RPOPLPUSH LMPOP, errors and wrong types, RESP2 and RESP3 null
shapes, keyspace events of list commands, and a randomised model run over long lists (many
nodes) with elements of every length class (1, 2 and 5 byte headers).
"""
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import respdiff  # noqa: E402
from respdiff import Pair, run_script  # noqa: E402


def main():
    p = Pair()

    run_script(p, """
        # ---- push / length / range
        LPUSH l a b c
        RPUSH l d e f
        LLEN l
        LRANGE l 0 -1
        LRANGE l 1 3
        LRANGE l -2 -1
        LRANGE l -100 100
        LRANGE l 5 2
        LRANGE l 10 20
        LRANGE l 0 0
        LRANGE nolist 0 -1
        LRANGE l a 1
        LRANGE l 0 b
        LRANGE l 9223372036854775807 -9223372036854775808
        LPUSHX l x
        RPUSHX l y
        LPUSHX nolist x
        RPUSHX nolist x y
        EXISTS nolist
        LRANGE l 0 -1
        LLEN nolist
        LPUSH l
        RPUSH
        # ---- index / set
        LINDEX l 0
        LINDEX l -1
        LINDEX l 100
        LINDEX l -100
        LINDEX l x
        LINDEX nolist x
        LINDEX nolist 0
        LSET l 0 first
        LSET l -1 last
        LSET l 100 z
        LSET l x z
        LSET nolist 0 z
        LRANGE l 0 -1
        # ---- insert
        LINSERT l BEFORE d D
        LINSERT l after d dd
        LINSERT l AFTER nothere z
        LINSERT l middle d z
        LINSERT nolist BEFORE a b
        LINSERT nolist bad a b
        LRANGE l 0 -1
        # ---- wrong type
        SET s str
        LPUSH s a
        RPUSH s a
        LPUSHX s a
        LLEN s
        LRANGE s 0 -1
        LINDEX s 0
        LSET s 0 a
        LINSERT s BEFORE a b
        LPOP s
        RPOP s 2
        LREM s 0 a
        LTRIM s 0 1
        LPOS s a
        LMOVE s l LEFT RIGHT
        LMOVE l s LEFT RIGHT
        RPOPLPUSH s l
        LMPOP 1 s LEFT
        LMPOP 2 nolist s LEFT
    """)

    run_script(p, """
        # ---- pops, with and without COUNT
        DEL l
        RPUSH l 1 2 3 4 5 6 7 8 9 10
        LPOP l
        RPOP l
        LPOP l 2
        RPOP l 2
        LPOP l 0
        RPOP l 0
        LPOP l -1
        LPOP l x
        LPOP l 1 2
        RPOP l 1 2
        LPOP nolist
        LPOP nolist 2
        RPOP nolist 0
        LPOP l 100
        EXISTS l
        RPUSH l a
        RPOP l 5
        EXISTS l
        # ---- LREM
        RPUSH r a b a c a b a
        LREM r 2 a
        LRANGE r 0 -1
        RPUSH r2 a b a c a b a
        LREM r2 -2 a
        LRANGE r2 0 -1
        LREM r2 0 a
        LRANGE r2 0 -1
        LREM r2 0 zz
        LREM r2 x a
        LREM nolist 0 a
        LREM r2 0 b
        LREM r2 0 c
        EXISTS r2
        # ---- LTRIM
        RPUSH t 1 2 3 4 5 6 7 8 9
        LTRIM t 1 -2
        LRANGE t 0 -1
        LTRIM t -3 100
        LRANGE t 0 -1
        LTRIM t 5 1
        EXISTS t
        LTRIM nolist 0 1
        LTRIM t x 1
        RPUSH t 1 2 3
        LTRIM t 0 0
        LRANGE t 0 -1
        LTRIM t -100 -50
        EXISTS t
    """)

    run_script(p, """
        # ---- LPOS
        DEL p
        RPUSH p a b c a b c a
        LPOS p a
        LPOS p c
        LPOS p z
        LPOS p a RANK 2
        LPOS p a RANK -1
        LPOS p a RANK -2
        LPOS p a RANK 4
        LPOS p a RANK -4
        LPOS p a COUNT 0
        LPOS p a COUNT 2
        LPOS p a COUNT 2 RANK 2
        LPOS p a COUNT 0 RANK -1
        LPOS p a COUNT 2 RANK -2
        LPOS p a MAXLEN 3
        LPOS p a MAXLEN 3 COUNT 0
        LPOS p a MAXLEN 1 RANK -1
        LPOS p a MAXLEN 2 RANK 2
        LPOS p z COUNT 0
        LPOS p a RANK 0
        LPOS p a RANK x
        LPOS p a COUNT -1
        LPOS p a COUNT x
        LPOS p a MAXLEN -1
        LPOS p a MAXLEN x
        LPOS p a RANK
        LPOS p a FOO 1
        LPOS p a COUNT 1 COUNT 2
        LPOS p a RANK -9223372036854775808
        LPOS p a RANK -9223372036854775808 COUNT 2
        LPOS p a RANK -9223372036854775808 COUNT 0
        LPOS p a RANK 9223372036854775807
        LPOS nolist a
        LPOS nolist a COUNT 1
        LPOS nolist a RANK 0
        LPOS nolist a COUNT 0 MAXLEN 1
    """)

    run_script(p, """
        # ---- LMOVE / RPOPLPUSH
        DEL src dst
        RPUSH src 1 2 3 4
        LMOVE src dst LEFT RIGHT
        LMOVE src dst RIGHT LEFT
        LMOVE src dst left left
        LRANGE src 0 -1
        LRANGE dst 0 -1
        LMOVE src dst UP LEFT
        LMOVE src dst LEFT DOWN
        LMOVE nolist dst LEFT LEFT
        RPOPLPUSH src dst
        EXISTS src
        RPOPLPUSH src dst
        LRANGE dst 0 -1
        RPOPLPUSH dst dst
        LRANGE dst 0 -1
        LMOVE dst dst LEFT RIGHT
        LRANGE dst 0 -1
        RPUSH one x
        LMOVE one one LEFT RIGHT
        LRANGE one 0 -1
        # ---- LMPOP
        DEL m1 m2
        RPUSH m2 a b c d e
        LMPOP 2 m1 m2 LEFT
        LMPOP 2 m1 m2 RIGHT COUNT 2
        LMPOP 1 m2 LEFT COUNT 10
        EXISTS m2
        LMPOP 2 m1 m2 LEFT
        LMPOP 0 m1 LEFT
        LMPOP -1 m1 LEFT
        LMPOP x m1 LEFT
        LMPOP 1 m1
        LMPOP 3 m1 LEFT
        LMPOP 1 m1 MIDDLE
        LMPOP 1 m1 LEFT COUNT 0
        LMPOP 1 m1 LEFT COUNT -1
        LMPOP 1 m1 LEFT COUNT x
        LMPOP 1 m1 LEFT COUNT 1 COUNT 2
        LMPOP 1 m1 LEFT FOO
        LMPOP 1 m1 LEFT COUNT
        LMPOP 9223372036854775807 m1 LEFT
        LMPOP 1
        # ---- binary and empty elements
        RPUSH bin "" "a\\x00b" "\\r\\n"
        LRANGE bin 0 -1
        LPOS bin ""
        LREM bin 1 ""
        LRANGE bin 0 -1
        OBJECT ENCODING bin
        TYPE bin
    """)

    # RESP3 null shapes.
    r3 = p.connect(resp3=True)
    run_script(r3, """
        LPOP nolist3
        LPOP nolist3 2
        RPOP nolist3 2
        LINDEX nolist3 0
        LPOS nolist3 a
        LMPOP 1 nolist3 LEFT
        LMOVE nolist3 x LEFT LEFT
        RPUSH l3 a b
        LPOP l3 0
        LRANGE l3 0 -1
        LMPOP 1 l3 RIGHT COUNT 5
    """)
    r3.close()

    # Keyspace events of list commands, seen by a subscriber on each side.
    p.cmd("CONFIG", "SET", "notify-keyspace-events", "KEA")
    sub = p.connect()
    sub.cmd("PSUBSCRIBE", "__key*__:*")
    events = """
        RPUSH ev a b c
        LPUSH ev z
        LINSERT ev BEFORE a y
        LSET ev 0 q
        LREM ev 1 q
        LTRIM ev 0 -1
        LPOP ev
        RPOP ev 2
        LMOVE ev ev2 LEFT RIGHT
        RPUSH ev3 a
        LMPOP 1 ev3 LEFT
        RPUSH ev4 a b
        LTRIM ev4 5 6
    """
    for line in events.strip().splitlines():
        p.cmd(*respdiff.split_args(line.strip()), desc=line.strip())
    # Count what arrived: read until both sides time out with the same messages.
    got_a, got_b = [], []
    for conn, got in ((sub.a, got_a), (sub.b, got_b)):
        while True:
            try:
                got.append(conn.read(timeout=0.5).raw)
            except Exception:
                break
    n = len(got_b)
    respdiff.check(got_a == got_b, "keyspace events of list commands (%d messages)" % n,
                   "broker: %r\nredis:  %r" % (got_a[:40], got_b[:40]))
    sub.close()

    # A RESP3 client that watches its own writes: reply and event pushes interleave as in
    # Redis (some commands reply before notifying, others after).
    r3 = p.connect(resp3=True)
    r3.cmd("PSUBSCRIBE", "__keyevent@0__:*")
    for line in events.strip().splitlines():
        args = respdiff.split_args(line.strip())
        r3._send_both(respdiff.encode(*args))
    a, b = [], []
    for conn, got in ((r3.a, a), (r3.b, b)):
        while True:
            try:
                got.append(conn.read(timeout=0.5).raw)
            except Exception:
                break
    respdiff.check(a == b, "RESP3 replies interleaved with own keyspace events (%d frames)"
                   % len(b), "broker: %r\nredis:  %r" % (a[:40], b[:40]))
    r3.close()
    p.cmd("CONFIG", "SET", "notify-keyspace-events", "")

    model_run(p, 7, "big")
    # Other node sizes: a count limit per node, and the smallest and largest byte limits.
    for fill in ("4", "-1", "-5"):
        p.cmd("CONFIG", "SET", "list-max-listpack-size", fill)
        model_run(p, int(fill) + 100, "fill%s_" % fill, steps=500)
    p.cmd("CONFIG", "SET", "list-max-listpack-size", "-2")
    respdiff.finish()


def model_run(p, seed, prefix, steps=1500):
    """Random operations over long lists, compared on both sides: exercises node splits,
    merges and both walking directions."""
    rnd = random.Random(seed)
    keys = ["%s%d" % (prefix, i) for i in range(3)]

    def elem():
        r = rnd.random()
        if r < 0.6:
            n = rnd.randint(0, 12)
        elif r < 0.9:
            n = rnd.randint(100, 300)
        elif r < 0.98:
            n = rnd.randint(16000, 17000)
        else:
            n = rnd.randint(9000, 9100)
        return "".join(rnd.choice("abc") for _ in range(min(n, 3))) + "x" * max(0, n - 3)

    ops = 0
    for step in range(steps):
        k = rnd.choice(keys)
        op = rnd.random()
        if op < 0.25:
            args = ["RPUSH", k] + [elem() for _ in range(rnd.randint(1, 20))]
        elif op < 0.45:
            args = ["LPUSH", k] + [elem() for _ in range(rnd.randint(1, 20))]
        elif op < 0.5:
            args = ["LPOP", k, str(rnd.randint(1, 5))]
        elif op < 0.55:
            args = ["RPOP", k, str(rnd.randint(1, 5))]
        elif op < 0.62:
            args = ["LINSERT", k, rnd.choice(["BEFORE", "AFTER"]), rnd.choice(["a", "b", "c"]),
                    elem()]
        elif op < 0.68:
            args = ["LSET", k, str(rnd.randint(-50, 50)), elem()]
        elif op < 0.73:
            args = ["LREM", k, str(rnd.randint(-3, 3)), rnd.choice(["a", "b", "c", "ab"])]
        elif op < 0.78:
            args = ["LINDEX", k, str(rnd.randint(-300, 300))]
        elif op < 0.83:
            a = rnd.randint(-300, 300)
            args = ["LRANGE", k, str(a), str(a + rnd.randint(-5, 40))]
        elif op < 0.87:
            args = ["LPOS", k, rnd.choice(["a", "b", "c"]), "RANK", str(rnd.choice([1, 2, -1, -3])),
                    "COUNT", str(rnd.randint(0, 4))]
        elif op < 0.9:
            args = ["LMOVE", k, rnd.choice(keys), rnd.choice(["LEFT", "RIGHT"]),
                    rnd.choice(["LEFT", "RIGHT"])]
        elif op < 0.93:
            a = rnd.randint(0, 20)
            args = ["LTRIM", k, str(a), str(-rnd.randint(1, 20))]
        else:
            args = ["LLEN", k]
        ra, rb = p.a.call(*args), p.b.call(*args)
        ops += 1
        if ra.raw != rb.raw:
            respdiff.fail("model step %d: %s" % (step, " ".join(a[:20] for a in args[:6])),
                          "broker: %s\nredis:  %s" % (respdiff.show(ra.raw), respdiff.show(rb.raw)))
            return
    for k in keys:
        p.cmd("LRANGE", k, "0", "-1", desc="final LRANGE %s" % k)
        p.cmd("LLEN", k, desc="final LLEN %s" % k)
    respdiff.ok("randomised list run (%s): %d operations identical" % (prefix, ops))


if __name__ == "__main__":
    main()
