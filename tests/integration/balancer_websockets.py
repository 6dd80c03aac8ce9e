#!/usr/bin/env python3
"""sc-balancer at scale: 5,000 concurrent WebSockets from 127.0.0.0/8 sources through the plain
port (and 500 through TLS), all open at once, each echoing a message, then memory per proxied
connection and the even spread over the backends."""
import os
import select
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from baltest import *  # noqa: E402,F403

certs = make_certs()
backends = [Backend(f"b{i}") for i in range(3)]
bal = Balancer(backends, tls=True, certs=certs)
rss0 = bal.rss_kib()
N = 5000
t0 = time.time()
socks, counts = [], {}
for i in range(N):
    s = connect(bal.port, src=f"127.{10 + i // 250}.{i % 250}.1")
    h, rest = ws_handshake(s)
    counts[h["x-backend"]] = counts.get(h["x-backend"], 0) + 1
    socks.append(s)
check(len(socks) == N, f"{N} WebSockets open at once ({time.time() - t0:.1f} s), spread {counts}")
m = bal.metrics()
check(m["sc_balancer_connections"] == N, f"stats: {m['sc_balancer_connections']} connections open")
rss1 = bal.rss_kib()
check((rss1 - rss0) * 1024 / N < 4096, f"memory: {(rss1 - rss0) * 1024 // N} B of balancer RSS per proxied WebSocket")
for i, s in enumerate(socks):
    s.sendall(ws_frame(b"msg %d" % i))
good = 0
for i, s in enumerate(socks):
    op, data, _ = ws_read(s)
    good += data == b"msg %d" % i
check(good == N, f"{good}/{N} WebSockets echoed their own message")
ctx = client_ctx()
tls = []
for i in range(500):
    s = connect(bal.tls_port, src=f"127.40.{i % 250}.{1 + i // 250}", ctx=ctx)
    ws_handshake(s)
    tls.append(s)
good = 0
for i, s in enumerate(tls):
    s.sendall(ws_frame(b"tls %d" % i))
    good += ws_read(s)[1] == b"tls %d" % i
check(good == 500, f"{good}/500 more over TLS, with the {N} plain ones still open")
for s in socks + tls:
    s.close()
deadline = time.time() + 10
while time.time() < deadline and bal.metrics()["sc_balancer_connections"] > 0:
    time.sleep(0.2)
check(bal.metrics()["sc_balancer_connections"] == 0, "all closed when the clients left")
