#!/usr/bin/env python3
"""sc-balancer TLS termination: TLS 1.2 and 1.3 with ECDSA and RSA certificates (served side by
side), the same session/ip affinity as the plain port, plaintext and garbage on the TLS port
closed without reaching a backend, stalled handshakes timed out."""
import os
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from baltest import *  # noqa: E402,F403

certs = make_certs()
backends = [Backend(f"b{i}") for i in range(3)]
bal = Balancer(backends, "--affinity", "session", "--timeout-head", "1", tls=True, certs=certs)

for flag, ver in (("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")):
    for sigalg, kind, bits in (("ECDSA+SHA256", "ECDSA", "256"), ("RSA-PSS+SHA256", "RSA-PSS", "2048")):
        r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{bal.tls_port}", flag,
                            "-sigalgs", sigalg, "-ign_eof"],
                           input=b"GET /?sid=abc HTTP/1.0\r\n\r\n", capture_output=True, timeout=10)
        out = r.stdout.decode(errors="replace")
        good = (f"Peer signature type: {kind}" in out and f"Server public key is {bits} bit" in out
                and f"Protocol  : {ver}" in out and "X-Backend: b" in out)
        check(good, f"{ver} with the {kind} certificate ({bits} bit): handshake and proxied response")

for ver, name in ((ssl.TLSVersion.TLSv1_2, "1.2"), (ssl.TLSVersion.TLSv1_3, "1.3")):
    ctx = client_ctx(ver)
    s = connect(bal.tls_port, ctx=ctx)
    check(s.version() == f"TLSv{name}", f"python client negotiates TLS {name}")
    s.close()
    same = all(backend_of(bal.tls_port, f"/?sid=s{i}", ctx=ctx) == backend_of(bal.port, f"/?sid=s{i}")
               for i in range(60))
    cookie = all(backend_of(bal.tls_port, "/", headers=[f"Cookie: sid=s{i}"], ctx=ctx) == backend_of(bal.port, f"/?sid=s{i}")
                 for i in range(60))
    byip = all(backend_of(bal.tls_port, "/", src=f"127.0.9.{i + 1}", ctx=ctx) == backend_of(bal.port, "/", src=f"127.0.9.{i + 1}")
               for i in range(60))
    check(same and cookie and byip, f"TLS {name}: 60 session ids (query, cookie) and 60 client IPs map as on the plain port")

m0 = bal.metrics()
established = sum(v for k, v in m0.items() if k.startswith("sc_balancer_backend_connections_total"))
for label, payload in (("plaintext HTTP", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
                       ("garbage", os.urandom(3000)),
                       ("a bogus record header", b"\x16\x03\x01\xff\xff" + b"\x00" * 100)):
    s = connect(bal.tls_port, timeout=3)
    try:
        s.sendall(payload)
        data = read_to_eof(s)
    except (ConnectionResetError, BrokenPipeError):
        data = b""
    s.close()
    check(b"X-Backend" not in data and b"HTTP/1.1 200" not in data, f"{label} on the TLS port: closed, no backend answer")
m1 = bal.metrics()
established1 = sum(v for k, v in m1.items() if k.startswith("sc_balancer_backend_connections_total"))
check(established1 == established, "nothing reached a backend from those connections")
check(m1['sc_balancer_closes_total{reason="tls_error"}'] - m0['sc_balancer_closes_total{reason="tls_error"}'] == 3,
      "stats: 3 closes counted as tls_error")

# A stalled handshake (half a ClientHello, then silence) is closed after --timeout-head (1 s).
t0 = time.time()
s = connect(bal.tls_port, timeout=5)
s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
try:
    eof = s.recv(100) == b""
except ConnectionResetError:
    eof = True
dt = time.time() - t0
check(eof and 0.8 < dt < 2.5, f"stalled handshake closed after {dt:.2f} s (timeout-head 1 s)")
check(bal.metrics()['sc_balancer_closes_total{reason="timeout_handshake"}'] >= 1, "stats: counted as timeout_handshake")
