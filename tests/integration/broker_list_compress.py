#!/usr/bin/env python3
"""list-compress-depth: interior list nodes kept compressed (broker/lz.h, broker/t_list.cpp).

1. Differential, sc-broker vs redis-server (raw reply bytes), both with list-compress-depth 1
   and then 2 and small nodes (list-max-listpack-size 4, 16 and -1): a seeded random run of
   LPUSH RPUSH LPOP RPOP LINSERT LSET LREM LTRIM LRANGE LINDEX LPOS LMOVE over long lists of
   compressible random values, with the depth changed at runtime in the middle (on both).
2. sc-broker only: INFO used_memory for a long list of compressible values (100000) is clearly
   lower with depth 1 than with depth 0 (checked in jemalloc builds only), and CONFIG SET
   list-compress-depth applies to an existing list at its next write (compressing it, then
   undoing it), its contents unchanged.
"""
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import respdiff  # noqa: E402
from respdiff import Pair, Server  # noqa: E402

WORDS = ["user", "order", "queue", "payload", "status", "ok", "pending", "id", "x", "{}"]


def value(rnd):
    """A compressible value of 0..300 bytes (words and numbers), sometimes random bytes."""
    r = rnd.random()
    if r < 0.05:
        return bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 40)))
    if r < 0.15:
        return rnd.choice(["a", "b", "c"])  # pivots and LREM/LPOS targets
    n = rnd.randint(0, 300)
    out = ""
    while len(out) < n:
        out += rnd.choice(WORDS) + ":" + str(rnd.randint(0, 99)) + ","
    return out[:n]


def model_run(p, seed, prefix, steps, depth_changes=()):
    rnd = random.Random(seed)
    keys = ["%s%d" % (prefix, i) for i in range(3)]
    for k in keys:  # long lists first: many nodes, most of them interior
        for _ in range(6):
            p.cmd("RPUSH", k, *[value(rnd) for _ in range(50)], desc="fill %s" % k)
    for step in range(steps):
        if step in depth_changes:
            p.cmd("CONFIG", "SET", "list-compress-depth", str(depth_changes[step]))
        k = rnd.choice(keys)
        op = rnd.random()
        n = 200
        if op < 0.14:
            args = ["RPUSH", k] + [value(rnd) for _ in range(rnd.randint(1, 20))]
        elif op < 0.28:
            args = ["LPUSH", k] + [value(rnd) for _ in range(rnd.randint(1, 20))]
        elif op < 0.33:
            args = [rnd.choice(["LPOP", "RPOP"]), k, str(rnd.randint(1, 8))]
        elif op < 0.43:
            args = ["LINSERT", k, rnd.choice(["BEFORE", "AFTER"]), rnd.choice(["a", "b", "c"]),
                    value(rnd)]
        elif op < 0.53:
            args = ["LSET", k, str(rnd.randint(-n, n)), value(rnd)]
        elif op < 0.59:
            args = ["LREM", k, str(rnd.randint(-3, 3)), rnd.choice(["a", "b", "c"])]
        elif op < 0.69:
            args = ["LINDEX", k, str(rnd.randint(-n, n))]
        elif op < 0.79:
            a = rnd.randint(-n, n)
            args = ["LRANGE", k, str(a), str(a + rnd.randint(-5, 80))]
        elif op < 0.85:
            args = ["LPOS", k, rnd.choice(["a", "b", "c"]), "RANK", str(rnd.choice([1, 3, -1, -2])),
                    "COUNT", str(rnd.randint(0, 5))]
        elif op < 0.91:
            args = ["LMOVE", k, rnd.choice(keys), rnd.choice(["LEFT", "RIGHT"]),
                    rnd.choice(["LEFT", "RIGHT"])]
        elif op < 0.94:
            args = ["LTRIM", k, str(rnd.randint(0, 10)), str(-rnd.randint(1, 10))]
        else:
            args = ["LLEN", k]
        ra, rb = p.a.call(*args), p.b.call(*args)
        if ra.raw != rb.raw:
            respdiff.fail("%s step %d: %s" % (prefix, step, " ".join(str(x)[:20] for x in args[:6])),
                          "broker: %s\nredis:  %s" % (respdiff.show(ra.raw), respdiff.show(rb.raw)))
            return
    for k in keys:
        p.cmd("LRANGE", k, "0", "-1", desc="final LRANGE %s" % k)
    respdiff.ok("%s: %d random list operations identical to redis-server" % (prefix, steps))
    p.cmd("DEL", *keys)


def differential():
    p = Pair()
    seed = 1
    for depth in ("1", "2"):
        for fill in ("4", "16", "-1"):
            p.cmd("CONFIG", "SET", "list-compress-depth", depth)
            p.cmd("CONFIG", "SET", "list-max-listpack-size", fill)
            other = "0" if depth == "1" else "1"
            model_run(p, seed, "d%sf%s_" % (depth, fill), 700,
                      depth_changes={350: other, 520: depth})
            seed += 1
    p.stop()


def used_memory(c):
    info = c("INFO", "memory").decode()
    return int(info.split("used_memory:")[1].split("\r\n")[0])


def memory():
    rnd = random.Random(9)
    vals = []
    for _ in range(100000):
        vals.append(("{\"user\":%d,\"status\":\"%s\",\"queue\":\"orders\"}"
                     % (rnd.randint(0, 999), rnd.choice(["ok", "pending", "failed"]))).encode())

    def fill(c, key):
        base = used_memory(c)
        for i in range(0, len(vals), 1000):
            c("RPUSH", key, *vals[i:i + 1000])
        return used_memory(c) - base

    # One fresh server per depth: memory freed in one would be reused by the other fill
    # (jemalloc counts its thread caches as allocated).
    plain = Server.start("broker")
    raw = fill(plain.conn(), "l")
    plain.stop()
    srv = Server.start("broker", ["--list-compress-depth", "1"])
    c = srv.conn()
    packed = fill(c, "packed")
    # Without jemalloc (sanitizer builds) used_memory is the RSS: the figures mean nothing.
    figures = b"mem_allocator:jemalloc" in c("INFO", "memory")
    if not figures:
        respdiff.ok("not a jemalloc build: used_memory figures not checked, contents are")
    check = respdiff.check if figures else (lambda cond, desc, detail="": None)
    check(packed * 2 < raw,
          "100000 compressible values: used_memory grows %d bytes with "
          "list-compress-depth 1, %d with 0" % (packed, raw))
    respdiff.check(c("LRANGE", "packed", "0", "-1") == vals, "the compressed list reads back whole")
    respdiff.check(c("LINDEX", "packed", "50000") == vals[50000] and
                   c("LPOS", "packed", vals[62345], "RANK", "1") == vals.index(vals[62345]) and
                   c("LPOS", "packed", vals[62345], "RANK", "-1") ==
                   len(vals) - 1 - vals[::-1].index(vals[62345]),
                   "LINDEX and LPOS reach into compressed nodes")
    # Runtime changes: an existing list is laid out again at its next write.
    c("CONFIG", "SET", "list-compress-depth", "0")
    before = used_memory(c)
    c("RPUSH", "packed", "one more")
    after = used_memory(c)
    check(after - before > raw // 2,
          "CONFIG SET list-compress-depth 0, then one RPUSH: the list is decompressed "
          "(used_memory +%d)" % (after - before))
    c("CONFIG", "SET", "list-compress-depth", "2")
    before = used_memory(c)
    c("LPOP", "packed")
    after = used_memory(c)
    check(before - after > raw // 2,
          "CONFIG SET list-compress-depth 2, then one LPOP: the list is compressed "
          "again (used_memory -%d)" % (before - after))
    respdiff.check(c("LRANGE", "packed", "0", "-1") == vals[1:] + [b"one more"],
                   "its contents are unchanged by the changes of depth")
    srv.stop()


def main():
    differential()
    memory()
    respdiff.finish()


if __name__ == "__main__":
    main()
