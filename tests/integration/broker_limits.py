#!/usr/bin/env python3
"""Robustness of sc-broker under bad input and load (sc-broker only where a comparison with
Redis is not meaningful; byte-compared with redis-server where it is).

- random binary garbage on one connection while another keeps working
- a 600 MB bulk header is rejected at once, without the memory being reserved
- a subscriber that stops reading while 1 KB messages are published at it (up to 200 MB) is
  disconnected by the pubsub output-buffer limit (32 MB hard); the broker's RSS stays near
  its start
- 10,000 concurrent connections, each PINGs, all served
- maxclients 100: the 101st connection gets "-ERR max number of clients reached"
- requirepass + AUTH (1 and 2 args, WRONGPASS, NOAUTH) compared with redis-server
"""
import os
import hashlib
import random
import resource
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import respdiff  # noqa: E402
import tap  # noqa: E402
from respdiff import Closed, Conn, Pair, Timeout, check, encode, run_script  # noqa: E402


def raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def garbage(srv):
    good = srv.conn()
    rng = random.Random(1234)
    closed_count = 0
    for round_ in range(30):
        bad = socket.create_connection(("127.0.0.1", srv.port), timeout=2)
        try:
            blob = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 20000)))
            if round_ % 3 == 0:
                blob = b"*" + blob  # looks like a multibulk first
            elif round_ % 3 == 1:
                blob = b"*2\r\n$3\r\nGET\r\n$" + blob
            bad.sendall(blob)
        except OSError:
            pass  # the broker may already have closed it: fine
        r = good("PING")
        if r != "PONG":
            check(False, "garbage round %d: other connection answers PING" % round_, repr(r))
            return
        bad.settimeout(0.2)
        try:
            while bad.recv(65536):
                pass
            closed_count += 1
        except (socket.timeout, OSError):
            pass
        bad.close()
    check(True, "30 rounds of random garbage: the other connection answered PING every time")
    check(good("SET", "after-garbage", "ok") == "OK" and good("GET", "after-garbage") == b"ok",
          "after the garbage, SET/GET still work")
    check(srv.alive(), "broker still running after garbage (%d garbage connections closed)"
          % closed_count)
    good.close()


def huge_bulk(srv):
    rss0 = srv.rss_kb()
    c = srv.conn()
    c.send_raw(b"*2\r\n$3\r\nGET\r\n$629145600\r\n")
    try:
        r = c.read()
        check(r.raw == b"-ERR Protocol error: invalid bulk length\r\n",
              "600 MB bulk header rejected with 'invalid bulk length'", repr(r))
    except (Timeout, Closed) as e:
        check(False, "600 MB bulk header rejected with 'invalid bulk length'", repr(e))
    check(c.is_closed(2), "connection closed after the 600 MB bulk header")
    c.close()
    # a legal 512 MB announcement followed by little data must not reserve 512 MB either
    c = srv.conn()
    c.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870912\r\n" + b"x" * 1000)
    time.sleep(0.3)
    rss1 = srv.rss_kb()
    check(rss1 - rss0 < 100 * 1024, "announcing a 512 MB bulk does not reserve it (RSS +%d KB)"
          % (rss1 - rss0))
    c.close()
    other = srv.conn()
    check(other("PING") == "PONG", "broker answers after the huge bulk headers")
    other.close()


def abrupt_close(srv):
    """Clients that vanish mid-reply or mid-command must not disturb the broker."""
    c = srv.conn()
    c("SET", "abrupt", "x" * 100000)
    for i in range(20):
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        if i % 2 == 0:
            s.sendall(encode("GET", "abrupt") * 200)  # 20 MB of replies, never read
        else:
            s.sendall(encode("SET", "abrupt2", "y" * 1000)[:-7])  # half a command
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()  # linger 0: RST
    time.sleep(0.3)
    check(srv.alive() and c("PING") == "PONG",
          "20 clients closing with RST mid-reply / mid-command: broker fine")
    check(c("STRLEN", "abrupt") == 100000, "data intact after the abrupt closes")
    c.close()


def big_value(srv):
    """A 64 MB value goes in and comes back intact (bulk assembled over many reads)."""
    c = srv.conn(timeout=30)
    val = (bytes(range(256)) * 4096) * 64  # 64 MB
    r = c.call("SET", "big64", val, timeout=30)
    got = c.call("GET", "big64", timeout=30)
    check(r.raw == b"+OK\r\n" and isinstance(got.value, bytes)
          and hashlib.sha1(got.value).digest() == hashlib.sha1(val).digest(),
          "64 MB value: SET then GET returns it intact")
    check(c("STRLEN", "big64") == len(val) and c("DEL", "big64") == 1,
          "64 MB value: STRLEN and DEL")
    c.close()


def concurrent_pipelines(srv, clients=50, per=1000):
    """50 clients pipeline 1000 INCRs each at the same time: every counter is exact and every
    client sees its replies 1..1000 in order."""
    c = srv.conn()
    c("DEL", *["cp:%d" % i for i in range(clients)])
    bad = []

    def worker(i):
        try:
            w = Conn(srv.port, timeout=20)
            w.send_raw(encode("INCR", "cp:%d" % i) * per + encode("INCR", "cp:shared") * per)
            got = [w.read().value for _ in range(per)]
            if got != list(range(1, per + 1)):
                bad.append("client %d: replies out of order" % i)
            for _ in range(per):
                w.read()
            w.close()
        except Exception as e:
            bad.append("client %d: %r" % (i, e))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    vals = c("MGET", *["cp:%d" % i for i in range(clients)])
    shared = c("GET", "cp:shared")
    check(not bad and all(v == str(per).encode() for v in vals)
          and shared == str(per * clients).encode(),
          "%d clients x %d pipelined INCRs: replies in order, counters exact (shared=%s)"
          % (clients, per, shared), "; ".join(bad[:5]))
    c.close()


def slow_subscriber(srv, label):
    rss0 = srv.rss_kb()
    sub = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    # (no tiny SO_RCVBUF: with a 4 KB window the final drain of the server's send buffer
    # trickles at delayed-ACK speed; the kernel buffers hold only a few MB anyway)
    sub.sendall(encode("SUBSCRIBE", "slow"))
    time.sleep(0.2)
    sub.recv(4096)  # the subscribe confirmation; from now on the subscriber never reads
    pub = Conn(srv.port, timeout=20)
    msg = b"m" * 1024
    sent = 0
    peak = rss0
    receivers = None
    batch = 500
    deadline = time.monotonic() + 60
    while sent < 200 * 1024 * 1024 and time.monotonic() < deadline:
        pub.send_raw(encode("PUBLISH", "slow", msg) * batch)
        zeros = 0
        for _ in range(batch):
            v = pub.read().value
            if v == 0:
                zeros += 1
        sent += batch * len(msg)
        peak = max(peak, srv.rss_kb())
        if zeros == batch:
            receivers = 0
            break
    # the subscriber's socket must now be closed by the server
    sub.settimeout(5)
    closed = False
    drain_deadline = time.monotonic() + 10
    try:
        while time.monotonic() < drain_deadline:
            data = sub.recv(1 << 20)
            if not data:
                closed = True
                break
    except (socket.timeout, OSError) as e:
        closed = isinstance(e, ConnectionResetError)
    sub.close()
    check(receivers == 0, "%s: PUBLISH reaches 0 receivers after %.1f MB (subscriber dropped)"
          % (label, sent / 1048576.0))
    check(closed, "%s: the slow subscriber's connection was closed" % label)
    check(sent <= 100 * 1024 * 1024, "%s: dropped well before 100 MB were published (%.1f MB)"
          % (label, sent / 1048576.0))
    growth = (peak - rss0) / 1024.0
    check(growth < 64, "%s: RSS peak stayed within 64 MB of its start (+%.1f MB, start %.1f MB)"
          % (label, growth, rss0 / 1024.0))
    check(pub("PING") == "PONG", "%s: publisher connection still works" % label)
    pub.close()


def connected_clients(conn):
    info = conn("INFO", "clients")
    if not isinstance(info, bytes):
        return "INFO failed: %r" % (info,)
    line = [x for x in info.split(b"\r\n") if x.startswith(b"connected_clients:")]
    return int(line[0].split(b":")[1]) if line else -1


def many_connections(srv, label, n=10000):
    conns = []
    failed = []
    t0 = time.monotonic()
    try:
        for start in range(0, n, 500):
            group = []
            for _ in range(start, min(n, start + 500)):
                try:
                    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
                except OSError as e:
                    failed.append(repr(e))
                    break
                s.sendall(b"*1\r\n$4\r\nPING\r\n")
                group.append(s)
            for s in group:
                try:
                    s.settimeout(10)
                    data = b""
                    while len(data) < 7:
                        chunk = s.recv(64)
                        if not chunk:
                            break
                        data += chunk
                    if data != b"+PONG\r\n":
                        failed.append(repr(data))
                except OSError as e:
                    failed.append(repr(e))
            conns.extend(group)
            if failed or time.monotonic() - t0 > 90:
                break
        check(not failed and len(conns) == n,
              "%s: %d concurrent connections each got +PONG (%.1fs)"
              % (label, len(conns), time.monotonic() - t0),
              "failures: %d, e.g. %s" % (len(failed), failed[:3]))
        c = srv.conn()
        num = connected_clients(c)
        check(isinstance(num, int) and num >= n,
              "%s: INFO clients connected_clients=%s with all open" % (label, num))
        # every connection still answers (a second round, all written before reading)
        bad = 0
        for s in conns:
            s.sendall(b"PING\r\n")
        for s in conns:
            try:
                if s.recv(64) != b"+PONG\r\n":
                    bad += 1
            except OSError:
                bad += 1
        check(bad == 0, "%s: second PING on all %d connections (%d bad)" % (label, len(conns),
                                                                          bad))
        c.close()
    finally:
        for s in conns:
            s.close()
    # the server notices the closes
    c = srv.conn()
    deadline = time.monotonic() + 10
    num = -1
    while time.monotonic() < deadline:
        num = connected_clients(c)
        if num <= 2:
            break
        time.sleep(0.1)
    check(isinstance(num, int) and num <= 2,
          "%s: connected_clients back to %s after closing them" % (label, num))
    c.close()


def maxclients():
    p = Pair(args=["--maxclients", "100"])
    extra = {}
    for side, srv in (("a", p.broker), ("b", p.redis)):
        # the Pair's own connection counts: open 99 more to reach 100
        conns = [srv.conn() for _ in range(99)]
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        s.settimeout(3)
        data = tap.read_until(s)
        s.close()
        pongs = sum(1 for c in conns if c("PING") == "PONG")
        extra[side] = (data, pongs)
        for c in conns:
            c.close()
    check(extra["a"][0] == extra["b"][0] == b"-ERR max number of clients reached\r\n",
          "maxclients 100: the 101st connection gets the error and is closed",
          "sc-broker: %r\nredis:     %r" % (extra["a"][0], extra["b"][0]))
    check(extra["a"][1] == 99 and extra["b"][1] == 99,
          "maxclients 100: the other 99 connections still answer PING (%r)"
          % ((extra["a"][1], extra["b"][1]),))
    p.cmd("PING", desc="maxclients 100: the first connection still works")
    time.sleep(0.2)
    # after those closed, new connections are accepted again
    c = p.connect()
    c.cmd("PING", desc="maxclients 100: new connection accepted after others closed")
    c.cmd("CONFIG", "GET", "maxclients")
    c.close()
    p.stop()


def auth():
    pw = "p@ss word"
    p = Pair(args=["--requirepass", pw])
    run_script(p, """
        PING
        GET k
        SET k v
        ECHO x
        SELECT 1
        CLIENT SETNAME x
        DBSIZE
        NOSUCHCMD
        GET
        AUTH
        AUTH a b c
        AUTH wrong
        AUTH default wrong
        AUTH nosuchuser wrong
        AUTH nosuchuser "p@ss word"
        AUTH ""
        GET k
        AUTH "p@ss word"
        GET k
        SET k v
        GET k
        AUTH wrong
        GET k
        AUTH default "p@ss word"
        AUTH DEFAULT "p@ss word"
        CONFIG GET requirepass
    """)
    c = p.connect()
    run_script(c, """
        GET k
        AUTH default "p@ss word"
        GET k
        CONFIG SET requirepass newpw
        GET k
    """)
    c2 = p.connect()
    run_script(c2, """
        GET k
        AUTH "p@ss word"
        AUTH newpw
        GET k
        CONFIG SET requirepass ""
    """)
    c3 = p.connect()
    run_script(c3, """
        GET k
        AUTH x
        AUTH default x
        AUTH default ""
    """)
    for x in (c, c2, c3):
        x.close()
    p.stop()


def main():
    nofile = raise_nofile(20000)
    print("# RLIMIT_NOFILE soft limit %d" % nofile)
    want = min(10000, nofile - 200)
    # Redis's default maxclients is 10000 and the test's own connections count too
    p = Pair(args=["--maxclients", str(want + 100)])
    srv = p.broker
    garbage(srv)
    huge_bulk(srv)
    abrupt_close(srv)
    big_value(srv)
    concurrent_pipelines(srv)
    slow_subscriber(srv, "sc-broker")
    many_connections(srv, "sc-broker", want)
    check(srv.alive(), "sc-broker alive after the robustness tests")
    if os.environ.get("RESPDIFF_LIMITS_REDIS") == "1":  # calibrate the checks against Redis
        slow_subscriber(p.redis, "redis")
        many_connections(p.redis, "redis", want)
    p.stop()
    maxclients()
    auth()
    respdiff.finish()


if __name__ == "__main__":
    main()
