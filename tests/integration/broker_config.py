#!/usr/bin/env python3
"""CONFIG SET with several settings, rollback, runtime port/bind and maxmemory-clients.

Before, CONFIG SET applied each setting as it went: a failing `port` left `maxmemory` of the
same call changed, setting `bind` to its own value failed ("Unable to listen": the old socket
still held the address), and maxmemory-clients and key-load-delay did not exist.  Redis
7.0.15's `introspection` unit checks these; its tests that need replication settings
(repl-backlog-size, slaveof) are skipped there and covered here with broker settings.

Differential (raw reply bytes, sc-broker vs redis-server):
- several settings in one call, read back; a bad value (maxmemory-clients 200%) puts back all
  of them; duplicates (an alias too), immutable, unknown: the first bad argument is named;
- an apply failure (port already in use) puts back every setting of the call, and the server
  still answers on its old port;
- maxmemory-clients' forms (bytes, units, N%, >100%), the hidden key-load-delay (answered by
  name, absent from CONFIG GET *), bind and port set to their current value.
Broker only:
- CONFIG SET port: the new port answers, the old one refuses, a connected client stays;
  CONFIG SET bind to another loopback address likewise; a failed apply also restores a setting
  whose apply had succeeded (notify-keyspace-events: no event is published after);
- client eviction: with maxmemory-clients set, a client holding a big unfinished command (query
  buffer) or big unread replies (output buffer) is closed and INFO's evicted_clients counts it;
  a client with CLIENT NO-EVICT on doing the same stays.
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import respdiff as rd  # noqa: E402


def held_port():
    """A loopback port with a listening socket on it (so no server can listen there)."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    return s, s.getsockname()[1]


def refused(host, port):
    try:
        socket.create_connection((host, port), timeout=2).close()
        return False
    except OSError:
        return True


def config_map(conn, *patterns):
    v = conn("CONFIG", "GET", *patterns)
    return {v[i].decode(): v[i + 1].decode() for i in range(0, len(v), 2)}, len(v) // 2


def info_field(conn, name):
    for line in conn("INFO", "stats").decode().splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1]
    return None


def wait_closed(conn, seconds=5.0):
    """True if the server closed `conn` within `seconds` (sends PINGs meanwhile so the loop
    turns; the replies are not read)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if conn.is_closed(wait=0.2):
            return True
    return False


def differential():
    p = rd.Pair()
    rd.run_script(p, """
        # several settings at once, read back
        CONFIG SET maxmemory 10000001 client-query-buffer-limit 10mb proto-max-bulk-len 2mb
        CONFIG GET maxmemory
        CONFIG GET client-query-buffer-limit
        CONFIG GET proto-max-bulk-len
        # a bad value anywhere puts back every setting of the call (introspection's test)
        CONFIG SET maxmemory 10000002
        CONFIG SET maxmemory 10000001 maxmemory-clients 200% client-query-buffer-limit invalid
        CONFIG GET maxmemory
        CONFIG GET maxmemory-clients
        CONFIG GET client-query-buffer-limit
        CONFIG SET maxmemory 5 client-query-buffer-limit 10mb notify-keyspace-events Q
        CONFIG GET maxmemory
        # duplicates; the error names the argument as typed.  Redis 7.0 lets a name and its
        # alias through in one call (the last wins), and names the alias in an error.
        CONFIG SET maxmemory 10000001 maxmemory 10000002
        CONFIG SET maxmemory 1 MAXMEMORY 2
        CONFIG SET hash-max-listpack-entries 10 hash-max-ziplist-entries 20
        CONFIG GET hash-max-listpack-entries
        CONFIG SET hash-max-ziplist-entries abc
        CONFIG SET hash-max-listpack-entries 512
        # an exact name is answered as typed
        CONFIG GET MAXMEMORY
        CONFIG GET MaxMemory maxmemory
        # immutable and unknown: the first bad argument wins, nothing changes
        CONFIG SET daemonize yes
        CONFIG SET maxmemory 1 daemonize yes
        CONFIG SET daemonize yes nosuchsetting 1
        CONFIG SET nosuchsetting 1 daemonize yes
        CONFIG SET maxmemory 1 nosuchsetting 1
        CONFIG GET maxmemory
        CONFIG SET maxmemory 1 port
        # maxmemory-clients: bytes, units, a percentage of maxmemory
        CONFIG GET maxmemory-clients
        CONFIG SET maxmemory-clients 10%
        CONFIG GET maxmemory-clients
        CONFIG SET maxmemory-clients 100%
        CONFIG GET maxmemory-clients
        CONFIG SET maxmemory-clients 101%
        CONFIG SET maxmemory-clients 1mb
        CONFIG GET maxmemory-clients
        CONFIG SET maxmemory-clients 0
        CONFIG GET maxmemory-clients
        CONFIG SET maxmemory-clients -1
        CONFIG SET maxmemory-clients %
        CONFIG SET maxmemory-clients -5%
        CONFIG SET maxmemory-clients abc
        # the hidden test knob: by name only
        CONFIG GET key-load-delay
        CONFIG GET KEY-LOAD-DELAY
        CONFIG SET key-load-delay 100
        CONFIG GET key-load-delay
        CONFIG SET key-load-delay -10
        CONFIG GET key-load-delay
        CONFIG SET key-load-delay 0
        CONFIG GET key-load*
        # bind to a value the server has: OK, and it still serves
        CONFIG SET bind 127.0.0.1
        CONFIG GET bind
        CONFIG SET bind 127.0.0.1
        PING
        CONFIG SET hz 50
        CONFIG GET hz
        CONFIG SET hz 10
    """)
    p.each(lambda c: c("CONFIG", "SET", "maxmemory", "0"))

    _, n = config_map(p.a, "*")
    for side in (p.a, p.b):
        m, n = config_map(side, "*")
        p.check("key-load-delay" not in m and n == len(m),
                "%s: CONFIG GET * leaves out key-load-delay, no name twice" % side.name)
    m, n = config_map(p.a, "maxmemory", "maxmemory*", "bind", "*ind")
    p.check(n == len(m) and {"maxmemory", "maxmemory-clients", "maxmemory-policy", "bind"} <= set(m),
            "sc-broker: CONFIG GET with several patterns lists each match once",
            str(m))

    # port set to its own value (each side's own port)
    p.cmd_f(lambda c: ("CONFIG", "SET", "port", str(c.port)), "CONFIG SET port <its own port>")
    p.cmd_f(lambda c: ("CONFIG", "SET", "port", str(c.port), "bind", "127.0.0.1"),
            "CONFIG SET port <own> bind 127.0.0.1")

    # an apply failure: every setting of the call goes back, the old port still answers
    holder, used = held_port()
    p.cmd("CONFIG", "SET", "maxmemory", "10000002")
    p.cmd("CONFIG", "SET", "maxmemory", "10000001", "port", str(used),
          "client-query-buffer-limit", "10mb",
          desc="CONFIG SET maxmemory .. port <in use> client-query-buffer-limit 10mb")
    p.cmd("CONFIG", "GET", "maxmemory")
    p.cmd("CONFIG", "GET", "client-query-buffer-limit")
    p.both(lambda c: config_map(c, "port")[0]["port"] == str(c.port),
           "port is back to the old one")
    p.both(lambda c: rd.Conn(c.port)("PING"), "a new client on the old port gets PONG")
    holder.close()
    p.stop()


def broker_listeners():
    b = rd.Server.start("broker")
    c = b.conn()
    old = b.port
    new = rd.free_port()
    rd.check(c("CONFIG", "SET", "port", str(new)) == "OK", "CONFIG SET port <free port>: OK")
    rd.check(c("CONFIG", "GET", "port") == [b"port", str(new).encode()], "CONFIG GET port: new")
    rd.check(rd.Conn(new)("PING") == "PONG", "a client connects on the new port")
    rd.check(refused("127.0.0.1", old), "the old port refuses connections")
    rd.check(c("PING") == "PONG", "the client connected before stays connected")

    holder, used = held_port()
    c("CONFIG", "SET", "maxmemory", "7777777")
    sub = rd.Conn(new)
    sub("SUBSCRIBE", "__keyevent@0__:set")
    r = c.call("CONFIG", "SET", "notify-keyspace-events", "KEA", "maxmemory", "1", "port",
               str(used))
    rd.check(r.type == "-" and b"argument 'port'" in r.raw and b"Unable to listen" in r.raw,
             "CONFIG SET notify.. maxmemory .. port <in use>: refused naming port", rd.show(r.raw))
    rd.check(c("CONFIG", "GET", "notify-keyspace-events")[1] == b"xE" and
             c("CONFIG", "GET", "maxmemory")[1] == b"7777777" and
             c("CONFIG", "GET", "port")[1] == str(new).encode(),
             "every setting of the failed call is back (notify-keyspace-events, maxmemory, port)")
    c("SET", "k", "v")
    try:
        msg = sub.read(timeout=0.5)
        rd.fail("the applied notify-keyspace-events was rolled back", "got %r" % msg)
    except rd.Timeout:
        rd.ok("the applied notify-keyspace-events was rolled back: SET publishes no event")
    rd.check(rd.Conn(new)("PING") == "PONG", "after the failed call the port still answers")
    holder.close()

    # bind to another loopback address, then back
    rd.check(c("CONFIG", "SET", "bind", "127.0.0.2") == "OK", "CONFIG SET bind 127.0.0.2: OK")
    rd.check(rd.Conn(new, host="127.0.0.2")("PING") == "PONG", "127.0.0.2 answers")
    rd.check(refused("127.0.0.1", new), "127.0.0.1 refuses after the bind change")
    rd.check(c("PING") == "PONG", "the connected client stays")
    rd.check(c("CONFIG", "SET", "bind", "127.0.0.1 127.0.0.2") == "OK",
             "CONFIG SET bind '127.0.0.1 127.0.0.2' (one address kept, one added): OK")
    rd.check(rd.Conn(new)("PING") == "PONG" and rd.Conn(new, host="127.0.0.2")("PING") == "PONG",
             "both addresses answer")
    r = c.call("CONFIG", "SET", "bind", "127.0.0.1 300.1.1.1")
    rd.check(r.type == "-" and b"Failed to bind" in r.raw, "a bad bind address is refused",
             rd.show(r.raw))
    rd.check(rd.Conn(new, host="127.0.0.2")("PING") == "PONG" and
             c("CONFIG", "GET", "bind")[1] == b"127.0.0.1 127.0.0.2",
             "and the listeners and bind before it stay")
    b.stop()


def broker_eviction():
    b = rd.Server.start("broker")
    c = b.conn()
    c("CLIENT", "NO-EVICT", "on")
    c("SET", "big", "x" * (2 << 20))
    rd.check(info_field(c, "evicted_clients") == "0", "INFO stats: evicted_clients:0")

    # query buffer: an unfinished 8 MB SET of which 3 MB have arrived
    rd.check(c("CONFIG", "SET", "maxmemory-clients", "1mb") == "OK", "maxmemory-clients 1mb")
    q = b.conn()
    # The broker may evict q while it is still sending (then the send fails with a reset).
    try:
        q.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nq\r\n$8000000\r\n" + b"y" * (3 << 20))
        evicted = wait_closed(q)
    except (ConnectionResetError, BrokenPipeError):
        evicted = True
    rd.check(evicted, "a client with a 3 MB query buffer is evicted")
    rd.check(info_field(c, "evicted_clients") == "1", "INFO stats: evicted_clients:1")

    # the same with CLIENT NO-EVICT on: it stays, and finishes its command
    k = b.conn()
    k("CLIENT", "NO-EVICT", "on")
    k.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nq\r\n$4000000\r\n" + b"y" * (3 << 20))
    rd.check(not wait_closed(k, 1.5), "a NO-EVICT client with the same buffer stays")
    k.send_raw(b"y" * (4000000 - (3 << 20)) + b"\r\n")
    rd.check(k.read().value == "OK", "and its SET completes")

    # output buffer: 20 replies of 2 MB left unread, the limit as a percentage of maxmemory
    c("CONFIG", "SET", "maxmemory", "0", "maxmemory-clients", "0")
    c("CONFIG", "SET", "maxmemory", "1gb", "maxmemory-clients", "1%")  # 10 MB
    o = b.conn()
    o.send_raw(rd.encode("GET", "big") * 20)
    rd.check(wait_closed(o), "a client with 40 MB of unread replies is evicted (1% of 1gb)")
    rd.check(info_field(c, "evicted_clients") == "2", "INFO stats: evicted_clients:2")
    n = b.conn()
    n("CLIENT", "NO-EVICT", "on")
    n.send_raw(rd.encode("GET", "big") * 20)
    rd.check(not wait_closed(n, 1.5), "a NO-EVICT client with 40 MB of unread replies stays")
    got = 0
    for _ in range(20):
        got += len(n.read(timeout=10).value)
    rd.check(got == 20 * (2 << 20), "and reads all its replies")

    c("CONFIG", "SET", "maxmemory-clients", "0")
    small = b.conn()
    small.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nq\r\n$8000000\r\n" + b"y" * (3 << 20))
    rd.check(not wait_closed(small, 1.0), "with maxmemory-clients 0 nothing is evicted")
    rd.check(c("PING") == "PONG" and b.alive(), "the broker still serves")
    b.stop()


def broker_key_load_delay():
    d = rd.tmpdir()
    b = rd.Server.start("broker", ["--appendonly", "yes", "--dir", d])
    c = b.conn()
    for i in range(200):
        c("SET", "k%d" % i, "v")
    rd.wait_rewrite(c)
    b.stop()
    t0 = time.monotonic()
    b = rd.Server.start("broker", ["--appendonly", "yes", "--dir", d, "--key-load-delay", "5000"])
    took = time.monotonic() - t0
    c = b.conn()
    rd.check(c("DBSIZE") == 200 and took >= 0.9,
             "--key-load-delay 5000: 200 keys load in >= 1 s (took %.2f s)" % took)
    b.stop()


def main():
    differential()
    broker_listeners()
    broker_eviction()
    broker_key_load_delay()
    rd.finish()


if __name__ == "__main__":
    main()
