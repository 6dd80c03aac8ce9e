#!/usr/bin/env python3
"""Differential test of sc-broker's hash commands against redis-server 7.0.

Starts sc-broker ($SC_BIN/sc-broker) and redis-server on free loopback ports, sends the same
commands to both and compares the raw reply bytes (RESP2 and RESP3).  Where Redis's order is
not deterministic (hashtable-encoded hashes) replies are compared after sorting, and random
commands (HRANDFIELD) are compared by shape.  Also checks HSCAN full iterations, encoding
thresholds, keyspace notifications and WATCH invalidation.

Servers, the typed raw client and Pair (which keep parsed replies for the structural checks,
shared with broker_set.py) and the reporting are tests/support/respdiff.py's.
"""
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from respdiff import (TypedConn as Conn, TypedPair as Pair, flat_pairs,  # noqa: E402
                      run_sections, scan_all)  # servers, reporting, the typed raw pair


# ---------------------------------------------------------------------------------------------

def test_basics(p):
    p.same("DEL", "h")
    p.same("HSET", "h", "name", "ann", "cart", '{"a":1}', "lastSeen", "1700000000000",
           "theme", "dark")
    p.same("HGETALL", "h")
    p.same("HSET", "h", "name", "bob", "n", "-5", "z", "")
    p.same("HGETALL", "h")
    p.same("HKEYS", "h")
    p.same("HVALS", "h")
    p.same("HLEN", "h")
    for f in ("name", "lastSeen", "n", "z", "nope"):
        p.same("HGET", "h", f)
        p.same("HSTRLEN", "h", f)
        p.same("HEXISTS", "h", f)
    p.same("HMGET", "h", "name", "nope", "lastSeen", "n")
    p.same("HMGET", "nokey", "a", "b")
    p.same("HSETNX", "h", "name", "x")
    p.same("HSETNX", "h", "new", "x")
    p.same("HSETNX", "h2", "f", "v")
    p.same("HMSET", "h", "a", "1", "b", "2")
    p.same("HGETALL", "h")
    p.same("HDEL", "h", "a", "nope", "b", "a")
    p.same("HGETALL", "h")
    p.same("HDEL", "nokey", "a")
    p.same("HLEN", "nokey")
    p.same("HGETALL", "nokey")
    p.same("HKEYS", "nokey")
    p.same("HVALS", "nokey")
    p.same("HGET", "nokey", "a")
    p.same("HSTRLEN", "nokey", "a")
    p.same("HEXISTS", "nokey", "a")
    # Integers that are and are not canonical keep their exact bytes.
    vals = ["0", "-0", "007", "+1", "1 ", "9223372036854775807", "-9223372036854775808",
            "9223372036854775808", "-1", "18446744073709551615", "1e3", "12345678901234567890"]
    for i, v in enumerate(vals):
        p.same("HSET", "ints", v, v)
    p.same("HGETALL", "ints")
    for v in vals:
        p.same("HGET", "ints", v)
        p.same("HSTRLEN", "ints", v)
    p.same("HDEL", "ints", "-0", "0", "007")
    p.same("HGETALL", "ints")
    # Emptying a hash deletes the key.
    p.same("HSET", "e", "a", "1")
    p.same("HDEL", "e", "a")
    p.same("EXISTS", "e")
    p.same("HSET", "e", "a", "1", "b", "2")
    p.same("HDEL", "e", "a", "b", "c")
    p.same("EXISTS", "e")
    # Binary-safe fields and values.
    p.same("HSET", "bin", "a\x00b", "\r\n\x00", "", "empty-field")
    p.same("HGETALL", "bin")
    p.same("HGET", "bin", "")
    p.same("HGET", "bin", "a\x00b")


def test_errors(p):
    p.same("SET", "str", "x")
    for cmd in (["HSET", "str", "a", "1"], ["HSETNX", "str", "a", "1"], ["HGET", "str", "a"],
                ["HMSET", "str", "a", "1"], ["HMGET", "str", "a"], ["HDEL", "str", "a"],
                ["HLEN", "str"], ["HSTRLEN", "str", "a"], ["HEXISTS", "str", "a"],
                ["HINCRBY", "str", "a", "1"], ["HINCRBYFLOAT", "str", "a", "1"],
                ["HKEYS", "str"], ["HVALS", "str"], ["HGETALL", "str"], ["HSCAN", "str", "0"],
                ["HRANDFIELD", "str"], ["HRANDFIELD", "str", "2"],
                ["HRANDFIELD", "str", "2", "WITHVALUES"]):
        p.same(*cmd)
    # Arity.
    for cmd in (["HSET", "h"], ["HSET", "h", "a"], ["HSET", "h", "a", "1", "b"],
                ["HMSET", "h", "a", "1", "b"], ["HMSET", "h"], ["HSETNX", "h", "a"],
                ["HGET", "h"], ["HGET", "h", "a", "b"], ["HMGET", "h"], ["HDEL", "h"],
                ["HLEN"], ["HLEN", "a", "b"], ["HSTRLEN", "h"], ["HEXISTS", "h"],
                ["HINCRBY", "h", "a"], ["HINCRBYFLOAT", "h", "a"], ["HKEYS"], ["HVALS"],
                ["HGETALL"], ["HSCAN", "h"], ["HRANDFIELD"]):
        p.same(*cmd)
    p.same("EXISTS", "h")
    # HSCAN argument errors (cursor parsed first; options only when the key exists).
    p.same("HSET", "h", "a", "1")
    for args in (["x"], ["-1"], ["+0"], [" 0"], ["0x"], ["99999999999999999999999"], [""],
                 ["0", "COUNT"], ["0", "COUNT", "0"], ["0", "COUNT", "-1"],
                 ["0", "COUNT", "x"], ["0", "MATCH"], ["0", "foo", "bar"],
                 ["0", "TYPE", "string"], ["0", "count", "5", "match", "*"]):
        p.same("HSCAN", "h", *args)
        p.same("HSCAN", "nokey", *args)
    p.same("HSCAN", "str", "x")


def test_incr(p):
    p.same("DEL", "c")
    p.same("HINCRBY", "c", "n", "5")
    p.same("HINCRBY", "c", "n", "-15")
    p.same("HINCRBY", "c", "n", "x")
    p.same("HINCRBY", "c", "n", "1.5")
    p.same("HINCRBY", "c", "n", "")
    p.same("HSET", "c", "big", "9223372036854775807", "small", "-9223372036854775808",
           "s", "abc", "sp", " 1", "f", "1.5", "z", "007")
    p.same("HINCRBY", "c", "big", "1")
    p.same("HINCRBY", "c", "big", "0")
    p.same("HINCRBY", "c", "small", "-1")
    p.same("HINCRBY", "c", "small", "9223372036854775807")
    p.same("HINCRBY", "c", "s", "1")
    p.same("HINCRBY", "c", "sp", "1")
    p.same("HINCRBY", "c", "f", "1")
    p.same("HINCRBY", "c", "z", "1")
    p.same("HINCRBY", "c", "new", "-9223372036854775808")
    p.same("HGETALL", "c")
    p.same("HINCRBY", "nokey2", "f", "x")
    p.same("EXISTS", "nokey2")
    for incr in ("0.1", "0.2", "1e3", "-1e3", "3.0e-5", "1.5", "-0.0", "10.50", "1e20",
                 "1e308", "1e308", " 1", "1 ", "inf", "-inf", "nan", "abc", "", "0x10",
                 "1e-320", "5e-400", "1e400", "1.7976931348623157e308", "2"):
        p.same("HINCRBYFLOAT", "fl", "x", incr)
    p.same("HINCRBYFLOAT", "fl", "y", "3.0e3")
    p.same("HINCRBYFLOAT", "fl", "y", "1.23456789012345678")
    p.same("HINCRBYFLOAT", "fl", "y", "-3001.23456789012345678")
    p.same_sorted("HGETALL", "fl")  # a 309-byte value made it a table
    p.same("HSET", "fl", "s", "abc", "i", "10", "sp", " 5", "e", "1e2", "h", "0x10",
           "inff", "inf", "nn", "nan", "big", "1" * 30)
    for f in ("s", "i", "sp", "e", "h", "inff", "nn", "big"):
        p.same("HINCRBYFLOAT", "fl", f, "1")
    p.same("HINCRBYFLOAT", "fl", "inff", "-1")
    p.same("HINCRBYFLOAT", "nokey3", "f", "inf")
    p.same("EXISTS", "nokey3")
    p.same_sorted("HGETALL", "fl")
    for i in range(60):
        p.same("HINCRBYFLOAT", "acc", "v", "%.6f" % random.uniform(-1000, 1000))
    p.same("HINCRBY", "acc", "v", "1")


def test_encodings(p):
    # Growing past 128 fields: listpack order until the conversion, then compare sorted.
    p.same("DEL", "big")
    for i in range(128):
        p.same("HSET", "big", "f%d" % i, str(i))
    p.same("HGETALL", "big")
    p.same("HKEYS", "big")
    p.same("HSET", "big", "f128", "x")
    p.same_sorted("HGETALL", "big")
    p.same_sorted("HKEYS", "big")
    p.same_sorted("HVALS", "big")
    p.same("HLEN", "big")
    p.same("HGET", "big", "f77")
    p.same("HSTRLEN", "big", "f77")
    # A value of 65 bytes converts; 64 does not.
    p.same("DEL", "v")
    p.same("HSET", "v", "a", "x" * 64, "b", "2", "c", "3")
    p.same("HGETALL", "v")
    p.same("HSET", "v", "b", "y" * 65)
    p.same_sorted("HGETALL", "v")
    p.same("DEL", "v")
    p.same("HSET", "v", "f" * 65, "1")
    p.same("HGETALL", "v")
    p.same("HINCRBY", "v", "n", "10")
    p.same_sorted("HGETALL", "v")
    # Deleting from a table down to nothing removes the key.
    for i in range(129):
        p.quiet("HDEL", "big", "f%d" % i)
    p.same("EXISTS", "big")
    # A huge hash (large tables).
    cmds = [["HSET", "huge"] + sum((["k%d" % i, "v%d" % i] for i in range(j, j + 500)), [])
            for j in range(0, 5000, 500)]
    for c in cmds:
        p.same(*c)
    p.same("HLEN", "huge")
    p.same_sorted("HGETALL", "huge")
    for i in range(0, 5000, 97):
        p.same("HGET", "huge", "k%d" % i)
    p.same("HDEL", "huge", *["k%d" % i for i in range(0, 5000, 2)])
    p.same("HLEN", "huge")
    p.same_sorted("HKEYS", "huge")
    # Config-lowered thresholds behave the same.
    p.same("CONFIG", "SET", "hash-max-listpack-entries", "4")
    p.same("DEL", "small")
    p.same("HSET", "small", "a", "1", "b", "2", "c", "3", "d", "4")
    p.same("HGETALL", "small")
    p.same("HSET", "small", "e", "5")
    p.same_sorted("HGETALL", "small")
    p.same("CONFIG", "SET", "hash-max-listpack-entries", "128")
    # Long entries in a listpack (multi-byte length headers), replaced by shorter and longer.
    p.same("CONFIG", "SET", "hash-max-listpack-value", "40000")
    p.same("DEL", "long")
    sizes = (63, 64, 127, 128, 8191, 8192, 16383, 16384, 30000)
    for i, n in enumerate(sizes):
        p.same("HSET", "long", "k" * n, str(i), "v%d" % i, "x" * n)
    p.same("HGETALL", "long")
    for i, n in enumerate(sizes):
        p.same("HSET", "long", "v%d" % i, "y" * sizes[-1 - i])
        p.same("HSTRLEN", "long", "v%d" % i)
    p.same("HGETALL", "long")
    p.same("HDEL", "long", "k" * 128, "v3", "k" * 30000)
    p.same("HGETALL", "long")
    p.same("CONFIG", "SET", "hash-max-listpack-value", "64")


def test_hscan(p):
    # Small (listpack) hashes: everything at once, cursor 0.
    p.same("DEL", "s")
    p.same("HSET", "s", "a", "1", "b", "2", "ab", "3", "17", "-1")
    p.same("HSCAN", "s", "0")
    p.same("HSCAN", "s", "123")
    p.same("HSCAN", "s", "0", "MATCH", "a*")
    p.same("HSCAN", "s", "0", "MATCH", "*", "COUNT", "1")
    p.same("HSCAN", "s", "0", "MATCH", "1*")
    p.same("HSCAN", "s", "0", "match", "[ab]", "count", "100")
    # Large hashes: a full iteration returns every field exactly once, on both servers.
    p.same("DEL", "L")
    for j in range(0, 2000, 250):
        p.quiet("HSET", "L", *sum((["field:%d" % i, "val:%d" % i] for i in range(j, j + 250)), []))
    for conn, who in ((p.a, "sc-broker"), (p.b, "redis")):
        for opts in ((), ("COUNT", "7"), ("COUNT", "1000")):
            items, calls = scan_all(conn, "HSCAN", "L", *opts)
            pairs = flat_pairs(items)
            fields = [f for f, _ in pairs]
            p.expect(len(fields) == 2000 and len(set(fields)) == 2000,
                     "%s HSCAN %s: %d fields, %d distinct" % (who, opts, len(fields), len(set(fields))))
            p.expect(all(v == f.replace(b"field", b"val") for f, v in pairs),
                     "%s HSCAN values follow their fields" % who)
        items, _ = scan_all(conn, "HSCAN", "L", "MATCH", "field:1??", "COUNT", "50")
        fields = sorted(f for f, _ in flat_pairs(items))
        p.expect(fields == sorted(b"field:%d" % i for i in range(100, 200)),
                 "%s HSCAN MATCH field:1??: %d fields" % (who, len(fields)))
    # Elements present for the whole scan are returned even when the table grows meanwhile.
    items = []
    cursor = b"0"
    n = 2000
    while True:
        (t, x), _ = p.a.call("HSCAN", "L", cursor, "COUNT", "20")
        cursor = x[0][1]
        items.extend(i[1] for i in x[1][1])
        p.a.call("HSET", "L", *sum((["extra:%d" % (n + k), "v"] for k in range(30)), []))
        n += 30
        if cursor == b"0":
            break
    got = set(f for f, _ in flat_pairs(items))
    p.expect(all(b"field:%d" % i in got for i in range(2000)),
             "sc-broker HSCAN during growth keeps every original field")


def test_hrandfield(p):
    p.same("DEL", "r")
    p.same("HRANDFIELD", "r")
    p.same("HRANDFIELD", "r", "5")
    p.same("HRANDFIELD", "r", "-5", "WITHVALUES")
    p.same("HSET", "r", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5")
    for args in (["x"], ["1", "WITHVALUE"], ["1", "WITHVALUES", "x"], ["-9223372036854775808"],
                 ["9223372036854775807", "WITHVALUES"], ["-4611686018427387905", "withvalues"],
                 ["4611686018427387904", "withvalues"], ["0"], ["0", "WITHVALUES"], ["5"],
                 ["6"], ["100", "withvalues"]):
        p.same("HRANDFIELD", "r", *args)
    big = {("b%d" % i).encode(): ("v%d" % i).encode() for i in range(300)}
    p.quiet("HSET", "rb", *sum(([k.decode(), v.decode()] for k, v in big.items()), []))
    small = {k.encode(): v.encode() for k, v in zip("abcde", "12345")}
    for proto in (2, 3):
        for c in (p.a, p.b):
            c.call("HELLO", str(proto))
        for key, h in (("r", small), ("rb", big)):
            for count in (1, 2, 3, 4, 5, 6, 50, 150, 280, 299, 300, 1000, -1, -3, -10, -400):
                for wv in (False, True):
                    args = ["HRANDFIELD", key, str(count)] + (["WITHVALUES"] if wv else [])
                    shapes = []
                    for conn, who in ((p.a, "sc-broker"), (p.b, "redis")):
                        (t, x), raw = conn.call(*args)
                        n = abs(count) if count < 0 else min(count, len(h))
                        ok = t == "*"
                        if wv and proto == 3:
                            ok = ok and len(x) == n and all(e[0] == "*" and len(e[1]) == 2 for e in x)
                            pairs = [(e[1][0][1], e[1][1][1]) for e in x] if ok else []
                        elif wv:
                            ok = ok and len(x) == 2 * n
                            pairs = [(a[1], b[1]) for a, b in flat_pairs(x)] if ok else []
                        else:
                            ok = ok and len(x) == n
                            pairs = [(e[1], h.get(e[1])) for e in x] if ok else []
                        ok = ok and all(f in h and h[f] == v for f, v in pairs)
                        if count > 0:
                            ok = ok and len(set(f for f, _ in pairs)) == len(pairs)
                        p.expect(ok, "%s RESP%d %s shape/content: %r" % (who, proto, " ".join(args), raw[:200]))
                        shapes.append(t)
            (t1, x1), r1 = p.a.call("HRANDFIELD", key)
            p.expect(t1 == "$" and x1 in h, "HRANDFIELD %s single: %r" % (key, r1))
    for c in (p.a, p.b):
        c.call("HELLO", "2")
    # Negative counts really are random with repetitions; positive ones cover the hash.
    (t, x), _ = p.a.call("HRANDFIELD", "r", "-2000")
    seen = set(e[1] for e in x)
    p.expect(seen == set(small), "HRANDFIELD -2000 hits every field of a 5-field hash")
    (t, x), _ = p.a.call("HRANDFIELD", "rb", "-30000")
    seen = set(e[1] for e in x)
    p.expect(len(seen) > 290, "HRANDFIELD -30000 over 300 fields hits %d distinct" % len(seen))


def test_resp3(p):
    for c in (p.a, p.b):
        c.call("HELLO", "3")
    p.same("DEL", "h3")
    p.same("HSET", "h3", "a", "1", "b", "2", "n", "100")
    for cmd in (["HGETALL", "h3"], ["HGETALL", "nokey"], ["HKEYS", "h3"], ["HVALS", "h3"],
                ["HMGET", "h3", "a", "x"], ["HGET", "h3", "x"], ["HGET", "h3", "n"],
                ["HSCAN", "h3", "0"], ["HSCAN", "nokey", "0"], ["HRANDFIELD", "nokey"],
                ["HRANDFIELD", "nokey", "3"], ["HRANDFIELD", "h3", "3", "WITHVALUES"],
                ["HRANDFIELD", "h3", "0"], ["HINCRBYFLOAT", "h3", "n", "0.5"],
                ["HINCRBY", "h3", "a", "1"], ["HSTRLEN", "h3", "n"], ["HEXISTS", "h3", "a"],
                ["HLEN", "h3"], ["HDEL", "h3", "a"], ["HMSET", "h3", "x", "y"], ["HGETALL", "h3"]):
        if cmd[0] == "HRANDFIELD" and cmd[-1] == "WITHVALUES":
            p.same_sorted(*cmd)
        else:
            p.same(*cmd)
    for c in (p.a, p.b):
        c.call("HELLO", "2")


def test_notifications(p):
    """Keyspace events and WATCH, against Redis."""
    subs = p.event_subscribers("KEA")
    for s in subs:
        s.call("PSUBSCRIBE", "__key*__:*")
    script = [["HSET", "n", "a", "1", "b", "2"], ["HSET", "n", "a", "1"], ["HSETNX", "n", "a", "x"],
              ["HSETNX", "n", "c", "3"], ["HINCRBY", "n", "i", "2"], ["HINCRBY", "n", "a", "x"],
              ["HINCRBYFLOAT", "n", "f", "1.5"], ["HMSET", "n", "q", "1"],
              ["HDEL", "n", "nope"], ["HDEL", "n", "a", "b"], ["HDEL", "n", "c", "i", "f", "q"],
              ["HDEL", "n", "zz"], ["PING"]]
    for cmd in script:
        p.same(*cmd)

    def take(x):  # pmessage: [kind, pattern, channel, key]
        if x[2][1].endswith(b"ping"):
            return None, True
        ev = (x[2][1], x[3][1])
        # The DEL of n is the script's last event (the PING produces none): stop there.
        return ev, ev == (b"__keyevent@0__:del", b"n")
    p.expect_same_events(subs, take, "keyspace events")
    p.notify("")
    # WATCH: a hash change by another client aborts EXEC.
    for port, main in ((p.ours.port, p.a), (p.redis.port, p.b)):
        other = Conn(port)
        main.call("DEL", "w")
        main.call("HSET", "w", "a", "1")
        main.call("WATCH", "w")
        other.call("HSET", "w", "a", "1")  # same value: still a modification
        main.call("MULTI")
        main.call("HGET", "w", "a")
        (t, x), raw = main.call("EXEC")
        p.expect(t in ("*", "_") and x is None, "WATCH aborted after HSET on port %d: %r" % (port, raw))
        other.close()


def test_fuzz(p, rounds=4000):
    """Random operations on a few hashes; aggregates compared exactly while Redis keeps the
    hash as a listpack (insertion order), sorted once it is a table."""
    rnd = random.Random(3)
    fields = ["f%d" % i for i in range(40)] + ["1", "-1", "007", "0", "123456789012", "", "-0"]
    values = ["v", "", "0", "-5", "12", "1.5", "9223372036854775807", "1" * 19, "x" * 64,
              "y" * 65, "abc" * 10, "-0", " 7"]
    p.quiet("CONFIG", "SET", "hash-max-listpack-entries", "16")
    for k in ("z0", "z1", "z2"):
        p.quiet("DEL", k)
    for _ in range(rounds):
        k = rnd.choice(("z0", "z1", "z2"))
        op = rnd.random()
        if op < 0.35:
            n = rnd.randint(1, 4)
            args = sum(([rnd.choice(fields), rnd.choice(values)] for _ in range(n)), [])
            p.same(rnd.choice(("HSET", "HMSET")), k, *args)
        elif op < 0.5:
            p.same("HDEL", k, *rnd.sample(fields, rnd.randint(1, 5)))
        elif op < 0.6:
            p.same("HINCRBY", k, rnd.choice(fields), str(rnd.randint(-100, 100)))
        elif op < 0.65:
            p.same("HINCRBYFLOAT", k, rnd.choice(fields), rnd.choice(("0.5", "-1.25", "3", "1e2")))
        elif op < 0.7:
            p.same("HSETNX", k, rnd.choice(fields), rnd.choice(values))
        elif op < 0.85:
            cmd = rnd.choice((["HGET", k, rnd.choice(fields)], ["HEXISTS", k, rnd.choice(fields)],
                              ["HSTRLEN", k, rnd.choice(fields)], ["HLEN", k],
                              ["HMGET", k] + rnd.sample(fields, 3)))
            p.same(*cmd)
        else:
            cmd = [rnd.choice(("HGETALL", "HKEYS", "HVALS")), k]
            (_, enc), _ = p.b.call("OBJECT", "ENCODING", k)
            if enc in (None, b"listpack"):
                p.same(*cmd)
            else:
                p.same_sorted(*cmd)
    for k in ("z0", "z1", "z2"):
        p.same_sorted("HGETALL", k)
    p.quiet("CONFIG", "SET", "hash-max-listpack-entries", "128")


def main():
    random.seed(7)
    p = Pair()
    run_sections(p, (("basics", test_basics), ("errors", test_errors), ("incr", test_incr),
                     ("encodings", test_encodings), ("hscan", test_hscan),
                     ("hrandfield", test_hrandfield), ("resp3", test_resp3), ("fuzz", test_fuzz),
                     ("notifications", test_notifications)))
    p.finish()


if __name__ == "__main__":
    main()
