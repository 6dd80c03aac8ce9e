#!/usr/bin/env python3
"""Probes used by bench/balancer-vs-haproxy.sh (standard library only).

  balancer_probe.py memory PID PORT N [tls]   open N WebSockets through PORT, print the proxy's
                                              RSS growth per connection in bytes
  balancer_probe.py reroute PORT KILLPID      time (ms) of the first request after SIGKILL of the
                                              backend that serves this client, and whether any
                                              request failed
"""
import os
import resource
import signal
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "support"))
import baltest  # noqa: E402

resource.setrlimit(resource.RLIMIT_NOFILE, resource.getrlimit(resource.RLIMIT_NOFILE)[1:] * 2)


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def memory(pid, port, n, tls):
    ctx = baltest.client_ctx() if tls else None
    warm = []
    for i in range(50):  # warm up pools and allocator arenas on both sides
        s = baltest.connect(port, src=f"127.60.{i}.1", ctx=ctx)
        baltest.ws_handshake(s)
        warm.append(s)
    time.sleep(0.3)
    before = rss(pid)
    socks = []
    for i in range(n):
        s = baltest.connect(port, src=f"127.{70 + i // 250}.{i % 250}.1", ctx=ctx)
        baltest.ws_handshake(s)
        socks.append(s)
    for s in socks[::10]:  # some traffic, so buffers that exist only while busy are counted
        s.sendall(baltest.ws_frame(b"x" * 1000))
        baltest.ws_read(s)
    time.sleep(0.5)
    after = rss(pid)
    print((after - before) // n)
    for s in socks + warm:
        s.close()


def reroute(port, killpid):
    # Warm up: the client's backend is the one we kill (the caller passes its pid).
    t0 = time.time()
    os.kill(killpid, signal.SIGKILL)
    errors = 0
    first = None
    for i in range(20):
        t = time.time()
        try:
            status, h, body, _ = baltest.http_get(port, "/", src="127.0.0.1")
            if status != 200:
                errors += 1
        except OSError:
            errors += 1
            continue
        if first is None:
            first = (time.time() - t0) * 1000
    print(f"{first if first is not None else -1:.1f} {errors}")


if __name__ == "__main__":
    if sys.argv[1] == "memory":
        memory(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), len(sys.argv) > 5)
    elif sys.argv[1] == "reroute":
        reroute(int(sys.argv[2]), int(sys.argv[3]))
