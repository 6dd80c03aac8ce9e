#!/usr/bin/env python3
"""sc-balancer and a backend that reads a request and resets the connection without answering
(issue 14, item 10): only what is safe to run twice goes to another backend.  A POST is not
replayed (the client gets the reset, the backend saw it once); a GET and a WebSocket upgrade are
replayed once to another backend; a GET that every backend resets is sent twice, never more, and
the client then gets the reset.  A reset is one soft failure of the backend (--health-fall), not
its death: the backend's other clients keep their connections throughout, also once enough resets
took it out of the ring.  Stats count replays and resets per backend."""
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from baltest import *  # noqa: E402,F403

backends = [Backend(f"b{i}") for i in range(3)]
by_addr = {b.name: b for b in backends}
# No periodic check during the test (the first runs at start): only resets move the health state.
bal = Balancer(backends, "--affinity", "ip", "--health-interval", "60", "--health-fall", "2")
victim = backends[1]
srcs = [f"127.0.40.{i}" for i in range(1, 120)]
mine = [s for s in srcs if backend_of(bal.port, src=s) == victim.name]
check(len(mine) >= 6, f"{len(mine)} client addresses map to {victim.name}")


def seen(target):
    """How many times the backends together read a request for `target`."""
    n = 0
    for b in backends:
        _, _, body, _ = http_get(b.port, f"/seen?t={target}")
        n += int(body)
    return n


def send_expect_reset(src, raw):
    """Sends `raw`; True when the connection is reset with no answer byte."""
    s = connect(bal.port, src)
    try:
        s.sendall(raw)
        s.recv(4096)  # an answer or a plain EOF: not the reset
        return False
    except ConnectionResetError:
        return True
    finally:
        s.close()


# The backend's other clients: WebSockets opened (and answered) before the resets.
others = []
for src in mine[:4]:
    c = connect(bal.port, src)
    h, _ = ws_handshake(c)
    others.append(c)
    if h["x-backend"] != victim.name:
        fail(f"WebSocket from {src} landed on {h['x-backend']}")
ok(f"4 WebSockets open on {victim.name}")


def others_alive(label):
    alive = 0
    for i, c in enumerate(others):
        try:
            c.sendall(ws_frame(b"still %d" % i))
            alive += ws_read(c)[1] == b"still %d" % i
        except OSError:
            pass
    check(alive == len(others), f"{label}: {alive}/{len(others)} other clients of {victim.name} kept their connection")


# 1. A POST that the backend read and reset: not run twice, the client gets the reset.
target = f"/reset/{victim.name}?id=post1"
body = b"amount=100"
post = (f"POST {target} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n").encode() + body
check(send_expect_reset(mine[4], post), "POST reset by the backend: the client gets the reset, no answer")
check(seen(target) == 1, f"the POST ran once ({seen(target)} times seen)")
m = bal.metrics()
check(m[f'sc_balancer_backend_up{{backend="{victim.addr}"}}'] == 1,
      "one reset is one soft failure: the backend is still up (--health-fall 2)")
others_alive("after the POST's reset")

# 2. A GET: replayed once, to another backend, and answered.
target = f"/reset/{victim.name}?id=get1"
status, h, rbody, _ = http_get(bal.port, target, src=mine[4])
check(status == 200 and h["x-backend"] != victim.name,
      f"GET reset by {victim.name}: replayed and answered by {h['x-backend']}")
check(seen(target) == 2, f"the GET reached two backends ({seen(target)} times seen)")
m = bal.metrics()
check(m["sc_balancer_replays_total"] == 1, f"stats: 1 replay ({m['sc_balancer_replays_total']})")
check(m[f'sc_balancer_backend_resets_total{{backend="{victim.addr}"}}'] == 2,
      "stats: 2 resets counted for the backend")
check(m[f'sc_balancer_backend_up{{backend="{victim.addr}"}}'] == 0,
      "the second reset reached --health-fall 2: the backend left the ring")
check(m['sc_balancer_closes_total{reason="backend_down"}'] == 0,
      "leaving the ring for resets closed none of its connections")
others_alive("after the GET's replay")

# 3. A WebSocket upgrade (a GET) sent to the resetting backend is replayed too.  The victim is
# out of the ring now: the other backends reset a request addressed to them.
other = backends[0]
osrc = next(s for s in srcs if backend_of(bal.port, src=s) == other.name)
c = connect(bal.port, osrc)
h, _ = ws_handshake(c, f"/reset/{other.name}?id=ws1")
c.sendall(ws_frame(b"after replay"))
check(h["x-backend"] != other.name and ws_read(c)[1] == b"after replay",
      f"WebSocket upgrade reset by {other.name}: replayed, upgraded by {h['x-backend']}, echoes")
c.close()

# 4. A GET that every backend resets: sent twice, then the client gets the reset.
target = "/reset/any?id=get2"
raw = f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
check(send_expect_reset(osrc, raw), "GET reset by every backend: after one replay the client gets the reset")
check(seen(target) == 2, f"it was sent twice, never more ({seen(target)} times seen)")
m = bal.metrics()
check(m["sc_balancer_replays_total"] == 3, f"stats: 3 replays in all ({m['sc_balancer_replays_total']})")
others_alive("at the end")
check(m['sc_balancer_closes_total{reason="backend_down"}'] == 0, "no connection closed as backend_down")
for c in others:
    c.close()
