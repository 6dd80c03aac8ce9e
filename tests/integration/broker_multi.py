#!/usr/bin/env python3
"""Differential test of transactions: sc-broker vs redis-server, raw reply bytes.

MULTI EXEC DISCARD WATCH UNWATCH: queued replies, runtime errors inside EXEC (the transaction
goes on) versus queue-time errors (EXECABORT), nested MULTI, WATCH inside MULTI, DISCARD and
EXEC without MULTI, WATCH invalidated by another client, by the client itself, by DEL, by
FLUSHDB/FLUSHALL (only keys that existed), not by a write in another database, UNWATCH, a
watched key that expires before EXEC, and the RESP3 null of an aborted EXEC.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import respdiff  # noqa: E402
from respdiff import Pair, run_script  # noqa: E402


def main():
    p = Pair()

    run_script(p, """
        # ---- basics
        MULTI
        SET a 1
        INCR a
        GET a
        LPUSH l x y
        LRANGE l 0 -1
        EXEC
        MULTI
        EXEC
        EXEC
        DISCARD
        # ---- runtime errors do not stop the transaction
        SET s str
        MULTI
        INCR s
        LPUSH s x
        SET after ok
        GET s
        LPOP s 1 2
        EXEC
        GET after
        # ---- queue-time errors abort it
        MULTI
        SET q1 v
        NOSUCHCOMMAND a b
        SET q2 v
        EXEC
        EXISTS q1 q2
        MULTI
        SET q1 v
        GET
        EXEC
        EXISTS q1
        MULTI
        WATCH
        EXEC
        # ---- nested MULTI / WATCH inside MULTI are errors, but do not abort
        MULTI
        MULTI
        WATCH a
        SET n 1
        EXEC
        GET n
        # ---- DISCARD
        MULTI
        SET d 1
        DISCARD
        GET d
        DISCARD
        EXEC
        # ---- UNWATCH is queued
        MULTI
        UNWATCH
        PING
        ECHO hi
        EXEC
    """)

    other = p.connect()

    def watch_case(desc, setup, between, in_multi=("SET", "wk", "mine")):
        for args in setup:
            p.cmd(*args, desc="%s: %s" % (desc, " ".join(args)))
        for args in between:
            if args[0] == "@self":
                p.cmd(*args[1:], desc="%s: (self) %s" % (desc, " ".join(args[1:])))
            elif args[0] == "@sleep":
                time.sleep(float(args[1]))
            else:
                other.cmd(*args, desc="%s: (other) %s" % (desc, " ".join(args)))
        p.cmd("MULTI", desc="%s: MULTI" % desc)
        p.cmd(*in_multi, desc="%s: queue" % desc)
        p.cmd("EXEC", desc="%s: EXEC" % desc)
        p.cmd("GET", "wk", desc="%s: value after" % desc)

    watch_case("untouched watch", [("DEL", "wk"), ("WATCH", "wk")], [])
    watch_case("another client writes", [("SET", "wk", "0"), ("WATCH", "wk")],
               [("SET", "wk", "theirs")])
    watch_case("another client deletes", [("SET", "wk", "0"), ("WATCH", "wk")],
               [("DEL", "wk")])
    watch_case("missing key created by another", [("DEL", "wk"), ("WATCH", "wk")],
               [("LPUSH", "wk", "x")], in_multi=("TYPE", "wk"))
    watch_case("the watching client writes", [("SET", "wk", "0"), ("WATCH", "wk")],
               [("@self", "SET", "wk", "self")])
    watch_case("unrelated key", [("SET", "wk", "0"), ("WATCH", "wk", "wk2")],
               [("SET", "unrelated", "x")])
    watch_case("second watched key", [("SET", "wk", "0"), ("WATCH", "wk"), ("WATCH", "wk2")],
               [("SET", "wk2", "x")])
    watch_case("same name in another db", [("SET", "wk", "0"), ("WATCH", "wk")],
               [("SELECT", "5"), ("SET", "wk", "x"), ("SELECT", "0")])
    watch_case("UNWATCH forgets", [("SET", "wk", "0"), ("WATCH", "wk")],
               [("SET", "wk", "x"), ("@self", "UNWATCH")])
    watch_case("FLUSHDB of an existing key", [("SET", "wk", "0"), ("WATCH", "wk")],
               [("FLUSHDB",)])
    watch_case("FLUSHALL of a missing key", [("DEL", "wk"), ("WATCH", "wk")],
               [("FLUSHALL",)])
    watch_case("FLUSHDB of another db", [("SET", "wk", "0"), ("WATCH", "wk")],
               [("SELECT", "3"), ("FLUSHDB",), ("SELECT", "0")])
    watch_case("EXPIRE by another client", [("SET", "wk", "0"), ("WATCH", "wk")],
               [("EXPIRE", "wk", "100")])
    watch_case("no-op write (failed LPUSHX)", [("DEL", "wk"), ("WATCH", "wk")],
               [("LPUSHX", "wk", "x")])
    watch_case("watched key expires before EXEC", [("SET", "wk", "0", "PX", "100"),
                                                   ("WATCH", "wk")],
               [("@sleep", "0.5")])
    watch_case("watched key expires, nobody touches it",
               [("SET", "wk", "0", "PX", "300"), ("WATCH", "wk")], [("@sleep", "0.4")],
               in_multi=("PING",))
    watch_case("watched key with a TTL in the future", [("SET", "wk", "0", "EX", "100"),
                                                        ("WATCH", "wk")], [])

    # WATCH after the client is already dirty, and a dirty transaction cleared by EXEC.
    run_script(p, """
        SET wa 1
        WATCH wa
    """)
    other.cmd("SET", "wa", "2")
    run_script(p, """
        WATCH wb
        MULTI
        GET wa
        EXEC
        MULTI
        GET wa
        EXEC
    """)

    # RESP3: the aborted EXEC is a null, the results are an array.
    r3 = p.connect(resp3=True)
    run_script(r3, """
        SET r3 1
        WATCH r3
    """)
    other.cmd("INCR", "r3")
    run_script(r3, """
        MULTI
        GET r3
        EXEC
        MULTI
        GET r3
        HGETALL nohash
        EXEC
        MULTI
        NOPE
        EXEC
    """)
    r3.close()

    # RESET forgets the transaction state, including a dirty WATCH (Redis's
    # clearClientConnectionState always runs discardTransaction).
    run_script(p, """
        SET rw 1
        WATCH rw
    """)
    other.cmd("SET", "rw", "2")
    with respdiff.optional("RESET must clear kClientDirtyCas (conn.cpp reset_cmd)"):
        run_script(p, """
            RESET
            MULTI
            GET rw
            EXEC
        """)
    run_script(p, """
        MULTI
        SET rm 1
        RESET
        EXEC
        GET rm
    """)

    # SWAPDB touches the watched keys whose value changes with the swap (Redis 7.0's
    # touchAllWatchedKeysInDb), in the watched database and in the other one.
    run_script(p, """
        FLUSHALL
        SELECT 0
        SET x 30
        WATCH x
        SWAPDB 0 1
        MULTI
        PING
        EXEC
        FLUSHALL
        SELECT 1
        SET x 30
        SELECT 0
        WATCH x
        SWAPDB 0 1
        MULTI
        PING
        EXEC
        FLUSHALL
        WATCH nothere
        SWAPDB 0 1
        MULTI
        PING
        EXEC
        SELECT 5
        SET y 1
        SELECT 0
        WATCH y
        SWAPDB 5 6
        MULTI
        PING
        EXEC
        SELECT 0
    """)

    # A client that disconnects while watching leaves no trace.
    w = p.connect()
    w.cmd("WATCH", "gone1", "gone2")
    w.close()
    time.sleep(0.1)
    p.cmd("SET", "gone1", "x")
    p.cmd("PING")
    other.close()
    respdiff.finish()


if __name__ == "__main__":
    main()
