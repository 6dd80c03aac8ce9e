"""sc-broker append-only persistence: durability after SIGKILL, everysec loss bound, rewrite
under load, truncated and corrupt files.  Each check prints "ok N - ..."."""
import os
import random
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import respdiff as rd  # noqa: E402
from respdiff import kill9  # noqa: E402


def start(d, *extra):
    return rd.Server.start("broker", ["--appendonly", "yes", "--dir", d] + list(extra))


def pipeline(conn, cmds):
    conn.send_raw(b"".join(rd.encode(*c) for c in cmds))
    return [conn.read().value for _ in cmds]


def mixed(i):
    """The i-th command of a deterministic mixed workload and how to check it afterwards."""
    k = i % 5
    if k == 0:
        return ("SET", "s:%d" % i, "v%d" % i)
    if k == 1:
        return ("HSET", "h:%d" % (i % 997), "f%d" % i, "v%d" % i)
    if k == 2:
        return ("SADD", "set:%d" % (i % 101), "m%d" % i)
    if k == 3:
        return ("RPUSH", "list", "e%d" % i)
    return ("INCR", "counter")


def verify_acked(conn, acked, sent):
    """Every acknowledged command's effect is present; nothing beyond what was sent."""
    incr_acked = sum(1 for i in range(acked) if i % 5 == 4)
    incr_sent = sum(1 for i in range(sent) if i % 5 == 4)
    missing = 0
    batch = []
    for i in range(acked):
        c = mixed(i)
        if c[0] == "SET":
            batch.append((("GET", c[1]), b"v%d" % i))
        elif c[0] == "HSET":
            batch.append((("HGET", c[1], c[2]), c[3].encode()))
        elif c[0] == "SADD":
            batch.append((("SISMEMBER", c[1], c[2]), 1))
        if len(batch) >= 500:
            got = pipeline(conn, [b[0] for b in batch])
            missing += sum(1 for g, b in zip(got, batch) if g != b[1])
            batch = []
    if batch:
        got = pipeline(conn, [b[0] for b in batch])
        missing += sum(1 for g, b in zip(got, batch) if g != b[1])
    counter = int(conn("GET", "counter") or 0)
    llen = conn("LLEN", "list")
    lst_acked = sum(1 for i in range(acked) if i % 5 == 3)
    lst_sent = sum(1 for i in range(sent) if i % 5 == 3)
    rd.check(missing == 0, "every acknowledged SET/HSET/SADD survived (%d commands)" % acked,
             "%d missing" % missing)
    rd.check(incr_acked <= counter <= incr_sent,
             "INCR counter %d within [acked %d, sent %d]" % (counter, incr_acked, incr_sent))
    rd.check(lst_acked <= llen <= lst_sent,
             "list length %d within [acked %d, sent %d]" % (llen, lst_acked, lst_sent))
    head = conn("LRANGE", "list", 0, 4)
    rd.check(head == [b"e3", b"e8", b"e13", b"e18", b"e23"][:len(head)],
             "list order kept", repr(head))


def test_always_sigkill():
    d = tempfile.mkdtemp(prefix="aof-always-")
    srv = start(d, "--appendfsync", "always")
    conn = srv.conn(timeout=30)
    total, acked, batch = 100000, 0, 1000
    kill_after = 70000
    while acked < kill_after:
        cmds = [mixed(i) for i in range(acked, acked + batch)]
        replies = pipeline(conn, cmds)
        assert not any(isinstance(r, rd.Err) for r in replies), replies[:3]
        acked += batch
    # Send more without reading the replies, then SIGKILL while they are in flight.
    conn.send_raw(b"".join(rd.encode(*mixed(i)) for i in range(acked, total)))
    time.sleep(0.05)
    kill9(srv)
    rd.ok("SIGKILL after %d acknowledged of %d mixed commands (appendfsync always)"
          % (acked, total))
    srv = start(d, "--appendfsync", "always")
    verify_acked(srv.conn(timeout=30), acked, total)
    srv.stop()


def test_everysec_bound():
    d = tempfile.mkdtemp(prefix="aof-everysec-")
    srv = start(d, "--appendfsync", "everysec")
    conn = srv.conn(timeout=30)
    i = 0
    acked_at = {}
    t_end = time.monotonic() + 3.0
    while time.monotonic() < t_end:
        cmds = [("SET", "k:%d" % j, "x") for j in range(i, i + 200)]
        pipeline(conn, cmds)
        i += 200
        acked_at[i] = time.monotonic()
    t_kill = time.monotonic()
    kill9(srv)
    srv = start(d, "--appendfsync", "everysec")
    conn = srv.conn(timeout=30)
    n = conn("DBSIZE")
    # Find the batch boundary that survived: everything acked more than ~1 s before the kill.
    lost_window = [t_kill - t for cnt, t in acked_at.items() if cnt > n]
    worst = max(lost_window) if lost_window else 0.0
    rd.check(worst <= 2.0, "everysec: %d of %d writes survived; oldest lost write was acked "
             "%.2f s before SIGKILL (bound ~1 s + fsync time)" % (n, i, worst))
    # Keys that survived are a prefix of the sequence (the AOF is written in order).
    rd.check(conn("EXISTS", "k:%d" % (n - 1)) == 1 if n else True,
             "surviving writes are a prefix of the acknowledged sequence")
    srv.stop()


def test_rewrite_under_load():
    d = tempfile.mkdtemp(prefix="aof-rewrite-")
    srv = start(d, "--appendfsync", "everysec")
    conn = srv.conn(timeout=30)
    total, done = 60000, 0
    rewrites_started = 0
    while done < total:
        if done in (10000, 35000):
            # On a loaded machine the first rewrite may still run: wait (bounded) for it.
            rd.wait_rewrite(conn, 300)
            r = conn("BGREWRITEAOF")
            rewrites_started += 1
            rd.check("started" in str(r),
                     "BGREWRITEAOF started at %d commands" % done, repr(r))
        pipeline(conn, [mixed(i) for i in range(done, done + 1000)])
        done += 1000
    info = rd.wait_rewrite(conn)
    rd.check("aof_rewrite_in_progress:0" in info, "rewrites finished")
    rd.check("aof_last_bgrewrite_status:ok" in info, "rewrite status ok")
    srv.stop()  # SIGTERM: flush and fsync
    srv = start(d, "--appendfsync", "everysec")
    verify_acked(srv.conn(timeout=30), total, total)
    srv.stop()
    return os.path.join(d, "appendonly.aof")


def test_truncated(aof):
    data = open(aof, "rb").read()
    rng = random.Random(7)
    for cut in sorted(rng.sample(range(1, len(data)), 6)):
        d = tempfile.mkdtemp(prefix="aof-cut-")
        with open(os.path.join(d, "appendonly.aof"), "wb") as f:
            f.write(data[:cut])
        srv = start(d)
        conn = srv.conn()
        rd.check(conn("PING") == "PONG",
                 "AOF cut at byte %d of %d loads" % (cut, len(data)))
        log = srv.log_tail(50)
        srv.stop()
        size = os.path.getsize(os.path.join(d, "appendonly.aof"))
        rd.check(size <= cut, "the broken tail was truncated (%d -> %d bytes)" % (cut, size),
                 log)
        rd.check(data[:size] == open(os.path.join(d, "appendonly.aof"), "rb").read(),
                 "what remains is a prefix of the original")


def test_corrupt(aof):
    data = bytearray(open(aof, "rb").read())
    pos = len(data) // 2
    while data[pos:pos + 1] != b"*":
        pos += 1
    data[pos] = ord("?")
    d = tempfile.mkdtemp(prefix="aof-bad-")
    with open(os.path.join(d, "appendonly.aof"), "wb") as f:
        f.write(data)
    cmd = rd.broker_cmd() + ["--port", str(rd.free_port()), "--appendonly", "yes", "--dir", d]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    rd.check(p.returncode != 0, "a corrupt AOF stops the start (exit %d)" % p.returncode)
    rd.check(("offset %d" % pos) in p.stderr, "the message names the offset %d" % pos, p.stderr)


def test_persistence_info_and_config():
    d = tempfile.mkdtemp(prefix="aof-cfg-")
    srv = rd.Server.start("broker", ["--dir", d])
    conn = srv.conn()
    conn("SET", "before", "1")
    rd.check(conn("CONFIG", "SET", "appendonly", "yes") == rd.Simple("OK"),
             "CONFIG SET appendonly yes")
    conn("SET", "after", "2")
    rd.wait_rewrite(conn, 50)
    info = conn("INFO", "persistence").decode()
    rd.check("aof_enabled:1" in info, "INFO persistence: aof_enabled:1", info)
    rd.check("aof_current_size:" in info, "INFO persistence: aof_current_size present")
    kill9(srv)
    srv = start(d)
    conn = srv.conn()
    rd.check(conn("MGET", "before", "after") == [b"1", b"2"],
             "data from before and after enabling the AOF survives SIGKILL")
    srv.stop()


def test_rewrite_large_collections():
    """A rewrite splits big collections into batched commands; each must come back intact."""
    d = tempfile.mkdtemp(prefix="aof-big-")
    srv = start(d)
    conn = srv.conn(timeout=30)
    fields = {("f%d" % i): ("value-%d-" % i) * (i % 7 + 1) for i in range(300)}
    args = []
    for k, v in fields.items():
        args += [k, v]
    conn("HSET", "bighash", *args)
    conn("SADD", "bigset", *["member-%d" % i for i in range(500)])
    conn("SADD", "intset", *[str(i * 3) for i in range(400)])
    conn("RPUSH", "biglist", *["item-%d" % i for i in range(700)])
    conn("BGREWRITEAOF")
    rd.wait_rewrite(conn)
    kill9(srv)
    srv = start(d)
    conn = srv.conn(timeout=30)
    got = conn("HGETALL", "bighash")
    rd.check(dict(zip(got[0::2], got[1::2])) ==
             {k.encode(): v.encode() for k, v in fields.items()},
             "a 300-field hash survives a rewrite and a restart")
    rd.check(sorted(conn("SMEMBERS", "bigset")) ==
             sorted(b"member-%d" % i for i in range(500)), "a 500-member set survives")
    rd.check(sorted(int(x) for x in conn("SMEMBERS", "intset")) == [i * 3 for i in range(400)],
             "a 400-member integer set survives")
    rd.check(conn("LRANGE", "biglist", 0, -1) == [b"item-%d" % i for i in range(700)],
             "a 700-element list survives in order")
    srv.stop()


test_always_sigkill()
test_everysec_bound()
aof = test_rewrite_under_load()
test_truncated(aof)
test_corrupt(aof)
test_persistence_info_and_config()
test_rewrite_large_collections()
rd.finish()
