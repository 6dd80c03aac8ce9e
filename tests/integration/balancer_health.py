#!/usr/bin/env python3
"""sc-balancer health: a backend SIGKILLed mid-traffic (its open connections closed within 5 s,
new ones rerouted at once with no client error, other keys unmoved), the backend's restart
(active checks bring it back, its keys come home), SIGHUP reloading the backend list, and
SIGTERM draining then exiting 0."""
import os
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from baltest import *  # noqa: E402,F403

backends = [Backend(f"b{i}") for i in range(3)]
bal = Balancer(backends, "--affinity", "ip", "--health-interval", "0.5", "--health-path", "/health")
srcs = [f"127.0.{i // 200}.{1 + i % 200}" for i in range(300)]
before = {s: backend_of(bal.port, src=s) for s in srcs}
victim = backends[1]
victim_srcs = [s for s in srcs if before[s] == victim.name]
check(len(victim_srcs) > 50, f"{len(victim_srcs)} of 300 sources map to {victim.name}")

# Open WebSockets on every backend.
socks = []
for s in srcs[:60]:
    c = connect(bal.port, src=s)
    h, rest = ws_handshake(c)
    socks.append((c, h["x-backend"]))
on_victim = [c for c, n in socks if n == victim.name]
others = [c for c, n in socks if n != victim.name]

victim.kill()
t_kill = time.time()
# New connections from the victim's sources are rerouted at once, without any client error.
lat, moved = [], {}
for s in victim_srcs:
    t0 = time.time()
    moved[s] = backend_of(bal.port, src=s)
    lat.append(time.time() - t0)
check(all(moved[s] != victim.name for s in victim_srcs), "after SIGKILL: every request of the victim's sources succeeded elsewhere")
check(lat[0] < 0.1 and max(lat) < 0.1, f"reroute: first request after the kill took {lat[0] * 1000:.1f} ms, max {max(lat) * 1000:.1f} ms (< 100 ms)")
after = {s: backend_of(bal.port, src=s) for s in srcs}
check(all(after[s] == before[s] for s in srcs if before[s] != victim.name), "consistent hash: no key of a live backend moved")
check(all(after[s] == moved[s] for s in victim_srcs), "consistent hash: the victim's keys moved the same way twice")
counts = {}
for s in victim_srcs:
    counts[after[s]] = counts.get(after[s], 0) + 1
check(len(counts) == 2, f"the victim's keys spread over both survivors {counts}")

# Open connections to the dead backend are closed within 5 s; the others still work.
closed = 0
for c in on_victim:
    c.settimeout(max(0.1, 5 - (time.time() - t_kill)))
    try:
        if c.recv(100) == b"":
            closed += 1
    except (socket.timeout, ConnectionResetError):
        pass
check(closed == len(on_victim), f"{closed}/{len(on_victim)} WebSockets on the dead backend closed within 5 s")
alive = 0
for c in others:
    c.sendall(ws_frame(b"still here"))
    op, data, _ = ws_read(c)
    alive += data == b"still here"
check(alive == len(others), f"{alive}/{len(others)} WebSockets on live backends unaffected")
m = bal.metrics()
check(m[f'sc_balancer_backend_up{{backend="{victim.addr}"}}'] == 0, "stats: the victim is reported down")

# Restart: the active check brings it back and its keys come home.
victim.start()
t0 = time.time()
while time.time() - t0 < 10 and backend_of(bal.port, src=victim_srcs[0]) != victim.name:
    time.sleep(0.1)
back = time.time() - t0
home = {s: backend_of(bal.port, src=s) for s in srcs}
check(home == before, f"restart: back in the ring after {back:.1f} s and every key is home again")

# The race: requests sent while the killed backend is still dying (its listen queue accepts,
# then resets).  Requests are resent to a live backend; none fails.  Five kill/restart cycles.
failed = 0
for cycle in range(5):
    victim.proc.send_signal(signal.SIGKILL)  # no wait: the process may still be exiting
    for s in victim_srcs[:20]:
        try:
            if backend_of(bal.port, src=s) == victim.name:
                failed += 1
        except (OSError, SystemExit):
            failed += 1
    victim.proc.wait()
    victim.start()
    t0 = time.time()
    while time.time() - t0 < 10 and backend_of(bal.port, src=victim_srcs[0]) != victim.name:
        time.sleep(0.05)
check(failed == 0, "5 kill cycles with requests racing the backend's death: 100 requests, none failed")

# Session mode: the peeked head is resent to the next backend when the chosen one is dead.
sbal = Balancer(backends, "--affinity", "session", "--health-interval", "0.5", name="session")
sids = [f"k{i}" for i in range(200)]
smap = {sid: backend_of(sbal.port, f"/?sid={sid}") for sid in sids}
victim.proc.send_signal(signal.SIGKILL)
victim.proc.wait()
ok_all = True
for sid in sids:
    got = backend_of(sbal.port, f"/head?sid={sid}")
    ok_all = ok_all and got != victim.name and (smap[sid] == victim.name or got == smap[sid])
check(ok_all, "session mode: ids of the dead backend rerouted with their head, others unmoved")
victim.start()

# SIGHUP reload from the config file.
conf = os.path.join(TMP, "bal.conf")
port = free_port()
with open(conf, "w") as f:
    f.write(f"listen 127.0.0.1:{port}\nbackends {backends[0].addr},{backends[1].addr}\n")
p = spawn([os.path.join(BIN, "sc-balancer"), conf], log="reload.log")
wait_port(port)
seen = {backend_of(port, src=s) for s in srcs[:100]}
check(seen == {"b0", "b1"}, f"config file: backends {sorted(seen)}")
with open(conf, "w") as f:
    f.write(f"listen 127.0.0.1:{port}\nbackends {backends[2].addr}\n")
p.send_signal(signal.SIGHUP)
time.sleep(0.5)
seen = {backend_of(port, src=s) for s in srcs[:100]}
check(seen == {"b2"}, f"SIGHUP: backend list reloaded, now {sorted(seen)}")

# SIGTERM: stop accepting, let the open connection finish, exit 0.
c = connect(port)
h, rest = ws_handshake(c)
p.send_signal(signal.SIGTERM)
time.sleep(0.3)
refused = False
try:
    socket.create_connection(("127.0.0.1", port), timeout=1).close()
except OSError:
    refused = True
c.sendall(ws_frame(b"during drain"))
op, data, _ = ws_read(c)
check(refused and data == b"during drain", "SIGTERM: new connections refused, the open one still works")
c.close()
rc = p.wait(5)
check(rc == 0, "SIGTERM: exit 0 once the last connection ended")
