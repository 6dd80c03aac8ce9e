#!/usr/bin/env python3
"""Differential test of per-key access times: sc-broker vs redis-server.

OBJECT HELP, FREQ and IDLETIME replies and errors (byte-exact); which commands reset a key's
idle time and which do not (TOUCH, reads and writes do; EXISTS TYPE TTL PTTL EXPIRETIME OBJECT
do not: introspection-2's two access-time tests), compared as facts about the numbers
(idle >= 2 after 2.2 s untouched, < 2 after an access) since the seconds themselves depend on
when each server's clock ticks; keyspace hits still counted by the lookups that do not touch;
INFO lru_clock is unix seconds modulo 2^24 on both.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import respdiff  # noqa: E402
from respdiff import Pair, run_script  # noqa: E402

IDLE_WAIT = 2.2  # seconds a key is left alone; its idle time is then >= 2 on both servers


def info_field(conn, section, name):
    for line in conn("INFO", section).decode().splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1]
    return None


def replies(p):
    run_script(p, """
        OBJECT HELP
        OBJECT help
        OBJECT HELP extra
        SET k v
        OBJECT FREQ k
        OBJECT FREQ nosuchkey
        OBJECT FREQ
        OBJECT FREQ k extra
        OBJECT IDLETIME nosuchkey
        OBJECT IDLETIME
        OBJECT IDLETIME k extra
        OBJECT idletime k
        OBJECT NOSUCH k
        OBJECT NOSUCH
        OBJECT
        HSET h f v
        OBJECT FREQ h
        OBJECT IDLETIME h
        MULTI
        OBJECT IDLETIME k
        OBJECT FREQ k
        OBJECT IDLETIME nosuchkey
        EXEC
        # a subcommand's arity is checked when it is queued: the transaction is aborted
        MULTI
        OBJECT IDLETIME
        OBJECT NOSUCH k
        EXEC
        MULTI
        OBJECT HELP extra
        EXEC
        COMMAND GETKEYS OBJECT IDLETIME k
        COMMAND GETKEYS OBJECT FREQ k
    """)


def access_times(p):
    """Keys are set, left alone IDLE_WAIT seconds while some commands run on them, then their
    idle times are compared with 2 (the introspection-2 tests' threshold)."""
    untouching = {  # key -> commands that must not reset its idle time
        "t_ttl": ["TTL t_ttl", "PTTL t_ttl", "EXPIRETIME t_ttl", "PEXPIRETIME t_ttl"],
        "t_type": ["TYPE t_type", "EXISTS t_type", "EXISTS t_type t_type nosuch"],
        "t_object": ["OBJECT ENCODING t_object", "OBJECT REFCOUNT t_object",
                     "OBJECT IDLETIME t_object", "OBJECT FREQ t_object"],
        "t_keys": ["KEYS t_k*", "SCAN 0 MATCH t_keys COUNT 1000", "DBSIZE"],
        "t_vol": ["TTL t_vol"],
    }
    touching = {  # key -> a command that resets it
        "r_touch": "TOUCH r_touch nosuch",
        "r_get": "GET r_get",
        "r_strlen": "STRLEN r_strlen",
        "r_append": "APPEND r_append x",
        "r_set": "SET r_set new",
        "r_expire": "EXPIRE r_expire 1000",
        "r_persist": "PERSIST r_persist",
        "r_hget": "HGET r_hget f",
        "r_lpush": "LPUSH r_lpush x",
        "r_rename_src": "RENAME r_rename_src r_renamed",
        "r_copy_src": "COPY r_copy_src r_copied",
    }
    run_script(p, "FLUSHALL")
    for k in untouching:
        p.cmd("SET", k, "v")
    p.cmd("EXPIRE", "t_vol", "1000")
    for k in touching:
        p.cmd("SET", k, "v")
    p.cmd("DEL", "r_hget", "r_lpush")  # a hash and a list instead of strings
    p.cmd("HSET", "r_hget", "f", "v")
    p.cmd("RPUSH", "r_lpush", "a")
    p.cmd("EXPIRE", "r_persist", "1000")
    p.cmd("SET", "r_moved", "v")
    half = IDLE_WAIT / 2
    time.sleep(half)
    for cmds in untouching.values():
        for line in cmds:
            p.cmd_type(*respdiff.split_args(line), desc="(no touch) " + line)
    time.sleep(IDLE_WAIT - half)
    for line in touching.values():
        p.cmd(*respdiff.split_args(line), desc="(touch) " + line)
    p.cmd("MOVE", "r_moved", "3")

    def idle(key, db=0):
        def fn(conn):
            conn("SELECT", str(db))
            v = conn("OBJECT", "IDLETIME", key)
            conn("SELECT", "0")
            return v
        return fn

    for k in untouching:
        p.both(lambda c, k=k: idle(k)(c) >= 2, desc="idle time of %s >= 2 after %s" %
               (k, ", ".join(untouching[k])))
    for k, line in touching.items():
        if k == "r_rename_src":
            k = "r_renamed"
        p.both(lambda c, k=k: idle(k)(c) < 2, desc="idle time of %s < 2 after %s" % (k, line))
    p.both(lambda c: idle("r_copy_src")(c) < 2 and idle("r_copied")(c) < 2,
           desc="COPY: source and copy idle < 2")
    p.both(lambda c: idle("r_moved", 3)(c) < 2, desc="MOVE: the moved key idle < 2")
    # Ordering after a short sleep: an older key is at least as idle as a newer one.
    run_script(p, "SET older v")
    time.sleep(1.1)
    run_script(p, "SET newer v")
    p.both(lambda c: idle("older")(c) >= idle("newer")(c) and idle("older")(c) >= 1,
           desc="an older key is more idle than a newer one")


def stats_and_clock(p):
    run_script(p, "SET s v")

    def hits_misses(conn):
        before = [int(info_field(conn, "stats", f)) for f in ("keyspace_hits",
                                                               "keyspace_misses")]
        for args in (("TTL", "s"), ("TYPE", "s"), ("EXISTS", "s", "nosuch"),
                     ("OBJECT", "IDLETIME", "s"), ("OBJECT", "FREQ", "nosuch"),
                     ("TOUCH", "s", "nosuch")):
            conn(*args)
        after = [int(info_field(conn, "stats", f)) for f in ("keyspace_hits",
                                                              "keyspace_misses")]
        return [a - b for a, b in zip(after, before)]
    p.both(hits_misses, desc="lookups that do not touch still count keyspace hits and misses")

    def lru_clock_now(conn):
        clock = int(info_field(conn, "server", "lru_clock"))
        return abs(clock - (int(time.time()) & ((1 << 24) - 1))) <= 2
    p.both(lru_clock_now, desc="INFO lru_clock is unix seconds modulo 2^24")


def main():
    p = Pair()
    replies(p)
    access_times(p)
    stats_and_clock(p)
    respdiff.finish()


if __name__ == "__main__":
    main()
