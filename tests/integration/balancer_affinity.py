#!/usr/bin/env python3
"""sc-balancer affinity: ip stickiness from many 127.0.0.0/8 sources with an even spread
(chi-square), session ids from the query or the cookie (same backend either way, exact cookie
name), fragmented and > 4 KiB heads, two instances mapping alike, `none` mode balancing."""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from baltest import *  # noqa: E402,F403

backends = [Backend(f"b{i}") for i in range(4)]
names = [b.name for b in backends]
CHI2_CRIT_DF3 = 16.27  # p = 0.001, 3 degrees of freedom


def chi2(counts):
    n = sum(counts.values())
    e = n / len(names)
    return sum((counts.get(k, 0) - e) ** 2 / e for k in names)


def sources(n):
    return [f"127.{1 + i // 250}.{i % 250}.{1 + (i * 7) % 250}" for i in range(n)]


ipbal = Balancer(backends, "--affinity", "ip", name="ip")
ipbal2 = Balancer(backends, "--affinity", "ip", name="ip2")
srcs = sources(800)
first = {s: backend_of(ipbal.port, src=s) for s in srcs}
again = {s: backend_of(ipbal.port, src=s) for s in srcs[:300]}
check(all(first[s] == again[s] for s in again), "ip: 300 sources each land on the same backend twice")
counts = {}
for v in first.values():
    counts[v] = counts.get(v, 0) + 1
x2 = chi2(counts)
check(x2 < CHI2_CRIT_DF3, f"ip: 800 sources spread evenly over 4 backends {counts} (chi2 {x2:.1f} < {CHI2_CRIT_DF3})")
other = {s: backend_of(ipbal2.port, src=s) for s in srcs[:300]}
check(all(first[s] == other[s] for s in other), "ip: a second instance with the same list maps all 300 sources alike")

sbal = Balancer(backends, "--affinity", "session", "--session-key", "sid", name="session")
sbal2 = Balancer(backends, "--affinity", "session", name="session2")
sids = [f"sess-{i:05d}-{os.urandom(3).hex()}" for i in range(600)]
by_query = {sid: backend_of(sbal.port, f"/socketcluster/?x=1&sid={sid}", src=srcs[i % 50])
            for i, sid in enumerate(sids)}
by_cookie = {sid: backend_of(sbal.port, "/", src=srcs[(i + 7) % 50],
                             headers=[f"Cookie: a=b; sid={sid}; c=d"]) for i, sid in enumerate(sids)}
check(by_query == by_cookie, "session: 600 ids give the same backend by query and by cookie, from any source")
counts = {}
for v in by_query.values():
    counts[v] = counts.get(v, 0) + 1
x2 = chi2(counts)
check(x2 < CHI2_CRIT_DF3, f"session: 600 ids spread evenly {counts} (chi2 {x2:.1f})")
check(all(backend_of(sbal2.port, f"/?sid={sid}") == by_query[sid] for sid in sids[:200]),
      "session: a second instance maps 200 ids alike")
# Exact cookie name: xsid= is not sid=, so the client IP decides, as with no id at all.
same = True
for i, s in enumerate(srcs[:100]):
    by_ip = backend_of(sbal.port, "/", src=s)
    same = same and backend_of(sbal.port, "/", src=s, headers=[f"Cookie: xsid={sids[i]}"]) == by_ip
    same = same and by_ip == first[s]  # session mode's fallback equals ip mode's mapping
check(same, "session: cookie xsid= is ignored (falls back to the client IP, same as ip mode)")
# A query id wins over a cookie id.
check(all(backend_of(sbal.port, f"/?sid={sids[i]}", headers=[f"Cookie: sid={sids[i + 1]}"]) == by_query[sids[i]]
          for i in range(50)), "session: the query parameter wins over the cookie")

# Fragmented heads: sent in 3-byte pieces with pauses, and a 12 KiB head with the cookie last.
def fragmented(sid, piece, pause):
    s = connect(sbal.port)
    req = f"GET /?a=1 HTTP/1.1\r\nHost: x\r\nCookie: sid={sid}\r\nConnection: close\r\n\r\n".encode()
    for k in range(0, len(req), piece):
        s.sendall(req[k:k + piece])
        time.sleep(pause)
    status, h, body, _ = read_response(s)
    s.close()
    return h["x-backend"]


check(all(fragmented(sid, 3, 0.002) == by_query[sid] for sid in sids[:20]),
      "session: heads trickled in 3-byte segments map like whole ones")
big = all(backend_of(sbal.port, "/", headers=["X-Pad: " + "p" * 12000, f"Cookie: sid={sid}"]) == by_query[sid]
          for sid in sids[:20])
check(big, "session: 12 KiB heads with the cookie at the end map like small ones")
big_frag = all(fragmented(sid + "", 1000, 0.01) == by_query[sid] for sid in sids[20:25])
s = connect(sbal.port)
req = ("GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + "q" * 20000 + f"\r\nCookie: sid={sids[30]}\r\nConnection: close\r\n\r\n").encode()
for k in range(0, len(req), 1400):
    s.sendall(req[k:k + 1400])
    time.sleep(0.001)
status, h, body, _ = read_response(s)
s.close()
check(big_frag and h["x-backend"] == by_query[sids[30]], "session: a 20 KiB head in 1400-byte segments maps right")

# none: least-loaded with quota correction: 40 held connections spread 10/10/10/10.
nbal = Balancer(backends, "--affinity", "none", name="none")
held, counts = [], {}
for i in range(40):
    s = connect(nbal.port)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    status, h, body, _ = read_response(s)
    counts[h["x-backend"]] = counts.get(h["x-backend"], 0) + 1
    held.append(s)
check(sorted(counts.values()) == [10, 10, 10, 10], f"none: 40 concurrent connections balanced {counts}")
for s in held:
    s.close()
