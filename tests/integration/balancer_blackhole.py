#!/usr/bin/env python3
"""sc-balancer and a backend that never answers a SYN (its accept queue is full): a client mapped
to it is served by the next backend once --timeout-connect runs out, with no error; the silent
backend is marked down so later clients go straight to the live one; and the abandoned connect
leaves no socket behind (with the io_uring batch, the kernel holds a connect in flight until it is
cancelled; a leak would keep a SYN-SENT socket retransmitting for about two minutes)."""
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from baltest import *  # noqa: E402,F403


def syn_sent_to(port):
    out = subprocess.run(["ss", "-Htn", "state", "syn-sent", f"( dport = :{port} )"],
                         capture_output=True, text=True).stdout
    return len([line for line in out.splitlines() if line.strip()])


# The silent backend: listen(0) and never accept.  One connection fills its accept queue; from
# then on the kernel drops SYNs to it, so a connect hangs in SYN-SENT.
hole = socket.socket()
hole.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
hole.bind(("127.0.0.1", 0))
hole.listen(0)
hole_port = hole.getsockname()[1]
fillers = []
for _ in range(2):
    f = socket.socket()
    f.setblocking(False)
    try:
        f.connect(("127.0.0.1", hole_port))
    except BlockingIOError:
        pass
    fillers.append(f)
time.sleep(0.3)
probe = socket.socket()
probe.settimeout(0.5)
try:
    probe.connect(("127.0.0.1", hole_port))
    fail("the silent backend still completes handshakes")
except (socket.timeout, TimeoutError):
    pass
probe.close()
time.sleep(0.2)
base_syn = syn_sent_to(hole_port)  # the second filler may itself be waiting

live = Backend("live")
bal = Balancer([f"127.0.0.1:{hole_port}", live], "--timeout-connect", "0.5",
               "--health-interval", "60", "--health-timeout", "0.2")
# Find a client address that maps to the silent backend: its request takes the connect timeout.
victim, name, elapsed = None, None, 0
for i in range(1, 60):
    src = f"127.0.33.{i}"
    t0 = time.time()
    name = backend_of(bal.port, src=src)
    elapsed = time.time() - t0
    if elapsed > 0.3:
        victim = src
        break
check(victim is not None, f"a client address that maps to the silent backend: {victim}")
check(name == "live" and 0.4 < elapsed < 3,
      f"its request was served by the live backend after the connect timeout ({elapsed:.2f} s)")

# The silent backend is out now: the same address, and every other, is served at once.
t0 = time.time()
names = [backend_of(bal.port, src=f"127.0.34.{i}") for i in range(1, 41)]
check(all(n == "live" for n in names) and time.time() - t0 < 2,
      f"40 more clients served by the live backend at once ({time.time() - t0:.2f} s)")
m = bal.metrics()
check(m[f'sc_balancer_backend_up{{backend="127.0.0.1:{hole_port}"}}'] == 0,
      "the silent backend is marked down")
check(m['sc_balancer_closes_total{reason="client_error"}'] == 0 and
      m['sc_balancer_closes_total{reason="no_backend"}'] == 0, "no client saw an error")

# The abandoned connect leaves nothing behind.
deadline = time.time() + 3
while syn_sent_to(hole_port) > base_syn and time.time() < deadline:
    time.sleep(0.1)
left = syn_sent_to(hole_port) - base_syn
check(left <= 0, f"no SYN-SENT socket of the balancer left towards the silent backend ({left})")
for f in fillers:
    f.close()
hole.close()
