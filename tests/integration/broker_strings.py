#!/usr/bin/env python3
"""Differential test of the string commands: sc-broker vs redis-server, raw reply bytes.

SET with every option and invalid combination, GET GETEX GETDEL GETSET MGET MSET MSETNX APPEND
STRLEN INCR DECR INCRBY DECRBY INCRBYFLOAT SETRANGE GETRANGE SETNX SETEX PSETEX SUBSTR LCS,
wrong type and wrong arity, in RESP2 and (a subset) in RESP3.
"""
import hashlib
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import respdiff  # noqa: E402
from respdiff import Pair, check, run_script  # noqa: E402

FAR = 4102444800  # 2100-01-01 in seconds: TTL-free comparisons go through EXPIRETIME


def suite(p):
    """Every string check; run once over RESP2 and once over RESP3 (p: Pair or ConnPair)."""
    p.cmd("FLUSHALL")

    run_script(p, """
        # ---- SET basics and options
        SET k v
        GET k
        SET k v2 NX
        GET k
        SET k v3 XX
        GET k
        SET nokey v XX
        GET nokey
        SET nxkey v NX
        GET nxkey
        SET k v4 GET
        SET missing v GET
        SET k v5 NX GET
        SET k v6 XX GET
        SET fresh v7 XX GET
        SET fresh2 v8 NX GET
        GET fresh2
        SET "" empty
        GET ""
        SET k ""
        GET k
        STRLEN k
        SET k "a b\\r\\nc\\x00d"
        GET k
        STRLEN k
    """)

    # expirations given as absolute times make the replies deterministic
    run_script(p, """
        SET e1 v EX 100
        @type TTL e1
        SET e1 v EXAT %(far)d
        EXPIRETIME e1
        PEXPIRETIME e1
        SET e2 v PXAT %(farms)d
        PEXPIRETIME e2
        EXPIRETIME e2
        SET e3 v PX 100000
        @type PTTL e3
        SET e1 nv KEEPTTL
        EXPIRETIME e1
        GET e1
        SET e1 nv2
        TTL e1
        SET e4 v EXAT %(far)d GET
        SET e4 w EXAT %(far)d GET
        SET e4 x KEEPTTL GET
        EXPIRETIME e4
        SET e4 y XX KEEPTTL
        EXPIRETIME e4
        SET e5 v NX EX 100 GET
        @type TTL e5
        SET e6 v ex 100 nx
        @type TTL e6
        SET e7 v Px 100000 Xx
        EXISTS e7
        # ---- invalid combinations and values
        SET k v NX XX
        SET k v XX NX
        SET k v EX 10 PX 100
        SET k v PX 100 EX 10
        SET k v EX 10 EXAT %(far)d
        SET k v EX 10 KEEPTTL
        SET k v KEEPTTL EX 10
        SET k v KEEPTTL PXAT %(farms)d
        SET k v EX 0
        SET k v PX 0
        SET k v EXAT 0
        SET k v PXAT 0
        SET k v EX -1
        SET k v PX -5
        SET k v EX abc
        SET k v EX 1.5
        SET k v EX
        SET k v PX
        SET k v EXAT
        SET k v FOO
        SET k v NX NX
        SET k v EX 10 EX 20
        SET k v
        SET k v PX 100000 PX 200000
        SET k v
        SET k v EXAT %(far)d EXAT %(far)d
        SET k v
        SET k v PXAT %(farms)d PXAT %(farms)d
        SET k v
        SET k v KEEPTTL KEEPTTL
        SET k v XX XX
        SET k v
        SET k v GET GET
        SET k v
        SET k v EX 9223372036854775807
        SET k v PX 9223372036854775807
        SET k v EX 9223372036854775
        SET k v EX 99999999999999999999
        SET k v EXAT 9223372036854775807
        SET k v PXAT 9223372036854775807
        SET k
        SET
        SET k v XX NX GET
        GET k
        SET k v EX 5 KEEPTTL GET
    """ % {"far": FAR, "farms": FAR * 1000 + 123})

    # expiry in the past through EXAT/PXAT deletes the key
    run_script(p, """
        SET past v EXAT 1
        EXISTS past
        SET past v PXAT 1
        GET past
        SET past v EXAT 1 GET
        SET past2 old
        SET past2 v PXAT 1 GET
        EXISTS past2
    """)

    run_script(p, """
        # ---- GET / GETDEL / GETSET / wrong type
        DEL k list
        GET k
        RPUSH list a
        GET list
        SET list v XX
        TYPE list
        RPUSH list2 a
        SET list2 v GET
        TYPE list2
        GETDEL list2
        GETDEL list
        GETDEL nothing
        SET gd val
        GETDEL gd
        EXISTS gd
        GETSET gs v1
        GETSET gs v2
        GET gs
        GETSET list v
        GET a b
        GETDEL
        GETDEL a b
        GETSET a
        # ---- GETEX
        SET gx v
        GETEX gx
        TTL gx
        GETEX gx EX 100
        @type TTL gx
        GETEX gx PERSIST
        TTL gx
        GETEX gx EXAT %(far)d
        EXPIRETIME gx
        GETEX gx PXAT %(farms)d
        PEXPIRETIME gx
        GETEX gx PX 100000
        @type PTTL gx
        GETEX gx persist
        TTL gx
        GETEX nogx EX 10
        GETEX nogx PERSIST
        GETEX gx EX 0
        GETEX gx EX -1
        GETEX gx PX 0
        GETEX gx EXAT 0
        GETEX gx EX abc
        GETEX gx EX
        GETEX gx EX 10 PX 100
        GETEX gx EX 10 PERSIST
        GETEX gx PERSIST EX 10
        GETEX gx PERSIST PERSIST
        GETEX gx EX 10 EX 20
        GETEX gx PX 10000 PX 20000
        GETEX gx EXAT %(far)d EXAT %(far)d
        SET gx v
        GETEX gx FOO
        GETEX gx KEEPTTL
        GETEX gx NX
        GETEX gx EX 9223372036854775807
        GETEX list
        GETEX list EX 10
        GETEX
        GETEX gx EXAT 1
        EXISTS gx
        SET gx v
        GETEX gx PXAT 1
        EXISTS gx
        # ---- MGET / MSET / MSETNX
        MSET m1 a m2 b m3 c
        MGET m1 m2 m3 nope list
        MGET nope
        MSET m1
        MSET m1 a m2
        MSET
        MGET
        MSET m1 x m1 y
        GET m1
        MSETNX n1 a n2 b
        MSETNX n2 c n3 d
        MGET n1 n2 n3
        MSETNX n3 a n3 b
        GET n3
        MSETNX list x q y
        GET q
        MSETNX n4
        MSETNX n4 a n5
        MSET list notalist
        TYPE list
    """ % {"far": FAR, "farms": FAR * 1000 + 123})

    run_script(p, """
        # ---- APPEND / STRLEN
        DEL ap list
        APPEND ap hello
        APPEND ap " world"
        GET ap
        STRLEN ap
        STRLEN nosuch
        APPEND ap ""
        APPEND ap2 ""
        EXISTS ap2
        RPUSH list x
        APPEND list x
        STRLEN list
        APPEND ap
        STRLEN
        STRLEN a b
        SET num 10
        APPEND num 5
        GET num
        INCR num
        STRLEN num
        # ---- INCR family
        DEL i
        INCR i
        INCR i
        DECR i
        DECR i
        DECR i
        INCRBY i 10
        INCRBY i -20
        DECRBY i 5
        DECRBY i -5
        GET i
        SET i 9223372036854775806
        INCR i
        INCR i
        GET i
        SET i -9223372036854775807
        DECR i
        DECR i
        SET i 5
        INCRBY i 9223372036854775807
        DECRBY i -9223372036854775807
        SET i -5
        DECRBY i 9223372036854775807
        DECRBY i -9223372036854775808
        DECRBY i 9223372036854775808
        INCRBY i 9223372036854775808
        INCRBY i abc
        INCRBY i 1.5
        INCRBY i ""
        INCRBY i " 1"
        INCRBY i "1 "
        INCRBY i +1
        INCRBY i 01
        INCRBY i -0
        SET i abc
        INCR i
        SET i " 1"
        INCR i
        SET i "1 "
        INCR i
        SET i 1.5
        INCR i
        SET i ""
        INCR i
        SET i 00
        INCR i
        SET i +5
        INCR i
        SET i -0
        INCR i
        SET i 99999999999999999999
        INCR i
        SET i 12345678901234567890123
        DECR i
        INCR list
        DECR list
        INCRBY list 1
        DECRBY list 1
        INCR
        INCR a b
        INCRBY i
        DECRBY i 1 2
        # ---- INCRBYFLOAT
        DEL f
        INCRBYFLOAT f 1.5
        INCRBYFLOAT f 0.1
        INCRBYFLOAT f -5
        INCRBYFLOAT f 1e5
        INCRBYFLOAT f 1E5
        INCRBYFLOAT f 3.0e3
        GET f
        SET f 10
        INCRBYFLOAT f 0.1
        SET f 1e5
        INCRBYFLOAT f 1
        SET f 5.0e3
        INCRBYFLOAT f 2.0e2
        SET f 3
        INCRBYFLOAT f " 1"
        INCRBYFLOAT f "1 "
        INCRBYFLOAT f abc
        INCRBYFLOAT f ""
        INCRBYFLOAT f inf
        INCRBYFLOAT f -inf
        INCRBYFLOAT f nan
        INCRBYFLOAT f 1e308
        INCRBYFLOAT f 1e308
        INCRBYFLOAT f 1.7976931348623157e308
        GET f
        INCRBYFLOAT f 1e400
        INCRBYFLOAT f 0x10
        INCRBYFLOAT f 10.
        INCRBYFLOAT f .5
        INCRBYFLOAT f +.5
        INCRBYFLOAT f -.5
        INCRBYFLOAT f 5e-324
        SET f 0
        INCRBYFLOAT f 5e-324
        SET f 0
        INCRBYFLOAT f 0.1
        INCRBYFLOAT f 0.2
        INCRBYFLOAT f 1.0000000000000001
        SET f 1.23456789012345678
        INCRBYFLOAT f 0
        SET f 9223372036854775807
        INCRBYFLOAT f 1
        INCRBYFLOAT f 1e20
        INCRBYFLOAT f -1e30
        SET f 1
        INCRBYFLOAT f -1
        SET f 3.0
        INCRBYFLOAT f 0
        SET f -0
        INCRBYFLOAT f 0
        SET f " 2"
        INCRBYFLOAT f 1
        SET f 2abc
        INCRBYFLOAT f 1
        SET f inf
        INCRBYFLOAT f 1
        INCRBYFLOAT list 1
        INCRBYFLOAT f
        INCRBYFLOAT f 1 2
        SET i 10
        INCRBYFLOAT i 1e-7
        SET i 10
        INCRBYFLOAT i 123456789.123456789
        INCRBYFLOAT i 1e17
    """)

    run_script(p, """
        # ---- SETRANGE / GETRANGE / SUBSTR
        DEL r list
        SETRANGE r 0 hello
        GET r
        SETRANGE r 6 world
        GET r
        STRLEN r
        SETRANGE r 0 J
        GET r
        SETRANGE r2 5 x
        GET r2
        SETRANGE r3 0 ""
        EXISTS r3
        SETRANGE r3 10 ""
        EXISTS r3
        SETRANGE r 100 ""
        STRLEN r
        SETRANGE r -1 x
        SETRANGE r abc x
    """)
    # The largest offset: sc-broker grows the string in place (calloc'd pages), redis-server
    # zero-fills 512 MB with memset, which takes seconds on a loaded machine.
    saved = (p.a.timeout, p.b.timeout)
    p.a.timeout = p.b.timeout = 60.0
    run_script(p, """
        SETRANGE r 536870911 x
        STRLEN r
        DEL r
    """)
    p.a.timeout, p.b.timeout = saved
    run_script(p, """
        SETRANGE r 536870912 x
        SETRANGE r 9223372036854775807 x
        SETRANGE r4 536870912 ""
        RPUSH list a
        SETRANGE list 0 x
        SETRANGE list 0 ""
        SETRANGE r 0
        SET num 1234
        SETRANGE num 1 9
        GET num
        SETRANGE num 0 ""
        SET g "Hello World"
        GETRANGE g 0 4
        GETRANGE g -5 -1
        GETRANGE g 0 -1
        GETRANGE g 0 100
        GETRANGE g 5 3
        GETRANGE g -100 -50
        GETRANGE g -100 2
        GETRANGE g 3 -100
        GETRANGE g 11 20
        GETRANGE g 10 10
        GETRANGE g -1 -1
        GETRANGE g 0 0
        GETRANGE g -0 -0
        GETRANGE g 9223372036854775807 9223372036854775807
        GETRANGE g -9223372036854775808 9223372036854775807
        GETRANGE g a 1
        GETRANGE g 1 b
        GETRANGE g 1
        GETRANGE nosuch 0 -1
        GETRANGE nosuch 5 3
        SET empty ""
        GETRANGE empty 0 -1
        GETRANGE empty 0 0
        GETRANGE empty -1 -1
        GETRANGE list 0 -1
        SET gn 12345
        GETRANGE gn 1 2
        SUBSTR g 0 4
        SUBSTR g -3 -1
        SUBSTR g 1
        SUBSTR nosuch 0 1
        # ---- SETNX / SETEX / PSETEX
        DEL s
        SETNX s a
        SETNX s b
        GET s
        SETNX list x
        SETNX s
        SETEX sx 100 v
        @type TTL sx
        GET sx
        SETEX sx 0 v
        SETEX sx -1 v
        SETEX sx abc v
        SETEX sx 1.5 v
        SETEX sx 9223372036854775807 v
        SETEX sx 100
        SETEX list 100 v
        TYPE list
        PSETEX px 100000 v
        @type PTTL px
        PSETEX px 0 v
        PSETEX px -1 v
        PSETEX px abc v
        PSETEX px 9223372036854775807 v
        PSETEX px 100 v extra
        # ---- wrong arity
        GET
        GET a b
        SETNX a
        SETEX a 1
        PSETEX a
        MGET
        APPEND a
        STRLEN
        DECR
        DECRBY a
        INCRBYFLOAT a
        SETRANGE a 1
        GETRANGE a 1
        SUBSTR a
        GETSET a b c
        GETEX
    """)

    lcs_ok = respdiff.implemented(p, "LCS", "a", "b")
    if lcs_ok:
        with respdiff.optional("LCS is optional"):
            run_script(p, """
        # ---- LCS
        MSET l1 ohmytext l2 mynewtext
        LCS l1 l2
        LCS l1 l2 LEN
        LCS l1 l2 IDX
        LCS l1 l2 IDX MINMATCHLEN 4
        LCS l1 l2 IDX MINMATCHLEN 4 WITHMATCHLEN
        LCS l1 l2 IDX WITHMATCHLEN
        LCS l1 l2 LEN IDX
        LCS l1 nosuch
        LCS nosuch nosuch2 LEN
        LCS l1 list
        LCS l1 l2 FOO
        LCS l1 l2 MINMATCHLEN
        LCS l1 l2 MINMATCHLEN -1
        LCS l1
        """)

    # numbers that are kept as integers: a value that reads back differently
    for v in ["0", "-1", "9223372036854775807", "-9223372036854775808", "123456789012345678901",
              "1e3", "  5", "007", "-00", "+0", "3.14"]:
        p.cmd("SET", "n", v)
        p.cmd("GET", "n")
        p.cmd("STRLEN", "n")
        p.cmd("APPEND", "n", "1")
        p.cmd("INCRBY", "n", "1")

    # binary values and large values
    blob = bytes(range(256)) * 64
    p.cmd("SET", "bin", blob, desc="SET bin <16 KB of every byte>")
    p.cmd("GET", "bin", desc="GET bin")
    p.cmd("GETRANGE", "bin", "250", "260")
    p.cmd("SETRANGE", "bin", "16380", b"\x00\xff\r\n", desc="SETRANGE bin past the end")
    p.cmd("GETRANGE", "bin", "16370", "-1")
    big = b"x" * (3 * 1024 * 1024)
    p.cmd("SET", "big", big, desc="SET big <3 MB>")
    p.cmd("STRLEN", "big")
    p.cmd("APPEND", "big", big, desc="APPEND big <3 MB>")
    p.cmd("STRLEN", "big")
    p.cmd("GETRANGE", "big", "-5", "-1")

    # many arguments: MSET of 100,000 pairs in one command, MGET of all of them
    n = 100000
    mset = ["MSET"] + [x for i in range(n) for x in ("many:%d" % i, "v%d" % (i * 7))]
    p.cmd(*mset, desc="MSET with %d key/value pairs" % n, timeout=30)
    digests = p.each(lambda c: hashlib.sha1(c.call("MGET", *["many:%d" % i for i in range(n)],
                                                   timeout=30).raw).hexdigest())
    check(digests[0] == digests[1], "MGET of %d keys: identical replies" % n, repr(digests))
    p.cmd("DEL", *["many:%d" % i for i in range(n)], desc="DEL of %d keys" % n, timeout=30)
    p.cmd("DBSIZE")

    # lazy expiry through the string commands
    p.cmd("SET", "short", "v", "PX", "30")
    p.cmd("SET", "short2", "v", "PX", "30")
    p.cmd("SET", "short3", "5", "PX", "30")
    time.sleep(0.12)
    run_script(p, """
        GET short
        APPEND short2 x
        GET short2
        TTL short2
        INCR short3
        TTL short3
    """)

    return lcs_ok


VALUES = ["0", "1", "-1", "10", "100", "-100", "9223372036854775807", "-9223372036854775808",
          "9223372036854775808", "2147483648", "1.5", "-0.5", "1e3", "3.0", "0x10", "abc", "",
          " 1", "1 ", "inf", "-inf", "nan", "+1", "007", "hello world", "x" * 50, "\x00\xff"]
KEYS = ["k0", "k1", "k2", "k3", "lst", "hsh", "nokey"]
EXP_OPTS = [("EX", "100"), ("PX", "100000"), ("EXAT", str(FAR)), ("PXAT", str(FAR * 1000 + 7)),
            ("EX", "0"), ("PX", "-1"), ("EXAT", "1"), ("EX", "abc"), ("KEEPTTL",), ("PERSIST",)]


def fuzz(p, n, seed):
    """Random string/key commands from a small grammar, replies byte-compared, except the TTL
    family, compared as integers with a tolerance. Deterministic for a seed."""
    rng = random.Random(seed)
    p.cmd("FLUSHALL")
    p.cmd("RPUSH", "lst", "a")
    p.cmd("HSET", "hsh", "f", "v")

    def k():
        return rng.choice(KEYS)

    def v():
        return rng.choice(VALUES) if rng.random() < 0.8 else str(rng.randint(-1000, 1000))

    def num():
        return rng.choice(["0", "1", "-1", "5", "-5", "100", "abc", "1.5", "9223372036854775807",
                           "-9223372036854775808", str(rng.randint(-50, 50))])

    def opts(pool, maxn=3):
        out = []
        for _ in range(rng.randint(0, maxn)):
            out.extend(rng.choice(pool))
        return out

    counter = [0]

    def rel_expire():
        # relative times unique per call, 10 s apart: GT/LT against another relative time
        # never depends on how many milliseconds passed between the two commands
        counter[0] += 1
        secs = 100000 + rng.choice([1, -1]) * counter[0] * 10
        cmd = rng.choice(["EXPIRE", "PEXPIRE"])
        val = rng.choice([str(secs if cmd == "EXPIRE" else secs * 1000)] * 3 + ["0", "-1", "abc"])
        return [cmd, k(), val]

    gens = [
        lambda: ["SET", k(), v()] + opts(EXP_OPTS[:9] + [("NX",), ("XX",), ("GET",)]),
        lambda: ["GET", k()],
        lambda: ["GETEX", k()] + opts(EXP_OPTS, 2),
        lambda: ["GETDEL", k()],
        lambda: ["GETSET", k(), v()],
        lambda: ["MGET"] + [k() for _ in range(rng.randint(1, 4))],
        lambda: ["MSET"] + [x for _ in range(rng.randint(1, 3)) for x in (k(), v())],
        lambda: ["MSETNX"] + [x for _ in range(rng.randint(1, 3)) for x in (k(), v())],
        lambda: ["APPEND", k(), v()],
        lambda: ["STRLEN", k()],
        lambda: [rng.choice(["INCR", "DECR"]), k()],
        lambda: [rng.choice(["INCRBY", "DECRBY"]), k(), num()],
        lambda: ["INCRBYFLOAT", k(), rng.choice(["1.5", "-2", "1e2", "abc", "inf", "0.1", num()])],
        lambda: ["SETRANGE", k(), str(rng.randint(-1, 60)), v()],
        lambda: ["GETRANGE", k(), num(), num()],
        lambda: ["SETNX", k(), v()],
        # no TTL short enough to run out during the fuzz: DBSIZE would depend on timing
        lambda: ["SETEX", k(), rng.choice(["100000", "0", "-1", "abc", "1.5", "-5"]), v()],
        lambda: ["PSETEX", k(), rng.choice(["100000000", "0", "-1", "abc", "500000"]), v()],
        lambda: ["DEL"] + [k() for _ in range(rng.randint(1, 3))],
        lambda: ["EXISTS"] + [k() for _ in range(rng.randint(1, 3))],
        lambda: ["TYPE", k()],
        lambda: [rng.choice(["RENAME", "RENAMENX"]), k(), k()],
        lambda: ["COPY", k(), k()] + (["REPLACE"] if rng.random() < 0.5 else []),
        lambda: rel_expire() + rng.choice([[], [], ["NX"], ["XX"], ["GT"], ["LT"], ["NX", "XX"],
                                           ["FOO"]]),
        lambda: [rng.choice(["EXPIREAT", "PEXPIREAT"]), k(),
                 rng.choice([str(FAR), str(FAR * 1000), "1", "abc", str(FAR + 5)])]
                + rng.choice([[], ["NX"], ["XX"], ["GT"], ["LT"], ["GT", "LT"]]),
        lambda: ["PERSIST", k()],
        lambda: [rng.choice(["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"]), k()],
        lambda: ["TOUCH", k(), k()],
        lambda: ["DBSIZE"],
        lambda: ["SELECT", rng.choice(["0", "0", "1", "2", "16", "-1", "x"])],
        lambda: ["MOVE", k(), rng.choice(["0", "1", "2", "16", "x"])],
        lambda: ["COPY", k(), k(), "DB", rng.choice(["0", "1", "2", "16"])]
                + (["REPLACE"] if rng.random() < 0.5 else []),
        lambda: ["KEYS", rng.choice(["*", "k?", "k[0-1]", "*s*", "nokey"])],
        lambda: ["FLUSHDB"] if rng.random() < 0.1 else ["EXISTS", k()],
        lambda: ["SETRANGE", k(), rng.choice(["0", "3", "100", "1000", "536870912",
                                              "9223372036854775807", "-1"]),
                 rng.choice(["", "x", "yz"])],
        lambda: ["GETRANGE", k(), rng.choice(["0", "-1", "-100", "9223372036854775807",
                                              "-9223372036854775808"]),
                 rng.choice(["0", "-1", "-100", "9223372036854775807", "-9223372036854775808"])],
        lambda: ["OBJECT", "ENCODING", k()],  # optional: compared by reply type only
    ]
    tolerance = {"TTL": 1, "PTTL": 100, "EXPIRETIME": 1, "PEXPIRETIME": 100}
    mismatches = 0
    for i in range(n):
        args = rng.choice(gens)()
        if rng.random() < 0.03:  # wrong arity now and then
            args = args[:-1] if len(args) > 1 and rng.random() < 0.5 else args + ["extra"]
        tol = tolerance.get(args[0])
        p._send_both(respdiff.encode(*args))
        (ra,), (rb,) = p._read_both(1)
        if not (isinstance(ra, respdiff.Reply) and isinstance(rb, respdiff.Reply)):
            respdiff.fail("fuzz #%d (seed %d): %s" % (i, seed, respdiff._desc(args)),
                          "sc-broker: %r\nredis:     %r" % (ra, rb))
            break
        same = ra.raw == rb.raw
        if not same and args[0] == "KEYS" and ra.raw[:1] == rb.raw[:1] == b"*":
            same = sorted(respdiff.elements(ra.raw)) == sorted(respdiff.elements(rb.raw))
        if not same and args[0] == "OBJECT" and args[1] in ("ENCODING", "IDLETIME"):
            same = ra.raw[:1] == rb.raw[:1]  # encodings are optional, idle time is timing
        if not same and tol and isinstance(ra.value, int) and isinstance(rb.value, int):
            same = abs(ra.value - rb.value) <= tol and (ra.value < 0) == (rb.value < 0)
        if not same:
            mismatches += 1
            respdiff.fail("fuzz #%d (seed %d): %s" % (i, seed, respdiff._desc(args)),
                          "sc-broker: %s\nredis:     %s" % (respdiff.show(ra.raw),
                                                            respdiff.show(rb.raw)))
            # resynchronise the two keyspaces so one divergence is reported once
            p.a.call("FLUSHALL")
            p.b.call("FLUSHALL")
            p.a.call("SELECT", "0")
            p.b.call("SELECT", "0")
            p.a.call("RPUSH", "lst", "a")
            p.b.call("RPUSH", "lst", "a")
            p.a.call("HSET", "hsh", "f", "v")
            p.b.call("HSET", "hsh", "f", "v")
            if mismatches >= 25:
                break
    check(mismatches == 0, "fuzz: %d random string/key commands, seed %d, %d mismatches"
          % (n, seed, mismatches))
    # the final keyspaces are equal
    p.cmd("SELECT", "0")
    for key in KEYS:
        p.cmd("TYPE", key, desc="fuzz end: TYPE %s" % key)
        if key not in ("lst", "hsh"):
            p.cmd("GET", key, desc="fuzz end: GET %s" % key)


def main():
    p = Pair()
    lcs_ok = suite(p)
    # RESP3: the same commands (nulls become '_')
    r3 = p.connect(resp3=True)
    run_script(r3, """
        SET r3k v
        GET r3k
        GET r3missing
        SET r3k v2 GET
        SET r3missing2 v NX GET
        SET r3k v XX NX
        MGET r3k r3missing
        GETDEL r3missing
        GETEX r3missing
        INCRBYFLOAT r3f 1.5
        INCR r3i
        GETRANGE r3k 0 -1
        SETRANGE r3k 0 x
        APPEND r3k y
        GETSET r3nothere v
    """)
    if lcs_ok:
        with respdiff.optional("LCS is optional"):
            run_script(r3, """
            LCS r3k r3k IDX WITHMATCHLEN
            LCS r3k r3k LEN
        """)
    # the whole suite again over RESP3
    suite(r3)
    # fixed seed by default so a run is repeatable; FUZZ_SEED=N or FUZZ_SEED=random to explore
    env = os.environ.get("FUZZ_SEED", "1")
    seed = int(time.time()) % 100000 if env == "random" else int(env)
    print("# fuzz seed %d (FUZZ_SEED=%d repeats this run)" % (seed, seed))
    fuzz(r3, 1500, seed + 1)
    r3.close()
    fuzz(p, 4000, seed)

    respdiff.finish()


if __name__ == "__main__":
    main()
