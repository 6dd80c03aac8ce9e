#!/usr/bin/env python3
"""sc-balancer in ip mode under stalled clients (issue 14, item 14): 200 clients trickling a
request head one byte every 0.5 s, 200 silent plain connections and 200 TLS connections that sent
half a ClientHello or nothing are held while ordinary HTTP, WebSocket and TLS requests from other
addresses run through the same balancer; none of them may fail, no backend may be taken out and
no connect may be counted as failed (a silent client's backend connect completes in the kernel:
nothing ever confirmed it, and its connect timer used to count it as a dead backend and close
every connection of that backend).  Runs with the io_uring batch and with --io-uring off."""
import os
import socket
import ssl
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from baltest import *  # noqa: E402,F403

N_SLOW = 200
RUN_S = 4.0  # ordinary traffic meanwhile; --timeout-connect 1 s runs out several times over

certs = make_certs()
backends = [Backend(f"b{i}") for i in range(3)]


def client_hello():
    """A real ClientHello record, as Python's ssl module would send it first."""
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = client_ctx().wrap_bio(inc, out, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


HELLO = client_hello()


def one_http(port, src):
    status, h, body, _ = http_get(port, "/", src=src)
    return status == 200 and body == h["x-backend"].encode()


def one_ws(port, src):
    s = connect(port, src)
    try:
        ws_handshake(s)
        s.sendall(ws_frame(b"hello through the stall"))
        return ws_read(s)[1] == b"hello through the stall"
    finally:
        s.close()


def one_tls(port, src, ctx):
    status, h, body, _ = http_get(port, "/", src=src, ctx=ctx)
    return status == 200 and body == h["x-backend"].encode()


def run(label, *flags):
    bal = Balancer(backends, "--affinity", "ip", "--timeout-connect", "1", "--timeout-head", "3",
                   *flags, tls=True, certs=certs, name=f"bal-{label.split()[0]}")
    ctx = client_ctx()
    # Warm up: every ordinary source works before the slow clients arrive.
    srcs = [f"127.9.{i // 200}.{1 + i % 200}" for i in range(60)]
    check(all(one_http(bal.port, s) for s in srcs[:10]), f"{label}: ordinary requests work")

    tricklers = []
    for i in range(N_SLOW):
        s = connect(bal.port, src=f"127.1.0.{1 + i % 200}")
        s.sendall(b"G")
        tricklers.append(s)
    silent = [connect(bal.port, src=f"127.2.0.{1 + i % 200}") for i in range(N_SLOW)]
    tls_stalled = []
    for i in range(N_SLOW):
        s = connect(bal.tls_port, src=f"127.3.0.{1 + i % 200}")
        if i % 2 == 0:
            s.sendall(HELLO[:len(HELLO) // 2])
        tls_stalled.append(s)
    ok(f"{label}: holding {N_SLOW} tricklers, {N_SLOW} silent sockets, {N_SLOW} stalled TLS handshakes")

    stop = threading.Event()
    head = b"ET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200

    def trickle():
        k = 0
        while not stop.is_set() and k < len(head):
            for s in tricklers:
                try:
                    s.send(head[k:k + 1])
                except OSError:
                    pass
            k += 1
            stop.wait(0.5)

    th = threading.Thread(target=trickle, daemon=True)
    th.start()
    failures, total, kinds = [], 0, {"http": 0, "ws": 0, "tls": 0}
    t0 = time.time()
    i = 0
    while time.time() - t0 < RUN_S and total < 3000:
        src = srcs[i % len(srcs)]
        for kind, fn in (("http", lambda: one_http(bal.port, src)),
                         ("ws", lambda: one_ws(bal.port, src)),
                         ("tls", lambda: one_tls(bal.tls_port, src, ctx))):
            total += 1
            kinds[kind] += 1
            try:
                good = fn()
            except (OSError, ValueError, IndexError) as e:
                good = False
                kind = f"{kind}: {type(e).__name__} {e}"
            except SystemExit:
                good = False
            if not good:
                failures.append(kind)
        i += 1
    stop.set()
    th.join(2)
    m = bal.metrics()
    downs = sum(v for k, v in m.items() if k.startswith("sc_balancer_backend_downs_total"))
    cfail = sum(v for k, v in m.items() if k.startswith("sc_balancer_backend_connect_failures_total"))
    check(not failures, f"{label}: {total} ordinary requests ({kinds}) over {RUN_S:.0f} s, "
                        f"{len(failures)} failed {failures[:3]} (backends marked down {downs} times)")
    check(downs == 0 and cfail == 0,
          f"{label}: no backend marked down ({downs}), no connect counted as failed ({cfail})")
    check(m['sc_balancer_closes_total{reason="backend_down"}'] == 0,
          f"{label}: no connection closed because its backend was marked down")
    # The silent plain sockets are still open (ip mode has no head timeout) and, behind them,
    # their backend connections: nothing closed them.
    alive = 0
    for s in silent:
        s.settimeout(0)
        try:
            alive += s.recv(1) != b""
        except BlockingIOError:
            alive += 1
        except OSError:
            pass
    check(alive == N_SLOW, f"{label}: {alive}/{N_SLOW} silent plain connections still open")
    for s in tricklers + silent + tls_stalled:
        s.close()
    bal.proc.terminate()
    bal.proc.wait(15)


run("io_uring batch")
run("--io-uring off", "--io-uring", "off")
