"""Helpers for the balancer's integration tests (tests/integration/balancer_*.py).

Processes started here are registered and stopped by pid at exit (never by name).  Ports are
probed free.  Clients bind to chosen 127.0.0.0/8 source addresses.  Only the standard library.
"""
import atexit
import base64
import hashlib
import os
import resource
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap  # noqa: E402
from tap import free_port, ok  # noqa: E402,F401  (re-exported for the tests)

ROOT = os.environ.get("SC_ROOT") or os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
BIN = os.environ.get("SC_BIN") or os.path.join(ROOT, "build", "bin")
TMP = tempfile.mkdtemp(prefix="scbal.")
_procs = []

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _cleanup():
    for p in _procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.time() + 5
    for p in _procs:
        try:
            p.wait(max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    # A sanitizer report in any process log fails the test (SANITIZE=address,undefined builds).
    bad = []
    for name in os.listdir(TMP):
        if name.endswith(".log") and not name.startswith("backend-"):  # the test backend exits with open conns
            with open(os.path.join(TMP, name), errors="replace") as f:
                text = f.read()
            if "AddressSanitizer" in text or "LeakSanitizer" in text or "runtime error:" in text:
                bad.append(name)
                print(text[-3000:], file=sys.stderr)
    shutil.rmtree(TMP, ignore_errors=True)
    if bad:
        print(f"FAILED: sanitizer report in {bad}", file=sys.stderr, flush=True)
        os._exit(1)


atexit.register(_cleanup)


def fail(msg):
    """Reports a failed check and ends the test (a balancer test cannot go on after one)."""
    tap.fail(msg, stop=True)


def check(cond, msg):
    tap.check(cond, msg, stop=True)


def wait_port(port, host="127.0.0.1", timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    fail(f"port {port} never opened")


def spawn(args, log=None):
    out = open(os.path.join(TMP, log), "ab") if log else subprocess.DEVNULL
    p = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    _procs.append(p)
    return p


class Backend:
    def __init__(self, name, port=None):
        self.name = name
        self.port = port or free_port()
        self.start()

    def start(self):
        self.proc = spawn([os.path.join(BIN, "sc-testbackend"), "--port", str(self.port), "--name",
                           self.name], log=f"backend-{self.name}.log")
        wait_port(self.port)

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    @property
    def addr(self):
        return f"127.0.0.1:{self.port}"


class Balancer:
    def __init__(self, backends, *extra, tls=False, certs=(), stats=True, name="bal"):
        self.port = free_port()
        self.tls_port = free_port() if tls else None
        self.stats_port = free_port() if stats else None
        args = [os.path.join(BIN, "sc-balancer"), "--listen", f"127.0.0.1:{self.port}",
                "--backends", ",".join(b.addr if isinstance(b, Backend) else b for b in backends)]
        if tls:
            args += ["--tls-listen", f"127.0.0.1:{self.tls_port}"]
            for cert, key in certs:
                args += ["--cert", cert, "--key", key]
        if stats:
            args += ["--stats", f"127.0.0.1:{self.stats_port}"]
        args += list(extra)
        args += os.environ.get("SC_BALANCER_FLAGS", "").split()  # e.g. "--io-uring off"
        self.args = args
        self.proc = spawn(args, log=f"{name}.log")
        wait_port(self.port)
        if tls:
            wait_port(self.tls_port)

    def rss_kib(self):
        return tap.rss_kib(self.proc.pid)

    def metrics(self):
        s = socket.create_connection(("127.0.0.1", self.stats_port), timeout=5)
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        data = read_to_eof(s)
        s.close()
        out = {}
        for line in data.split(b"\r\n\r\n", 1)[1].decode().splitlines():
            if line and not line.startswith("#"):
                k, v = line.rsplit(" ", 1)
                out[k] = int(v)
        return out


def make_certs():
    """ECDSA P-256 and RSA 2048 self-signed certificates; returns [(cert, key), ...]."""
    pairs = []
    for kind, opts in (("ecdsa", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]),
                       ("rsa", ["-newkey", "rsa:2048"])):
        cert, key = os.path.join(TMP, f"{kind}.crt"), os.path.join(TMP, f"{kind}.key")
        subprocess.run(["openssl", "req", "-x509", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                        *opts, "-keyout", key, "-out", cert], check=True, capture_output=True)
        pairs.append((cert, key))
    return pairs


def client_ctx(version=None, ciphers=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if version:
        ctx.minimum_version = version
        ctx.maximum_version = version
    if ciphers:
        ctx.set_ciphers(ciphers)
    return ctx


def connect(port, src="127.0.0.1", ctx=None, timeout=10):
    s = socket.socket()
    s.settimeout(timeout)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if ctx:
        s = ctx.wrap_socket(s)
    return s


def read_to_eof(s):
    """Everything the peer sends until it closes."""
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk


def read_response(s, buf=b""):
    """Reads one HTTP response with Content-Length; returns (status, headers dict, body, rest)."""
    head, rest = tap.read_head(s, buf)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for l in lines[1:]:
        k, v = l.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    while len(rest) < n:
        chunk = s.recv(max(65536, n - len(rest)))
        if not chunk:
            raise ConnectionError("EOF in body")
        rest += chunk
    return status, headers, rest[:n], rest[n:]


def http_get(port, path="/", src="127.0.0.1", headers=(), ctx=None):
    s = connect(port, src, ctx)
    req = f"GET {path} HTTP/1.1\r\nHost: x\r\n" + "".join(f"{h}\r\n" for h in headers) + "Connection: close\r\n\r\n"
    s.sendall(req.encode())
    r = read_response(s)
    s.close()
    return r


def backend_of(port, path="/", src="127.0.0.1", headers=(), ctx=None):
    status, h, body, _ = http_get(port, path, src, headers, ctx)
    if status != 200:
        fail(f"status {status} for {path}")
    return h["x-backend"]


def pattern(offset, n):
    """The sc-testbackend /bytes pattern: byte[i] = (i * 7 + i // 4096) & 255."""
    return bytes(((i * 7 + i // 4096) & 255) for i in range(offset, offset + n))


def pattern_md5(n):
    h = hashlib.md5()
    block = 1 << 20
    for off in range(0, n, block):
        h.update(pattern(off, min(block, n - off)))
    return h.hexdigest()


def ws_handshake(s, path="/ws", extra=""):
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n").encode())
    head, rest = tap.read_head(s)
    lines = head.decode().split("\r\n")
    headers = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:]}
    want = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
    if not lines[0].startswith("HTTP/1.1 101") or headers.get("sec-websocket-accept") != want:
        raise ConnectionError(f"bad upgrade: {lines[0]}")
    return headers, rest


def ws_frame(payload, opcode=2):
    mask = os.urandom(4)
    n = len(payload)
    if n < 126:
        h = bytes([0x80 | opcode, 0x80 | n])
    elif n < 65536:
        h = bytes([0x80 | opcode, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        h = bytes([0x80 | opcode, 0x80 | 127]) + n.to_bytes(8, "big")
    masked = bytes(b ^ mask[i & 3] for i, b in enumerate(payload)) if n < 4096 else _mask_fast(payload, mask)
    return h + mask + masked


def _mask_fast(payload, mask):
    m = int.from_bytes(mask * ((len(payload) + 3) // 4), "little")
    p = int.from_bytes(payload, "little")
    return (p ^ m).to_bytes((len(payload) + 3) // 4 * 4, "little")[:len(payload)]


def ws_read(s, buf=b""):
    """Reads one unmasked frame; returns (opcode, payload, rest)."""
    def need(n):
        nonlocal buf
        while len(buf) < n:
            chunk = s.recv(1 << 20)
            if not chunk:
                raise ConnectionError("EOF in frame")
            buf += chunk
    need(2)
    opcode, n = buf[0] & 15, buf[1] & 127
    hl = 2
    if n == 126:
        need(4)
        n, hl = int.from_bytes(buf[2:4], "big"), 4
    elif n == 127:
        need(10)
        n, hl = int.from_bytes(buf[2:10], "big"), 10
    need(hl + n)
    return opcode, buf[hl:hl + n], buf[hl + n:]
