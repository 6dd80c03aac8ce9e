#!/usr/bin/env python3
"""Blocking list commands: BLPOP BRPOP BRPOPLPUSH BLMOVE BLMPOP.

Differential (sc-broker vs redis-server, raw reply bytes) wherever Redis is deterministic:
replies when data is there, argument and timeout errors, timeouts, several blocked clients
served in the order they blocked, MULTI (never blocks; isolation of EXEC), type changes,
DEL/RENAME/MOVE/SWAPDB, chains of BLMOVE/BRPOPLPUSH, pipelined commands after a blocked
one, CLIENT UNBLOCK, disconnects, expired keys made ready, INFO blocked_clients, CLIENT LIST
flags=b, MONITOR, command stats and keyspace events.  Broker-only: the AOF holds the
non-blocking commands that ran and loads back; 100 clients blocked forever cost no CPU; a
garbage timeout leaves the connection usable.

BLOCKING_STEPS (300) and BLOCKING_SEED set the randomised run (its seed is printed).
"""
import glob
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import respdiff  # noqa: E402
from respdiff import Conn, Pair, Server, check, finish, ok, run_script, tmpdir  # noqa: E402


def blocked_count(conn):
    for line in conn("INFO", "clients").decode().splitlines():
        if line.startswith("blocked_clients:"):
            return int(line.split(":")[1])
    return -1


def wait_blocked(p, n, what=""):
    """Polls both servers (at most 5 s) until each reports n blocked clients."""
    counts = (None, None)
    for _ in range(250):
        counts = (blocked_count(p.a), blocked_count(p.b))
        if counts == (n, n):
            return True
        time.sleep(0.02)
    check(False, "both servers report %d blocked clients %s" % (n, what),
          "sc-broker %s, redis %s" % counts)
    return False


def block(p, cp, n, *args):
    """Sends args on both sides of conn pair cp and waits for n blocked clients."""
    cp._send_both(respdiff.encode(*args))
    wait_blocked(p, n, "after " + respdiff._desc(args))


def read_same(cp, desc, n=1, timeout=3):
    """Reads n replies on both sides of cp and compares the raw bytes."""
    (ra, rb) = cp._read_both(n, timeout)
    raw_a, raw_b = cp._raws(ra), cp._raws(rb)
    check(raw_a == raw_b and all(isinstance(r, respdiff.Reply) for r in ra),
          desc + "  -> " + respdiff.show(raw_a, 60), respdiff._sides(raw_a, raw_b))


def nothing_pending(cp, desc, wait=0.2):
    """Neither side has sent anything within `wait` seconds."""
    got = []
    for conn in (cp.a, cp.b):
        try:
            got.append(conn.read(wait).raw)
        except respdiff.Timeout:
            got.append(None)
    check(got == [None, None], desc, "received %r" % got)


def immediate(p):
    run_script(p, """
        # ---- data is there: like LPOP/RPOP/LMOVE
        RPUSH l1 a b c
        RPUSH l2 x y
        BLPOP l1 l2 0
        BRPOP l1 l2 0
        BLPOP nokey l2 1
        BRPOP nokey l2 0.5
        BLPOP l1 l1 l1 0
        EXISTS l1 l2
        RPUSH l1 1 2 3 4 5
        BLMPOP 0 2 nokey l1 LEFT COUNT 2
        BLMPOP 0 1 l1 right count 10
        EXISTS l1
        RPUSH l1 1 2 3
        BLMPOP 1.5 1 l1 left
        BRPOPLPUSH l1 dst 0
        BLMOVE l1 dst LEFT RIGHT 0
        LRANGE dst 0 -1
        BLMOVE dst dst right left 0
        LRANGE dst 0 -1
        # ---- wrong types
        SET s str
        BLPOP s 0
        BLPOP nokey s 0
        RPUSH l3 v
        BLPOP l3 s 0
        BRPOPLPUSH s dst 0
        BRPOPLPUSH dst s 0
        BLMOVE s dst left left 0
        BLMPOP 0 2 nokey s LEFT
        LRANGE dst 0 -1
        # ---- timeouts that parse (data present, so nothing blocks)
        RPUSH t a b c d e f g h i j
        BLPOP t 1e1
        BLPOP t 0x10
        BLPOP t .5
        BLPOP t 0.0001
        BLPOP t -0.0001
        BLPOP t 3.99999999
        BLPOP t 00001
        BLPOP t 9223372036854775
        # ---- timeouts that do not
        BLPOP t -1
        BLPOP t -0.001
        BLPOP t abc
        BLPOP t ""
        BLPOP t " 1"
        BLPOP t "1 "
        BLPOP t nan
        BLPOP t inf
        BLPOP t -inf
        BLPOP t 1e400
        BLPOP t 9223372036854776
        BLPOP t 99999999999999999999999
        BRPOP t x
        BRPOPLPUSH t dst -5
        BLMOVE t dst LEFT LEFT x
        BLMOVE t dst UP LEFT 0
        BLMOVE t dst LEFT DOWN -1
        BLMPOP x 1 t LEFT
        BLMPOP -1 1 t LEFT
        BLMPOP 0 0 t LEFT
        BLMPOP 0 -1 t LEFT
        BLMPOP 0 x t LEFT
        BLMPOP 0 3 t LEFT
        BLMPOP 0 1 t MIDDLE
        BLMPOP 0 1 t LEFT COUNT 0
        BLMPOP 0 1 t LEFT COUNT -1
        BLMPOP 0 1 t LEFT COUNT x
        BLMPOP 0 1 t LEFT COUNT 1 COUNT 2
        BLMPOP 0 1 t LEFT FOO
        BLMPOP 0 1 t LEFT COUNT
        BLMPOP x 1 t MIDDLE
        BLMPOP 0 9223372036854775807 t LEFT
        # ---- arity
        BLPOP
        BLPOP t
        BRPOP t
        BRPOPLPUSH t dst
        BLMOVE t dst LEFT LEFT
        BLMPOP 0 1 t
        BLMPOP 0 1
        LRANGE t 0 -1
        # ---- MULTI: nothing blocks; the empty case is replied
        DEL e
        MULTI
        BLPOP e 0
        BRPOP e 1
        BLMPOP 0 1 e LEFT
        BRPOPLPUSH e dst 0
        BLMOVE e dst LEFT LEFT 0
        BLPOP e -1
        RPUSH e x
        BLPOP e 0
        EXEC
        DEL xlist target
        LPUSH xlist foo
        LPUSH xlist bar
        MULTI
        BRPOPLPUSH xlist target 0
        BRPOPLPUSH xlist target 0
        BRPOPLPUSH xlist target 0
        LRANGE xlist 0 -1
        LRANGE target 0 -1
        EXEC
    """)
    # RESP3: the MULTI empty case and a timeout are nulls of RESP3.
    p3 = p.connect(resp3=True)
    for args in (("MULTI",), ("BLPOP", "e3", "0"), ("BLMOVE", "e3", "d", "LEFT", "LEFT", "0"),
                 ("BLMPOP", "0", "1", "e3", "LEFT"), ("EXEC",), ("BLPOP", "e3", "0.05"),
                 ("BRPOPLPUSH", "e3", "d", "0.05"), ("RPUSH", "e3", "a", "b"),
                 ("BLMPOP", "0", "1", "e3", "RIGHT", "COUNT", "5")):
        p3.cmd(*args)
    p3.close()


def served(p):
    cp = p.connect()
    p.cmd("DEL", "k", "k2")
    # One client: the pushed element reaches it; the key is gone again.
    for cmd in (("BLPOP", "k", "0"), ("BRPOP", "k", "k2", "0"), ("BLMPOP", "0", "1", "k", "LEFT"),
                ("BLMPOP", "0", "2", "k2", "k", "RIGHT", "COUNT", "2")):
        block(p, cp, 1, *cmd)
        p.cmd("RPUSH", "k", "a", "b", "c")
        read_same(cp, "%s served by RPUSH k a b c" % " ".join(cmd))
        p.cmd("LRANGE", "k", "0", "-1")
        p.cmd("DEL", "k")
    # Several clients are served in the order they blocked, one element each.
    conns = [p.connect() for _ in range(4)]
    for i, c in enumerate(conns):
        block(p, c, i + 1, "BLPOP", "q", "q2", "0")
    p.cmd("RPUSH", "q", "1", "2")
    for i, c in enumerate(conns[:2]):
        read_same(c, "client %d (blocked %s) gets element %d" % (i, ["first", "second"][i], i + 1))
    wait_blocked(p, 2, "(two still waiting)")
    p.cmd("RPUSH", "q2", "x", "y", "z")
    read_same(conns[2], "third client gets x from q2")
    read_same(conns[3], "fourth client gets y from q2")
    p.cmd("LRANGE", "q2", "0", "-1")
    for c in conns:
        c.close()
    # BLMPOP with several clients and one EXEC feeding two keys (Redis's own test).
    p.cmd("DEL", "bl", "bl2")
    conns = [p.connect() for _ in range(4)]
    for i, (c, args) in enumerate(zip(conns, (("LEFT", "COUNT", "1"), ("RIGHT", "COUNT", "10"),
                                              ("LEFT", "COUNT", "10"), ("RIGHT", "COUNT", "1")))):
        block(p, c, i + 1, "BLMPOP", "0", "2", "bl", "bl2", *args)
    run_script(p, """
        MULTI
        LPUSH bl a b c d e
        LPUSH bl2 1 2 3 4 5
        EXEC
    """)
    for i in range(3):
        read_same(conns[i], "BLMPOP client %d served after EXEC" % i)
    p.cmd("LPUSH", "bl2", "1", "2", "3")
    read_same(conns[3], "last BLMPOP client served by the next LPUSH")
    for c in conns:
        c.close()
    # MULTI/EXEC is isolated: the waiter sees the list as EXEC left it.
    block(p, cp, 1, "BLPOP", "iso", "0")
    run_script(p, """
        MULTI
        LPUSH iso a
        LPUSH iso b
        LPUSH iso c
        EXEC
    """)
    read_same(cp, "BLPOP after MULTI LPUSH a b c EXEC gets c")
    p.cmd("LRANGE", "iso", "0", "-1")
    # LPUSH + DEL (+ SET) in one transaction wakes nobody; a type change does not serve.
    p.cmd("DEL", "iso")
    block(p, cp, 1, "BLMPOP", "0", "1", "iso", "LEFT")
    run_script(p, """
        MULTI
        LPUSH iso a
        DEL iso
        EXEC
        MULTI
        LPUSH iso a
        DEL iso
        SET iso foo
        EXEC
        TYPE iso
    """)
    nothing_pending(cp, "LPUSH+DEL and LPUSH+DEL+SET in MULTI wake nobody")
    p.cmd("DEL", "iso")
    p.cmd("LPUSH", "iso", "b")
    read_same(cp, "then LPUSH iso b serves the waiter")
    # A key blocked on turns into a string, then back into a list.
    block(p, cp, 1, "BRPOP", "tc", "0")
    p.cmd("SET", "tc", "x")
    p.cmd("APPEND", "tc", "y")
    nothing_pending(cp, "SET of the waited key serves nobody")
    p.cmd("DEL", "tc")
    p.cmd("RPUSH", "tc", "v")
    read_same(cp, "RPUSH after DEL serves the waiter")
    cp.close()


def keyspace_moves(p):
    cp = p.connect()
    p.cmd("FLUSHALL")
    # RENAME into the waited key.
    block(p, cp, 1, "BLPOP", "foo", "0")
    p.cmd("RPUSH", "bob", "abc", "def", "hij")
    p.cmd("RENAME", "bob", "foo")
    read_same(cp, "RENAME bob foo serves BLPOP foo")
    p.cmd("LRANGE", "foo", "0", "-1")
    # MOVE from another database into the waiter's.
    block(p, cp, 1, "BLMPOP", "0", "1", "mv", "RIGHT", "COUNT", "5")
    run_script(p, """
        SELECT 1
        RPUSH mv 1 2 3
        MOVE mv 0
        SELECT 0
        EXISTS mv
    """)
    read_same(cp, "MOVE mv 0 serves BLMPOP in db 0")
    # SWAPDB: the waiter stays in db 0, whose contents now hold the key.
    block(p, cp, 1, "BRPOP", "sw", "0")
    run_script(p, """
        SELECT 2
        RPUSH sw hello world
        SELECT 0
        SWAPDB 0 2
    """)
    read_same(cp, "SWAPDB 0 2 serves BRPOP sw")
    p.cmd("LRANGE", "sw", "0", "-1")
    # SWAPDB that brings a string: nobody served; the waiter in the other db either.
    cp2 = p.connect()
    cp2.cmd("SELECT", "3")
    block(p, cp, 1, "BLPOP", "sw2", "0")
    block(p, cp2, 2, "BLPOP", "sw2", "0")
    run_script(p, """
        SELECT 4
        SET sw2 notalist
        SELECT 0
        SWAPDB 0 4
        TYPE sw2
    """)
    nothing_pending(cp, "SWAPDB bringing a string serves nobody")
    p.cmd("SWAPDB", "0", "4")
    p.cmd("SELECT", "3")
    p.cmd("RPUSH", "sw2", "z")
    p.cmd("SELECT", "0")
    read_same(cp2, "RPUSH in db 3 serves the client waiting in db 3")
    # DEL of an unrelated list keeps the waiter waiting; a push elsewhere too.
    p.cmd("RPUSH", "sw2", "y")
    read_same(cp, "RPUSH in db 0 serves the client waiting in db 0")
    cp.close()
    cp2.close()


def chains(p):
    p.cmd("FLUSHALL")
    c1, c2 = p.connect(), p.connect()
    # BLMOVE into a key another client waits on (the element passes through).
    for wf in ("LEFT", "RIGHT"):
        for wt in ("LEFT", "RIGHT"):
            block(p, c2, 1, "BLPOP", "target", "0")
            block(p, c1, 2, "BLMOVE", "blist", "target", wf, wt, "0")
            p.cmd("RPUSH", "blist", "foo")
            read_same(c1, "BLMOVE %s %s replies foo" % (wf, wt))
            read_same(c2, "BLPOP target receives what BLMOVE pushed")
            p.cmd("EXISTS", "target", "blist")
    # Linked LMOVEs and a circle of BRPOPLPUSH.
    block(p, c1, 1, "BLMOVE", "list1", "list2", "RIGHT", "LEFT", "0")
    block(p, c2, 2, "BLMOVE", "list2", "list3", "LEFT", "RIGHT", "0")
    p.cmd("RPUSH", "list1", "foo")
    read_same(c1, "linked LMOVEs: first")
    read_same(c2, "linked LMOVEs: second")
    run_script(p, """
        LRANGE list1 0 -1
        LRANGE list2 0 -1
        LRANGE list3 0 -1
        DEL list1 list2 list3
    """)
    block(p, c1, 1, "BRPOPLPUSH", "list1", "list2", "0")
    block(p, c2, 2, "BRPOPLPUSH", "list2", "list1", "0")
    p.cmd("RPUSH", "list1", "foo")
    read_same(c1, "circular BRPOPLPUSH: first")
    read_same(c2, "circular BRPOPLPUSH: second")
    p.cmd("LRANGE", "list1", "0", "-1")
    p.cmd("LRANGE", "list2", "0", "-1")
    # Self-referential BRPOPLPUSH.
    p.cmd("DEL", "blist")
    block(p, c1, 1, "BRPOPLPUSH", "blist", "blist", "0")
    p.cmd("RPUSH", "blist", "foo")
    read_same(c1, "self-referential BRPOPLPUSH")
    p.cmd("LRANGE", "blist", "0", "-1")
    # Wrong destination type when served: WRONGTYPE, and the element stays; the next waiter
    # is served.
    run_script(p, """
        DEL blist t1 t2
        SET t1 nolist
    """)
    block(p, c1, 1, "BRPOPLPUSH", "blist", "t1", "0")
    block(p, c2, 2, "BRPOPLPUSH", "blist", "t2", "0")
    p.cmd("RPUSH", "blist", "a", "b", "c")
    read_same(c1, "served BRPOPLPUSH into a string: WRONGTYPE")
    read_same(c2, "the next waiter gets c")
    p.cmd("LRANGE", "blist", "0", "-1")
    p.cmd("LRANGE", "t2", "0", "-1")
    # Regression for Redis bug 593: two pipelined BRPOPLPUSH a b, and BRPOPLPUSH b c.
    p.cmd("DEL", "a", "b", "c")
    c1._send_both(respdiff.encode("BRPOPLPUSH", "a", "b", "0") +
                  respdiff.encode("BRPOPLPUSH", "a", "b", "0"))
    wait_blocked(p, 1, "(first BRPOPLPUSH a b)")
    block(p, c2, 2, "BRPOPLPUSH", "b", "c", "0")
    p.cmd("LPUSH", "a", "data")
    read_same(c1, "bug 593: first BRPOPLPUSH a b served")
    read_same(c2, "bug 593: BRPOPLPUSH b c served in the same turn")
    wait_blocked(p, 1, "(the pipelined BRPOPLPUSH a b now blocks)")
    run_script(p, """
        LRANGE a 0 -1
        LRANGE b 0 -1
        LRANGE c 0 -1
        LPUSH a again
    """)
    read_same(c1, "bug 593: the pipelined BRPOPLPUSH is served by the next push")
    c1.close()
    c2.close()


def pipelines_and_watch(p):
    p.cmd("FLUSHALL")
    cp = p.connect()
    # Commands pipelined after a blocking one wait until it is served.
    cp._send_both(respdiff.encode("SET", "x", "1") + respdiff.encode("BLPOP", "pl", "0") +
                  respdiff.encode("GET", "x") + respdiff.encode("LLEN", "pl") +
                  respdiff.encode("INCR", "x"))
    read_same(cp, "SET before the BLPOP is answered")
    wait_blocked(p, 1)
    nothing_pending(cp, "nothing after the BLPOP is answered while it waits")
    p.cmd("GET", "x")
    p.cmd("RPUSH", "pl", "a", "b")
    read_same(cp, "BLPOP served, then the pipelined GET LLEN INCR", n=4)
    wait_blocked(p, 0)
    # The pipelined tail may block again: served by the next push.
    cp._send_both(respdiff.encode("BLPOP", "pl2", "0") + respdiff.encode("BLPOP", "pl2", "0") +
                  respdiff.encode("PING"))
    wait_blocked(p, 1)
    p.cmd("RPUSH", "pl2", "1")
    read_same(cp, "first of two pipelined BLPOPs served")
    wait_blocked(p, 1, "(the second BLPOP waits)")
    nothing_pending(cp, "PING after the second BLPOP waits too")
    p.cmd("RPUSH", "pl2", "2")
    read_same(cp, "second BLPOP served, then PING", n=2)
    # A push made by the served BRPOPLPUSH dirties a WATCH; a waiting one does not.
    w = p.connect()
    p.cmd("SET", "somekey", "somevalue")
    block(p, cp, 1, "BRPOPLPUSH", "src", "dst", "0")
    run_script(w, """
        WATCH dst
        MULTI
        GET somekey
    """)
    p.cmd("LPUSH", "src", "element")
    read_same(cp, "BRPOPLPUSH served")
    w.cmd("EXEC", desc="EXEC after the served BRPOPLPUSH pushed to the WATCHed key: null")
    block(p, cp, 1, "BRPOPLPUSH", "src", "dst2", "0")
    run_script(w, """
        WATCH dst2
        MULTI
        GET somekey
        EXEC
    """)
    p.cmd("LPUSH", "src", "element")
    read_same(cp, "BRPOPLPUSH served after the EXEC")
    w.close()
    cp.close()


def timeouts(p):
    cp = p.connect()
    for args in (("BLPOP", "no1", "no2", "0.05"), ("BRPOP", "no1", "0.01"),
                 ("BRPOPLPUSH", "no1", "d", "0.05"), ("BLMOVE", "no1", "d", "LEFT", "RIGHT", "0.1"),
                 ("BLMPOP", "0.05", "2", "no1", "no2", "LEFT", "COUNT", "3"),
                 ("BLPOP", "no1", "0.001")):
        t0 = time.monotonic()
        cp.cmd(*args, timeout=3)
        dt = time.monotonic() - t0
        want = float(args[-1] if args[0] != "BLMPOP" else args[1])
        check(dt >= want * 0.9 and dt < want + 1.0,
              "%s times out after about %ss (%.3fs)" % (args[0], want, dt))
    wait_blocked(p, 0)
    # Zero blocks forever: still waiting after 1 s, then served.
    block(p, cp, 1, "BRPOP", "z", "0")
    time.sleep(1.0)
    nothing_pending(cp, "timeout 0 still blocks after 1 s", wait=0.05)
    p.cmd("RPUSH", "z", "v")
    read_same(cp, "then served")
    cp.close()


def unblock_and_disconnect(p):
    p.cmd("FLUSHALL")
    cp = p.connect()
    ids = cp.each(lambda c: c("CLIENT", "ID"))

    def blocked_id(c):  # the id of cp's client on the server that c talks to
        return ids[0] if c is p.a else ids[1]

    def unblock(*reason):
        p.cmd_f(lambda c: ["CLIENT", "UNBLOCK", blocked_id(c)] + list(reason),
                "CLIENT UNBLOCK <id> %s" % " ".join(reason))

    for cmd in (("BLPOP", "l", "0"), ("BLMPOP", "0", "1", "l", "RIGHT"),
                ("BLMOVE", "l", "d", "LEFT", "LEFT", "0"), ("BRPOPLPUSH", "l", "d", "100")):
        for reason in ((), ("TIMEOUT",), ("ERROR",), ("timeout",), ("error",)):
            block(p, cp, 1, *cmd)
            unblock(*reason)
            read_same(cp, "%s unblocked with %s" % (cmd[0], reason or "no reason"))
            wait_blocked(p, 0)
    run_script(p, """
        CLIENT UNBLOCK asd
        CLIENT UNBLOCK 999999
        CLIENT UNBLOCK 999999 TIMEOUT
        CLIENT UNBLOCK 999999 ERROR
        CLIENT UNBLOCK 999999 FOO
        CLIENT UNBLOCK asd FOO
        CLIENT UNBLOCK 1 TIMEOUT x
        CLIENT UNBLOCK
    """)
    p.cmd_f(lambda c: ["CLIENT", "UNBLOCK", c("CLIENT", "ID")], "CLIENT UNBLOCK of itself: 0")
    # Still usable after being unblocked.
    block(p, cp, 1, "BLPOP", "l", "0")
    p.cmd("LPUSH", "l", "foo")
    read_same(cp, "served after three unblocks")
    # CLIENT LIST shows flags=b while blocked; INFO counts the clients in the timeout table.
    block(p, cp, 1, "BLPOP", "l", "100")
    p.both(lambda c: "flags=b " in c("CLIENT", "LIST", "ID", blocked_id(c)).decode(),
           "CLIENT LIST ID <blocked> has flags=b")
    p.both(lambda c: "clients_in_timeout_table:1" in c("INFO", "clients").decode(),
           "INFO clients_in_timeout_table:1")
    unblock()
    read_same(cp, "unblocked")
    # A client that disconnects while blocked leaves the wait lists: the next waiter and
    # then the list get the data.
    first, second = p.connect(), p.connect()
    block(p, first, 1, "BLPOP", "dk", "dk2", "0")
    block(p, second, 2, "BLPOP", "dk", "0")
    first.close()
    wait_blocked(p, 1, "(after the first waiter closed)")
    p.cmd("RPUSH", "dk", "a", "b")
    read_same(second, "the waiter after a closed one is served first")
    p.cmd("LRANGE", "dk", "0", "-1")
    second.close()
    gone = p.connect()
    block(p, gone, 1, "BLMOVE", "dk3", "dst3", "LEFT", "LEFT", "0")
    gone.close()
    wait_blocked(p, 0, "(after the only waiter closed)")
    p.cmd("RPUSH", "dk3", "kept")
    p.cmd("LRANGE", "dk3", "0", "-1")
    p.cmd("EXISTS", "dst3")
    cp.close()


def expired_when_ready(p):
    """SWAPDB or EXEC make a waited key ready that has expired by then: nobody is served, the
    client stays blocked (Redis's needs:debug tests of type/list, without the replication
    stream they also read)."""
    p.cmd("FLUSHALL")
    cp = p.connect()
    ids = cp.each(lambda c: c("CLIENT", "ID"))

    def blocked_id(c):
        return ids[0] if c is p.a else ids[1]
    p.cmd("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    run_script(p, """
        SELECT 1
        RPUSH k hello
        PEXPIRE k 100
        SELECT 0
    """)
    block(p, cp, 1, "BRPOP", "k", "1")
    time.sleep(0.15)
    p.cmd("SWAPDB", "1", "0")
    p.both(lambda c: "flags=b " in c("CLIENT", "LIST", "ID", blocked_id(c)).decode(),
           "SWAPDB bringing an expired list: the client still waits")
    p.cmd_f(lambda c: ["CLIENT", "UNBLOCK", blocked_id(c)], "CLIENT UNBLOCK it")
    read_same(cp, "its reply")
    p.cmd("EXISTS", "k")
    block(p, cp, 1, "BRPOP", "k", "0")
    run_script(p, """
        MULTI
        RPUSH k hello
        PEXPIRE k 100
        DEBUG SLEEP 0.2
        EXEC
    """)
    p.both(lambda c: "flags=b " in c("CLIENT", "LIST", "ID", blocked_id(c)).decode(),
           "EXEC whose list expired before it ended: the client still waits")
    p.cmd_f(lambda c: ["CLIENT", "UNBLOCK", blocked_id(c)], "CLIENT UNBLOCK it")
    read_same(cp, "its reply")
    p.cmd("DEBUG", "SET-ACTIVE-EXPIRE", "1")
    cp.close()


def introspection(p):
    cp = p.connect()
    p.cmd("CONFIG", "RESETSTAT")
    p.cmd("LPUSH", "list", "foo")
    p.cmd("BRPOP", "list", "0")

    def stat(name):
        def fn(c):
            for line in c("INFO", "commandstats").decode().splitlines():
                if line.startswith("cmdstat_%s:" % name):
                    return line.split(",")[0]
            return None
        return fn
    p.both(stat("brpop"), "command stats for BRPOP: calls=1")
    p.both(stat("rpop"), "command stats for BRPOP: no rpop")
    # A served client's command counts once.
    block(p, cp, 1, "BLPOP", "list", "0")
    p.cmd("LPUSH", "list", "x")
    read_same(cp, "served")
    p.both(stat("blpop"), "a served BLPOP counts one call")
    block(p, cp, 1, "BLPOP", "list", "0.05")
    read_same(cp, "timed out")
    p.both(stat("blpop"), "a timed-out BLPOP counts one call")
    # Keyspace events of a served BLMOVE and BLPOP: those of their non-blocking twins.
    p.cmd("CONFIG", "SET", "notify-keyspace-events", "KEA")
    sub = p.connect()
    sub.cmd("PSUBSCRIBE", "__key*__:*")
    block(p, cp, 1, "BLMOVE", "esrc", "edst", "LEFT", "RIGHT", "0")
    p.cmd("RPUSH", "esrc", "e1")
    read_same(cp, "BLMOVE served")
    read_same(sub, "events: rpush esrc, rpush edst, lpop esrc, del esrc", n=8)
    cp.cmd("BLPOP", "esrc", "edst", "0")
    read_same(sub, "events: lpop edst, del edst", n=4)
    nothing_pending(sub, "no other event")
    sub.close()
    p.cmd("CONFIG", "SET", "notify-keyspace-events", "")
    # MONITOR shows the blocking command as sent, once, and not what served it.
    mon = p.connect()
    mon.cmd("MONITOR")
    block(p, cp, 1, "BLMOVE", "msrc", "mdst", "RIGHT", "LEFT", "0")
    p.cmd("RPUSH", "msrc", "m")
    read_same(cp, "served under MONITOR")

    def lines(c):  # the commands MONITOR showed up to the RPUSH, without the INFO polls
        out = []
        for _ in range(100):
            line = str(c.read(2).value).split("] ", 1)[1]
            if not line.startswith('"INFO"'):
                out.append(line)
            if line.startswith('"RPUSH"'):
                break
        return out
    p.both(lambda c: lines(mon.a if c is p.a else mon.b), "MONITOR: BLMOVE then RPUSH only")
    mon.close()
    cp.close()


TRACE = os.environ.get("BLOCKING_TRACE") == "1"


def randomised(p, steps=300, nclients=6, seed=None):
    """Random blocking commands from several clients against random writes, on both servers:
    after every write the same clients are blocked and those served got the same reply."""
    seed = seed if seed is not None else random.randrange(1 << 30)
    rnd = random.Random(seed)
    p.cmd("FLUSHALL")
    clients = [p.connect() for _ in range(nclients)]
    ids = [c.each(lambda conn: conn("CLIENT", "ID")) for c in clients]
    keys = ["r0", "r1", "r2"]

    def blocked_set(side):
        conn = p.a if side == 0 else p.b
        text = conn("CLIENT", "LIST").decode()
        flags = {}
        for line in text.splitlines():
            f = dict(kv.split("=", 1) for kv in line.split(" ") if "=" in kv)
            flags[int(f["id"])] = f["flags"]
        return {i for i in range(nclients) if "b" in flags.get(ids[i][side], "")}

    def blocking_cmd():
        k = rnd.sample(keys, rnd.randint(1, 2))
        kind = rnd.randrange(5)
        if kind == 0:
            return ["BLPOP"] + k + ["0"]
        if kind == 1:
            return ["BRPOP"] + k + ["0"]
        if kind == 2:
            return ["BLMPOP", "0", str(len(k))] + k + [rnd.choice(["LEFT", "RIGHT"]), "COUNT",
                                                        str(rnd.randint(1, 3))]
        ends = [rnd.choice(["LEFT", "RIGHT"]), rnd.choice(["LEFT", "RIGHT"])]
        if kind == 3:
            return ["BLMOVE", k[0], rnd.choice(keys)] + ends + ["0"]
        return ["BRPOPLPUSH", k[0], rnd.choice(keys), "0"]

    def write_cmd():
        k = rnd.choice(keys)
        vals = [str(rnd.randrange(100)) for _ in range(rnd.randint(1, 3))]
        kind = rnd.randrange(10)
        if kind < 4:
            return [[rnd.choice(["RPUSH", "LPUSH"]), k] + vals]
        if kind == 4:
            return [["DEL", k]]
        if kind == 5:
            return [["SET", k, "str"]] if rnd.random() < 0.5 else [["LPOP", k]]
        if kind == 6:
            return [["RENAME", k, rnd.choice(keys)]]
        if kind == 7:
            return [["LMOVE", k, rnd.choice(keys), "LEFT", "RIGHT"]]
        if kind == 8:  # not SWAPDB: Redis wakes its waiters in the random order of a dict
            return [["COPY", k, rnd.choice(keys), "REPLACE"]]
        body = [[rnd.choice(["RPUSH", "LPUSH"]), rnd.choice(keys)] + vals,
                [rnd.choice(["DEL", "LPOP", "RPUSH"]), rnd.choice(keys)] + (["x"] if rnd.random()
                                                                             < 0.5 else [])]
        return [["MULTI"]] + body + [["EXEC"]]

    mismatches = served = blocks = 0
    blocked = set()  # clients whose blocking command waits (on both servers)

    def differ(what, detail):
        nonlocal mismatches
        mismatches += 1
        state = [[(k, conn("TYPE", k), conn("LRANGE", k, "0", "-1") if conn("TYPE", k) == "list"
                   else None) for k in keys] for conn in (p.a, p.b)]
        check(False, what, detail + "\nsc-broker: %r\nredis:     %r" % tuple(state))

    for step in range(steps):
        idle = [i for i in range(nclients) if i not in blocked]
        if idle and rnd.random() < 0.45:
            # A blocking command: it blocks on both servers, or is answered at once on both.
            i = rnd.choice(idle)
            args = blocking_cmd()
            clients[i]._send_both(respdiff.encode(*args))
            if TRACE:
                print("# step %d client %d: %s" % (step, i, respdiff._desc(args)))
            got, now = [None, None], (set(), set())
            for _ in range(200):
                now = (blocked_set(0), blocked_set(1))
                for side, conn in ((0, clients[i].a), (1, clients[i].b)):
                    if got[side] is None and i not in now[side]:
                        try:
                            got[side] = conn.read(0.01).raw
                        except respdiff.Timeout:
                            pass
                if all(got[x] is not None or i in now[x] for x in (0, 1)):
                    break
            if got[0] != got[1] or now[0] != now[1]:
                differ("random step %d: %s" % (step, respdiff._desc(args)),
                       "replies %r / %r, blocked %s / %s" % (got[0], got[1], now[0], now[1]))
                break
            blocks += i in now[0]
            if TRACE:
                print("#   -> %r / %r" % (got[0], got[1]))
        else:
            for args in write_cmd():
                ra, rb = p.a.call(*args), p.b.call(*args)
                if TRACE:
                    print("# step %d: %s -> %r" % (step, respdiff._desc(args), ra.raw))
                if ra.raw != rb.raw:
                    differ("random step %d: %s" % (step, respdiff._desc(args)),
                           respdiff._sides(ra.raw, rb.raw))
            # Served clients were answered before the writer: the blocked sets are final.
            now = (blocked_set(0), blocked_set(1))
            if now[0] != now[1]:
                differ("random step %d: the same clients are blocked" % step,
                       "sc-broker %s, redis %s" % now)
                break
        # Clients served by this step (a write, or a BLMOVE answered at once that pushed to a
        # key they wait on) have their reply.
        for i in sorted(blocked - now[0]):
            served += 1
            (ra,), (rb,) = clients[i]._read_both(1, 2)
            if TRACE:
                print("#   client %d served: %r / %r" % (i, clients[i]._raws([ra]),
                                                       clients[i]._raws([rb])))
            if clients[i]._raws([ra]) != clients[i]._raws([rb]):
                differ("random step %d: client %d served alike" % (step, i),
                       respdiff._sides(clients[i]._raws([ra]), clients[i]._raws([rb])))
        blocked = now[0]
    check(mismatches == 0, "randomised run (seed %d, %d steps, %d blocked, %d served): no "
          "difference" % (seed, steps, blocks, served))
    for i in sorted(blocked):
        p.cmd_f(lambda c, i=i: ["CLIENT", "UNBLOCK", ids[i][0 if c is p.a else 1]],
                "CLIENT UNBLOCK the random client %d" % i)
        clients[i]._read_both(1, 2)
    for k in keys:
        p.cmd("TYPE", k)
        if p.a("TYPE", k) == "list":
            p.cmd("LRANGE", k, "0", "-1")
    for c in clients:
        c.close()


def broker_only():
    d = os.path.join(tmpdir(), "aof")
    os.makedirs(d, exist_ok=True)
    args = ["--appendonly", "yes", "--appendfsync", "always", "--dir", d]
    b = Server.start("broker", args)
    c, w = b.conn(), b.conn()
    assert c("SELECT", "3") == "OK"
    w("SELECT", "3")

    def wait(n):
        for _ in range(250):
            if blocked_count(w) == n:
                return True
            time.sleep(0.02)
        return False

    # Served: BLPOP, BRPOP, BLMPOP with COUNT, BLMOVE, BRPOPLPUSH; and at once: BLPOP, BLMOVE.
    plan = [(("BLPOP", "a", "0"), ("RPUSH", "a", "1", "2", "3")),
            (("BRPOP", "b0", "b", "0"), ("RPUSH", "b", "4", "5")),
            (("BLMPOP", "0", "1", "c", "RIGHT", "COUNT", "5"), ("RPUSH", "c", "6", "7", "8")),
            (("BLMOVE", "d", "e", "LEFT", "RIGHT", "0"), ("RPUSH", "d", "9", "10")),
            (("BRPOPLPUSH", "f", "e", "0"), ("RPUSH", "f", "11"))]
    for block_cmd, push in plan:
        c.send(*block_cmd)
        check(wait(1), "broker: %s blocks" % block_cmd[0])
        w(*push)
        c.read(3)
    c("BLPOP", "a", "0")
    c("BLMOVE", "d", "e", "RIGHT", "LEFT", "0")
    c("BLMPOP", "0", "1", "b", "LEFT", "COUNT", "1")
    keys = ["a", "b", "c", "d", "e", "f"]
    before = [w("LRANGE", k, "0", "-1") for k in keys]
    files = [f for f in glob.glob(os.path.join(d, "**"), recursive=True) if os.path.isfile(f)]
    text = b"".join(open(f, "rb").read() for f in files)
    for word in (b"BLPOP", b"BRPOP", b"BLMPOP", b"BLMOVE", b"BRPOPLPUSH"):
        check(word not in text.upper(), "AOF has no %s" % word.decode())
    for cmd in (b"*2\r\n$4\r\nLPOP\r\n$1\r\na\r\n", b"*2\r\n$4\r\nRPOP\r\n$1\r\nb\r\n",
                b"*3\r\n$4\r\nRPOP\r\n$1\r\nc\r\n$1\r\n3\r\n",
                b"*5\r\n$5\r\nLMOVE\r\n$1\r\nd\r\n$1\r\ne\r\n$4\r\nLEFT\r\n$5\r\nRIGHT\r\n",
                b"*3\r\n$9\r\nRPOPLPUSH\r\n$1\r\nf\r\n$1\r\ne\r\n",
                b"*3\r\n$4\r\nLPOP\r\n$1\r\nb\r\n$1\r\n1\r\n"):
        check(cmd in text, "AOF has %r" % cmd)
    c.close()
    w.close()
    b.stop()
    b2 = Server.start("broker", args)
    w = b2.conn()
    w("SELECT", "3")
    after = [w("LRANGE", k, "0", "-1") for k in keys]
    check(after == before, "the AOF loads back to the same lists", "%r != %r" % (after, before))
    # A garbage timeout: an error, and the connection goes on.
    check(isinstance(w("BLPOP", "a", "1x"), respdiff.Err), "BLPOP a 1x is an error")
    check(w("PING") == "PONG", "the connection stays usable")
    info = w("COMMAND", "INFO", "blpop", "brpop", "brpoplpush", "blmove", "blmpop")
    check(all("blocking" in row[2] and "@blocking" in row[6] for row in info),
          "COMMAND INFO: the five are flagged blocking and @blocking", repr(info))
    w.close()
    b2.stop()

    # 100 clients blocked forever cost (next to) no CPU.
    b3 = Server.start("broker")
    conns = [b3.conn() for _ in range(100)]
    for i, conn in enumerate(conns):
        conn.send("BLPOP", "idle%d" % i, "idle", "0")
    w = b3.conn()
    check(wait_for(lambda: blocked_count(w) == 100), "100 clients blocked")

    def cpu():
        with open("/proc/%d/stat" % b3.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    t0, wall0 = cpu(), time.monotonic()
    time.sleep(1.0)
    used, wall = cpu() - t0, time.monotonic() - wall0
    check(used < 0.05, "100 blocked clients: %.3f s of CPU in %.2f s" % (used, wall))
    w("RPUSH", "idle", *[str(i) for i in range(100)])
    got = sorted(int(conn.read(3).value[1]) for conn in conns)
    check(got == list(range(100)), "all 100 served by one RPUSH of 100 elements")
    for conn in conns:
        conn.close()
    w.close()
    b3.stop()


def wait_for(cond, tries=250):
    for _ in range(tries):
        if cond():
            return True
        time.sleep(0.02)
    return False


def main():
    p = Pair(args=("--enable-debug-command", "yes"))
    immediate(p)
    served(p)
    keyspace_moves(p)
    chains(p)
    pipelines_and_watch(p)
    timeouts(p)
    unblock_and_disconnect(p)
    expired_when_ready(p)
    introspection(p)
    randomised(p, int(os.environ.get("BLOCKING_STEPS", "300")),
               seed=int(os.environ["BLOCKING_SEED"]) if "BLOCKING_SEED" in os.environ else None)
    p.stop()
    broker_only()
    ok("done")
    finish()


if __name__ == "__main__":
    main()
