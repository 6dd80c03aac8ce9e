#!/usr/bin/env python3
"""sc-balancer operations: PROXY protocol v1/v2 headers carry the client's address, --max-conns
pauses accepting, the stats endpoint is its own port, flag errors, SIGTERM's grace period."""
import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from baltest import *  # noqa: E402,F403
import tap  # noqa: E402

backends = [Backend("b0"), Backend("b1")]
for v in ("v1", "v2"):
    bal = Balancer(backends, "--proxy-protocol", v, name=f"pp{v}")
    s = connect(bal.port, src="127.0.5.7")
    port = s.getsockname()[1]
    s.sendall(b"GET /head HTTP/1.1\r\nHost: x\r\n\r\n")
    status, h, body, _ = read_response(s)
    s.close()
    check(h["x-client"] == f"127.0.5.7:{port}" and body.startswith(b"GET /head"),
          f"PROXY protocol {v}: the backend sees the client 127.0.5.7:{port}, then the bytes unchanged")

bal = Balancer(backends, "--max-conns", "5", name="maxconns")
held = []
for i in range(5):
    s = connect(bal.port)
    ws_handshake(s)
    held.append(s)
extra = connect(bal.port)  # the kernel completes the handshake; the balancer does not accept
extra.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
extra.settimeout(0.5)
try:
    extra.recv(10)
    waited = False
except socket.timeout:
    waited = True
check(waited, "--max-conns 5: a 6th connection waits while 5 are open")
held.pop().close()
extra.settimeout(5)
status, h, body, _ = read_response(extra)
check(status == 200, "--max-conns: it is served once one of the 5 closes")
m = bal.metrics()
check(m["sc_balancer_accept_pauses_total"] >= 1, "stats: accept pauses counted")
for s in held:
    s.close()
status, h, body, _ = http_get(bal.port, "/metrics")
check("x-backend" in h and b"sc_balancer" not in body, "the data port proxies /metrics to a backend; stats live on their own port")

# No live backend: ip mode closes the client, session mode answers 503 to an HTTP client.
dead = [f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"]
for mode in ("ip", "session"):
    nb = Balancer(dead, "--affinity", mode, name=f"dead-{mode}")
    s = connect(nb.port)
    s.sendall(b"GET /?sid=z HTTP/1.1\r\nHost: x\r\n\r\n")
    data = tap.read_until(s)
    s.close()
    want = b"HTTP/1.1 503" if mode == "session" else b""
    check(data.startswith(want) and (mode == "session" or data == b""),
          f"all backends down, {mode} mode: {'503 then close' if want else 'closed without a byte'}")
    check(nb.metrics()['sc_balancer_closes_total{reason="no_backend"}'] >= 1, f"stats: {mode} counted as no_backend")

r = subprocess.run([os.path.join(BIN, "sc-balancer"), "--listen", "127.0.0.1:1", "--backends", "nope"],
                   capture_output=True)
check(r.returncode == 2 and b"--backends" in r.stderr, "a malformed --backends is refused with exit 2 and names the flag")
r = subprocess.run([os.path.join(BIN, "sc-balancer"), "--help"], capture_output=True)
check(r.returncode == 0 and b"--affinity" in r.stdout and b"--timeout-idle" in r.stdout, "--help lists the options")

# SIGTERM: an open connection may run for the grace period, then it is closed and exit is 0.
port = free_port()
p = spawn([os.path.join(BIN, "sc-balancer"), "--listen", f"127.0.0.1:{port}", "--backends",
           backends[0].addr, "--grace", "1"], log="grace.log")
wait_port(port)
s = connect(port)
ws_handshake(s)
t0 = time.time()
p.send_signal(signal.SIGTERM)
s.settimeout(5)
eof = s.recv(10) == b""
rc = p.wait(5)
dt = time.time() - t0
check(eof and rc == 0 and 0.8 < dt < 2.5, f"SIGTERM with --grace 1: connection closed after {dt:.1f} s, exit {rc}")
