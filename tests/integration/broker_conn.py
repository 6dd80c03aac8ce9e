#!/usr/bin/env python3
"""Differential test of the connection and server commands: sc-broker vs redis-server.

PING ECHO SELECT CLIENT SETNAME/GETNAME/ID/REPLY/LIST/KILL RESET DBSIZE TIME INFO (sections and
Redis's field names) CONFIG GET/SET (maxmemory and noeviction OOM, notify-keyspace-events,
requirepass, ...), and redis-cli against both: plain commands, --scan --pattern, -3 hello,
subscribe and monitor in subprocesses.
"""
import os
import re
import selectors
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import respdiff  # noqa: E402
from respdiff import Pair, check, encode, redis_cli, run_script  # noqa: E402


def basics(p):
    run_script(p, """
        PING
        PING hello
        PING ""
        PING a b
        ping
        ECHO hello
        ECHO ""
        ECHO
        ECHO a b
        SELECT 3
        SET k v
        DBSIZE
        SELECT 0
        DBSIZE
        GET k
        CLIENT GETNAME
        CLIENT SETNAME myname
        CLIENT GETNAME
        CLIENT SETNAME ""
        CLIENT GETNAME
        CLIENT SETNAME "has space"
        CLIENT SETNAME "new\\nline"
        CLIENT SETNAME "\\x01ctl"
        CLIENT SETNAME ok-name_1.2
        CLIENT GETNAME
        CLIENT SETNAME
        CLIENT SETNAME a b
        CLIENT GETNAME x
        @type CLIENT ID
        CLIENT ID x
        CLIENT
        CLIENT NOSUCH
        CLIENT HELP
        CLIENT KILL
        CLIENT KILL 1.2.3.4:5
        CLIENT KILL ADDR 1.2.3.4:5
        CLIENT KILL ID 999999
        CLIENT KILL ID abc
        CLIENT KILL ID 0
        CLIENT KILL ID -1
        CLIENT KILL FOO bar
        CLIENT KILL ID
        CLIENT KILL ADDR 1.2.3.4:5 SKIPME yes
        CLIENT KILL ADDR 1.2.3.4:5 SKIPME maybe
        CLIENT KILL LADDR 1.2.3.4:5
        CLIENT KILL TYPE normal SKIPME yes
        CLIENT KILL TYPE nosuch
        CLIENT KILL USER nosuchuser
        CLIENT REPLY
        CLIENT REPLY FOO
        CLIENT REPLY ON
        CLIENT LIST ID abc
        CLIENT LIST TYPE nosuch
        CLIENT LIST FOO
        @type TIME
        TIME x
        DBSIZE
    """)
    # TIME is close to now on both
    ra, rb = p.each(lambda c: c("TIME"))
    now = time.time()
    for label, r in (("sc-broker", ra), ("redis", rb)):
        good = (isinstance(r, list) and len(r) == 2 and all(isinstance(x, bytes) for x in r)
                and abs(int(r[0]) - now) < 5 and 0 <= int(r[1]) < 1000000)
        check(good, "%s: TIME is [seconds, microseconds] near now" % label, repr(r))


def idle_timeout(p):
    p.cmd("CONFIG", "SET", "timeout", "1")
    idle = p.connect()
    idle.cmd("PING", desc="idle connection: PING then nothing")
    busy = p.connect()
    sub = p.connect()
    sub.cmd("SUBSCRIBE", "idlech", desc="subscribed connection (exempt from timeout)")
    for _ in range(6):  # 3 s, keeps `busy` active
        time.sleep(0.5)
        busy.each(lambda c: c("PING"))
        p.each(lambda c: c("PING"))  # the default connection must not idle out either
    closed = (idle.a.is_closed(1.5), idle.b.is_closed(1.5))
    check(closed == (True, True), "CONFIG SET timeout 1: idle connection closed after ~2 s",
          repr(closed))
    busy.cmd("PING", desc="busy connection still open")
    subopen = (sub.a.is_closed(0.1), sub.b.is_closed(0.1))
    check(subopen == (False, False), "timeout does not close subscribed connections",
          repr(subopen))
    p.cmd("CONFIG", "SET", "timeout", "0")
    for x in (idle, busy, sub):
        x.close()


def databases_per_connection(p):
    c1, c2 = p.connect(), p.connect()
    c1.cmd("SELECT", "7")
    c1.cmd("SET", "dbk", "seven")
    c2.cmd("GET", "dbk", desc="GET dbk on another connection (db 0)")
    c2.cmd("SELECT", "7")
    c2.cmd("GET", "dbk", desc="GET dbk after SELECT 7")
    c1.cmd("FLUSHDB")
    c2.cmd("GET", "dbk", desc="GET dbk after FLUSHDB on the other connection")
    c1.close()
    c2.close()


def client_reply(p):
    c = p.connect()
    c.raw(encode("CLIENT", "REPLY", "OFF") + encode("SET", "cr", "1") + encode("GET", "cr") +
          encode("CLIENT", "REPLY", "ON") + encode("GET", "cr"),
          desc="CLIENT REPLY OFF: no replies until ON", replies=2)
    c.raw(encode("CLIENT", "REPLY", "SKIP") + encode("INCR", "cr") + encode("GET", "cr"),
          desc="CLIENT REPLY SKIP: skips exactly the next reply", replies=1)
    c.raw(encode("CLIENT", "REPLY", "SKIP") + encode("CLIENT", "REPLY", "SKIP") +
          encode("PING") + encode("PING", "x"), desc="CLIENT REPLY SKIP twice", replies=1)
    c.raw(encode("CLIENT", "REPLY", "OFF") + encode("NOSUCH") + encode("GET") +
          encode("CLIENT", "REPLY", "SKIP") + encode("CLIENT", "REPLY", "ON") + encode("PING"),
          desc="CLIENT REPLY OFF also silences errors; SKIP while OFF", replies=2)
    c.raw(encode("CLIENT", "REPLY", "OFF") + encode("CLIENT", "REPLY", "FOO") + encode("PING") +
          encode("CLIENT", "REPLY", "ON"), desc="CLIENT REPLY OFF then a bad REPLY", replies=1)
    c.cmd("PING", desc="nothing left over after CLIENT REPLY tests")
    c.close()


def client_list_kill(p):
    c = p.connect()
    c.cmd("CLIENT", "SETNAME", "lister")
    c.cmd("SELECT", "2")
    ra, rb = c.each(lambda x: x("CLIENT", "LIST"))

    def parse_list(v):
        rows = []
        for line in v.decode().strip("\n").split("\n"):
            fields = []
            for kv in line.split(" "):
                k, _, val = kv.partition("=")
                fields.append((k, val))
            rows.append(fields)
        return rows

    if not (isinstance(ra, bytes) and isinstance(rb, bytes)):
        check(False, "CLIENT LIST returns a bulk string", "%r\n%r" % (ra, rb))
        return
    la, lb = parse_list(ra), parse_list(rb)
    check(len(la) == len(lb) == 2, "CLIENT LIST shows both connections",
          "%d vs %d rows" % (len(la), len(lb)))
    names_a = [k for k, _ in la[-1]]
    names_b = [k for k, _ in lb[-1]]
    check(names_a == names_b, "CLIENT LIST: same field names in the same order",
          "sc-broker: %s\nredis:     %s" % (" ".join(names_a), " ".join(names_b)))
    def mine(rows):
        return next((dict(r) for r in rows if dict(r).get("name") == "lister"), {})
    mine_a, mine_b = mine(la), mine(lb)
    for f in ("name", "db", "flags", "sub", "psub", "multi", "cmd", "user", "resp", "redir"):
        check(mine_a.get(f) == mine_b.get(f), "CLIENT LIST: field %s of the caller equal (%s)"
              % (f, mine_b.get(f)), "sc-broker: %r\nredis: %r" % (mine_a.get(f), mine_b.get(f)))
    addr_ok = all(re.fullmatch(r"127\.0\.0\.1:\d+", d.get(f, ""))
                  for d in (mine_a,) for f in ("addr", "laddr"))
    check(addr_ok, "CLIENT LIST: addr and laddr are 127.0.0.1:port",
          "%r %r" % (mine_a.get("addr"), mine_a.get("laddr")))
    # CLIENT LIST ID <own id> -> one line with the same field names
    la2, lb2 = c.each(lambda x: x("CLIENT", "LIST", "ID", str(x("CLIENT", "ID"))))
    check(isinstance(la2, bytes) and la2.count(b"\n") == 1 and b"name=lister" in la2,
          "CLIENT LIST ID <own id> returns one line", repr(la2))
    c.cmd("CLIENT", "LIST", "TYPE", "pubsub")
    c.cmd("CLIENT", "LIST", "ID", "999999")
    # CLIENT INFO
    ia, ib = c.each(lambda x: x("CLIENT", "INFO"))
    check(isinstance(ia, bytes) and [kv.split("=")[0] for kv in ia.decode().split()] ==
          [kv.split("=")[0] for kv in ib.decode().split()],
          "CLIENT INFO: same field names as Redis", "%r\n%r" % (ia, ib))

    # a subscriber and a client in MULTI as seen by CLIENT LIST
    sub = p.connect()
    sub.cmd("SUBSCRIBE", "cl1", "cl2")
    sub.cmd("PSUBSCRIBE", "cl*")
    mul = p.connect()
    mul.cmd("MULTI")
    mul.cmd("SET", "x", "1")
    for typ, fields in (("pubsub", ("flags", "sub", "psub", "multi", "cmd", "db")),
                        ("normal", ("flags", "sub", "psub", "multi", "cmd", "db", "name"))):
        la, lb = c.each(lambda x: parse_list(x("CLIENT", "LIST", "TYPE", typ)))
        da = sorted(tuple(dict(r).get(f) for f in fields) for r in la)
        db = sorted(tuple(dict(r).get(f) for f in fields) for r in lb)
        check(da == db, "CLIENT LIST TYPE %s: %s of every client equal" % (typ, "/".join(fields)),
              "sc-broker: %r\nredis:     %r" % (da, db))
    sub.close()
    mul.close()
    time.sleep(0.1)
    # CLIENT KILL ID / ADDR / old style, on each side's own victim connection
    for style in ("ID", "ADDR", "OLD"):
        victim = p.connect()
        victim.cmd("CLIENT", "SETNAME", "victim")
        ids = {}
        addrs = {}
        for side, vc in (("a", victim.a), ("b", victim.b)):
            ids[id(vc)] = vc("CLIENT", "ID")
            addrs[id(vc)] = "127.0.0.1:%d" % vc.sock.getsockname()[1]
        pairs = {id(c.a): victim.a, id(c.b): victim.b}

        def args(x, style=style):
            v = pairs[id(x)]
            if style == "ID":
                return ["CLIENT", "KILL", "ID", str(ids[id(v)])]
            if style == "ADDR":
                return ["CLIENT", "KILL", "ADDR", addrs[id(v)]]
            return ["CLIENT", "KILL", addrs[id(v)]]
        c.cmd_f(args, desc="CLIENT KILL %s <victim>" % style)
        closed = (victim.a.is_closed(2), victim.b.is_closed(2))
        check(closed == (True, True), "CLIENT KILL %s: victim connection closed" % style,
              repr(closed))
        c.cmd_f(args, desc="CLIENT KILL %s <victim> again" % style)
        victim.close()
    # killing yourself: SKIPME yes is the default; with SKIPME no the reply is still sent,
    # then the connection closes
    c2 = p.connect()
    c2.cmd_f(lambda x: ["CLIENT", "KILL", "ID", str(x("CLIENT", "ID"))],
             desc="CLIENT KILL ID <own id> (SKIPME yes by default)")
    c2.cmd_f(lambda x: ["CLIENT", "KILL", "ID", str(x("CLIENT", "ID")), "SKIPME", "yes"],
             desc="CLIENT KILL ID <own id> SKIPME yes")
    c2.cmd_f(lambda x: ["CLIENT", "KILL", "ID", str(x("CLIENT", "ID")), "SKIPME", "no"],
             desc="CLIENT KILL ID <own id> SKIPME no")
    check(c2.a.is_closed(2) and c2.b.is_closed(2),
          "CLIENT KILL ID <own id> SKIPME no: closed after the reply")
    c2.close()
    c2 = p.connect()
    c2.cmd_f(lambda x: ["CLIENT", "KILL", "127.0.0.1:%d" % x.sock.getsockname()[1]],
             desc="CLIENT KILL <own addr> (old style)")
    check(c2.a.is_closed(2) and c2.b.is_closed(2),
          "CLIENT KILL <own addr> (old style): closed after the reply")
    c2.close()
    c.close()


def reset(p):
    c = p.connect()
    run_script(c, """
        CLIENT SETNAME before
        SELECT 5
        SET rk v
        CLIENT REPLY ON
        RESET
        CLIENT GETNAME
        GET rk
        DBSIZE
        RESET x
    """)
    c.each(lambda x: x("HELLO", "3"))
    c.cmd("GET", "nosuch", desc="GET nosuch in RESP3 (before RESET)")
    c.cmd("RESET")
    c.cmd("GET", "nosuch", desc="GET nosuch after RESET is RESP2 again")
    c.raw(encode("SUBSCRIBE", "rch") + encode("RESET") + encode("PING"),
          desc="RESET leaves subscribed mode", replies=3)
    c.raw(encode("MULTI") + encode("SET", "m", "1") + encode("RESET") + encode("GET", "m"),
          desc="RESET discards MULTI", replies=4)
    c.close()


def monitor_raw(p):
    """MONITOR over raw RESP: one +line per command from other clients, arguments quoted like
    sdscatrepr (binary bytes, quotes, newlines), inline commands too; timestamp/addr masked."""
    mon = p.connect()
    mon.cmd("MONITOR")
    other = p.connect()
    other.cmd("SET", "mk", b"a\x00b\"c\\d\r\n\xff\x7f")
    other.cmd("GET", "mk")
    other.raw(b"ECHO 'inline arg'\r\n", desc="inline ECHO while monitored")
    other.cmd("SELECT", "2")
    other.cmd("DBSIZE")
    other.cmd("NOSUCHCMD", "x")
    other.cmd("GET")
    other.cmd("AUTH", "secret")
    other.cmd("SELECT", "0")
    other.cmd("PING")
    norm = (lambda raw: re.sub(rb"^\+\d+\.\d{6} \[(\d+) (127\.0\.0\.1:\d+|lua)\]", rb"+T [\1 A]",
                               raw))
    la, lb = [], []
    for _ in range(8):  # unknown commands and arity errors are not fed to monitors
        try:
            la.append(norm(mon.a.read(timeout=2).raw))
        except Exception as e:
            la.append(repr(e).encode())
        try:
            lb.append(norm(mon.b.read(timeout=2).raw))
        except Exception as e:
            lb.append(repr(e).encode())
    for i, (x, y) in enumerate(zip(la, lb)):
        check(x == y, "MONITOR line %d: %s" % (i + 1, respdiff.show(y, 80)),
              "sc-broker: %r\nredis:     %r" % (x, y))
    extra = (mon.a.is_closed(0.2), mon.a.pending(), mon.b.is_closed(0.2), mon.b.pending())
    check(extra == (False, b"", False, b""), "MONITOR: nothing more was fed", repr(extra))
    other.close()
    mon.close()


def parse_info(text):
    sections = []
    cur = None
    for line in text.decode().split("\r\n"):
        if line.startswith("# "):
            cur = (line[2:], [])
            sections.append(cur)
        elif line and cur is not None:
            k, _, v = line.partition(":")
            cur[1].append((k, v))
    return sections


# fields that clients and tools read; missing ones are fatal, the rest of Redis's are optional
CORE_FIELDS = {
    "Server": ["redis_version", "redis_mode", "os", "arch_bits", "process_id", "tcp_port",
               "uptime_in_seconds", "uptime_in_days", "hz", "executable", "config_file"],
    "Clients": ["connected_clients", "blocked_clients", "maxclients"],
    "Memory": ["used_memory", "used_memory_human", "used_memory_rss", "used_memory_peak",
               "used_memory_peak_human", "maxmemory", "maxmemory_human", "maxmemory_policy",
               "mem_fragmentation_ratio", "mem_allocator"],
    "Persistence": ["loading", "rdb_changes_since_last_save", "rdb_bgsave_in_progress",
                    "aof_enabled", "aof_rewrite_in_progress"],
    "Stats": ["total_connections_received", "total_commands_processed",
              "instantaneous_ops_per_sec", "rejected_connections", "expired_keys",
              "evicted_keys", "keyspace_hits", "keyspace_misses", "pubsub_channels",
              "pubsub_patterns", "total_net_input_bytes", "total_net_output_bytes"],
    "Replication": ["role", "connected_slaves", "master_replid"],
    "CPU": ["used_cpu_sys", "used_cpu_user"],
}


def info(p):
    p.cmd("FLUSHALL")
    ra, rb = p.each(lambda c: c("INFO"))
    sa, sb = parse_info(ra), parse_info(rb)
    need = ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU",
            "Keyspace"]
    have = [s for s, _ in sa]
    check(all(n in have for n in need), "INFO: sections %s present" % ", ".join(need),
          "sc-broker: %r" % have)
    with respdiff.optional("INFO section list beyond the required ones"):
        check(have == [s for s, _ in sb], "INFO: same sections in the same order as Redis",
              "sc-broker: %r\nredis:     %r" % (have, [s for s, _ in sb]))
    da, db = dict(sa), dict(sb)
    for sec, fields in CORE_FIELDS.items():
        have = [k for k, _ in da.get(sec, [])]
        missing = [f for f in fields if f not in have]
        check(not missing, "INFO %s: core fields present" % sec, "missing: %s" % missing)
    with respdiff.optional("INFO field names beyond the core set"):
        for sec, fields in sb:
            fa = [k for k, _ in da.get(sec, [])]
            fb = [k for k, _ in fields]
            missing = [f for f in fb if f not in fa]
            extra = [f for f in fa if f not in fb]
            check(not missing and not extra, "INFO %s: every Redis field name" % sec,
                  "missing: %s\nextra: %s" % (missing, extra))
    # values that must agree
    for sec, field in (("Server", "redis_mode"), ("Server", "arch_bits"),
                       ("Replication", "role"), ("Replication", "connected_slaves"),
                       ("Persistence", "loading"), ("Persistence", "aof_enabled"),
                       ("Clients", "blocked_clients"), ("Memory", "maxmemory"),
                       ("Memory", "maxmemory_policy"), ("Stats", "pubsub_channels")):
        va = dict(da.get(sec, [])).get(field)
        vb = dict(db.get(sec, [])).get(field)
        check(va == vb, "INFO %s %s equal (%s)" % (sec, field, vb),
              "sc-broker: %r\nredis: %r" % (va, vb))
    va = dict(da.get("Server", [])).get("tcp_port")
    check(va == str(p.broker.port), "INFO server tcp_port is the broker's port", repr(va))
    va = dict(da.get("Server", [])).get("process_id")
    check(va == str(p.broker.pid), "INFO server process_id is the broker's pid", repr(va))
    # section selection
    for args in (("server",), ("clients",), ("memory",), ("persistence",), ("stats",),
                 ("replication",), ("cpu",), ("keyspace",), ("SERVER",), ("server", "clients"),
                 ("default",), ("all",), ("everything",), ("nosuchsection",), ("commandstats",),
                 ("errorstats",), ("server", "nosuch")):
        ra, rb = p.each(lambda c: c("INFO", *args))
        na = [s for s, _ in parse_info(ra)] if isinstance(ra, bytes) else ra
        nb = [s for s, _ in parse_info(rb)] if isinstance(rb, bytes) else rb
        check(na == nb, "INFO %s: same sections %r" % (" ".join(args), nb),
              "sc-broker: %r\nredis: %r" % (na, nb))
    # stats counters after CONFIG RESETSTAT and the same commands on both sides
    run_script(p, """
        FLUSHALL
        SET hit v
        SET short v PX 20
        CONFIG RESETSTAT
        GET hit
        GET hit
        GET miss
        MGET hit miss miss2
        EXISTS hit miss
        STRLEN miss
        TYPE hit
        @sleep 0.1
        GET short
        NOSUCHCMD
        GET
        INCR hit
    """)
    ra, rb = p.each(lambda c: dict(parse_info(c("INFO", "stats"))).get("Stats", []))
    da, db = dict(ra), dict(rb)
    for f in ("keyspace_hits", "keyspace_misses", "expired_keys", "evicted_keys",
              "total_commands_processed", "rejected_connections", "total_error_replies",
              "unexpected_error_replies", "total_reads_processed", "sync_full"):
        check(da.get(f) == db.get(f), "INFO stats %s after RESETSTAT and the same commands (%s)"
              % (f, db.get(f)), "sc-broker: %r\nredis: %r" % (da.get(f), db.get(f)))
    # keyspace_hits / keyspace_misses per command (Redis counts every read lookup, also the
    # ones of TYPE, TOUCH, OBJECT, COPY; write lookups count nothing)
    p.cmd("SET", "hit", "v")
    p.cmd("SADD", "hs", "x")
    for cmd in (("GET", "hit"), ("GET", "nope"), ("EXISTS", "hit"), ("EXISTS", "nope"),
                ("TYPE", "hit"), ("TYPE", "nope"), ("STRLEN", "hit"), ("TTL", "hit"),
                ("TTL", "nope"), ("PTTL", "hit"), ("EXPIRETIME", "hit"), ("TOUCH", "hit", "nope"),
                ("OBJECT", "ENCODING", "hit"), ("COPY", "hit", "hit2"), ("COPY", "nope", "x"),
                ("RENAME", "hit2", "hit3"), ("GETRANGE", "hit", "0", "1"), ("GETEX", "hit"),
                ("GETDEL", "hit3"), ("MGET", "hit", "nope"), ("APPEND", "hit", "x"),
                ("SETRANGE", "hit", "0", "v"), ("INCR", "cnt"), ("SMEMBERS", "hs"),
                ("SISMEMBER", "hs", "x"), ("SCARD", "nope"), ("RANDOMKEY",), ("KEYS", "h*"),
                ("SCAN", "0"), ("LLEN", "nope"), ("HGET", "nope", "f"), ("DEL", "nope"),
                ("EXPIRE", "hit", "1000"), ("PERSIST", "hit")):
        p.each(lambda c: c("CONFIG", "RESETSTAT"))
        p.each(lambda c: c(*cmd))
        ra, rb = p.each(lambda c: tuple(v for k, v in dict(parse_info(c("INFO", "stats")))
                                        .get("Stats", []) if k in ("keyspace_hits",
                                                                   "keyspace_misses")))
        check(ra == rb, "keyspace hits/misses counted by %s: %s" % (" ".join(cmd), rb),
              "sc-broker: %r\nredis: %r" % (ra, rb))
    # the dirty counter (rdb_changes_since_last_save) moves by the same amount per command; a
    # group of commands (a list) is measured as one step: SET ... EXAT 1 stores a key that is
    # already past its time, which the active expiry deletes at a moment of its own choosing
    # (a +1 falling into whichever later step runs then), so the group ends with an EXISTS
    # that deletes it for sure if the sweep has not yet
    def dirty(c):
        return int(dict(dict(parse_info(c("INFO", "persistence"))).get("Persistence", []))
                   .get("rdb_changes_since_last_save", "-1"))
    for cmd in (("SET", "d1", "v"), ("SET", "d1", "v", "NX"), ("MSET", "d2", "1", "d3", "2"),
                ("MSETNX", "d4", "1", "d5", "2"), ("MSETNX", "d4", "1", "d6", "2"),
                ("APPEND", "d1", "x"), ("APPEND", "d1", ""), ("INCR", "d2"), ("INCRBY", "d2", "5"),
                ("INCRBYFLOAT", "d2", "1.5"), ("SETRANGE", "d1", "0", "z"),
                ("SETRANGE", "d1", "0", ""), ("GETSET", "d1", "w"), ("GETDEL", "d1"),
                ("GETDEL", "d1"), ("GETEX", "d2", "EX", "100"), ("GETEX", "d2", "PERSIST"),
                ("GETEX", "d2"), ("EXPIRE", "d2", "100"), ("EXPIRE", "d2", "100", "NX"),
                ("PERSIST", "d2"), ("PERSIST", "d2"), ("EXPIRE", "d3", "0"),
                ("DEL", "d4", "d5", "x"),
                ("RENAME", "d2", "d7"), ("RENAMENX", "d7", "d8"), ("COPY", "d8", "d9"),
                ("COPY", "d8", "d9", "REPLACE"), ("TOUCH", "d8"), ("SETNX", "d8", "x"),
                ("SETEX", "d10", "100", "v"), ("PSETEX", "d10", "100000", "v"),
                [("SET", "d11", "v", "EXAT", "1"), ("EXISTS", "d11")],
                ("RPUSH", "dl", "a", "b"),
                ("HSET", "dh", "a", "1"),
                ("SADD", "ds", "a", "b"), ("FLUSHDB",), ("SET", "x", "1"), ("FLUSHALL",),
                ("FLUSHALL",)):
        group = cmd if isinstance(cmd, list) else [cmd]
        before = p.each(dirty)
        for one in group:
            p.each(lambda c: c(*one))
        after = p.each(dirty)
        da, db = after[0] - before[0], after[1] - before[1]
        check(da == db, "dirty counter delta of %s: %d" % ("; ".join(" ".join(o) for o in group),
                                                           db),
              "sc-broker: %+d\nredis:     %+d" % (da, db))
    # keyspace section is deterministic
    p.cmd("INFO", "keyspace", desc="INFO keyspace (empty)")
    run_script(p, """
        MSET a 1 b 2 c 3
        SELECT 3
        SET x 1
        SET y 1 EXAT 4102444800
        SELECT 0
    """)
    ra, rb = p.each(lambda c: c("INFO", "keyspace"))
    norm = (lambda v: re.sub(rb"avg_ttl=\d+", b"avg_ttl=N", v) if isinstance(v, bytes) else v)
    check(norm(ra) == norm(rb), "INFO keyspace (db0 and db3, avg_ttl masked)",
          "sc-broker: %r\nredis:     %r" % (ra, rb))
    p.cmd("FLUSHALL")


def config(p):
    # notify-keyspace-events defaults differ by design (sc-broker: "Ex"); set it on both
    run_script(p, """
        CONFIG SET notify-keyspace-events ""
        CONFIG GET notify-keyspace-events
        CONFIG SET notify-keyspace-events Ex
        CONFIG GET notify-keyspace-events
        CONFIG SET notify-keyspace-events KEA
        CONFIG GET notify-keyspace-events
        CONFIG SET notify-keyspace-events Kg$lshzxetdmn
        CONFIG GET notify-keyspace-events
        CONFIG SET notify-keyspace-events A
        CONFIG GET notify-keyspace-events
        CONFIG SET notify-keyspace-events KQ
        CONFIG GET notify-keyspace-events
        CONFIG SET notify-keyspace-events Ex
        CONFIG GET maxmemory
        CONFIG SET maxmemory 100mb
        CONFIG GET maxmemory
        CONFIG SET maxmemory 1gb
        CONFIG GET maxmemory
        CONFIG SET maxmemory 12345
        CONFIG GET maxmemory
        CONFIG SET maxmemory 1k
        CONFIG GET maxmemory
        CONFIG SET maxmemory abc
        CONFIG SET maxmemory -1
        CONFIG SET maxmemory 0
        CONFIG GET maxmemory-policy
        CONFIG SET maxmemory-policy noeviction
        CONFIG GET requirepass
        CONFIG GET maxclients
        CONFIG GET timeout
        CONFIG SET timeout 0
        CONFIG SET timeout abc
        CONFIG GET databases
        CONFIG SET databases 4
        CONFIG GET appendonly
        CONFIG GET appendfsync
        CONFIG SET appendfsync everysec
        CONFIG SET appendfsync sometimes
        CONFIG GET proto-max-bulk-len
        CONFIG GET client-output-buffer-limit
        CONFIG GET hash-max-listpack-entries
        CONFIG GET hash-max-listpack-value
        CONFIG GET hash-max-ziplist-entries
        CONFIG GET set-max-intset-entries
        CONFIG GET list-max-listpack-size
        CONFIG GET list-max-ziplist-size
        CONFIG SET list-max-ziplist-size 4
        CONFIG GET list-max-listpack-size
        @sorted CONFIG GET list-max-*
        @sorted CONFIG GET list-max-ziplist-size list-max-listpack-size
        CONFIG SET list-max-listpack-size -6
        CONFIG GET list-max-ziplist-size
        CONFIG SET list-max-listpack-size 2147483648
        CONFIG SET list-max-ziplist-size -2147483649
        CONFIG SET list-max-listpack-size -2
        CONFIG GET list-max-ziplist-size
        CONFIG GET list-compress-depth
        CONFIG SET list-compress-depth 3
        CONFIG GET list-compress-depth
        CONFIG SET list-compress-depth -1
        CONFIG SET list-compress-depth 2147483648
        CONFIG SET list-compress-depth 0
        @sorted CONFIG GET hash-max-*
        CONFIG GET hz
        CONFIG GET protected-mode
        CONFIG GET tcp-keepalive
        CONFIG GET nosuchparam
        @sorted CONFIG GET maxmemory timeout
        @sorted CONFIG GET maxmemory maxmemory
        CONFIG GET
        CONFIG SET maxmemory
        CONFIG SET maxmemory 0 timeout
        CONFIG SET nosuchparam 1
        CONFIG SET maxmemory 0 timeout 0
        CONFIG SET maxmemory 0 maxmemory 1
        CONFIG SET maxmemory 0 nosuch 1
        CONFIG SET timeout abc maxmemory 5
        CONFIG GET maxmemory
        CONFIG SET port abc
        CONFIG SET port 99999
        CONFIG SET daemonize no
        CONFIG RESETSTAT
        CONFIG RESETSTAT x
        CONFIG FOO
        CONFIG
    """)
    # Deliberate differences: sc-broker implements only the noeviction policy (no eviction
    # settings) and has no sorted sets (no zset-* settings) but has set-max-listpack-*.
    with respdiff.optional("sc-broker: noeviction only, no sorted sets"):
        run_script(p, """
            CONFIG SET maxmemory-policy nosuchpolicy
            @sorted CONFIG GET maxmemory*
            @sorted CONFIG GET *max-*-entries*
        """)
    # bind differs by start arguments (redis is started with --bind 127.0.0.1, sc-broker with
    # its default): only check that sc-broker's includes the loopback address
    ra = p.a("CONFIG", "GET", "bind")
    bind = ra.get("bind") if isinstance(ra, respdiff.Map) else (
        ra[1] if isinstance(ra, list) and len(ra) == 2 else b"")
    check(b"127.0.0.1" in (bind or b"").split(),
          "CONFIG GET bind on sc-broker includes 127.0.0.1", repr(ra))
    # maxmemory + noeviction -> OOM for commands that may grow memory
    run_script(p, """
        SET before v
        CONFIG SET maxmemory 1
        SET a b
        APPEND before x
        INCR counter
        MSET x 1 y 2
        RPUSH l a
        HSET h f v
        SADD s a
        GET before
        DEL before
        EXISTS before
        EXPIRE nosuch 10
        PING
        CONFIG SET maxmemory 0
        SET a b
        GET a
    """)


def read_lines(proc, n, timeout=5.0):
    """Reads up to n lines of a subprocess's stdout within timeout (never blocks longer)."""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    lines = []
    buf = b""
    deadline = time.monotonic() + timeout
    fd = proc.stdout.fileno()
    while len(lines) < n:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not sel.select(remaining):
            lines.append("<timeout>")
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            lines.append("<eof>")
            break
        buf += chunk
        while b"\n" in buf and len(lines) < n:
            line, _, buf = buf.partition(b"\n")
            lines.append(line.decode("latin-1"))
    sel.close()
    return lines


def cli_output(res):
    return (res.returncode, res.stdout, res.stderr)


def redis_cli_tests(p):
    pa, pb = p.broker.port, p.redis.port
    p.cmd("FLUSHALL")

    def both_cli(*args, desc=None, norm=None, **kw):
        ra = redis_cli(pa, *args, **kw)
        rb = redis_cli(pb, *args, **kw)
        oa, ob = cli_output(ra), cli_output(rb)
        if norm:
            oa, ob = norm(oa), norm(ob)
        check(oa == ob, desc or "redis-cli " + " ".join(args),
              "sc-broker: %r\nredis:     %r" % (oa, ob))

    both_cli("set", "a", "b")
    both_cli("get", "a")
    both_cli("get", "nosuch")
    both_cli("incr", "n")
    both_cli("incr", "a")
    both_cli("nosuchcmd", "x")
    both_cli("--no-raw", "get", "a")
    both_cli("--no-raw", "incr", "n")
    both_cli("--no-raw", "get", "nosuch")
    both_cli("--no-raw", "incr", "a")
    both_cli("ping")
    both_cli("-n", "2", "set", "db2", "x")
    both_cli("-n", "2", "dbsize")
    both_cli("dbsize")
    both_cli("mset", "k1", "1", "k2", "2", "kx", "3", "other", "4")
    both_cli("--scan", "--pattern", "k*", norm=lambda o: (o[0], sorted(o[1].split("\n")), o[2]),
             desc="redis-cli --scan --pattern k* (sorted)")
    both_cli("--scan", norm=lambda o: (o[0], sorted(o[1].split("\n")), o[2]),
             desc="redis-cli --scan (sorted)")
    both_cli("-x", "set", "fromstdin", input="piped value\n", desc="redis-cli -x set (stdin)")
    both_cli("get", "fromstdin")
    both_cli(input="set s1 v1\nget s1\nping\n", desc="redis-cli commands from stdin")

    def mask_hello(o):
        # "id 31" (raw) or '4# "id" => (integer) 32' (--no-raw): mask id and version values
        out = re.sub(r'^(.*\b(?:id|version)\b"?(?: =>)? (?:\(integer\) )?)\S+$', r"\1X", o[1],
                     flags=re.M)
        return (o[0], out, o[2])
    both_cli("-3", "hello", desc="redis-cli -3 hello (id and version masked)", norm=mask_hello)
    both_cli("-3", "--no-raw", "hello", desc="redis-cli -3 --no-raw hello (masked)",
             norm=mask_hello)
    both_cli("-3", "--no-raw", "get", "nosuch")
    both_cli("-3", "--no-raw", "hgetall", "nosuch")
    both_cli("-3", "hset", "h", "f", "v")
    both_cli("-3", "--no-raw", "hgetall", "h")

    # subscribe in a subprocess: read the confirmation, publish, read the message
    outs = []
    for port in (pa, pb):
        proc = subprocess.Popen(["redis-cli", "-p", str(port), "subscribe", "clich"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        lines = []
        try:
            lines += read_lines(proc, 3)
            pub = redis_cli(port, "publish", "clich", "hello there")
            lines += read_lines(proc, 3)
            lines.append("published to %s" % pub.stdout.strip())
        finally:
            proc.kill()
            proc.wait(5)
        outs.append(lines)
    check(outs[0] == outs[1], "redis-cli subscribe clich + publish (subprocess)",
          "sc-broker: %r\nredis:     %r" % tuple(outs))

    # monitor in a subprocess: OK, then one line per command from another client
    outs = []
    for port in (pa, pb):
        proc = subprocess.Popen(["redis-cli", "-p", str(port), "monitor"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        lines = []
        try:
            lines += read_lines(proc, 1)
            redis_cli(port, "set", "mon", "a b\"c")
            redis_cli(port, "-n", "3", "get", "mon")
            # 1700000000.123456 [0 127.0.0.1:54321] "set" "mon" "1"
            for line in read_lines(proc, 3):
                lines.append(re.sub(r"^\d+\.\d{6} \[(\d+) 127\.0\.0\.1:\d+\]", r"T [\1 ADDR]",
                                    line))
        finally:
            proc.kill()
            proc.wait(5)
        outs.append(lines)
    check(outs[0] == outs[1], "redis-cli monitor sees other clients' commands (subprocess)",
          "sc-broker: %r\nredis:     %r" % tuple(outs))


def main():
    p = Pair()
    basics(p)
    databases_per_connection(p)
    idle_timeout(p)
    client_reply(p)
    client_list_kill(p)
    reset(p)
    monitor_raw(p)
    info(p)
    config(p)
    redis_cli_tests(p)
    # connection and config commands again over RESP3
    r3 = p.connect(resp3=True)
    basics(r3)
    config(r3)
    run_script(r3, """
        @type CLIENT INFO
        @type INFO server
        CLIENT GETNAME
        CONFIG GET nosuch
        @sorted CONFIG GET maxmemory-policy timeout
    """)
    r3.close()
    p.reconnect()  # basics() ran CLIENT KILL TYPE normal from the RESP3 connection
    p.cmd("PING", desc="still alive at the end")
    respdiff.finish()


if __name__ == "__main__":
    main()
