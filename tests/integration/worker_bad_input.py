#!/usr/bin/env python3
"""Bad input and limits against sc-conformance, each case beside well-behaved clients whose
answers are checked (issue 16, "It must show" 2; the table in docs/worker.md, Limits):
frames before the handshake (4009/4008), no handshake (4005), malformed JSON and wrong types
for cid / rid / event (ignored), binary frames, invalid UTF-8 (1007), oversize frames and a
lying length (1009), fragments that never end (4001), silent and slow upgrades (closed after
--upgrade-timeout), --address-socket-limit (HTTP 429) with X-Forwarded-For and PROXY headers
trusted only with --trust-proxy, a subscriber that stops reading while others publish (1013,
the others' p99 stays low, the worker's RSS bounded) and 10,000 idle sockets (RSS per socket
measured and bounded).  Raw frames come from tests/support/wsraw.py.
"""
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import baltest  # noqa: E402  (spawn, TMP, sanitizer check at exit; raises RLIMIT_NOFILE)
import tap  # noqa: E402
from wsraw import HS, WS, Closed, handshake, wait_for  # noqa: E402

BIN = baltest.BIN
ASAN = "asan" in os.environ.get("SC_BUILD", "")


class Proc:
    def __init__(self, name, args, port_flag="--port"):
        for attempt in range(5):
            self.port = tap.free_port()
            self.log = os.path.join(baltest.TMP, f"{name}.log")
            self.proc = baltest.spawn(args + [port_flag, str(self.port)], log=f"{name}.log")
            deadline = time.time() + 10
            while time.time() < deadline and self.proc.poll() is None:
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                    return
                except OSError:
                    time.sleep(0.05)
            self.proc.kill()
            self.proc.wait()
        tap.fail(f"{name} never started", stop=True)

    def rss_kib(self):
        return tap.rss_kib(self.proc.pid)

    def log_has(self, text):
        with open(self.log, errors="replace") as f:
            return text in f.read()

    def stop(self, what):
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = "killed"
        tap.check(rc == 0, f"{what}: SIGTERM → exit code 0", detail=f"rc={rc}")


def worker(name, *args, brokers=None):
    a = [os.path.join(BIN, "sc-conformance"), "--log-level", "verbose"]
    if brokers:
        a += ["--brokers", f"127.0.0.1:{brokers}"]
    return Proc(name, a + list(args))


def p99(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * 0.99))] if xs else float("inf")


class Good(threading.Thread):
    """A well-behaved client: echo invokes every 10 ms, each answer checked, latency kept."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.c = handshake(port)
        self.lat, self.bad, self.stop_ev = [], [], threading.Event()
        self.start()

    def run(self):
        cid = 100
        try:
            while not self.stop_ev.is_set():
                cid += 1
                data = {"n": cid, "s": "é" * (cid % 50)}
                t0 = time.perf_counter()
                self.c.invoke("echo", data, cid)
                r = json.loads(self.c.next_text())
                self.lat.append(time.perf_counter() - t0)
                if r != {"rid": cid, "data": data}:
                    self.bad.append(r)
                time.sleep(0.01)
        except Exception as e:  # noqa: BLE001  (reported by finish())
            self.bad.append(repr(e))

    def finish(self, what, bound=0.3):
        wait_for(lambda: len(self.lat) >= 20 or self.bad, 10)  # it ran beside the case
        self.stop_ev.set()
        self.join(10)
        tap.check(not self.bad and len(self.lat) > 5 and p99(self.lat) < bound,
                  f"{what}: a well-behaved client beside it got {len(self.lat)} right answers, "
                  f"p99 {p99(self.lat) * 1000:.1f} ms",
                  detail=f"bad={self.bad[:3]} p99={p99(self.lat)}")
        self.c.close_socket()


def metric(port, line):
    """True when GET /metrics on the worker has the sample `line`."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = tap.read_until(s, line.encode())
    s.close()
    return line.encode() in data


def secs(t):
    return "never" if t is None else f"{t:.1f} s"


def expect_close(c, code, what, timeout=5.0):
    got = c.wait_close(timeout)
    tap.check(got is not None and got[0] == code, f"{what} → close {code}", detail=f"got {got}")
    c.close_socket()
    return got


# ---------------------------------------------------------------------------------------------
# The options are documented: --help and docs/configuration.md.
helptext = subprocess.run([os.path.join(BIN, "sc-conformance"), "--help"], capture_output=True,
                          text=True).stdout
with open(os.path.join(baltest.ROOT, "docs", "configuration.md")) as f:
    conf = f.read()
for opt, default in [("max-payload", "104857600"), ("address-socket-limit", "0"),
                     ("trust-proxy", "no"), ("outbound-queue-limit", "16777216"),
                     ("upgrade-timeout", "10")]:
    tap.check(f"--{opt} " in helptext and f"(default {default})" in helptext.split(f"--{opt} ")[1]
              .split("\n")[0] and f"| `--{opt} " in conf,
              f"--{opt} (default {default}) is in --help and docs/configuration.md")
r = subprocess.run([os.path.join(BIN, "sc-conformance"), "--trust-proxy", "maybe"],
                   capture_output=True, text=True)
tap.check(r.returncode == 2, "--trust-proxy maybe → exit code 2")

broker = Proc("broker", [os.path.join(BIN, "sc-broker")])
A = worker("bad", "--handshake-timeout", "1000", "--ping-interval", "500", "--ping-timeout",
           "2000", "--max-payload", "65536", "--upgrade-timeout", "2", brokers=broker.port)

# 1. Before the handshake.
good = Good(A.port)
for what, text, code in [("an invoke before #handshake", '{"event":"echo","data":1,"cid":1}', 4009),
                         ("a pong before #handshake", "", 4009),
                         ("raw text before #handshake", "hello", 4009),
                         ("a batch before #handshake", '[{"event":"echo","cid":1}]', 4009),
                         ("#handshake without cid", '{"event":"#handshake","data":{}}', 4008),
                         ("#handshake with a string cid", '{"event":"#handshake","cid":"1"}', 4008)]:
    c = WS(A.port)
    c.send_text(text)
    expect_close(c, code, what)
good.finish("frames before the handshake")

# 2. No handshake at all.
good = Good(A.port)
c = WS(A.port)
t0 = time.time()
got = expect_close(c, 4005, "no #handshake within --handshake-timeout 1000")
took = time.time() - t0
tap.check(0.7 < took < 3.0, f"4005 came after {took:.2f} s")
good.finish("no handshake")

# 3. Malformed JSON and wrong types after the handshake: ignored, never answered.
good = Good(A.port)
c = handshake(A.port)
for bad in ["hello not json", '{"event":"echo","data":1,"cid":', '{"event":"echo","cid":"7"}',
            '{"rid":"1","data":1}', '{"rid":null}', '{"event":5,"cid":8}', '{"event":null,"cid":9}',
            '{"event":["echo"],"cid":10}', '{"event":"echo","cid":{"a":1}}',
            '{"event":"echo","cid":[1]}', '{"event":"echo","cid":true}', '{"rid":1e400}',
            '[1,"x",null]', "{}", "[]", "null", '"#1"', "[" * 60000, '{"a":' * 10000,
            '{"event":"echo","data":"\\ud800","cid":"x"}', '{"event":"\\u0000","cid":11}',
            '{"rid":999,"data":1}', "[" * 200 + "]" * 200,
            '{"event":"echo","data":' + "[" * 200 + "]" * 200 + ',"cid":12}']:
    c.send_text(bad)
c.invoke("echo", {"after": True}, 50)
first = c.next_text()
tap.check(first == '{"rid":50,"data":{"after":true}}',
          "malformed JSON, deep nesting, wrong types of cid / rid / event: nothing answered, "
          "the socket goes on", detail=first)
c.close_socket()
good.finish("malformed JSON and wrong types")

# 4. Binary frames: JSON inside is a packet; bytes that are not UTF-8 are raw (ignored).
good = Good(A.port)
c = handshake(A.port)
c.send_frame(b'{"event":"echo","data":"bin","cid":2}', opcode=2)
tap.check(c.next_text() == '{"rid":2,"data":"bin"}', "a binary frame holding a packet is handled")
c.send_frame(b"\xff\xfe\x00garbage", opcode=2)
c.invoke("echo", 3, 3)
tap.check(c.next_text() == '{"rid":3,"data":3}', "a binary frame of non-UTF-8 bytes is ignored")
c.close_socket()

# 5. Invalid UTF-8 in a text frame.
c = handshake(A.port)
c.send_frame(b'"\xff\xfe"', opcode=1)
expect_close(c, 1007, "invalid UTF-8 in a text frame")
c = handshake(A.port)
c.send_frame(b'{"event":"echo","data":"\xed\xa0\x80","cid":2}', opcode=1)  # a surrogate
expect_close(c, 1007, "a UTF-8 encoded surrogate in a text frame")
good.finish("binary frames and invalid UTF-8")

# 6. Oversize: a frame over --max-payload, a length that lies, fragments adding up past it.
good = Good(A.port)
c = handshake(A.port)
c.send_text('{"event":"echo","data":"' + "x" * 100000 + '","cid":2}')
expect_close(c, 1009, "a 100 kB frame over --max-payload 65536")
c = handshake(A.port)
c.send_frame(b"y" * 80000, opcode=1, length=1 << 30)  # announces 1 GiB, sends 80 kB, waits
expect_close(c, 1009, "a frame announcing 1 GiB (80 kB sent, then a pause)")
c = handshake(A.port)
for _ in range(20):
    c.send_frame("z" * 5000, opcode=1 if _ == 0 else 0, fin=False)
expect_close(c, 1009, "fragments adding up past --max-payload")
good.finish("oversize frames")

# 7. Fragments that never end: no complete message, so no pong → 4001 after --ping-timeout.
good = Good(A.port)
c = handshake(A.port)
c.auto_pong = False  # a pong cannot be sent inside an unfinished message anyway
c.send_frame('{"event":"echo","data":"', opcode=1, fin=False)
t0 = time.time()
stop_drip = threading.Event()


def drip(c=c):
    while not stop_drip.wait(0.2):
        try:
            c.send_frame("xxxx", opcode=0, fin=False)
        except OSError:
            return


threading.Thread(target=drip, daemon=True).start()
expect_close(c, 4001, "a message whose fragments never end (one every 200 ms)", timeout=6)
stop_drip.set()
tap.check(time.time() - t0 < 4.5, f"closed after {time.time() - t0:.1f} s (--ping-timeout 2000)")
good.finish("fragments that never end")


# 8. Silent and slow upgrades (slowloris): closed after --upgrade-timeout 2 s.
def closed_after(sock, dribble=None, limit=8.0):
    """Seconds until the server closes `sock` (EOF or reset), sending `dribble` a byte every
    200 ms meanwhile; None if still open after `limit`."""
    t0 = time.time()
    sock.settimeout(0.2)
    i = 0
    while time.time() - t0 < limit:
        if dribble is not None and i < len(dribble):
            try:
                sock.send(dribble[i:i + 1])
            except OSError:
                return time.time() - t0
            i += 1
        try:
            if sock.recv(4096) == b"":
                return time.time() - t0
        except socket.timeout:
            continue
        except OSError:
            return time.time() - t0
    return None


good = Good(A.port)
silent = [socket.create_connection(("127.0.0.1", A.port)) for _ in range(200)]
s = socket.create_connection(("127.0.0.1", A.port))
took = closed_after(s)
tap.check(took is not None and took < 4.5, f"a silent connection is closed after {secs(took)} "
          "(--upgrade-timeout 2)")
s = socket.create_connection(("127.0.0.1", A.port))
head = (b"GET /socketcluster/ HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nX-Pad: "
        + b"p" * 200)
took = closed_after(s, dribble=head)
tap.check(took is not None and took < 4.5,
          f"an upgrade sent one byte every 200 ms is closed after {secs(took)}")
gone = 0
for s in silent:
    if closed_after(s, limit=0.5 if gone else 4.0) is not None:
        gone += 1
    s.close()
tap.check(gone == len(silent), f"{gone} of {len(silent)} silent connections held at once were "
          "closed by the timeout")
good.finish("silent and slow upgrades")
A.stop("the bad-input worker")

# 9. A subscriber that stops reading while others publish: it alone is closed 1013.  (Default
# pings: a client that does not read does not pong either, and 4001 must not come first.)
E = worker("flood", "--outbound-queue-limit", "262144", brokers=broker.port)
A = E
good = Good(A.port)
sub = handshake(A.port)
stalled = handshake(A.port, rcvbuf=4096)
pub = handshake(A.port)
for c in (sub, stalled):
    c.invoke("#subscribe", {"channel": "flood"}, 2)
    tap.check(json.loads(c.next_text()) == {"rid": 2}, "subscribed to flood")
rss0 = A.rss_kib()
deliveries, sub_bad = [], []
stop_sub = threading.Event()


def read_sub():
    try:
        while not stop_sub.is_set():
            m = json.loads(sub.next_text())
            if m.get("event") == "#publish" and m["data"]["channel"] == "flood":
                deliveries.append(time.time() - m["data"]["data"]["t"])
    except Exception as e:  # noqa: BLE001
        if not stop_sub.is_set():
            sub_bad.append(repr(e))


sub.s.settimeout(20)
threading.Thread(target=read_sub, daemon=True).start()
pad = "p" * 8000
cid, rss_max, t_start = 10, rss0, time.time()
while time.time() - t_start < 30 and not A.log_has("close 1013"):
    for _ in range(20):
        cid += 1
        pub.invoke("#publish", {"channel": "flood", "data": {"t": time.time(), "pad": pad}}, cid)
    for _ in range(20):
        r = json.loads(pub.next_text())
        if "error" in r:
            sub_bad.append(r)
    rss_max = max(rss_max, A.rss_kib())
flooded = time.time() - t_start
tap.check(A.log_has("close 1013"), f"the stalled subscriber passed --outbound-queue-limit "
          f"after {cid - 10} publications of 8 kB ({flooded:.1f} s)")
# It reads again now: what the kernel held, then the close frame.
got = stalled.wait_close(15)
tap.check(got is not None and got[0] == 1013, "the subscriber that stopped reading → close 1013",
          detail=f"got {got}")
stalled.close_socket()
tap.check(wait_for(lambda: metric(A.port, 'sc_worker_closes_total{code="1013"} 1'), 5),
          '/metrics: sc_worker_closes_total{code="1013"} 1')
# Publishing goes on after the close; the reading subscriber gets every publication.
n0 = len(deliveries)
for _ in range(50):
    cid += 1
    pub.invoke("#publish", {"channel": "flood", "data": {"t": time.time(), "pad": "q"}}, cid)
    json.loads(pub.next_text())
wait_for(lambda: len(deliveries) >= cid - 10, 10)
stop_sub.set()
tap.check(not sub_bad and len(deliveries) == cid - 10,
          f"the reading subscriber got all {cid - 10} publications; delivery p99 "
          f"{p99(deliveries) * 1000:.1f} ms, median {statistics.median(deliveries) * 1000:.1f} ms",
          detail=f"got {len(deliveries)}, errors {sub_bad[:3]}")
tap.check(p99(deliveries) < 0.25, f"its p99 delivery latency stays low ({p99(deliveries) * 1000:.1f} ms "
          "< 250 ms)")
tap.check(rss_max - rss0 < 64 * 1024, f"worker RSS grew {(rss_max - rss0) / 1024:.1f} MiB during "
          "the flood (bound 64 MiB)")
sub.close_socket()
pub.close_socket()
good.finish("a subscriber that stops reading", bound=0.5)
E.stop("the outbound-queue-limit worker")

# 10. --address-socket-limit: the TCP peer without --trust-proxy (X-Forwarded-For ignored).
C = worker("limit", "--address-socket-limit", "3")
held = [handshake(C.port) for _ in range(3)]
c = WS(C.port)
tap.check(c.status == 429, f"the 4th WebSocket from 127.0.0.1 → HTTP {c.status} (limit 3)")
c.close_socket()
c = WS(C.port, headers={"X-Forwarded-For": "10.9.9.9"})
tap.check(c.status == 429, "X-Forwarded-For is ignored without --trust-proxy → HTTP 429")
c.close_socket()
tap.check(metric(C.port, "sc_worker_address_refused_total 2"),
          "/metrics: sc_worker_address_refused_total 2")
held.pop().close_socket()
c = wait_for(lambda: (lambda w: w if w.status == 101 else w.close_socket())(WS(C.port)), 3)
tap.check(c is not None and c.status == 101, "a socket closed frees its place")
for h in held + ([c] if c else []):
    h.close_socket()
C.stop("the --address-socket-limit worker")

# 11. --trust-proxy: PROXY v1 / v2 headers and X-Forwarded-For give the address.
B = worker("proxy", "--address-socket-limit", "2", "--trust-proxy", "yes", "--upgrade-timeout", "2")
good = Good(B.port)  # no header, no XFF: 127.0.0.1
v1 = b"PROXY TCP4 10.0.0.3 127.0.0.1 40000 8000\r\n"
v2 = (b"\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0c" + bytes([10, 0, 0, 3, 127, 0, 0, 1]) +
      (40000).to_bytes(2, "big") + (8000).to_bytes(2, "big"))
held = [handshake(B.port, headers={"X-Forwarded-For": "10.0.0.1, 10.0.0.200"}) for _ in range(2)]
c = WS(B.port, headers={"X-Forwarded-For": "10.0.0.1"})
tap.check(c.status == 429, f"a 3rd socket with X-Forwarded-For 10.0.0.1 → HTTP {c.status}")
c = WS(B.port, headers={"X-Forwarded-For": "10.0.0.2"})
tap.check(c.status == 101, "X-Forwarded-For 10.0.0.2 is another address → 101")
held.append(c)
held.append(handshake(B.port, prefix=v1))
held.append(handshake(B.port, prefix=v2))
c = WS(B.port, prefix=v1)
tap.check(c.status == 429, "PROXY v1 and v2 headers from 10.0.0.3 count together: the 3rd → 429")
c = WS(B.port, prefix=v2, headers={"X-Forwarded-For": "10.0.0.77"})
tap.check(c.status == 429, "a PROXY header wins over X-Forwarded-For")
c = WS(B.port, prefix=b"PROXY TCP4 10.0.0.4 127.0.0.1 1 2\r\n", headers={"X-Forwarded-For": "x"})
tap.check(c.status == 101, "PROXY v1 from 10.0.0.4 → 101; the socket works")
c.send_text(HS)
tap.check(json.loads(c.next_text())["rid"] == 1, "#handshake through a PROXY header answered")
held.append(c)
c = WS(B.port, prefix=b"PROXY TCP4 nonsense\r\n")
tap.check(c.status == 0, "a malformed PROXY header → closed without an answer")
s = socket.create_connection(("127.0.0.1", B.port))
took = closed_after(s)
tap.check(took is not None and took < 4.5, f"a connection silent before its PROXY header is closed "
          f"after {secs(took)}")
for h in held:
    h.close_socket()
# Through sc-balancer --proxy-protocol v1 and v2: clients from 127.0.0.2 and 127.0.0.3 are two
# addresses to the worker, though every connection comes from the balancer.
for version in ("v1", "v2"):
    bal = baltest.Balancer([f"127.0.0.1:{B.port}"], "--proxy-protocol", version, stats=False,
                           name=f"bal-{version}")
    held = [handshake(bal.port, src="127.0.0.2") for _ in range(2)]
    c = WS(bal.port, src="127.0.0.2")
    third = c.status
    c.close_socket()
    other = handshake(bal.port, src="127.0.0.3")
    tap.check(third == 429, f"through sc-balancer --proxy-protocol {version}: the 3rd socket from "
              f"127.0.0.2 → HTTP {third}; 127.0.0.3 is answered")
    for h in held + [other]:
        h.close_socket()
    bal.proc.send_signal(signal.SIGTERM)
    bal.proc.wait(10)
    time.sleep(1.0)  # the worker sees the closes before the next round counts
good.finish("--trust-proxy")
B.stop("the --trust-proxy worker")

# 12. 10,000 idle sockets (handshake done, then silent): RSS per socket measured and bounded.
D = worker("idle", brokers=broker.port)
N = 10000
probe = handshake(D.port)
time.sleep(0.3)
rss0 = D.rss_kib()
idle, t0 = [], time.time()
try:
    while len(idle) < N and time.time() - t0 < 120:
        batch = []
        for _ in range(100):
            s = socket.create_connection(("127.0.0.1", D.port), timeout=10)
            s.sendall(b"GET /socketcluster/ HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                      b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      b"Sec-WebSocket-Version: 13\r\n\r\n")
            batch.append(s)
        hs = bytes([0x81, 0x80 | len(HS), 0, 0, 0, 0]) + HS.encode()  # zero mask: text as is
        for s in batch:
            head, _ = tap.read_head(s)
            if not head.startswith(b"HTTP/1.1 101"):
                raise OSError(head[:40])
            s.sendall(hs)
        for s in batch:
            if b'"rid":1' not in s.recv(4096):
                raise OSError("no #handshake reply")
        idle.extend(batch)
except OSError as e:
    tap.fail(f"opening idle sockets stopped at {len(idle)}", detail=repr(e))
opened = time.time() - t0
time.sleep(1.0)
good = Good(D.port)
time.sleep(1.0)
rss1 = D.rss_kib()
per = (rss1 - rss0) * 1024 / max(1, len(idle))
bound = 32768 if ASAN else 6144  # ASan: redzones and quarantine
tap.check(len(idle) == N, f"{len(idle)} idle sockets open and handshaken in {opened:.1f} s")
tap.check(per < bound, f"worker RSS {rss0 / 1024:.1f} → {rss1 / 1024:.1f} MiB: {per:.0f} bytes per "
          f"idle socket (bound {bound})")
good.finish("10,000 idle sockets")
for s in idle:
    s.close()
probe.close_socket()  # silent since before the 10,000 (it may have met --ping-timeout)
probe = handshake(D.port)
probe.invoke("echo", "still here", 2)
tap.check(probe.next_text() == '{"rid":2,"data":"still here"}', "a new socket is answered after "
          "the 10,000 went away")
probe.close_socket()
D.stop("the idle-sockets worker")
broker.stop("the broker")
tap.finish()
