#!/usr/bin/env python3
"""Differential test of SWAPDB and of WATCH across databases: sc-broker vs redis-server.

SWAPDB: contents, TTLs and DBSIZE swapped while every client stays on its index; the errors for
bad indexes and arity; SWAPDB inside MULTI; no keyspace event for the swap itself, expired
events from the database a key lives in after the swap.  WATCH: a key is watched in the
database it was watched in (a write to the same name elsewhere, or after the watcher SELECTs
away, is no change); what makes a watch dirty as Redis 7.0.15's touchWatchedKey and
touchAllWatchedKeysInDb decide: SWAPDB (a key that exists on either side, never one missing on
both, the stale-key cases), FLUSHDB/FLUSHALL (keys that exist in the flushed database), MOVE
(the source and the target), expired keys (lazily deleted, stale when watched).  SELECT inside
MULTI.  Stale keys (expired, not yet deleted) need DEBUG SET-ACTIVE-EXPIRE 0 on both sides.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import respdiff  # noqa: E402
from respdiff import Pair, run_script  # noqa: E402


def keyspace_counts(conn):
    """INFO keyspace without avg_ttl (a sampled average): [(db, keys, expires), ...]."""
    r = conn("INFO", "keyspace")
    out = []
    for line in r.decode().splitlines():
        if line.startswith("db"):
            name, _, fields = line.partition(":")
            kv = dict(f.split("=") for f in fields.split(","))
            out.append((name, kv["keys"], kv["expires"]))
    return out


def until_marker(conn, limit=50):
    """The raw messages a subscriber got up to and including the next one on "marker"."""
    got = []
    for _ in range(limit):
        r = conn.read()
        got.append(r.raw)
        if isinstance(r.value, list) and len(r.value) == 3 and r.value[1] == b"marker":
            break
    return got


def swapdb_semantics(p, other):
    run_script(p, """
        FLUSHALL
        SELECT 0
        SET a0 zero
        SET t0 ttl EX 1000
        RPUSH l0 x y
        SELECT 1
        SET a1 one
        HSET h1 f v
        SELECT 0
    """)
    # `other` sits on database 1 and stays there across the swap.
    run_script(other, "SELECT 1")
    run_script(p, """
        SWAPDB 0 1
        GET a0
        GET a1
        HGET h1 f
        DBSIZE
        @sorted KEYS *
        TTL t0
        TYPE l0
    """)
    run_script(other, """
        GET a0
        GET a1
        TTL t0
        LRANGE l0 0 -1
        DBSIZE
        @sorted KEYS *
    """)
    p.both(keyspace_counts, desc="INFO keyspace keys/expires after SWAPDB 0 1")
    run_script(p, """
        SWAPDB 1 0
        GET a0
        DBSIZE
        SWAPDB 0 0
        GET a0
        # ---- an empty database swapped with a full one, and a database with itself
        SWAPDB 0 7
        DBSIZE
        SELECT 7
        @sorted KEYS *
        SWAPDB 7 0
        DBSIZE
        SELECT 0
        DBSIZE
        # ---- errors
        SWAPDB 0 16
        SWAPDB 16 0
        SWAPDB -1 0
        SWAPDB 0 -1
        SWAPDB x 0
        SWAPDB 0 x
        SWAPDB x y
        SWAPDB 1.5 0
        SWAPDB "" 0
        SWAPDB " 1" 0
        SWAPDB 0 2147483648
        SWAPDB 2147483648 0
        SWAPDB 0 -2147483649
        SWAPDB 0 9223372036854775808
        SWAPDB 0
        SWAPDB 0 1 2
        SWAPDB
        # ---- inside MULTI: queued, runs at EXEC; a bad index is an error inside EXEC's array
        MULTI
        SWAPDB 0 1
        GET a0
        SWAPDB 0 99
        SWAPDB x 1
        GET a1
        SWAPDB 1 0
        GET a0
        EXEC
        # ---- a wrong arity inside MULTI aborts the transaction
        MULTI
        SWAPDB 0
        EXEC
        GET a0
    """)
    # The swap is no keyspace event; expiries are reported in the database the key lives in
    # after the swap.
    run_script(p, "CONFIG SET notify-keyspace-events KEA")
    sub = p.connect()
    run_script(sub, """
        PSUBSCRIBE __key*__:*
        SUBSCRIBE marker
    """)
    run_script(p, """
        FLUSHALL
        SELECT 3
        SET e3 v PX 200
        SELECT 0
        SWAPDB 3 4
        PUBLISH marker swapped
    """)
    sub.both(until_marker, desc="events up to the marker: SET's, none for SWAPDB 3 4")
    time.sleep(0.5)
    # Active expiry has deleted e3 in database 4 by now.
    run_script(p, "PUBLISH marker done")
    sub.both(until_marker, desc="events up to the marker: e3 expired in db 4")
    sub.close()
    run_script(p, """
        CONFIG SET notify-keyspace-events ""
        SELECT 4
        DBSIZE
        SELECT 0
    """)


def watch_case(p, other, desc, setup, between, check=("PING",), watch_db="0"):
    """Runs `setup` on the watcher (its database `watch_db`, then WATCH ...), `between` lines on
    `other` (a line "@self CMD" runs on the watcher), then MULTI `check` EXEC on the watcher.
    """
    run_script(p, "FLUSHALL")
    run_script(p, "SELECT %s" % watch_db)
    for line in setup:
        p.cmd(*respdiff.split_args(line), desc="%s: %s" % (desc, line))
    between_then_exec(p, other, desc, between, check)


def between_then_exec(p, other, desc, between, check):
    """The second half of a WATCH case: `between` lines on `other` (a line "@self CMD" runs on
    the watcher, "@sleep S" sleeps), then MULTI `check` EXEC on the watcher."""
    for line in between:
        if line.startswith("@self "):
            p.cmd(*respdiff.split_args(line[6:]), desc="%s: (self) %s" % (desc, line[6:]))
        elif line.startswith("@sleep "):
            time.sleep(float(line[7:]))
        else:
            other.cmd(*respdiff.split_args(line), desc="%s: (other) %s" % (desc, line))
    p.cmd("MULTI", desc="%s: MULTI" % desc)
    p.cmd(*check, desc="%s: queue %s" % (desc, " ".join(check)))
    p.cmd("EXEC", desc="%s: EXEC" % desc)
    run_script(other, "SELECT 0")


def watch_across_dbs(p, other):
    w = lambda *a, **k: watch_case(p, other, *a, **k)  # noqa: E731
    # ---- writes in another database are no change
    w("same name written in another db", ["SET x 1", "WATCH x"], ["SELECT 1", "SET x 2"])
    w("same name deleted in another db", ["SET x 1", "SELECT 1", "SET x 1", "SELECT 0",
                                          "WATCH x"], ["SELECT 1", "DEL x"])
    w("watcher selects away, x written in its watch db",
      ["SET x 1", "WATCH x", "SELECT 1"], ["SET x 2"], check=("GET", "x"))
    w("watcher selects away, x written in the watcher's new db",
      ["SET x 1", "WATCH x", "SELECT 1"], ["SELECT 1", "SET x 2"], check=("GET", "x"))
    w("same name watched in two dbs, second one written",
      ["WATCH x", "SELECT 1", "WATCH x", "SELECT 0"], ["SELECT 1", "SET x 2"])
    # ---- FLUSHDB / FLUSHALL touch the keys that exist in the flushed database
    w("FLUSHDB of another db holding the name", ["SET x 1", "WATCH x"],
      ["SELECT 1", "SET x 1", "FLUSHDB"])
    w("FLUSHDB of the watched db, key missing", ["WATCH x"], ["FLUSHDB"])
    w("FLUSHDB of the watched db, key present", ["SET x 1", "WATCH x"], ["FLUSHDB"])
    w("FLUSHDB ASYNC, key present", ["SET x 1", "WATCH x"], ["FLUSHDB ASYNC"])
    w("FLUSHALL, key only in another db", ["SELECT 1", "SET x 1", "SELECT 0", "WATCH x"],
      ["FLUSHALL"])
    w("FLUSHALL, key present", ["SET x 1", "WATCH x"], ["FLUSHALL SYNC"])
    w("FLUSHALL of empty dbs", ["WATCH x y z"], ["FLUSHALL"])
    w("FLUSHDB with a bad argument", ["SET x 1", "WATCH x"], ["FLUSHDB NOW"])
    w("FLUSHDB by the watcher itself", ["SET x 1", "WATCH x"], ["@self FLUSHDB"])
    # ---- MOVE touches the source and the target
    w("MOVE of the watched key away", ["SET x 1", "WATCH x"], ["MOVE x 1"])
    w("MOVE into the watched db", ["WATCH x"], ["SELECT 1", "SET x 1", "MOVE x 0"],
      check=("GET", "x"))
    w("MOVE refused (target holds the key)", ["SET x 1", "SELECT 1", "SET x 2", "SELECT 0",
                                              "WATCH x"], ["MOVE x 1"])
    w("MOVE of a missing key", ["WATCH x"], ["MOVE x 1"])
    w("MOVE to the same db", ["SET x 1", "WATCH x"], ["MOVE x 0"])
    w("MOVE between two other dbs", ["WATCH x"], ["SELECT 2", "SET x 1", "MOVE x 3"])
    w("MOVE with a bad index", ["SET x 1", "WATCH x"],
      ["MOVE x 16", "MOVE x -1", "MOVE x abc", "MOVE x 2147483648", "MOVE x 99999999999"])
    w("MOVE by the watcher itself", ["SET x 1", "WATCH x"], ["@self MOVE x 1"])
    w("MOVE of a volatile key keeps its TTL", ["SET x 1 EX 100", "WATCH x"],
      ["MOVE x 1", "SELECT 1", "TTL x"])
    # ---- SWAPDB
    w("SWAPDB, key only in the watched db", ["SET x 30", "WATCH x"], ["SWAPDB 0 1"])
    w("SWAPDB, key only in the other db", ["SELECT 1", "SET x 30", "SELECT 0", "WATCH x"],
      ["SWAPDB 0 1"])
    w("SWAPDB, arguments the other way", ["SELECT 1", "SET x 30", "SELECT 0", "WATCH x"],
      ["SWAPDB 1 0"])
    w("SWAPDB, key in neither db", ["SELECT 2", "SET x 1", "SELECT 0", "WATCH x"],
      ["SWAPDB 0 1"])
    w("SWAPDB, same value in both", ["SET x 1", "SELECT 1", "SET x 1", "SELECT 0", "WATCH x"],
      ["SWAPDB 0 1"])
    w("SWAPDB of two other dbs", ["SET x 1", "SELECT 1", "SET x 1", "SELECT 0", "WATCH x"],
      ["SWAPDB 1 2"])
    w("SWAPDB of a db with itself", ["SET x 1", "WATCH x"], ["SWAPDB 0 0"])
    w("SWAPDB twice (back to the same contents)", ["SET x 1", "WATCH x"],
      ["SWAPDB 0 1", "SWAPDB 0 1"], check=("GET", "x"))
    w("SWAPDB with a bad index", ["SET x 1", "WATCH x"], ["SWAPDB 0 16", "SWAPDB 0 x"])
    w("SWAPDB, volatile key in the other db", ["SELECT 1", "SET x 1 EX 100", "SELECT 0",
                                               "WATCH x"], ["SWAPDB 0 1"])
    w("SWAPDB, one of several watched keys changes", ["SET a 1", "SELECT 1", "SET b 1",
                                                      "SELECT 0", "WATCH c b d"], ["SWAPDB 0 1"])
    w("SWAPDB, watched in the other db", ["SELECT 1", "SET x 1"], ["SELECT 1", "SWAPDB 0 1"],
      watch_db="1")
    w("SWAPDB by the watcher itself", ["SET x 1", "WATCH x"], ["@self SWAPDB 0 1"])
    w("SWAPDB inside the watcher's own transaction", ["SET x 1", "WATCH x"], [],
      check=("SWAPDB", "0", "1"))
    w("watcher in db 1 watches x there, SWAPDB 1 5",
      ["SELECT 1", "SET x 1", "WATCH x"], ["SWAPDB 1 5"], watch_db="1")
    # ---- expiry
    w("watched key lazily expired by another client", ["SET x 1 PX 100", "WATCH x"],
      ["@sleep 0.3", "GET x"])
    w("watched key expired and deleted by the active cycle", ["SET x 1 PX 50", "WATCH x"],
      ["@sleep 0.5"])
    w("EXPIRE on the watched key", ["SET x 1", "WATCH x"], ["EXPIRE x 100"])
    w("EXPIRE on the same name in another db", ["SET x 1", "WATCH x"],
      ["SELECT 1", "SET x 1", "EXPIRE x 100", "PERSIST x"])


def stale_keys(p, other):
    """Keys past their TTL but not deleted (active expiry off): Redis's watchedKey.expired."""
    run_script(p, "DEBUG SET-ACTIVE-EXPIRE 0")

    def case(desc, before_sleep, after_sleep, between, check=("PING",), db="0"):
        """Like watch_case, with 200 ms between `before_sleep` (keys with PX 1 go stale; with
        active expiry on they would be deleted by then) and `after_sleep` (the WATCH)."""
        run_script(p, "FLUSHALL")
        run_script(p, "SELECT %s" % db)
        for line in before_sleep:
            p.cmd(*respdiff.split_args(line), desc="%s: %s" % (desc, line))
        time.sleep(0.2)
        for line in after_sleep:
            p.cmd(*respdiff.split_args(line), desc="%s: %s" % (desc, line))
        p.cmd("DBSIZE", desc="%s: DBSIZE (stale keys are still there)" % desc)
        between_then_exec(p, other, desc, between, check)

    case("WATCH a stale key", ["SET x foo PX 1"], ["WATCH x"], [])
    case("stale watched key deleted by EXISTS", ["SET x foo PX 1"], ["WATCH x"], ["EXISTS x"])
    case("stale watched key deleted, then set", ["SET x foo PX 1"], ["WATCH x"],
         ["EXISTS x", "SET x new"])
    case("stale watched key overwritten", ["SET x foo PX 1"], ["WATCH x"], ["SET x new"])
    case("FLUSHDB while watching a stale key", ["SET x foo PX 1"], ["WATCH x"], ["FLUSHDB"])
    case("FLUSHALL while watching a stale key", ["SET x foo PX 1"], ["WATCH x"], ["FLUSHALL"])
    case("key expires after WATCH (not stale when watched)", [], ["SET x foo PX 30", "WATCH x"],
         ["@sleep 0.1"])
    case("MOVE of a stale watched key", ["SET x foo PX 1"], ["WATCH x"], ["MOVE x 1"])
    case("MOVE of a stale key into the watched db", ["SELECT 1", "SET x foo PX 1", "SELECT 0"],
         ["WATCH x"], ["SELECT 1", "MOVE x 0"])
    # SWAPDB: multi.tcl's three stale-key cases and the ones around them.
    case("SWAPDB: stale key replaced with no key", ["SELECT 1", "SET x foo PX 1"],
         ["WATCH x"], ["SWAPDB 0 1"], db="1")
    case("SWAPDB: no key replaced with a stale key", ["SET x foo PX 1", "SELECT 1"],
         ["WATCH x"], ["SWAPDB 0 1"], db="0")
    case("SWAPDB: stale key replaced with a stale key",
         ["SELECT 1", "SET x foo PX 1", "SELECT 0", "SET x bar PX 1", "SELECT 1"],
         ["WATCH x"], ["SWAPDB 0 1"], db="0")
    case("SWAPDB: stale key replaced with a live key", ["SET x foo PX 1", "SELECT 1",
                                                       "SET x live", "SELECT 0"],
         ["WATCH x"], ["SWAPDB 0 1"])
    case("SWAPDB: no key replaced with a stale key, then the stale key deleted",
         ["SELECT 1", "SET x foo PX 1", "SELECT 0"], ["WATCH x"],
         ["SWAPDB 0 1", "EXISTS x"])
    case("SWAPDB: no key replaced with a stale key, then the name set",
         ["SELECT 1", "SET x foo PX 1", "SELECT 0"], ["WATCH x"],
         ["SWAPDB 0 1", "SET x new"])
    case("SWAPDB: no key replaced with a stale key, swapped back",
         ["SELECT 1", "SET x foo PX 1", "SELECT 0"], ["WATCH x"],
         ["SWAPDB 0 1", "SWAPDB 0 1"])
    case("SWAPDB: stale key replaced with no key, swapped back",
         ["SET x foo PX 1"], ["WATCH x"], ["SWAPDB 0 1", "SWAPDB 0 1"])
    case("SWAPDB: stale key replaced with a stale key, then FLUSHDB",
         ["SELECT 1", "SET x foo PX 1", "SELECT 0", "SET x bar PX 1"], ["WATCH x"],
         ["SWAPDB 0 1", "FLUSHDB"])
    case("SWAPDB: stale, two watchers in two dbs",
         ["SELECT 1", "SET x foo PX 1", "SELECT 0"], ["WATCH x", "SELECT 1", "WATCH x",
                                                      "SELECT 0"], ["SWAPDB 0 1"])
    run_script(p, "DEBUG SET-ACTIVE-EXPIRE 1")


def select_in_multi(p, other):
    run_script(p, """
        FLUSHALL
        SELECT 0
        MULTI
        SELECT 1
        SET k in1
        SELECT 2
        SET k in2
        EXEC
        GET k
        SELECT 1
        GET k
        SELECT 0
        GET k
        # a bad SELECT inside EXEC is an error in the array; the transaction goes on in the
        # database it was in
        MULTI
        SELECT 1
        SELECT 99
        SELECT x
        GET k
        EXEC
        GET k
        SELECT 0
        # index errors, outside and inside MULTI (an index past an int has its own error)
        SELECT 16
        SELECT -1
        SELECT 2147483648
        SELECT -2147483649
        SELECT 1.0
        SET c 1
        COPY c c2 DB 16
        COPY c c2 DB 2147483648
        COPY c c2 DB x
        MULTI
        SELECT 2147483648
        MOVE c 2147483648
        SWAPDB 0 2147483648
        EXEC
        # a wrong arity aborts
        MULTI
        SELECT
        SET never 1
        EXEC
        EXISTS never
        # the watched key of a SELECTed transaction
        SET w 1
        WATCH w
        MULTI
        SELECT 3
        SET w 3
        EXEC
        GET w
        SELECT 0
        GET w
        # MOVE and SWAPDB inside MULTI with SELECT
        FLUSHALL
        SET m 1
        MULTI
        MOVE m 5
        SELECT 5
        GET m
        SWAPDB 5 0
        GET m
        SELECT 0
        GET m
        EXEC
    """)
    # A transaction that SELECTs away does not dirty its own watches, but another client's
    # watch on the db it writes to is dirtied.
    run_script(other, """
        SELECT 4
        SET o 1
        WATCH o
    """)
    run_script(p, """
        MULTI
        SELECT 4
        SET o 2
        EXEC
        SELECT 0
    """)
    run_script(other, """
        MULTI
        GET o
        EXEC
        SELECT 0
    """)


def main():
    p = Pair(args=("--enable-debug-command", "yes"))
    other = p.connect()
    swapdb_semantics(p, other)
    watch_across_dbs(p, other)
    stale_keys(p, other)
    select_in_multi(p, other)
    other.close()
    respdiff.finish()


if __name__ == "__main__":
    main()
