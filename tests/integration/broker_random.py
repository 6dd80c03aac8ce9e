#!/usr/bin/env python3
"""Random sampling of sc-broker is uniform: HRANDFIELD, SRANDMEMBER, SPOP and RANDOMKEY.

Before, a table-encoded hash, set or keyspace was sampled by picking a random non-empty bucket
and then a random element of its chain, so an element sharing its bucket with others came up
less often (Redis's test "HRANDFIELD with <count>" measured chi-square 81 where it allows 40).

Each case draws many samples over n elements and computes Pearson's chi-square against the
uniform distribution (df = n - 1).  The threshold is the chi-square quantile for p = 1e-6
(Wilson-Hilferty), and a case fails only if three independent tries (fresh keys, so fresh hash
placement) all exceed it: a uniform sampler fails with probability about 1e-18, while the old
sampler exceeds it by a wide margin on every table of a few hundred elements.

Cases: negative counts (independent draws) and small positive counts (distinct draws) of
HRANDFIELD and SRANDMEMBER on tables of 10 (Redis's test) and 200-1000 elements, SPOP one at a
time and SPOP with a small count (members put back after each draw), RANDOMKEY over 200 keys.
"""
import math
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import respdiff as rd  # noqa: E402

TRIES = 3
P_Z = 4.75  # one-sided normal quantile for p ~= 1e-6


def threshold(df):
    """Wilson-Hilferty approximation of the chi-square quantile at P_Z."""
    a = 2.0 / (9.0 * df)
    return df * (1.0 - a + P_Z * math.sqrt(a)) ** 3


def chi_square(samples, population):
    counts = {m: 0 for m in population}
    for s in samples:
        if s not in counts:
            return None  # a sample outside the population
        counts[s] += 1
    exp = len(samples) / len(population)
    return sum((c - exp) ** 2 / exp for c in counts.values())


def pipeline(conn, cmds, batch=500):
    """Sends cmds (lists of args) in batches, returns the parsed replies."""
    out = []
    for i in range(0, len(cmds), batch):
        part = cmds[i:i + batch]
        conn.send_raw(b"".join(rd.encode(*c) for c in part))
        for _ in part:
            out.append(conn.read().value)
    return out


def check_uniform(desc, draw):
    """draw(try_index) -> (samples, population).  Passes if one try is under the threshold."""
    values = []
    for t in range(TRIES):
        samples, population = draw(t)
        x2 = chi_square(samples, population)
        if x2 is None:
            rd.fail(desc + ": a sample outside the population")
            return
        limit = threshold(len(population) - 1)
        values.append("%.1f" % x2)
        if x2 < limit:
            rd.ok("%s: chi-square %.1f < %.1f (df %d, %d samples, try %d)" %
                  (desc, x2, limit, len(population) - 1, len(samples), t + 1))
            return
    rd.fail(desc + ": not uniform", "chi-square of %d tries: %s, threshold %.1f (df %d)" %
            (TRIES, ", ".join(values), limit, len(population) - 1))


def main():
    b = rd.Server.start("broker")
    c = b.conn()
    # Long values keep even 10-element hashes and sets in their table encoding.
    pad = "x" * 70

    def make_hash(key, n):
        c("DEL", key)
        fields = ["f%d-%s" % (i, pad) for i in range(n)]
        for i in range(0, n, 200):
            args = ["HSET", key]
            for f in fields[i:i + 200]:
                args += [f, "v"]
            c(*args)
        rd.check(c("OBJECT", "ENCODING", key) == b"hashtable", "%s is a hashtable" % key)
        return [f.encode() for f in fields]

    def make_set(key, n):
        c("DEL", key)
        members = ["m%d-%s" % (i, pad) for i in range(n)]
        for i in range(0, n, 200):
            c("SADD", key, *members[i:i + 200])
        rd.check(c("OBJECT", "ENCODING", key) == b"hashtable", "%s is a hashtable" % key)
        return [m.encode() for m in members]

    t0 = time.time()
    for n, per in ((10, 200), (1000, 100)):
        def hneg(t, n=n, per=per):
            fields = make_hash("h%d-%d" % (n, t), n)
            return c("HRANDFIELD", "h%d-%d" % (n, t), -n * per), fields
        check_uniform("HRANDFIELD key -%d on %d fields" % (n * per, n), hneg)

        def sneg(t, n=n, per=per):
            members = make_set("s%d-%d" % (n, t), n)
            return c("SRANDMEMBER", "s%d-%d" % (n, t), -n * per), members
        check_uniform("SRANDMEMBER key -%d on %d members" % (n * per, n), sneg)

    # Distinct draws: small counts take the draw-until-distinct path.
    for n, count in ((10, 2), (200, 20)):
        rounds = n * 100 // count

        for cmd, prefix, make, what in (("HRANDFIELD", "hp", make_hash, "fields"),
                                         ("SRANDMEMBER", "sp", make_set, "members")):
            def pos(t, n=n, count=count, rounds=rounds, cmd=cmd, prefix=prefix, make=make,
                    what=what):
                key = "%s%d-%d" % (prefix, n, t)
                items = make(key, n)
                replies = pipeline(c, [[cmd, key, count]] * rounds)
                rd.check(all(len(set(r)) == count for r in replies), "%s %s %d: every reply has "
                         "%d distinct %s" % (cmd, key, count, count, what))
                return [x for r in replies for x in r], items
            check_uniform("%s key %d on %d %s, %d calls" % (cmd, count, n, what, rounds), pos)

    def spop_one(t):
        key = "pop-%d" % t
        members = make_set(key, 200)
        out = []
        for _ in range(2000):  # 2000 x 10 draws of 200, put back after every 10
            popped = pipeline(c, [["SPOP", key]] * 10)
            out += popped
            c("SADD", key, *popped)
        return out, members
    check_uniform("SPOP key on 200 members (put back after every 10)", spop_one)

    def spop_count(t):
        key = "popc-%d" % t
        members = make_set(key, 200)
        out = []
        for _ in range(1000):
            r = c("SPOP", key, 20)
            out += r
            c("SADD", key, *r)
        return out, members
    check_uniform("SPOP key 20 on 200 members (put back)", spop_count)

    def randomkey(t):
        c("SELECT", 1 + t)
        c("FLUSHDB")
        keys = [("k%d-%s" % (i, pad)).encode() for i in range(200)]
        for i in range(0, 200, 100):
            args = ["MSET"]
            for k in keys[i:i + 100]:
                args += [k, "v"]
            c(*args)
        out = pipeline(c, [["RANDOMKEY"]] * 20000)
        c("FLUSHDB")
        c("SELECT", 0)
        return out, keys
    check_uniform("RANDOMKEY over 200 keys", randomkey)

    print("# sampling checks took %.1f s" % (time.time() - t0))
    rd.check(b.alive(), "sc-broker still runs")
    b.stop()
    rd.finish()


if __name__ == "__main__":
    main()
