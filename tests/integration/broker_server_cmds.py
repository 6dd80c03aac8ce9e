"""Server commands of sc-broker against redis-server 7.0, byte for byte where Redis's reply is
deterministic: INFO (sections, headers, field names), CLIENT (SETNAME GETNAME ID LIST KILL
REPLY INFO NO-EVICT GETREDIR UNBLOCK HELP and their errors), COMMAND (COUNT INFO DOCS LIST
GETKEYS HELP errors), MONITOR lines, TIME, LASTSAVE, SHUTDOWN argument errors, MEMORY."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import respdiff as rd  # noqa: E402

p = rd.Pair()

# ---- argument errors and fixed replies: identical bytes ----
rd.run_script(p, r"""
CLIENT HELP
COMMAND HELP
MEMORY HELP
CLIENT
CLIENT FOO
CLIENT SETNAME
CLIENT SETNAME a b
CLIENT SETNAME "bad name"
CLIENT SETNAME "new\nline"
CLIENT GETNAME
CLIENT SETNAME conn-1
CLIENT GETNAME
CLIENT SETNAME ""
CLIENT GETNAME
CLIENT KILL 1.2.3.4:5
CLIENT KILL ID 0
CLIENT KILL ID x
CLIENT KILL ID 99999
CLIENT KILL foo bar
CLIENT KILL USER nobody
CLIENT KILL USER default ID 99999
CLIENT KILL TYPE foo
CLIENT KILL TYPE pubsub
CLIENT KILL SKIPME maybe
CLIENT KILL ID 5 TYPE
CLIENT LIST TYPE foo
CLIENT LIST ID x
CLIENT LIST ID 99999
CLIENT LIST foo
CLIENT LIST TYPE pubsub
CLIENT REPLY foo
CLIENT NO-EVICT foo
CLIENT NO-EVICT on
CLIENT NO-EVICT off
CLIENT GETREDIR
CLIENT UNBLOCK 5
CLIENT UNBLOCK x
CLIENT UNBLOCK 5 foo
COMMAND FOO
COMMAND COUNT x
COMMAND GETKEYS
COMMAND GETKEYS nosuchcmd a
COMMAND GETKEYS get a
COMMAND GETKEYS get a b
COMMAND GETKEYS ping x
COMMAND GETKEYS mset a b c d
COMMAND GETKEYS del a b c
COMMAND INFO nosuchcmd
COMMAND DOCS nosuchcmd
COMMAND LIST FILTERBY foo
COMMAND LIST FILTERBY module x
COMMAND LIST x
@sorted COMMAND LIST FILTERBY pattern client|*name
TIME x
@shape TIME
@type LASTSAVE
SHUTDOWN foo
SHUTDOWN ABORT
SHUTDOWN NOSAVE SAVE
SHUTDOWN NOW ABORT
MONITOR x
INFO nosuchsection
INFO a b c
DEBUG
MEMORY
MEMORY FOO
SET memkey value
MEMORY USAGE memkey SAMPLES x
MEMORY USAGE memkey foo
MEMORY USAGE nokey
MEMORY USAGE nokey SAMPLES -1
@type MEMORY USAGE memkey
DEL memkey
""")

# The same in RESP3 (verbatim strings, nulls, maps).
p3 = p.connect(resp3=True)
rd.run_script(p3, r"""
INFO nosuchsection
CLIENT LIST ID 99999
COMMAND INFO nosuchcmd
COMMAND DOCS nosuchcmd
MEMORY USAGE nokey
CLIENT GETNAME
""")
p3.close()


# ---- INFO: the same sections, headers and field names, in the same order ----
def info_layout(conn, *args):
    text = conn(*(("INFO",) + args)).decode()
    return [line.split(":", 1)[0] for line in text.split("\r\n")]


def fields(conn, *args):
    extra = {"sc_broker_version", "client_query_buffer_limit_disconnections",
             "client_output_buffer_limit_disconnections", "pubsub_messages"}
    # errorstat_<CODE> lines are not kept by the broker (see docs); compared apart from them.
    return [f for f in info_layout(conn, *args)
            if f not in extra and not f.startswith("errorstat_")]


for args in [(), ("server",), ("clients",), ("memory",), ("persistence",), ("stats",),
             ("replication",), ("cpu",), ("cpu", "server"), ("keyspace",), ("SERVER",)]:
    p.both(lambda c: fields(c, *args), "INFO %s: same sections and field names" % " ".join(args))
for args in [("all",), ("everything",), ("default",), ("commandstats",)]:
    p.both(lambda c: [f for f in fields(c, *args) if f.startswith("#")],
           "INFO %s: same section headers" % " ".join(args))
raw = p.a.call("INFO").raw
rd.check(raw.endswith(b"\r\n\r\n") and b"\r\n\r\n# Clients\r\n" in raw,
         "INFO: CRLF lines, sections separated by a blank line")
info = p.a("INFO", "server").decode()
rd.check("redis_version:7.0.15\r\n" in info and "sc_broker_version:" in info
         and "tcp_port:%d\r\n" % p.broker.port in info,
         "INFO server: redis_version 7.0.15, sc_broker_version, tcp_port")
p.cmd("FLUSHALL")
p.cmd("SET", "k1", "v")
p.cmd("SET", "k2", "v", "EX", "100")
p.cmd("SELECT", "3")
p.cmd("SET", "k3", "v")
p.cmd("SELECT", "0")
p.both(lambda c: re.sub(rb"avg_ttl=\d+", b"avg_ttl=T", c("INFO", "keyspace")),
       "INFO keyspace lines for non-empty dbs")
p.cmd("FLUSHALL")
stats = p.a("INFO", "commandstats").decode()
rd.check(re.search(r"^cmdstat_set:calls=\d+,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,"
                   r"failed_calls=0\r$", stats, re.M) is not None,
         "INFO commandstats cmdstat_set line")
rd.check(re.search(r"^cmdstat_client\|getname:calls=", stats, re.M) is not None,
         "INFO commandstats names subcommands client|getname")

with rd.optional("INFO errorstats needs reply_error() to call errorstat_incr() (info.h)"):
    p.cmd("CONFIG", "RESETSTAT")
    p.cmd("SET", "ek", "v")
    p.cmd("HGET", "ek", "f")
    p.cmd("INCR", "ek")
    p.cmd("NOSUCHCOMMAND")
    p.cmd("INFO", "errorstats")
    p.cmd("DEL", "ek")

# ---- CLIENT LIST / INFO line format ----
line_re = (r"id=\d+ addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:%d fd=\d+ name=%s age=\d+ idle=\d+ "
           r"flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=\d+ qbuf-free=\d+ argv-mem=\d+ "
           r"multi-mem=0 rbs=\d+ rbp=\d+ obl=\d+ oll=0 omem=0 tot-mem=\d+ events=r "
           r"cmd=client\|info user=default redir=-1 resp=2\n")
c = rd.Conn(p.broker.port)
c("CLIENT", "SETNAME", "lister")
got = c("CLIENT", "INFO").decode()
rd.check(re.fullmatch(line_re % (p.broker.port, "lister"), got), "CLIENT INFO line format", got)
lst = c("CLIENT", "LIST").decode()
rd.check(lst.endswith("\n") and "name=lister" in lst and "cmd=client|list" in lst,
         "CLIENT LIST: one line per client ending in \\n", lst)
cid = c("CLIENT", "ID")
one = c("CLIENT", "LIST", "ID", str(cid)).decode()
rd.check(one.count("\n") == 1 and one.startswith("id=%d " % cid), "CLIENT LIST ID", one)

# ---- CLIENT KILL ----
def kill_by_id(conn):
    victim = rd.Conn(conn.port)
    vid = victim("CLIENT", "ID")
    r1 = conn("CLIENT", "KILL", "ID", str(vid))
    closed = victim.is_closed(2.0)
    r2 = conn("CLIENT", "KILL", "ID", str(vid))
    return (r1, closed, r2)


p.both(kill_by_id, "CLIENT KILL ID closes the victim, then finds nothing")


def kill_by_addr(conn):
    victim = rd.Conn(conn.port)
    addr = victim("CLIENT", "INFO").decode().split()[1].split("=", 1)[1]
    r = conn("CLIENT", "KILL", addr)
    return (r, victim.is_closed(2.0))


p.both(kill_by_addr, "CLIENT KILL addr (old form) replies +OK and closes the victim")


def kill_self(conn):
    me = rd.Conn(conn.port)
    cid = me("CLIENT", "ID")
    r1 = me("CLIENT", "KILL", "ID", str(cid))
    r2 = me("CLIENT", "KILL", "ID", str(cid), "SKIPME", "no")
    return (r1, r2, me.is_closed(2.0))


p.both(kill_self, "CLIENT KILL skips the caller unless SKIPME no, then closes it after the reply")

# ---- CLIENT REPLY ----
def reply_modes(conn):
    conn.send("CLIENT", "REPLY", "OFF")
    conn.send("SET", "rk", "1")
    conn.send("GET", "rk")
    conn.send("CLIENT", "REPLY", "ON")
    first = conn.read().value
    conn.send("CLIENT", "REPLY", "SKIP")
    conn.send("GET", "rk")
    conn.send("INCR", "rk")
    second = conn.read().value
    conn.send("DEL", "rk")
    third = conn.read().value
    return (first, second, third)


p.both(lambda c: reply_modes(rd.Conn(c.port)), "CLIENT REPLY OFF / ON / SKIP")

# ---- MONITOR ----
def monitor_lines(conn):
    m = rd.Conn(conn.port)
    r = m("MONITOR")
    w = rd.Conn(conn.port)
    w("SET", "k\x01\xff\\\"\t\a\b é", "v")
    w("GET", "k")
    w("CLIENT", "KILL", "ID", "99999")   # admin: hidden
    w("CONFIG", "GET", "maxmemory")       # admin: hidden
    w("DEL", "k\x01\xff\\\"\t\a\b é")
    w("PING")
    lines = []
    while len(lines) < 4:
        lines.append(m.read().value)
    addr = w("CLIENT", "INFO").decode().split()[1].split("=", 1)[1]
    out = [r]
    for ln in lines:
        mt = re.fullmatch(r"(\d+\.\d{6}) \[0 (\S+)\] (.*)", ln)
        out.append(mt and mt.group(2) == addr and mt.group(3))
    return out


p.both(monitor_lines, "MONITOR: +OK, then one line per command with Redis's quoting")

def monitor_order(conn):
    m = rd.Conn(conn.port)
    m("MONITOR")
    w = rd.Conn(conn.port)
    for cmd in [("SELECT", "1"), ("GET", "a"), ("SELECT", "0"), ("AUTH", "secret"),
                ("MULTI",), ("SET", "a", "1"), ("EXEC",), ("PING",)]:
        w.call(*cmd)
    lines = []
    while True:
        ln = m.read().value
        lines.append(re.sub(r"^\d+\.\d+ \[(\d+) \S+\] ", r"[\1] ", ln))
        if '"PING"' in ln:
            return lines
p.both(monitor_order, "MONITOR: db after SELECT, AUTH redacted, EXEC after its commands")

p.cmd("FLUSHALL")
rd.finish()
