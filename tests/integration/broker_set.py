#!/usr/bin/env python3
"""Differential test of sc-broker's set commands against redis-server 7.0.

Same harness as broker_hash.py (respdiff.TypedPair): raw reply bytes are compared where Redis's order is
deterministic (intsets reply in ascending order), sorted otherwise (Redis 7.0 keeps sets with
non-integer members in a hash table), and random commands (SPOP, SRANDMEMBER) by shape and
content.  Also: SSCAN full iterations, encoding thresholds, the set algebra commands with
missing and wrong-typed keys, keyspace notifications, RESP3.
"""
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from respdiff import TypedConn as Conn, TypedPair as Pair, run_sections, scan_all  # noqa: E402


def members(conn, key):
    (t, x), _ = conn.call("SMEMBERS", key)
    return sorted(i[1] for i in x)


def test_basics(p):
    p.same("DEL", "s", "i")
    p.same("SADD", "i", "3", "1", "2", "-7", "100000", "3")
    p.same("SMEMBERS", "i")  # intset: ascending
    p.same("SADD", "i", "9223372036854775807", "-9223372036854775808", "0")
    p.same("SMEMBERS", "i")
    p.same("SCARD", "i")
    for m in ("1", "2", "-7", "0", "-0", "01", "+1", "x", "9223372036854775807",
              "9223372036854775808", ""):
        p.same("SISMEMBER", "i", m)
    p.same("SMISMEMBER", "i", "1", "x", "-0", "0", "100000")
    p.same("SMISMEMBER", "nokey", "1", "2")
    p.same("SREM", "i", "1", "x", "-0", "2", "2")
    p.same("SMEMBERS", "i")
    p.same("SADD", "s", "b", "a", "c", "1", "a")
    p.same_sorted("SMEMBERS", "s")
    p.same("SCARD", "s")
    p.same("SISMEMBER", "s", "a")
    p.same("SISMEMBER", "s", "1")
    p.same("SISMEMBER", "s", "z")
    p.same("SREM", "s", "a", "1", "q")
    p.same_sorted("SMEMBERS", "s")
    # Mixed: an intset gets a string member.
    p.same("SADD", "i", "hello")
    p.same_sorted("SMEMBERS", "i")
    p.same("SISMEMBER", "i", "9223372036854775807")
    p.same("SISMEMBER", "i", "hello")
    # Non-canonical integers stay strings.
    p.same("DEL", "nc")
    p.same("SADD", "nc", "1", "01", "-0", "+1", " 1", "1")
    p.same_sorted("SMEMBERS", "nc")
    p.same("SCARD", "nc")
    p.same("SREM", "nc", "01", "1")
    p.same_sorted("SMEMBERS", "nc")
    # Empty sets are deleted.
    p.same("SADD", "e", "a")
    p.same("SREM", "e", "a")
    p.same("EXISTS", "e")
    p.same("SADD", "e", "1", "2")
    p.same("SREM", "e", "1", "2", "3")
    p.same("EXISTS", "e")
    for cmd in (["SMEMBERS", "nokey"], ["SCARD", "nokey"], ["SISMEMBER", "nokey", "a"],
                ["SREM", "nokey", "a"], ["SPOP", "nokey"], ["SPOP", "nokey", "3"],
                ["SRANDMEMBER", "nokey"], ["SRANDMEMBER", "nokey", "3"],
                ["SRANDMEMBER", "nokey", "-3"], ["SSCAN", "nokey", "0"]):
        p.same(*cmd)
    p.same("SADD", "bin", "a\x00b", "", "\r\n")
    p.same_sorted("SMEMBERS", "bin")
    p.same("SISMEMBER", "bin", "")
    p.same("SISMEMBER", "bin", "a\x00b")


def test_errors(p):
    p.same("SET", "str", "x")
    for cmd in (["SADD", "str", "a"], ["SREM", "str", "a"], ["SCARD", "str"],
                ["SISMEMBER", "str", "a"], ["SMISMEMBER", "str", "a"], ["SMEMBERS", "str"],
                ["SPOP", "str"], ["SPOP", "str", "2"], ["SRANDMEMBER", "str"],
                ["SRANDMEMBER", "str", "2"], ["SSCAN", "str", "0"], ["SINTER", "str"],
                ["SUNION", "str"], ["SDIFF", "str"], ["SINTERCARD", "1", "str"]):
        p.same(*cmd)
    for cmd in (["SADD", "s"], ["SREM", "s"], ["SCARD"], ["SISMEMBER", "s"], ["SMISMEMBER", "s"],
                ["SMEMBERS"], ["SPOP"], ["SRANDMEMBER"], ["SMOVE", "a", "b"], ["SINTER"],
                ["SINTERSTORE", "d"], ["SINTERCARD", "1"], ["SUNION"], ["SUNIONSTORE", "d"],
                ["SDIFF"], ["SDIFFSTORE", "d"], ["SSCAN", "s"]):
        p.same(*cmd)
    p.same("SADD", "s", "1", "2", "3")
    for args in (["x"], ["-1"], ["1", "2"], ["-9223372036854775808"], ["9223372036854775808"]):
        p.same("SPOP", "s", *args)
        if args != ["-1"]:  # a random member
            p.same("SRANDMEMBER", "s", *args)
        p.same("SPOP", "nokey", *args)
        p.same("SRANDMEMBER", "nokey", *args)
    for args in (["0", "s"], ["x", "s"], ["-1", "s"], ["2", "s"], ["1", "s", "LIMIT"],
                 ["1", "s", "LIMIT", "-1"], ["1", "s", "LIMIT", "x"], ["1", "s", "foo", "1"],
                 ["1", "s", "limit", "1", "limit", "2"], ["2", "s", "str"], ["2", "str", "nokey"],
                 ["2", "nokey", "str"], ["9223372036854775807", "s"]):
        p.same("SINTERCARD", *args)
    p.same("DEL", "s")
    p.same("SADD", "s", "1", "2", "3")
    for args in (["x"], ["-1"], ["0", "COUNT", "0"], ["0", "COUNT", "x"], ["0", "MATCH"],
                 ["0", "bad", "1"], ["0", "TYPE", "set"], [" 1"]):
        p.same("SSCAN", "s", *args)
        p.same("SSCAN", "nokey", *args)
    # Wrong types among the set algebra's keys: any position errors, even after a missing key.
    for cmd in ("SINTER", "SUNION", "SDIFF"):
        p.same(cmd, "s", "str")
        p.same(cmd, "nokey", "str")
        p.same(cmd, "str", "nokey")
        p.same(cmd + "STORE", "dst", "s", "str")
        p.same(cmd + "STORE", "dst", "nokey", "str")
    p.same("EXISTS", "dst")
    p.same("SMOVE", "str", "s", "1")
    p.same("SMOVE", "s", "str", "1")
    p.same("SMOVE", "nokey", "str", "1")
    p.same("SMOVE", "s", "str", "nomember")


def test_algebra(p):
    p.same("DEL", "a", "b", "c", "d", "x", "y", "dst")
    p.same("SADD", "a", "1", "2", "3", "4", "5")
    p.same("SADD", "b", "4", "5", "6", "7")
    p.same("SADD", "c", "5", "4", "9")
    p.same("SADD", "x", "apple", "4", "5", "kiwi")
    p.same("SADD", "y", "kiwi", "pear", "apple")
    for cmd in (["SINTER", "a", "b"], ["SINTER", "a", "b", "c"], ["SINTER", "a"],
                ["SINTER", "a", "a"], ["SINTER", "a", "nokey"], ["SINTER", "nokey", "a"],
                ["SUNION", "a", "b"], ["SUNION", "a", "b", "c", "nokey"], ["SUNION", "nokey"],
                ["SDIFF", "a", "b"], ["SDIFF", "a", "b", "c"], ["SDIFF", "a", "a"],
                ["SDIFF", "a", "nokey"], ["SDIFF", "nokey", "a"], ["SDIFF", "b", "a", "b"],
                ["SINTERCARD", "2", "a", "b"], ["SINTERCARD", "3", "a", "b", "c"],
                ["SINTERCARD", "2", "a", "nokey"], ["SINTERCARD", "1", "a", "LIMIT", "2"],
                ["SINTERCARD", "1", "a", "LIMIT", "0"], ["SINTERCARD", "1", "a", "LIMIT", "100"],
                ["SINTERCARD", "2", "a", "b", "limit", "1"]):
        p.same(*cmd)
    for cmd in (["SINTER", "a", "x"], ["SINTER", "x", "y"], ["SUNION", "a", "x", "y"],
                ["SDIFF", "x", "y"], ["SDIFF", "x", "a"], ["SDIFF", "a", "x"],
                ["SINTERCARD", "2", "x", "y"], ["SUNION", "x"]):
        p.same_sorted(*cmd)
    # STORE variants: replies, resulting sets, TTL dropped, empty result deletes dst.
    p.same("SET", "dst", "string")
    p.same("EXPIRE", "dst", "100")
    p.same("SINTERSTORE", "dst", "a", "b")
    p.same("TTL", "dst")
    p.same("TYPE", "dst")
    p.same("SMEMBERS", "dst")
    p.same("SUNIONSTORE", "dst", "a", "b", "c")
    p.same("SMEMBERS", "dst")
    p.same("SDIFFSTORE", "dst", "a", "b")
    p.same("SMEMBERS", "dst")
    p.same("SUNIONSTORE", "dst", "x", "y")
    p.same_sorted("SMEMBERS", "dst")
    p.same("SINTERSTORE", "dst", "x", "y")
    p.same_sorted("SMEMBERS", "dst")
    p.same("SINTERSTORE", "dst", "a", "nokey")
    p.same("EXISTS", "dst")
    p.same("SADD", "dst", "1")
    p.same("SDIFFSTORE", "dst", "a", "a")
    p.same("EXISTS", "dst")
    p.same("SADD", "dst", "1")
    p.same("SUNIONSTORE", "dst", "nokey", "nokey2")
    p.same("EXISTS", "dst")
    p.same("SINTERSTORE", "dst", "nokey")
    p.same("SDIFFSTORE", "a", "a", "b")  # destination is a source
    p.same("SMEMBERS", "a")
    p.same("SUNIONSTORE", "a", "a", "c")
    p.same("SMEMBERS", "a")
    # Larger sets (tables).
    p.same("DEL", "L1", "L2", "L3")
    p.quiet("SADD", "L1", *["m%d" % i for i in range(0, 3000)])
    p.quiet("SADD", "L2", *["m%d" % i for i in range(1500, 4000)])
    p.quiet("SADD", "L3", *[str(i) for i in range(0, 2000, 3)])
    for cmd in (["SINTER", "L1", "L2"], ["SUNION", "L1", "L2", "L3"], ["SDIFF", "L1", "L2"],
                ["SDIFF", "L2", "L1", "L3"], ["SINTER", "L3", "L1"]):
        p.same_sorted(*cmd)
    for cmd in (["SINTERCARD", "2", "L1", "L2"], ["SINTERCARD", "2", "L1", "L2", "LIMIT", "10"],
                ["SINTERSTORE", "D", "L1", "L2"], ["SCARD", "D"], ["SUNIONSTORE", "D", "L1", "L3"],
                ["SCARD", "D"], ["SDIFFSTORE", "D", "L1", "L2"], ["SCARD", "D"]):
        p.same(*cmd)
    p.same_sorted("SMEMBERS", "D")


def test_smove(p):
    p.same("DEL", "src", "dst")
    p.same("SADD", "src", "1", "2", "a")
    p.same("SMOVE", "src", "dst", "1")
    p.same("SMOVE", "src", "dst", "1")
    p.same("SMOVE", "src", "dst", "zz")
    p.same("SMEMBERS", "dst")
    p.same("SMOVE", "src", "src", "2")
    p.same("SMOVE", "src", "src", "9")
    p.same("SADD", "dst", "2")
    p.same("SMOVE", "src", "dst", "2")  # already in dst: still 1, src shrinks
    p.same("SMEMBERS", "dst")
    p.same("SMOVE", "src", "dst", "a")
    p.same("EXISTS", "src")
    p.same_sorted("SMEMBERS", "dst")
    p.same("SMOVE", "nokey", "dst", "a")


def test_encodings(p):
    p.same("DEL", "is")
    for j in range(0, 512, 64):
        p.same("SADD", "is", *[str(i * 7 - 1000) for i in range(j, j + 64)])
    p.same("SMEMBERS", "is")  # 512 integers: still an intset, ascending
    p.same("SADD", "is", "99999")
    p.same_sorted("SMEMBERS", "is")
    p.same("SCARD", "is")
    p.same("DEL", "w")
    p.same("SADD", "w", "1", "40000", "-40000")  # width upgrades
    p.same("SADD", "w", "5000000000", "-5000000000")
    p.same("SMEMBERS", "w")
    p.same("SREM", "w", "5000000000")
    p.same("SMEMBERS", "w")
    p.same("SISMEMBER", "w", "-5000000000")
    p.same("SISMEMBER", "w", "70000")
    # Strings, crossing 128 members and 64 bytes.
    p.same("DEL", "sl")
    p.quiet("SADD", "sl", *["s%d" % i for i in range(128)])
    p.same("SADD", "sl", "s128", "s129")
    p.same_sorted("SMEMBERS", "sl")
    p.same("DEL", "sv")
    p.same("SADD", "sv", "a", "x" * 64)
    p.same("SADD", "sv", "y" * 65)
    p.same_sorted("SMEMBERS", "sv")
    p.same("SISMEMBER", "sv", "y" * 65)
    p.same("CONFIG", "SET", "set-max-intset-entries", "4")
    p.same("DEL", "t")
    p.same("SADD", "t", "1", "2", "3", "4")
    p.same("SMEMBERS", "t")
    p.same("SADD", "t", "5")
    p.same_sorted("SMEMBERS", "t")
    p.same("CONFIG", "SET", "set-max-intset-entries", "512")


def test_random(p):
    sets = {"ri": [str(i) for i in range(10)], "rs": ["m%d" % i for i in range(10)],
            "rb": ["b%d" % i for i in range(1000)], "rbi": [str(i) for i in range(1000)]}
    for proto in (2, 3):
        for c in (p.a, p.b):
            c.call("HELLO", str(proto))
        for key, mem in sets.items():
            p.quiet("DEL", key)
            p.quiet("SADD", key, *mem)
            mset = set(m.encode() for m in mem)
            for count in (1, 2, 5, 9, 10, 11, 100, 300, 999, 1000, 5000, -1, -5, -20, -3000):
                for conn, who in ((p.a, "sc-broker"), (p.b, "redis")):
                    (t, x), raw = conn.call("SRANDMEMBER", key, str(count))
                    n = -count if count < 0 else min(count, len(mem))
                    got = [e[1] for e in x] if isinstance(x, list) else []
                    ok = t == "*" and len(got) == n and all(g in mset for g in got)
                    if count > 0:
                        ok = ok and len(set(got)) == len(got)
                    p.expect(ok, "%s RESP%d SRANDMEMBER %s %d: %r" % (who, proto, key, count, raw[:120]))
                (t, x), raw = conn.call("SRANDMEMBER", key)
                p.expect(t == "$" and x in mset, "SRANDMEMBER %s: %r" % (key, raw[:80]))
        # SPOP: both servers pop the same number; popped + remaining = original.
        for key, mem in sets.items():
            for count in (None, 0, 1, 3, 150, 5000):
                for conn, who in ((p.a, "sc-broker"), (p.b, "redis")):
                    conn.call("DEL", key)
                    conn.call("SADD", key, *mem)
                    args = ["SPOP", key] + ([] if count is None else [str(count)])
                    (t, x), raw = conn.call(*args)
                    if count is None:
                        popped = [x]
                        ok = t == "$"
                    else:
                        popped = [e[1] for e in x]
                        ok = t == ("~" if proto == 3 else "*") and len(popped) == min(count, len(mem))
                    rest = members(conn, key)
                    mset = set(m.encode() for m in mem)
                    ok = ok and len(set(popped)) == len(popped) and set(popped) | set(rest) == mset \
                        and not (set(popped) & set(rest))
                    p.expect(ok, "%s RESP%d %s: %r" % (who, proto, " ".join(args), raw[:120]))
                p.same("EXISTS", key)
    for c in (p.a, p.b):
        c.call("HELLO", "2")
    p.a.call("SADD", "rb", *sets["rb"])
    (t, x), _ = p.a.call("SRANDMEMBER", "rb", "-20000")
    p.expect(len(set(e[1] for e in x)) > 990, "SRANDMEMBER -20000 covers a 1000-member set")


def test_sscan(p):
    p.same("DEL", "ss", "si")
    p.same("SADD", "si", "5", "1", "3", "10", "100")
    p.same("SSCAN", "si", "0")
    p.same("SSCAN", "si", "7", "MATCH", "1*")
    p.same("SSCAN", "si", "0", "COUNT", "1", "MATCH", "*")
    for key, mem in (("big1", ["x:%d" % i for i in range(2000)]),
                     ("big2", [str(i * 3) for i in range(2000)])):
        p.quiet("DEL", key)
        p.quiet("SADD", key, *mem)
        want = sorted(m.encode() for m in mem)
        for conn, who in ((p.a, "sc-broker"), (p.b, "redis")):
            for opts in ((), ("COUNT", "3"), ("COUNT", "500")):
                items, calls = scan_all(conn, "SSCAN", key, *opts)
                p.expect(sorted(items) == want,
                         "%s SSCAN %s %s: %d items, %d distinct" % (who, key, opts, len(items), len(set(items))))
            items, _ = scan_all(conn, "SSCAN", key, "MATCH", "*7", "COUNT", "100")
            p.expect(sorted(items) == sorted(m for m in want if m.endswith(b"7")),
                     "%s SSCAN %s MATCH *7" % (who, key))


def test_resp3(p):
    for c in (p.a, p.b):
        c.call("HELLO", "3")
    p.same("DEL", "r3", "r4")
    p.same("SADD", "r3", "1", "2", "3")
    p.same("SADD", "r4", "2", "3", "4")
    for cmd in (["SMEMBERS", "r3"], ["SMEMBERS", "nokey"], ["SINTER", "r3", "r4"],
                ["SUNION", "r3", "r4"], ["SDIFF", "r3", "r4"], ["SINTER", "nokey", "r3"],
                ["SMISMEMBER", "r3", "1", "9"], ["SISMEMBER", "r3", "1"], ["SCARD", "r3"],
                ["SSCAN", "r3", "0"], ["SPOP", "nokey"], ["SPOP", "nokey", "2"],
                ["SPOP", "r3", "0"], ["SRANDMEMBER", "nokey"], ["SRANDMEMBER", "nokey", "2"],
                ["SRANDMEMBER", "r3", "0"], ["SRANDMEMBER", "r3", "10"],
                ["SINTERCARD", "2", "r3", "r4"], ["SINTERSTORE", "r5", "r3", "r4"],
                ["SMEMBERS", "r5"]):
        p.same(*cmd)
    p.same("SPOP", "r3", "10")  # everything: a set reply in ascending order
    for c in (p.a, p.b):
        c.call("HELLO", "2")


def test_notifications(p):
    subs = p.event_subscribers("KEA")
    for s in subs:
        s.call("SUBSCRIBE", "__keyevent@0__:sadd", "__keyevent@0__:srem", "__keyevent@0__:spop",
               "__keyevent@0__:del", "__keyevent@0__:sinterstore", "__keyevent@0__:sunionstore",
               "__keyevent@0__:sdiffstore")
        for _ in range(6):
            s.read()
    script = [["DEL", "na", "nb", "nd"], ["SADD", "na", "1", "2", "3"], ["SADD", "na", "1"],
              ["SREM", "na", "9"], ["SREM", "na", "1"], ["SMOVE", "na", "nb", "2"],
              ["SMOVE", "na", "nb", "3"], ["SADD", "na", "5", "6"], ["SPOP", "na"],
              ["SPOP", "na", "5"], ["SADD", "na", "7"], ["SINTERSTORE", "nd", "na", "na"],
              ["SUNIONSTORE", "nd", "na", "nb"], ["SDIFFSTORE", "nd", "na", "na"],
              ["SINTERSTORE", "nd", "na", "nokey"], ["SADD", "nd", "1"],
              ["SINTERSTORE", "nd", "na", "nokey"], ["SREM", "na", "7"], ["SADD", "end", "1"]]
    for cmd in script:
        p.quiet(*cmd)
    # message: [kind, channel, key]; the SADD of "end" is the last.
    p.expect_same_events(subs, lambda x: ((x[1][1], x[2][1]), x[2][1] == b"end"),
                         "set keyspace events", timeout=3)
    p.notify("")


def test_fuzz(p, rounds=4000):
    """Random operations on a few sets; replies compared exactly while Redis keeps the set as
    an intset (ascending order), sorted otherwise."""
    rnd = random.Random(5)
    mems = [str(i) for i in range(-5, 30)] + ["a", "b", "c", "-0", "01", "", "x" * 65,
                                               "70000", "5000000000", "-5000000000"]
    keys = ("q0", "q1", "q2", "q3")
    p.quiet("CONFIG", "SET", "set-max-intset-entries", "20")
    p.a.call("CONFIG", "SET", "set-max-listpack-entries", "8")  # a Redis 7.2 setting
    p.quiet("DEL", *keys)

    def agg(*cmd):
        encs = []
        for k in cmd[1:]:
            if k in keys:
                (_, e), _ = p.b.call("OBJECT", "ENCODING", k)
                encs.append(e)
        if all(e in (None, b"intset") for e in encs):
            p.same(*cmd)
        else:
            p.same_sorted(*cmd)

    for _ in range(rounds):
        k = rnd.choice(keys)
        op = rnd.random()
        if op < 0.35:
            p.same("SADD", k, *rnd.sample(mems, rnd.randint(1, 5)))
        elif op < 0.5:
            p.same("SREM", k, *rnd.sample(mems, rnd.randint(1, 5)))
        elif op < 0.6:
            p.same(*rnd.choice((["SISMEMBER", k, rnd.choice(mems)], ["SCARD", k],
                                ["SMISMEMBER", k] + rnd.sample(mems, 4))))
        elif op < 0.65:
            p.same("SMOVE", k, rnd.choice(keys), rnd.choice(mems))
        elif op < 0.75:
            cmd = rnd.choice(("SINTER", "SUNION", "SDIFF"))
            agg(cmd, *rnd.sample(keys, rnd.randint(1, 3)))
        elif op < 0.85:
            cmd = rnd.choice(("SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"))
            p.same(cmd, k, *rnd.sample(keys, rnd.randint(1, 3)))
        elif op < 0.9:
            p.same("SINTERCARD", "2", *rnd.sample(keys, 2), "LIMIT", str(rnd.randint(0, 5)))
        else:
            agg("SMEMBERS", k)
    for k in keys:
        p.same_sorted("SMEMBERS", k)
    p.quiet("CONFIG", "SET", "set-max-intset-entries", "512")
    p.a.call("CONFIG", "SET", "set-max-listpack-entries", "128")


def main():
    random.seed(11)
    p = Pair()
    run_sections(p, (("basics", test_basics), ("errors", test_errors), ("algebra", test_algebra),
                     ("smove", test_smove), ("encodings", test_encodings), ("random", test_random),
                     ("sscan", test_sscan), ("resp3", test_resp3),
                     ("notifications", test_notifications), ("fuzz", test_fuzz)))
    p.finish()


if __name__ == "__main__":
    main()
