#!/usr/bin/env python3
"""sc-broker append-only file under faults: an unfinished MULTI at the end of the file, and
writes that fail part way (a file size limit, RLIMIT_FSIZE with SIGXFSZ ignored, so write(2)
is short and then fails with EFBIG).

Checks, as Redis 7.0 does:
- a file ending in MULTI + commands without EXEC is cut back to before the MULTI, so writes
  appended after the next start are not swallowed by a transaction that never executes;
- a short write is cut off the file (ftruncate back to the last whole command); with
  appendfsync everysec the broker then refuses writes and PING with MISCONF (reads work) until a
  write succeeds again, nData writes get a MISCONF error object; the file always loads;
- with appendfsync always a failed write stops the broker (exit 1, with a log line), and
  every acknowledged write is in the file.
"""
import json
import os
import resource
import signal
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import respdiff as rd  # noqa: E402


def start(d, *extra, preexec_fn=None):
    return rd.Server.start("broker", ["--appendonly", "yes", "--dir", d] + list(extra),
                           preexec_fn=preexec_fn)


def aof_path(d):
    return os.path.join(d, "appendonly.aof")


def whole_commands(data):
    """(number of whole RESP arrays, True if data is exactly a sequence of them)."""
    pos, n = 0, 0
    while pos < len(data):
        try:
            _, pos = rd.parse(data, pos)
        except rd.NeedMore:
            return n, False
        n += 1
    return n, True


def file_size_limit(limit):
    """preexec_fn: a soft file size limit (raisable later with prlimit), SIGXFSZ ignored so
    the write past the limit fails with EFBIG instead of killing the process."""
    def f():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    return f


def nd_request(port, msg):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall((json.dumps(msg) + "\n").encode())
    buf = b""
    while b"\n" not in buf:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    s.close()
    return json.loads(buf.split(b"\n")[0]) if buf else None


# ---- 3. unfinished MULTI at the end of the file

def test_unfinished_multi():
    for tail_desc, tail in (("MULTI; SET a 1", rd.encode("MULTI") + rd.encode("SET", "a", "1")),
                            ("MULTI; half a SET", rd.encode("MULTI") + rd.encode("SET", "a", "1")[:9]),
                            ("MULTI alone", rd.encode("MULTI"))):
        d = tempfile.mkdtemp(prefix="aof-multi-")
        head = rd.encode("SELECT", "0") + rd.encode("SET", "x", "1")
        with open(aof_path(d), "wb") as f:
            f.write(head + tail)
        srv = start(d)
        c = srv.conn()
        rd.check(c("GET", "x") == b"1" and c("EXISTS", "a") == 0,
                 "file ending in %s: the commands before the MULTI load, the open "
                 "transaction does not" % tail_desc)
        rd.check(os.path.getsize(aof_path(d)) == len(head),
                 "file ending in %s: truncated to before the MULTI (%d -> %d bytes)"
                 % (tail_desc, len(head) + len(tail), os.path.getsize(aof_path(d))),
                 srv.log_tail())
        c("SET", "b", "2")
        srv.stop()
        srv = start(d)
        c = srv.conn()
        rd.check(c("MGET", "x", "b") == [b"1", b"2"],
                 "file ending in %s: a write made after the restart survives the next one"
                 % tail_desc, repr(c("MGET", "x", "b")))
        srv.stop()


# ---- 4. short writes

VALUE = "v" * 1000


def fill_until_error(c, limit_keys=200):
    """SETs one key per round trip until a reply is an error; returns (acked keys, error)."""
    acked = []
    for i in range(limit_keys):
        r = c("SET", "k%03d" % i, VALUE)
        if isinstance(r, rd.Err):
            return acked, r
        acked.append("k%03d" % i)
    return acked, None


def test_short_write_everysec():
    d = tempfile.mkdtemp(prefix="aof-short-")
    limit = 10000 + 517  # not on a command boundary: the write that crosses it is short
    srv = start(d, "--appendfsync", "everysec", preexec_fn=file_size_limit(limit))
    c = srv.conn()
    m = srv.conn()  # a transaction queued before the fault, executed during it
    m("MULTI")
    m("SET", "queued", "1")
    acked, err = fill_until_error(c)
    rd.check(err is not None and str(err).startswith("MISCONF"),
             "writes past the size limit are refused with MISCONF after %d were acknowledged"
             % len(acked), repr(err))
    data = open(aof_path(d), "rb").read()
    n, whole = whole_commands(data)
    rd.check(whole, "the short write was cut off: the file (%d bytes, limit %d) holds %d whole "
             "commands and no fragment" % (len(data), limit, n), repr(data[-60:]))
    rd.check(isinstance(c("PING"), rd.Err) and str(c("PING")).startswith("MISCONF"),
             "PING is refused with MISCONF while the AOF cannot be written (Redis 7.0)",
             repr(c("PING")))
    rd.check(c("GET", acked[0]) == VALUE.encode(), "reads still work")
    r = m("EXEC")
    rd.check(str(r).startswith("EXECABORT Transaction discarded because of: MISCONF")
             and c("EXISTS", "queued") == 0,
             "EXEC of a queued write is refused (EXECABORT ... MISCONF) as in Redis", repr(r))
    m("MULTI")
    r = m("SET", "queued", "1")
    rd.check(str(r).startswith("MISCONF") and str(m("EXEC")).startswith("EXECABORT"),
             "a write queued during the fault is refused and the transaction aborted")
    r = nd_request(srv.port, {"id": 1, "action": "set", "key": ["nd"], "value": 1})
    rd.check(r is not None and r.get("error", {}).get("name") == "MISCONF",
             "an nData write is refused with a MISCONF error object", repr(r))
    r = nd_request(srv.port, {"id": 2, "action": "get", "key": ["k000"]})
    rd.check(r is not None and "error" not in r, "an nData read still works", repr(r))
    info = c("INFO", "persistence").decode()
    rd.check("aof_last_write_status:err" in info, "INFO: aof_last_write_status:err")
    # Lift the limit: the next retry (cron, each tick) writes the kept buffer and writes resume.
    resource.prlimit(srv.pid, resource.RLIMIT_FSIZE,
                     (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    for _ in range(100):
        if c("PING") == "PONG":
            break
        time.sleep(0.05)
    rd.check(c("PING") == "PONG", "once the disk takes writes again, PING answers PONG")
    rd.check(c("SET", "after", "1") == "OK", "and writes are accepted")
    srv.stop()
    srv = start(d)
    c = srv.conn()
    got = c("MGET", *acked, "after")
    rd.check(all(g == VALUE.encode() for g in got[:-1]) and got[-1] == b"1",
             "the file loads after the fault: every acknowledged write and the later one are "
             "there (%d keys)" % (len(acked) + 1), srv.log_tail())
    srv.stop()


def test_short_write_always():
    d = tempfile.mkdtemp(prefix="aof-short-always-")
    limit = 10000 + 517
    srv = start(d, "--appendfsync", "always", preexec_fn=file_size_limit(limit))
    c = srv.conn()
    acked = []
    for i in range(200):
        try:
            r = c("SET", "k%03d" % i, VALUE)
        except (rd.Closed, rd.Timeout):
            break
        if isinstance(r, rd.Err):
            break
        acked.append("k%03d" % i)
    try:
        code = srv.proc.wait(5)
    except Exception:
        code = None
    rd.check(code == 1, "appendfsync always: a failed AOF write stops the broker with exit 1 "
             "(after %d acknowledged writes)" % len(acked), "exit %r" % (code,))
    log = srv.log_tail(30)
    rd.check("Can't recover from AOF write error" in log, "... with a log line saying why", log)
    data = open(aof_path(d), "rb").read()
    n, whole = whole_commands(data)
    rd.check(whole, "the file holds %d whole commands and no fragment" % n, repr(data[-60:]))
    srv.stop()
    srv = start(d, "--appendfsync", "always")
    c = srv.conn()
    got = c("MGET", *acked) if acked else []
    rd.check(acked and all(g == VALUE.encode() for g in got),
             "every acknowledged write is in the file after the restart (%d)" % len(acked))
    srv.stop()


def test_error_then_aof_off():
    d = tempfile.mkdtemp(prefix="aof-short-off-")
    srv = start(d, "--appendfsync", "everysec", preexec_fn=file_size_limit(10000 + 517))
    c = srv.conn()
    acked, err = fill_until_error(c)
    rd.check(str(err).startswith("MISCONF"), "MISCONF after %d writes" % len(acked))
    c("CONFIG", "SET", "appendonly", "no")
    rd.check(c("SET", "x", "1") == "OK" and c("PING") == "PONG",
             "CONFIG SET appendonly no ends the MISCONF state (Redis checks it only while the "
             "AOF is on)")
    srv.stop()


test_unfinished_multi()
test_error_then_aof_off()
test_short_write_everysec()
test_short_write_always()
rd.finish()
