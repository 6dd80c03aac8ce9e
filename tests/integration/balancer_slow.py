#!/usr/bin/env python3
"""sc-balancer slow clients: hundreds of header tricklers, silent sockets and stalled TLS
handshakes held at once while normal requests stay fast (< 1 s); each phase's timeout closes
them; idle connections close after --timeout-idle while active ones stay."""
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from baltest import *  # noqa: E402,F403

certs = make_certs()
backends = [Backend(f"b{i}") for i in range(2)]
bal = Balancer(backends, "--affinity", "session", "--timeout-head", "3", tls=True, certs=certs)
ctx = client_ctx()
rss0 = bal.rss_kib()

t_start = time.time()
tricklers = []
for i in range(300):
    s = connect(bal.port, src=f"127.1.{i // 200}.{1 + i % 200}")
    s.sendall(b"GET / HTTP/1.1\r\nX-Slow: ")
    tricklers.append(s)
silent = [connect(bal.port, src=f"127.2.0.{1 + i % 200}") for i in range(300)]
stalled_tls = [connect(bal.tls_port, src=f"127.3.0.{1 + i % 200}") for i in range(200)]
ok(f"holding 300 header tricklers, 300 silent sockets, 200 stalled TLS handshakes")
rss1 = bal.rss_kib()

stop = False


def trickle():
    while not stop:
        for s in tricklers:
            try:
                s.send(b"a")
            except OSError:
                pass
        time.sleep(0.3)


th = threading.Thread(target=trickle, daemon=True)
th.start()
lat = []
while time.time() - t_start < 2.5:
    t0 = time.time()
    backend_of(bal.port, "/?sid=x%d" % len(lat))
    backend_of(bal.tls_port, "/?sid=y%d" % len(lat), ctx=ctx)
    lat.append(time.time() - t0)
check(max(lat) < 1.0, f"{2 * len(lat)} normal requests (plain + TLS) meanwhile, slowest pair {max(lat) * 1000:.1f} ms (< 1 s)")
check(rss1 - rss0 < 8 * 1024, f"800 slow clients cost {rss1 - rss0} KiB of RSS ({(rss1 - rss0) * 1024 // 800} B each)")


def closed_by(socks, deadline):
    n = 0
    for s in socks:
        s.settimeout(max(0.05, deadline - time.time()))
        try:
            while True:
                d = s.recv(4096)
                if not d:
                    n += 1
                    break
        except socket.timeout:
            pass
        except ConnectionResetError:
            n += 1
    return n


deadline = t_start + 5.5
n_trick = closed_by(tricklers, deadline)
stop = True
n_silent = closed_by(silent, deadline)
n_tls = closed_by(stalled_tls, deadline)
check(n_trick == 300, f"{n_trick}/300 tricklers closed by the head timeout (3 s) although they kept sending")
check(n_silent == 300, f"{n_silent}/300 silent sockets closed by the head timeout")
check(n_tls == 200, f"{n_tls}/200 stalled TLS handshakes closed by the handshake timeout")
m = bal.metrics()
check(m['sc_balancer_closes_total{reason="timeout_head"}'] == 600 and
      m['sc_balancer_closes_total{reason="timeout_handshake"}'] == 200, "stats: 600 timeout_head, 200 timeout_handshake")
check(m["sc_balancer_connections"] == 0, "stats: no connection left open")
for s in tricklers + silent + stalled_tls:
    s.close()

# Idle timeout in ip mode: a silent WebSocket closes after 1 s, a chatty one stays.
ibal = Balancer(backends, "--timeout-idle", "1", name="idle")
quiet, chatty = connect(ibal.port), connect(ibal.port)
ws_handshake(quiet)
ws_handshake(chatty)
t0 = time.time()
while time.time() - t0 < 2.5:
    chatty.sendall(ws_frame(b"ping"))
    ws_read(chatty)
    time.sleep(0.3)
quiet.settimeout(1)
check(quiet.recv(10) == b"", "idle: a silent WebSocket was closed after --timeout-idle 1 s")
chatty.sendall(ws_frame(b"still"))
check(ws_read(chatty)[1] == b"still", "idle: a WebSocket with traffic every 0.3 s stays open for 2.5 s")
check(ibal.metrics()['sc_balancer_closes_total{reason="timeout_idle"}'] == 1, "stats: one timeout_idle")
