#!/usr/bin/env python3
"""Differential test of the keyspace commands: sc-broker vs redis-server, raw reply bytes.

DEL UNLINK EXISTS TYPE KEYS SCAN RENAME RENAMENX COPY DBSIZE FLUSHDB FLUSHALL RANDOMKEY TOUCH,
the EXPIRE family with NX/XX/GT/LT, TTL PTTL EXPIRETIME PEXPIRETIME PERSIST, lazy and active
expiry, SELECT, MOVE and OBJECT ENCODING (optional). Plus a property checked on sc-broker only:
a SCAN running while 20,000 keys are added and removed returns every key present throughout.
"""
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import respdiff  # noqa: E402
from respdiff import Pair, check, encode, run_script  # noqa: E402

FAR = 4102444800  # 2100-01-01


def scan_all(conn, *opts, limit=100000):
    """Full SCAN iteration; returns (sorted keys, error reply or None)."""
    cursor = b"0"
    seen = []
    for _ in range(limit):
        r = conn("SCAN", cursor, *opts)
        if not isinstance(r, list):
            return None, r
        cursor, keys = r[0], r[1]
        seen.extend(keys)
        if cursor == b"0":
            return sorted(set(seen)), None
    return None, "SCAN did not finish"


def basic(p):
    run_script(p, """
        FLUSHALL
        DBSIZE
        # ---- DEL / UNLINK / EXISTS / TYPE
        MSET a 1 b 2 c 3
        DEL a
        DEL a
        DEL b c d
        MSET a 1 b 2 c 3
        UNLINK a b x
        UNLINK c
        DEL
        UNLINK
        MSET a 1 b 2
        EXISTS a
        EXISTS a b nope a
        EXISTS nope
        EXISTS
        RPUSH l x
        SADD s x
        HSET h f v
        TYPE a
        TYPE l
        TYPE s
        TYPE h
        TYPE nope
        TYPE
        TYPE a b
        DEL l s h
        DBSIZE
        DBSIZE x
        # ---- TOUCH
        TOUCH a b nope
        TOUCH nope
        TOUCH
        # ---- RENAME / RENAMENX
        SET src v
        RENAME src dst
        GET dst
        EXISTS src
        RENAME src dst
        RENAME dst dst
        RENAME nope nope
        SET other o
        RENAME dst other
        GET other
        SET x 1
        RENAMENX x other
        RENAMENX x y
        RENAMENX x y
        RENAMENX y y
        RENAMENX nope z
        SET e v EX 100
        RENAME e e2
        @type TTL e2
        SET e3 v
        RENAME e3 e2
        TTL e2
        RPUSH lst a b
        RENAME lst lst2
        LRANGE lst2 0 -1
        RENAME a
        RENAMENX a
        # ---- COPY
        FLUSHALL
        SET c1 v EXAT %(far)d
        COPY c1 c2
        GET c2
        EXPIRETIME c2
        COPY c1 c2
        COPY c1 c2 REPLACE
        COPY c1 c1
        COPY c1 c1 REPLACE
        COPY nope c3
        COPY c1 c3 DB 1
        SELECT 1
        GET c3
        EXPIRETIME c3
        SELECT 0
        COPY c1 c3 DB 1
        COPY c1 c3 DB 1 REPLACE
        COPY c1 c3 DB 16
        COPY c1 c3 DB -1
        COPY c1 c3 DB abc
        COPY c1 c3 DB
        COPY c1 c3 FOO
        COPY c1 c3 REPLACE REPLACE
        COPY c1 c3 db 2 replace
        COPY c1
        RPUSH cl a b c
        COPY cl cl2
        LRANGE cl2 0 -1
        HSET ch f v g w
        COPY ch ch2
        HGETALL ch2
        SADD cs a
        COPY cs cs2
        SMEMBERS cs2
        # ---- DBSIZE / FLUSHDB / FLUSHALL across databases
        DBSIZE
        SELECT 1
        DBSIZE
        FLUSHDB
        DBSIZE
        SELECT 0
        DBSIZE
        FLUSHDB ASYNC
        FLUSHDB SYNC
        FLUSHDB FOO
        FLUSHDB SYNC ASYNC
        FLUSHALL ASYNC
        FLUSHALL SYNC
        FLUSHALL FOO
        SET a 1
        SELECT 2
        SET b 2
        FLUSHALL
        DBSIZE
        SELECT 0
        DBSIZE
        # ---- SELECT
        SELECT 15
        SELECT 16
        SELECT -1
        SELECT abc
        SELECT 1.0
        SELECT 0x1
        SELECT " 1"
        SELECT 9223372036854775808
        SELECT
        SELECT 0 1
        SELECT 0
        # ---- RANDOMKEY
        FLUSHALL
        RANDOMKEY
        SET only v
        RANDOMKEY
        RANDOMKEY x
    """ % {"far": FAR})

    for db in range(16):
        p.cmd("SELECT", db)
        p.cmd("SET", "dbkey", "in-%d" % db)
    for db in range(16):
        p.cmd("SELECT", db)
        p.cmd("GET", "dbkey")
        p.cmd("DBSIZE")
    p.cmd("SELECT", 0)
    p.cmd("MSET", *[x for i in range(20) for x in ("r%d" % i, i)])
    for _ in range(5):
        p.cmd_shape("RANDOMKEY", check=lambda v: isinstance(v, bytes) and len(v) > 0)

    # KEYS with glob patterns
    names = ["hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo", "h?llo", "h[a]llo",
             "h\\llo", "a", "b", "c", "d", "abc", "abd", "a-b", "foo:1", "foo:2", "foo:bar:3",
             "", " ", "x\x00y", "\xff", "Hello", "HELLO", "[", "]", "-", "\\", "*", "?"]
    p.cmd("FLUSHALL")
    for n in names:
        p.cmd("SET", n, "v")
    patterns = ["*", "h?llo", "h*llo", "h[ae]llo", "h[^e]llo", "h[!e]llo", "h[a-b]llo",
                "[a-c]", "[c-a]", "[a-c]*", "h\\*llo", "h\\?llo", "h\\[a\\]llo", "h\\\\llo",
                "foo:*", "foo:?", "foo:*:*", "*:*", "?", "??", "", " ", "x*", "*\xff",
                "[[]", "[]]", "[\\]]", "[-]", "[a-]", "\\", "*\\", "[", "[abc", "h[a-",
                "H*", "*LLO", "*[lL]lo", "****", "*?*", "a*b*c", "[^a]", "[^]", "[!a-c]",
                "h[a-z", "h*[", "\\*", "\\?", "*\\*"]
    for pat in patterns:
        p.cmd_sorted("KEYS", pat)
    p.cmd("KEYS")
    p.cmd("KEYS", "a", "b")

    # SCAN: full iterations compared as sets (cursor values are implementation details)
    p.cmd("FLUSHALL")
    for i in range(300):
        p.a.send("SET", "key:%d" % i, i)
        p.b.send("SET", "key:%d" % i, i)
    for i in range(50):
        for c in (p.a, p.b):
            c.send("RPUSH", "list:%d" % i, "x")
            c.send("SADD", "set:%d" % i, "x")
            c.send("HSET", "hash:%d" % i, "f", "v")
    for c in (p.a, p.b):
        for _ in range(300 + 150):
            c.read()
    p.cmd("DBSIZE")
    for opts in [(), ("COUNT", "1"), ("COUNT", "7"), ("COUNT", "1000"), ("MATCH", "key:1*"),
                 ("MATCH", "*:4?"), ("MATCH", "nomatch*"), ("TYPE", "string"), ("TYPE", "list"),
                 ("TYPE", "set"), ("TYPE", "hash"), ("TYPE", "zset"), ("TYPE", "nosuchtype"),
                 ("MATCH", "list:1*", "TYPE", "list", "COUNT", "3"), ("type", "HASH"),
                 ("match", "set:?", "count", "2")]:
        p.both(lambda c: scan_all(c, *opts), "SCAN full iteration %s" % " ".join(opts))
    run_script(p, """
        SCAN abc
        @type SCAN -1
        SCAN 1.5
        SCAN 0 COUNT 0
        SCAN 0 COUNT -1
        SCAN 0 COUNT abc
        SCAN 0 MATCH
        SCAN 0 COUNT
        SCAN 0 TYPE
        SCAN 0 FOO bar
        SCAN 0 FOO
        SCAN
        @type SCAN 18446744073709551615
        @type SCAN 0 COUNT 2
        SCAN 18446744073709551616
    """)
    p.cmd("FLUSHALL")
    p.cmd("SCAN", "0")
    p.cmd("SCAN", "0", "MATCH", "*", "COUNT", "100")
    # ---- SWAPDB, OBJECT REFCOUNT, the encoding of a string written in place
    run_script(p, """
        SELECT 0
        SET a0 zero
        SET t0 ttl EX 1000
        SELECT 1
        SET a1 one
        SWAPDB 0 1
        GET a0
        GET a1
        TTL t0
        DBSIZE
        SELECT 0
        GET a1
        DBSIZE
        SWAPDB 0 0
        SWAPDB 1 0
        GET a0
        SWAPDB 0 16
        SWAPDB -1 0
        SWAPDB x 0
        SWAPDB 0 x
        SWAPDB 0 2147483648
        SWAPDB 0
        FLUSHALL
        SET n 123
        OBJECT REFCOUNT n
        SET n 10000
        OBJECT REFCOUNT n
        SET n -1
        OBJECT REFCOUNT n
        SET s hello
        OBJECT REFCOUNT s
        HSET h f v
        OBJECT REFCOUNT h
        OBJECT REFCOUNT nosuch
        OBJECT REFCOUNT
        OBJECT REFCOUNT a b
        SET n 1234
        OBJECT ENCODING n
        SETRANGE n 0 ""
        OBJECT ENCODING n
        SETRANGE n 1 9
        OBJECT ENCODING n
        GET n
        SET s short
        OBJECT ENCODING s
        APPEND s er
        OBJECT ENCODING s
        SET s2 12
        APPEND s2 3
        OBJECT ENCODING s2
        SETRANGE fresh 3 abc
        OBJECT ENCODING fresh
        GET fresh
    """)


def expire(p):
    run_script(p, """
        FLUSHALL
        # ---- TTL / PTTL / EXPIRETIME of missing keys and keys without TTL
        TTL nope
        PTTL nope
        EXPIRETIME nope
        PEXPIRETIME nope
        SET k v
        TTL k
        PTTL k
        EXPIRETIME k
        PEXPIRETIME k
        PERSIST k
        PERSIST nope
        TTL
        PTTL a b
        EXPIRETIME
        PERSIST
        # ---- EXPIRE and friends
        EXPIRE k 100
        @type TTL k
        EXPIREAT k %(far)d
        EXPIRETIME k
        PEXPIRETIME k
        PEXPIREAT k %(farms)d
        PEXPIRETIME k
        EXPIRETIME k
        PEXPIRE k 100000
        @type PTTL k
        PERSIST k
        TTL k
        PERSIST k
        EXPIRE nope 100
        PEXPIRE nope 100
        EXPIREAT nope %(far)d
        PEXPIREAT nope %(farms)d
        # ---- NX / XX / GT / LT
        SET k v
        EXPIREAT k %(far)d XX
        TTL k
        EXPIREAT k %(far)d NX
        EXPIRETIME k
        EXPIREAT k %(far)d NX
        EXPIREAT k %(far1)d XX
        EXPIRETIME k
        EXPIREAT k %(far)d GT
        EXPIREAT k %(far2)d GT
        EXPIRETIME k
        EXPIREAT k %(far)d LT
        EXPIRETIME k
        EXPIREAT k %(far2)d LT
        EXPIRETIME k
        PERSIST k
        EXPIREAT k %(far)d GT
        TTL k
        EXPIREAT k %(far)d LT
        EXPIRETIME k
        PEXPIREAT k %(farms)d NX
        PEXPIREAT k %(farms)d XX
        PEXPIREAT k %(farms1)d GT
        PEXPIREAT k %(farms)d GT
        PEXPIREAT k %(farms)d LT
        PEXPIRETIME k
        PEXPIREAT k %(farms)d lt
        EXPIRE k 100 gt
        EXPIRE k 100 Lt
        EXPIRE k 100 nx
        EXPIRE k 100 xx
        PEXPIRE k 50000 GT
        PEXPIRE k 200000 GT
        PEXPIRE k 100000 NX
        # ---- invalid combinations
        EXPIRE k 100 NX XX
        EXPIRE k 100 GT LT
        EXPIRE k 100 NX GT
        EXPIRE k 100 NX LT
        EXPIRE k 100 XX GT
        EXPIRE k 100 XX LT
        EXPIRE k 300 GT GT
        EXPIRE k 100 FOO
        EXPIRE k 100 NX FOO
        PEXPIRE k 100 LT GT
        EXPIREAT k 100 NX XX
        PEXPIREAT k 100 XX NX
        EXPIRE nope 100 NX XX
        EXPIRE k abc
        EXPIRE k 1.5
        EXPIRE k ""
        PEXPIRE k abc
        EXPIREAT k abc
        PEXPIREAT k abc
        EXPIRE k 9223372036854775807
        EXPIRE k 9223372036854775
        EXPIRE k 92233720368547758
        PEXPIRE k 9223372036854775807
        EXPIREAT k 9223372036854775807
        PEXPIREAT k 9223372036854775807
        EXPIRE k -9223372036854775808
        PEXPIRE k -9223372036854775808
        EXPIRE k 9223372036854775808
        EXPIRE k
        EXPIRE
        PEXPIRE k
        EXPIREAT k
        # ---- non-positive TTLs delete
        SET d v
        EXPIRE d 0
        EXISTS d
        SET d v
        EXPIRE d -1
        EXISTS d
        SET d v
        PEXPIRE d -100
        GET d
        SET d v
        EXPIREAT d 1
        EXISTS d
        SET d v
        PEXPIREAT d 0
        EXISTS d
        SET d v EX 100
        EXPIRE d -1 GT
        EXISTS d
        EXPIRE d -1 LT
        EXISTS d
        SET d v
        EXPIRE d 0 XX
        EXISTS d
        EXPIRE d 0 NX
        EXISTS d
        SET d v
        EXPIRE d 0 GT
        EXISTS d
        EXPIRE d 0 LT
        EXISTS d
        # ---- SET / GETSET / RENAME clear or keep the TTL
        SET t v EX 100
        SET t w
        TTL t
        SET t v EX 100
        GETSET t w
        TTL t
        SET t v EX 100
        APPEND t x
        @type TTL t
        INCR t
        SET t 1 EX 100
        INCR t
        @type TTL t
        SETRANGE t 0 9
        @type TTL t
        PERSIST t
        TTL t
    """ % {"far": FAR, "far1": FAR + 1, "far2": FAR - 1000, "farms": FAR * 1000 + 123,
           "farms1": FAR * 1000 + 124})

    # lazy expiry: every read path sees the key as gone
    p.cmd("FLUSHALL")
    for i in range(10):
        p.cmd("SET", "lz%d" % i, "v", "PX", "40")
    p.cmd("RPUSH", "lzl", "a")
    p.cmd("PEXPIRE", "lzl", "40")
    time.sleep(0.15)
    run_script(p, """
        GET lz0
        EXISTS lz1
        TTL lz2
        PTTL lz3
        TYPE lz4
        STRLEN lz5
        RENAME lz6 x
        COPY lz7 y
        DEL lz8
        TOUCH lz9
        LLEN lzl
        EXPIRETIME lz0
        PERSIST lz1
        EXPIRE lz2 100
        @sorted KEYS *
    """)

    # active expiry: 1000 keys with PX 50; DBSIZE drops to 0 without any access to them
    p.cmd("FLUSHALL")
    for c in (p.a, p.b):
        c.send_raw(b"".join(encode("SET", "ax:%d" % i, "v", "PX", "50") for i in range(1000)))
        for _ in range(1000):
            c.read()
    p.cmd("DBSIZE", desc="DBSIZE right after 1000 SET PX 50")
    # and in another database, mixed with keys that stay
    for c in (p.a, p.b):
        c.send_raw(encode("SELECT", "5") + b"".join(
            encode("SET", "ax5:%d" % i, "v", "PX", "50") for i in range(500)) +
            encode("SET", "stays", "v") + encode("SET", "stays2", "v", "EX", "1000") +
            encode("SELECT", "0"))
        for _ in range(504):
            c.read()

    def drained_to(n):
        def fn(conn):
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and conn("DBSIZE") != n:
                time.sleep(0.1)
            return conn("DBSIZE")
        return fn

    def drained(conn):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if conn("DBSIZE") == 0:
                return True
            time.sleep(0.1)
        return conn("DBSIZE")
    p.both(drained, "active expiry: DBSIZE reaches 0 within 5 s without access")
    p.cmd("SELECT", "5")
    p.both(drained_to(2), "active expiry in db 5: only the 2 keys without a short TTL remain")
    p.cmd("SELECT", "0")
    p.both(lambda c: re.sub(rb"avg_ttl=\d+", b"avg_ttl=N", bytes(c("INFO", "keyspace"))),
           "INFO keyspace after the expiry (avg_ttl masked)")


def read_until_marker(conn, marker, limit=200):
    """Reads pub/sub messages until the marker message; returns the raw messages before it."""
    out = []
    for _ in range(limit):
        r = conn.read(timeout=3)
        if marker in r.raw:
            return out
        out.append(r.raw)
    return out


def notifications(p, resp3=False):
    """Keyspace events (set on both sides: sc-broker's default is Ex, Redis's is empty); with
    resp3 the subscriber receives them as RESP3 pushes."""
    sub = p.connect(resp3=resp3)
    sub.cmd("PSUBSCRIBE", "__key*__:*")
    sub.cmd("SUBSCRIBE", "marker")
    n = [0]

    def run(text, flags):
        p.cmd("CONFIG", "SET", "notify-keyspace-events", flags)
        for line in text.strip().splitlines():
            args = respdiff.split_args(line.strip())
            p.cmd(*args)
            n[0] += 1
            marker = b"mark-%d" % n[0]
            p.cmd("PUBLISH", "marker", marker, desc="PUBLISH marker (after %s)" % line.strip())
            ea, eb = sub.each(lambda c: read_until_marker(c, marker))
            check(ea == eb, "events of %s [notify %s]: %d messages" % (line.strip(), flags,
                                                                         len(eb)),
                  "sc-broker: %r\nredis:     %r" % (ea, eb))

    run("""
        FLUSHALL
        SET k v
        SET k v2 EX 100
        SET k v3 KEEPTTL
        SET k v4 NX
        SET k v5 XX GET
        SETNX k2 v
        SETEX k3 100 v
        PSETEX k4 100000 v
        GETSET k v6
        GETDEL k
        GETDEL k
        MSET a 1 b 2
        MSETNX c 1 d 2
        APPEND a x
        SETRANGE b 3 zz
        SETRANGE b 0 ""
        INCR n
        DECR n
        INCRBY n 5
        DECRBY n 5
        INCRBYFLOAT n 1.5
        GETEX a EX 100
        GETEX a PERSIST
        GETEX a PERSIST
        GETEX a
        EXPIRE a 100
        PEXPIRE a 100000
        EXPIREAT a 4102444800
        PERSIST a
        EXPIRE a 100 XX
        EXPIRE a -1
        EXPIRE nosuch 100
        DEL b c nosuch
        UNLINK d
        SET r v
        RENAME r r2
        RENAMENX r2 r3
        COPY r3 r4
        COPY r3 r4 REPLACE
        COPY r3 r5 DB 1
        SET t v EX 100
        TOUCH t
        SET big x
        INCR big
        FLUSHDB
    """, "KEA")
    run("""
        SET k v
        DEL k
        SET k v EX 100
        EXPIRE k 0
        INCR k
        RENAME k k2
    """, "Kg$")
    run("""
        SET k v
        DEL k
        SET k v EX 100
        PEXPIRE k -5
    """, "Eg")
    # SET with an expiry in the past: Redis 7.0 sends set+expire and removes the key on the
    # next access ("expired"); the stream up to that access must be the same
    p.cmd("CONFIG", "SET", "notify-keyspace-events", "KEA")
    p.cmd("SET", "e", "v", "EXAT", "1")
    p.cmd("GET", "e")
    p.cmd("PUBLISH", "marker", "mark-past")
    ea, eb = sub.each(lambda c: read_until_marker(c, b"mark-past"))
    check(ea == eb, "events of SET e v EXAT 1 + GET e: %d messages" % len(eb),
          "sc-broker: %r\nredis:     %r" % (ea, eb))
    # expired events from the active cycle and from lazy access
    p.cmd("CONFIG", "SET", "notify-keyspace-events", "KEx")
    p.cmd("SET", "ex1", "v", "PX", "30")
    time.sleep(0.6)
    p.cmd("PUBLISH", "marker", "mark-active")
    ea, eb = sub.each(lambda c: read_until_marker(c, b"mark-active"))
    check(ea == eb and len(eb) == 2, "expired events from the active expiry cycle",
          "sc-broker: %r\nredis:     %r" % (ea, eb))
    sub.close()
    p.cmd("CONFIG", "SET", "notify-keyspace-events", "")


def rare(p):
    with respdiff.optional("MOVE is optional"):
        run_script(p, """
            FLUSHALL
            SET mv v
            MOVE mv 1
            EXISTS mv
            MOVE mv 1
            SET mv v2
            MOVE mv 1
            SELECT 1
            GET mv
            MOVE mv 0
            SELECT 0
            MOVE mv 0
            MOVE mv 16
            MOVE mv abc
            MOVE nope 1
            MOVE mv
        """)
    with respdiff.optional("OBJECT ENCODING is optional"):
        run_script(p, """
            SET oe 12345
            OBJECT ENCODING oe
            SET oe hello
            OBJECT ENCODING oe
            SET oe "a longer string that is more than forty four bytes long!!"
            OBJECT ENCODING oe
            SET oe 12345
            APPEND oe 6
            OBJECT ENCODING oe
            RPUSH ol a
            OBJECT ENCODING ol
            SADD os 1 2 3
            OBJECT ENCODING os
            SADD os2 a b
            OBJECT ENCODING os2
            HSET oh f v
            OBJECT ENCODING oh
            OBJECT ENCODING nope
            OBJECT FOO oe
        """)


def pathological(p):
    """Glob patterns that make a naive backtracking matcher exponential; run last because a
    server that hangs here ends the run (Redis 7.0 answers at once)."""
    p.cmd("SELECT", "0")
    # pathological patterns: exponential backtracking must not hang the server
    p.cmd("SET", "a" * 60, "v")
    p.cmd("SET", "x" * 5000, "v")
    for pat in ["a*" * 30 + "b", "*a" * 40 + "*b", "*" * 3000 + "b", "[" * 500 + "a",
                "?" * 61, "*?" * 100, "x*" * 1500 + "y"]:
        t0 = time.monotonic()
        p.cmd_sorted("KEYS", pat, desc="KEYS <pathological %d-byte pattern %r...>"
                     % (len(pat), pat[:12]), timeout=20)
        check(time.monotonic() - t0 < 5, "pathological KEYS pattern answered within 5 s "
              "(%.2fs)" % (time.monotonic() - t0))
    p.cmd_sorted("SCAN", "0", "MATCH", "a*" * 30 + "b", "COUNT", "1000")


def scan_property(broker):
    """While another connection adds and removes 20,000 keys, a full SCAN returns every key
    that was present throughout (sc-broker only; a property, not a comparison)."""
    c = broker.conn(timeout=10)
    c("FLUSHALL")
    stable = ["stable:%d" % i for i in range(2000)]
    c.send_raw(b"".join(encode("SET", k, "v") for k in stable))
    for _ in stable:
        c.read()
    stop = threading.Event()
    churned = [0]
    errors = []

    def churn():
        w = broker.conn(timeout=10)
        try:
            i = 0
            deadline = time.monotonic() + 60
            while i < 20000 and time.monotonic() < deadline and not stop.is_set():
                batch = range(i, min(i + 500, 20000))
                w.send_raw(b"".join(encode("SET", "churn:%d" % j, "v") for j in batch))
                for _ in batch:
                    w.read()
                # remove the older half of what was added so the table grows and shrinks
                old = range(max(0, i - 1000), max(0, i - 500))
                if len(old):
                    w.send_raw(b"".join(encode("DEL", "churn:%d" % j) for j in old))
                    for _ in old:
                        w.read()
                i += 500
                churned[0] = i
            w.send_raw(b"".join(encode("DEL", "churn:%d" % j) for j in range(max(0, i - 1000),
                                                                                i)))
            for _ in range(max(0, i - 1000), i):
                w.read()
        except Exception as e:  # reported below
            errors.append(repr(e))
        finally:
            w.close()

    t = threading.Thread(target=churn)
    t.start()
    rounds = 0
    missing_total = set()
    deadline = time.monotonic() + 60
    while t.is_alive() and time.monotonic() < deadline or rounds == 0:
        cursor = b"0"
        seen = set()
        for _ in range(200000):
            r = c("SCAN", cursor, "COUNT", "37")
            cursor = r[0]
            seen.update(r[1])
            if cursor == b"0":
                break
        missing_total |= set(k.encode() for k in stable) - seen
        rounds += 1
        if rounds >= 50:
            break
    stop.set()
    t.join(30)
    check(not errors, "SCAN property: churn connection had no errors", "\n".join(errors))
    check(not missing_total,
          "SCAN property: %d full SCANs during %d churned keys returned all 2000 stable keys"
          % (rounds, churned[0]),
          "missing %d keys, e.g. %r" % (len(missing_total), sorted(missing_total)[:10]))
    final = c("DBSIZE")
    check(final == 2000, "SCAN property: DBSIZE is 2000 after the churn", "DBSIZE=%r" % final)
    c("FLUSHALL")
    c.close()


def main():
    p = Pair()
    basic(p)
    expire(p)
    notifications(p)
    notifications(p, resp3=True)
    rare(p)
    # the basic and expiry checks again over RESP3
    r3 = p.connect(resp3=True)
    basic(r3)
    expire(r3)
    r3.close()
    scan_property(p.broker)
    pathological(p)
    respdiff.finish()


if __name__ == "__main__":
    main()
