#!/usr/bin/env python3
"""Differential test of the bitmap commands and LCS: sc-broker vs redis-server, raw reply bytes.

SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO and LCS: hand-written edge cases
(argument errors in Redis's order, BYTE/BIT ranges, negative offsets, "#N" offsets, WRAP/SAT/
FAIL, u63/i64, the 512 MB offset limit, wrong types, integer-encoded strings) and a few hundred
generated calls per command from one seed (SEED=n to replay; printed at start).  After every
write the whole value is compared with GET, so a wrong bit anywhere shows.
"""
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import respdiff  # noqa: E402
from respdiff import Pair, run_script  # noqa: E402


def edge_cases(p):
    p.cmd("FLUSHALL")
    run_script(p, """
        # ---- SETBIT / GETBIT
        SETBIT b 7 1
        GET b
        SETBIT b 7 0
        SETBIT b 0 1
        GETBIT b 0
        GETBIT b 1
        GETBIT b 100000
        GETBIT nosuch 5
        SETBIT b 100 1
        GET b
        STRLEN b
        SETBIT b -1 1
        SETBIT b 4294967296 1
        SETBIT b abc 1
        SETBIT b 1 2
        SETBIT b 1 -1
        SETBIT b 1 x
        SETBIT b 01 1
        GETBIT b -1
        GETBIT b 4294967296
        GETBIT b x
        SETBIT b
        GETBIT b
        SET n 1234
        GETBIT n 2
        GETBIT n 3
        SETBIT n 6 0
        GET n
        OBJECT ENCODING n
        SET n2 7
        SETBIT n2 0 0
        GET n2
        LPUSH lst x
        SETBIT lst 0 1
        GETBIT lst 0
        # ---- BITCOUNT
        SET s foobar
        BITCOUNT s
        BITCOUNT s 0 0
        BITCOUNT s 1 1
        BITCOUNT s 1 -1
        BITCOUNT s -2 -1
        BITCOUNT s -1 -2
        BITCOUNT s 5 30 BIT
        BITCOUNT s 5 30 bit
        BITCOUNT s 0 -1 BYTE
        BITCOUNT s -5 -1 BIT
        BITCOUNT s 0 1000
        BITCOUNT s 1000 2000
        BITCOUNT s 0
        BITCOUNT s 0 1 BIT extra
        BITCOUNT s 0 1 FOO
        BITCOUNT s a 1
        BITCOUNT s 1 b
        BITCOUNT nosuch
        BITCOUNT nosuch 0
        BITCOUNT nosuch a b c d
        BITCOUNT lst
        BITCOUNT n
        BITCOUNT n 0 0
        SET empty ""
        BITCOUNT empty
        BITCOUNT empty 0 -1 BIT
        # ---- BITPOS
        SET z "\\x00\\x00\\x00"
        BITPOS z 1
        BITPOS z 0
        SET o "\\xff\\xff\\xff"
        BITPOS o 0
        BITPOS o 0 0 -1
        BITPOS o 0 1
        BITPOS o 0 0 -1 BIT
        BITPOS o 0 0 100 BIT
        BITPOS o 0 2 BIT
        BITPOS o 1
        BITPOS s 1
        BITPOS s 0
        BITPOS s 1 2
        BITPOS s 1 2 -1
        BITPOS s 1 -1
        BITPOS s 1 7 15 BIT
        BITPOS s 0 7 15 BIT
        BITPOS s 1 -3 -1 BIT
        BITPOS s 1 5 2
        BITPOS s 1 0 0 FOO
        BITPOS s 1 0 0 BIT extra
        BITPOS s 2
        BITPOS s -1
        BITPOS s x
        BITPOS s 1 x
        BITPOS s 1 0 x
        BITPOS s 1 x 0 FOO
        BITPOS nosuch 1
        BITPOS nosuch 0
        BITPOS nosuch 0 a b
        BITPOS nosuch 2
        BITPOS lst 1
        BITPOS empty 0
        BITPOS empty 1
        BITPOS n 1
        BITPOS n 0 1 2
        # ---- BITOP
        SET a1 "\\x0f\\xf0\\xaa"
        SET a2 "\\xff\\x00"
        BITOP AND d a1 a2
        GET d
        BITOP or d a1 a2
        GET d
        BITOP XOR d a1 a2 a1
        GET d
        BITOP NOT d a1
        GET d
        OBJECT ENCODING d
        BITOP NOT d a1 a2
        BITOP NOT d
        BITOP FOO d a1
        BITOP AND d nosuch nosuch2
        EXISTS d
        SET d x
        BITOP OR d nosuch
        EXISTS d
        BITOP AND d a1 nosuch
        GET d
        BITOP AND d a1 lst
        BITOP AND lst a1
        TYPE lst
        SET num 12
        BITOP OR d num
        GET d
        OBJECT ENCODING d
        SET a1 abc EX 1000
        BITOP OR a1 a1
        TTL a1
        BITOP AND d
        # ---- BITFIELD
        BITFIELD bf SET i8 0 100 INCRBY i8 0 100 GET i8 0
        BITFIELD bf OVERFLOW SAT INCRBY i8 0 100 INCRBY i8 0 -1000 GET i8 0
        BITFIELD bf OVERFLOW FAIL INCRBY i8 0 1000 INCRBY u2 100 1 INCRBY u2 100 5
        BITFIELD bf overflow wrap incrby u2 102 7 get u2 102
        BITFIELD bf SET u8 #1 255 GET u8 8 GET u4 #2 GET i4 #3
        BITFIELD bf SET i64 0 -1 GET i64 0 GET u63 0 GET u63 1
        BITFIELD bf INCRBY i64 0 1 INCRBY i64 0 9223372036854775807 GET i64 0
        BITFIELD bf OVERFLOW SAT SET i64 0 9223372036854775807 INCRBY i64 0 1 INCRBY i64 0 -1
        BITFIELD bf OVERFLOW SAT SET u8 0 -1 SET u8 0 256 SET i8 0 -129 GET u8 0
        BITFIELD bf OVERFLOW WRAP SET u8 0 -1 SET u8 0 256 SET i8 0 -129 GET u8 0
        BITFIELD bf OVERFLOW FAIL SET u8 0 -1 SET u8 0 256 SET i8 0 -129 GET u8 0
        BITFIELD bf OVERFLOW SAT INCRBY u63 0 9223372036854775807 INCRBY u63 0 -9223372036854775808
        BITFIELD bf OVERFLOW WRAP INCRBY u63 0 9223372036854775807 INCRBY u63 0 5
        BITFIELD bf GET u64 0
        BITFIELD bf GET i65 0
        BITFIELD bf GET i0 0
        BITFIELD bf GET x8 0
        BITFIELD bf GET i 0
        BITFIELD bf GET "" 0
        BITFIELD bf GET i8 -1
        BITFIELD bf GET i8 #-1
        BITFIELD bf GET i8 4294967296
        BITFIELD bf GET i8 #536870912
        BITFIELD bf GET i8 x
        BITFIELD bf SET i8 0 x
        BITFIELD bf SET i8 0
        BITFIELD bf GET i8
        BITFIELD bf OVERFLOW
        BITFIELD bf OVERFLOW FOO GET i8 0
        BITFIELD bf FOO
        BITFIELD bf GET i8 0 FOO
        BITFIELD bf
        BITFIELD nosuch GET u8 0 GET i64 0
        BITFIELD nosuch
        EXISTS nosuch
        BITFIELD newkey SET u1 100 0
        GET newkey
        BITFIELD newkey2 OVERFLOW FAIL INCRBY u2 8 9
        GET newkey2
        BITFIELD lst GET u8 0
        BITFIELD lst SET u8 0 1
        BITFIELD n GET u8 0 GET u8 8
        BITFIELD n SET u8 0 57
        GET n
        BITFIELD_RO bf GET u8 0 GET i8 3
        BITFIELD_RO bf SET u8 0 1
        BITFIELD_RO bf INCRBY u8 0 1
        BITFIELD_RO bf GET u8 0 SET u8 0 1 GET x 0
        BITFIELD_RO bf OVERFLOW SAT GET u8 0
        BITFIELD_RO nosuch GET u8 0
        BITFIELD_RO lst GET u8 0
        BITFIELD_RO bf
        GET bf
        # ---- LCS
        SET l1 ohmytext
        SET l2 mynewtext
        LCS l1 l2
        LCS l1 l2 LEN
        LCS l1 l2 IDX
        LCS l1 l2 idx minmatchlen 4
        LCS l1 l2 IDX MINMATCHLEN 4 WITHMATCHLEN
        LCS l1 l2 IDX WITHMATCHLEN
        LCS l1 l2 IDX MINMATCHLEN -5
        LCS l1 l2 LEN IDX
        LCS l1 l2 IDX LEN
        LCS l1 nosuch
        LCS nosuch nosuch2 LEN
        LCS nosuch nosuch2 IDX
        LCS l1 lst
        LCS lst l1 FOO
        LCS l1 l2 FOO
        LCS l1 l2 MINMATCHLEN
        LCS l1 l2 MINMATCHLEN x
        LCS l1 n
        LCS l1
        SET r1 "abcabcabcabcabc"
        SET r2 "cbacbacbacbacba"
        LCS r1 r2
        LCS r1 r2 IDX WITHMATCHLEN
    """)


def check_value(p, key):
    p.cmd("GET", key)


def generated(p, rng):
    """Random calls on a few keys; every write is followed by a GET of its key."""
    p.cmd("FLUSHALL")
    keys = ["g1", "g2", "g3"]
    for k in keys:
        p.cmd("SET", k, bytes(rng.randrange(256) for _ in range(rng.randrange(0, 12))))
    p.cmd("SET", "gi", str(rng.randrange(-10**6, 10**6)))
    keys.append("gi")
    units = [[], ["BYTE"], ["BIT"], ["byte"], ["bit"]]

    def num(lo, hi):
        return str(rng.randrange(lo, hi))

    for _ in range(150):
        k = rng.choice(keys)
        p.cmd("SETBIT", k, num(0, 120), rng.choice(["0", "1"]))
        p.cmd("GETBIT", k, num(0, 130))
        check_value(p, k)
    for _ in range(150):
        k = rng.choice(keys + ["nosuch"])
        args = [num(-20, 20), num(-20, 20)] + rng.choice(units) if rng.random() < .8 else []
        p.cmd("BITCOUNT", k, *args)
    for _ in range(200):
        k = rng.choice(keys + ["nosuch"])
        n = rng.randrange(0, 4)
        args = [num(-20, 20) for _ in range(min(n, 2))]
        if n == 3:
            args.append(rng.choice(["BIT", "BYTE"]))
        p.cmd("BITPOS", k, rng.choice(["0", "1"]), *args)
    for _ in range(60):
        op = rng.choice(["AND", "OR", "XOR", "NOT"])
        nsrc = 1 if op == "NOT" else rng.randrange(1, 4)
        srcs = [rng.choice(keys + ["nosuch"]) for _ in range(nsrc)]
        dest = rng.choice(keys + ["dst"])
        p.cmd("BITOP", op, dest, *srcs)
        check_value(p, dest)
    types = ["u1", "u3", "u8", "u16", "u31", "u63", "i1", "i5", "i8", "i16", "i32", "i63", "i64"]
    for _ in range(200):
        k = rng.choice(keys + ["bfnew"])
        ops = []
        for _ in range(rng.randrange(1, 5)):
            t = rng.choice(types)
            off = num(0, 100) if rng.random() < .8 else "#" + num(0, 6)
            kind = rng.randrange(4)
            if kind == 0:
                ops += ["GET", t, off]
            elif kind == 1:
                ops += ["SET", t, off, str(rng.choice([rng.randrange(-300, 300),
                                                      rng.randrange(-2**63, 2**63)]))]
            elif kind == 2:
                ops += ["INCRBY", t, off, str(rng.choice([rng.randrange(-300, 300),
                                                         rng.randrange(-2**63, 2**63)]))]
            else:
                ops += ["OVERFLOW", rng.choice(["WRAP", "SAT", "FAIL"])]
        p.cmd("BITFIELD", k, *ops)
        check_value(p, k)
        p.cmd("BITFIELD_RO", k, "GET", rng.choice(types), num(0, 100))
    alphabet = b"abc"
    for _ in range(80):
        a = bytes(rng.choice(alphabet) for _ in range(rng.randrange(0, 14)))
        b = bytes(rng.choice(alphabet) for _ in range(rng.randrange(0, 14)))
        p.cmd("MSET", "la", a, "lb", b)
        opts = rng.choice([[], ["LEN"], ["IDX"], ["IDX", "WITHMATCHLEN"],
                           ["IDX", "MINMATCHLEN", num(0, 4)],
                           ["IDX", "MINMATCHLEN", num(0, 4), "WITHMATCHLEN"]])
        p.cmd("LCS", "la", "lb", *opts)


def main():
    seed = int(os.environ.get("SEED", random.randrange(1 << 30)))
    print(f"# SEED={seed}")
    rng = random.Random(seed)
    p = Pair()
    edge_cases(p)
    generated(p, rng)
    # RESP3: maps (LCS IDX), nulls (BITFIELD FAIL) and the same errors.
    c3 = p.connect(resp3=True)
    run_script(c3, """
        SET l1 ohmytext
        SET l2 mynewtext
        LCS l1 l2 IDX WITHMATCHLEN
        BITFIELD bf3 OVERFLOW FAIL INCRBY u2 0 9 GET u2 0
        BITPOS bf3 1
        BITCOUNT bf3 0 -1 BIT
    """)
    # The 512 MB limit: the largest offset grows the string in place to 512 MB (a copy per
    # write would take seconds), one bit more is refused.  redis-server zero-fills 512 MB, which
    # takes seconds on a loaded machine: a longer reply timeout here.
    p.a.timeout = p.b.timeout = 60.0
    run_script(p, """
        SETBIT big 4294967295 1
        STRLEN big
        GETBIT big 4294967295
        SETBIT big 4294967294 1
        BITCOUNT big -1 -1
        BITPOS big 1 -1
        BITFIELD big GET u8 #536870911 SET u1 4294967293 1 GET u3 4294967293
        SETBIT big 4294967296 1
        DEL big
    """)
    # CONFIG SET proto-max-bulk-len lowers the bit offset limit alike.
    run_script(p, """
        CONFIG SET proto-max-bulk-len 1048576
        SETBIT small 8388607 1
        SETBIT small 8388608 1
        BITFIELD small SET u8 #1048576 1
        CONFIG SET proto-max-bulk-len 536870912
    """)
    p.stop()
    respdiff.finish()


if __name__ == "__main__":
    main()
