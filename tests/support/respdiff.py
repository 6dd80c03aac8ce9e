"""respdiff: differential testing of sc-broker against Debian's redis-server (stdlib only).

Starts sc-broker and redis-server side by side on free loopback ports, sends the same commands
to both, and compares the raw reply bytes.  Every check prints "ok N - description" (TAP-like);
a mismatch prints "not ok N - description" with both replies and is collected; `finish()`
prints the summary and exits 1 if anything failed (RESPDIFF_FAILFAST=1 or TAP_FAILFAST=1 raises
at the first one; the reporting itself is tests/support/tap.py).

Environment
  SC_BIN          directory of sc-broker (default <repo>/build/bin)
  SC_BROKER_CMD   command used instead of $SC_BIN/sc-broker (shell-split), e.g. "redis-server"
                  to develop the harness against two redis instances
  REDIS_SERVER    redis-server binary (default /usr/bin/redis-server)
  RESPDIFF_FAILFAST=1   raise Mismatch at the first failed check
  RESPDIFF_VERBOSE=1    print both raw replies for every check
  RESPDIFF_SKIP=regex   skip run_script lines matching regex (e.g. a command that crashes)

Servers
  Server.start(kind, args=(), timeout=10) -> Server    kind "broker" or "redis"
      .port .pid .proc .rss_kb() .alive() .conn(resp3=False, timeout=5) -> Conn  .stop()
  Every started process is killed (by its own pid only) at exit and on SIGINT/SIGTERM.
  Redis is always started with: --port P --bind 127.0.0.1 --save '' --appendonly no.
  sc-broker is started with: --port P (its defaults otherwise).  Extra args per Server.start.
  NOTE: sc-broker's default notify-keyspace-events is "Ex", Redis's is "": tests that depend
  on it set it on both.

Raw client
  Conn(port, timeout=5)
      .send(*args)                 encode as a RESP array of bulk strings and write
      .send_raw(data: bytes)       write bytes as they are
      .read() -> Reply             exactly one complete reply (any RESP2/RESP3 type, incl.
                                   pushes '>' and attributes '|'); raises Timeout / Closed
      .call(*args) -> Reply        send + read
      .__call__(*args) -> value    send + read, returns the parsed value
      .is_closed(wait=1.0) -> bool True if the peer closed (EOF/RST) within `wait` seconds
      .close()
  Reply: .raw (bytes), .value (parsed), .type (first byte as str)
  Parsed values: bytes (bulk/verbatim text), Simple(str) for +, Err(str) for -, int for :,
    None for $-1 / *-1 / _, list for * (Set for ~, Push for >), Map (list of (k, v)) for %,
    Double(str) for ',', Boolean (True/False) for '#', BigNum(str) for '('.
  encode(*args) -> bytes; parse(buf, pos=0) -> (value, end) (raises NeedMore);
  elements(raw) -> list of raw element slices of an aggregate reply (pairs for maps);
  shape(value) -> nested type skeleton used by cmd_shape.

Differential
  Pair(broker_args=(), redis_args=(), args=(), resp3=False)
      starts one sc-broker and one redis-server (args go to both) and opens one connection
      to each; .broker / .redis are the Server objects; .a / .b the default Conns.
      .cmd(*args, desc=None) -> (reply_a, reply_b)   raw bytes must be equal
      .cmd_sorted(*args)   unordered aggregates: header equal and the multiset of raw
                           elements (map: of raw key+value pairs) equal
      .cmd_shape(*args, check=None)  random replies: shape(value) equal, and check(value)
                           true for both when given
      .cmd_type(*args)     only the reply's first byte must be equal (e.g. timing values)
      .cmd_f(argsfn, desc) args computed per side: argsfn(conn) -> args; replies equal
      .raw(data, desc=None, replies=1, expect_close=False)  send raw bytes to both, compare
                           `replies` replies; with expect_close, also both must close
      .both(fn, desc=None) -> (ra, rb)  calls fn(conn) on each side, compares results (==)
      .each(fn)            calls fn(conn) on each side and returns (ra, rb), no check
      .connect(resp3=False) -> ConnPair  a new pair of connections with the same methods
      .check(cond, desc, detail="")       record a plain assertion
      .reconnect(resp3=False)  new default connections;  .stop()  closes and stops both servers
  ConnPair has .cmd/.cmd_sorted/.cmd_shape/.cmd_type/.cmd_f/.raw/.both/.each/.close/.a/.b.
  When a reply is missing and a server process has died, the run ends at once with a
  "<kind> process died (signal N)" failure that shows the last bytes sent and the log tail.
  run_script(pair_or_connpair, text)  redis-cli-like lines, one command each, quoting like
      redis-cli (double quotes with \\n \\xHH escapes, single quotes).  Line prefixes:
        # comment        @sorted CMD...   @shape CMD...   @type CMD...
        @sleep SECONDS   @raw <python bytes literal, e.g. b"*1\\r\\n$4\\r\\nPING\\r\\n">
  split_args(line) -> list[bytes] | None (None on unbalanced quotes, like sdssplitargs)
  ok(desc) / fail(desc, detail) / check(cond, desc, detail) / finish() / failures()
  with optional("reason"): ...   mismatches inside are reported as TODO, not fatal
  implemented(pair, *args) -> bool   False (one TODO line) if sc-broker says unknown command
  redis_cli(port, *args, timeout=10, input=None) -> CompletedProcess (stdout as str)
  free_port() -> int
"""

import ast
import atexit
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("SC_ROOT") or os.path.dirname(os.path.dirname(HERE))
SC_BIN = os.environ.get("SC_BIN") or os.path.join(ROOT, "build", "bin")
REDIS_SERVER = os.environ.get("REDIS_SERVER", "/usr/bin/redis-server")
REDIS_CLI = os.environ.get("REDIS_CLI", "/usr/bin/redis-cli")
VERBOSE = os.environ.get("RESPDIFF_VERBOSE") == "1"
SKIP = os.environ.get("RESPDIFF_SKIP")  # regex: run_script lines matching it are skipped


# ---------------------------------------------------------------------------------------------
# reporting: tests/support/tap.py (ok / fail / check / optional / finish), re-exported here

sys.path.insert(0, HERE)
import tap  # noqa: E402
from tap import Mismatch, check, fail, failures, free_port, ok, optional  # noqa: E402,F401


def implemented(pair, *args):
    """Sends args to sc-broker only; False (and one TODO line) if it answers 'unknown command'.
    Use inside `with optional(...)` to skip a whole optional block at once."""
    r = pair.a.call(*args)
    if isinstance(r.value, Err) and r.value.startswith("ERR unknown command"):
        with optional("%s not implemented" % args[0]):
            fail("%s is not implemented in sc-broker" % args[0], "sc-broker: %s" % show(r.raw))
        return False
    pair.b.call(*args)  # keep both sides in the same state
    return True


_servers = []  # every Server started, for the sanitizer scan in finish()
_SANITIZER = re.compile(r"runtime error:|ERROR: AddressSanitizer|ERROR: LeakSanitizer|"
                        r"WARNING: ThreadSanitizer")


def scan_sanitizer_logs():
    """Fails once per sc-broker whose log holds a sanitizer report (ASan/UBSan builds)."""
    for srv in _servers:
        if srv.kind != "broker" or getattr(srv, "scanned", False):
            continue
        srv.scanned = True
        text = srv.log_tail(100000)
        m = _SANITIZER.search(text)
        if m:
            start = max(0, text.rfind("\n", 0, m.start()))
            fail("sanitizer report in the sc-broker log (port %d)" % srv.port,
                 text[start:start + 3000])


def finish():
    """Prints a summary and exits: 0 when every check passed, 1 otherwise."""
    tap.finish()


tap.before_finish(scan_sanitizer_logs)


def show(raw, limit=600):
    if raw is None:
        return "<none>"
    if isinstance(raw, (bytes, bytearray)):
        r = repr(bytes(raw))
    else:
        r = repr(raw)
    return r if len(r) <= limit else r[:limit] + "...(%d chars)" % len(r)


def _desc(args):
    parts = []
    for a in args:
        s = a.decode("latin-1") if isinstance(a, (bytes, bytearray)) else str(a)
        if s == "" or any(ch in s for ch in " \"'\\\r\n\t") or not s.isprintable():
            s = repr(s)
        parts.append(s)
    d = " ".join(parts)
    return d if len(d) <= 160 else d[:160] + "..."


# ---------------------------------------------------------------------------------------------
# RESP encoding / parsing

class NeedMore(Exception):
    pass


class ProtocolViolation(Exception):
    pass


def _tagged(base):
    """A base for the RESP types kept as a Python str or list: its repr names the type,
    Simple('OK'), Set([1, 2])."""

    class Tagged(base):
        def __repr__(self):
            return "%s(%s)" % (type(self).__name__, base.__repr__(self))
    return Tagged


class Simple(_tagged(str)):
    pass


class Err(_tagged(str)):
    pass


class Double(_tagged(str)):
    pass


class BigNum(str):
    pass


class Verbatim(bytes):
    pass


class Boolean(int):
    def __repr__(self):
        return "Boolean(%s)" % bool(self)


class Set(_tagged(list)):
    pass


class Push(_tagged(list)):
    pass


class Map(_tagged(list)):
    """A RESP3 map as a list of (key, value) pairs (keys may be unhashable)."""

    def get(self, key, default=None):
        if isinstance(key, str):
            key = key.encode()
        for k, v in self:
            kk = k.encode() if isinstance(k, str) else k
            if kk == key:
                return v
        return default

    def keys(self):
        return [k for k, _ in self]


def _arg_bytes(a):
    if isinstance(a, (bytes, bytearray)):
        return bytes(a)
    if isinstance(a, float):
        return repr(a).encode()
    return str(a).encode()


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = _arg_bytes(a)
        out.append(b"$%d\r\n" % len(b))
        out.append(b)
        out.append(b"\r\n")
    return b"".join(out)


def _line(buf, pos):
    end = buf.find(b"\r\n", pos)
    if end < 0:
        raise NeedMore()
    return bytes(buf[pos:end]), end + 2


def parse(buf, pos=0):
    """Parses one reply at buf[pos:]; returns (value, end). Raises NeedMore if incomplete."""
    if pos >= len(buf):
        raise NeedMore()
    t = bytes(buf[pos:pos + 1])
    line, nxt = _line(buf, pos + 1)
    if t == b"+":
        return Simple(line.decode("latin-1")), nxt
    if t == b"-":
        return Err(line.decode("latin-1")), nxt
    if t == b":":
        return int(line), nxt
    if t == b",":
        return Double(line.decode("latin-1")), nxt
    if t == b"(":
        return BigNum(line.decode("latin-1")), nxt
    if t == b"#":
        if line not in (b"t", b"f"):
            raise ProtocolViolation("bad boolean %r" % line)
        return Boolean(line == b"t"), nxt
    if t == b"_":
        return None, nxt
    if t in (b"$", b"=", b"!"):
        n = int(line)
        if n < 0:
            return None, nxt
        if len(buf) < nxt + n + 2:
            raise NeedMore()
        data = bytes(buf[nxt:nxt + n])
        if buf[nxt + n:nxt + n + 2] != b"\r\n":
            raise ProtocolViolation("bulk not terminated by CRLF")
        if t == b"=":
            return Verbatim(data), nxt + n + 2
        if t == b"!":
            return Err(data.decode("latin-1")), nxt + n + 2
        return data, nxt + n + 2
    if t in (b"*", b"~", b">", b"%", b"|"):
        n = int(line)
        if n < 0:
            return None, nxt
        if t in (b"%", b"|"):
            items = Map()
            p = nxt
            for _ in range(n):
                k, p = parse(buf, p)
                v, p = parse(buf, p)
                items.append((k, v))
            if t == b"|":  # attribute: followed by the actual reply
                val, p = parse(buf, p)
                return val, p
            return items, p
        cls = {b"*": list, b"~": Set, b">": Push}[t]
        items = cls()
        p = nxt
        for _ in range(n):
            v, p = parse(buf, p)
            items.append(v)
        return items, p
    raise ProtocolViolation("unknown reply type byte %r at %d" % (t, pos))


def elements(raw):
    """Raw slices of the elements of an aggregate reply; for maps, key+value concatenated."""
    t = raw[:1]
    line, p = _line(raw, 1)
    n = int(line)
    out = []
    if n < 0 or t not in b"*~>%":
        return out
    per = 2 if t == b"%" else 1
    for _ in range(n):
        start = p
        for _ in range(per):
            _, p = parse(raw, p)
        out.append(bytes(raw[start:p]))
    return out


def shape(value):
    """Type skeleton: aggregates keep their kind and the shape of each element."""
    if isinstance(value, Map):
        return ("map", tuple((shape(k), shape(v)) for k, v in value))
    if isinstance(value, Push):
        return ("push", tuple(shape(v) for v in value))
    if isinstance(value, Set):
        return ("set", tuple(shape(v) for v in value))
    if isinstance(value, list):
        return ("array", tuple(shape(v) for v in value))
    for cls in (Simple, Err, Double, BigNum, Verbatim, Boolean):
        if isinstance(value, cls):
            return cls.__name__.lower()
    if value is None:
        return "null"
    if isinstance(value, int):
        return "int"
    if isinstance(value, bytes):
        return "bulk"
    return type(value).__name__


class Reply:
    __slots__ = ("raw", "value")

    def __init__(self, raw, value):
        self.raw = raw
        self.value = value

    @property
    def type(self):
        return self.raw[:1].decode("latin-1")

    def __repr__(self):
        return "Reply(%s)" % show(self.raw)


# ---------------------------------------------------------------------------------------------
# connection

class Timeout(Exception):
    pass


class Closed(Exception):
    pass


class Conn:
    def __init__(self, port, timeout=5.0, host="127.0.0.1", name=""):
        self.port = port
        self.name = name
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.pos = 0
        self.closed = False

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, *args):
        self.sock.sendall(encode(*args))

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Timeout("no complete reply from port %d within %.1fs (buffered %r)"
                          % (self.port, self.timeout, bytes(self.buf[self.pos:self.pos + 200])))
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(1 << 20)
        except socket.timeout:
            raise Timeout("no complete reply from port %d within %.1fs (buffered %r)"
                          % (self.port, self.timeout, bytes(self.buf[self.pos:self.pos + 200])))
        except (ConnectionResetError, BrokenPipeError):
            data = b""
        if not data:
            self.closed = True
            raise Closed("connection to port %d closed (buffered %r)"
                         % (self.port, bytes(self.buf[self.pos:self.pos + 200])))
        self.buf += data

    def read(self, timeout=None):
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            try:
                value, end = parse(self.buf, self.pos)
                break
            except NeedMore:
                self._fill(deadline)
        raw = bytes(self.buf[self.pos:end])
        self.pos = end
        if self.pos > (1 << 16) and self.pos * 2 > len(self.buf):
            del self.buf[:self.pos]
            self.pos = 0
        return Reply(raw, value)

    def pending(self):
        return bytes(self.buf[self.pos:])

    def call(self, *args, timeout=None):
        self.send(*args)
        return self.read(timeout)

    def __call__(self, *args, timeout=None):
        return self.call(*args, timeout=timeout).value

    def is_closed(self, wait=1.0):
        """True if the peer closes within `wait` seconds (data received first is discarded)."""
        if self.closed:
            return True
        deadline = time.monotonic() + wait
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(1 << 16)
            except socket.timeout:
                return False
            except (ConnectionResetError, BrokenPipeError):
                data = b""
            if not data:
                self.closed = True
                return True
            self.buf += data

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
        self.closed = True


# ---------------------------------------------------------------------------------------------
# processes

_procs = []
_tmpdir = None


def _cleanup():
    for p in list(_procs):
        if p.poll() is None:
            try:
                p.terminate()
            except OSError:
                pass
    deadline = time.monotonic() + 5
    for p in list(_procs):
        try:
            p.wait(max(0.05, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            try:
                p.kill()
                p.wait(2)
            except (OSError, subprocess.TimeoutExpired):
                pass
    _procs.clear()


def _on_signal(signum, frame):
    _cleanup()
    sys.exit(128 + signum)


atexit.register(_cleanup)
for _s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    try:
        signal.signal(_s, _on_signal)
    except (ValueError, OSError):
        pass


def tmpdir():
    global _tmpdir
    if _tmpdir is None:
        _tmpdir = tempfile.TemporaryDirectory(prefix="respdiff.")
        atexit.register(_tmpdir.cleanup)
    return _tmpdir.name


def kill9(srv):
    """SIGKILL to a Server's process (no flush, no fsync), then reaps it."""
    os.kill(srv.pid, signal.SIGKILL)
    srv.proc.wait(5)


def wait_rewrite(conn, tries=100):
    """Polls INFO persistence on conn every 0.1 s, at most `tries` times, until no AOF rewrite
    is in progress; returns the last INFO persistence text."""
    for _ in range(tries):
        info = conn("INFO", "persistence").decode()
        if "aof_rewrite_in_progress:0" in info:
            break
        time.sleep(0.1)
    return info


def broker_cmd():
    override = os.environ.get("SC_BROKER_CMD")
    if override:
        return shlex.split(override)
    return [os.path.join(SC_BIN, "sc-broker")]


def _redis_defaults(port):
    return ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--logfile", ""]


class Server:
    def __init__(self, kind, proc, port, log):
        self.kind = kind
        self.proc = proc
        self.port = port
        self.pid = proc.pid
        self.log = log

    @classmethod
    def start(cls, kind, args=(), timeout=10.0, port=None, preexec_fn=None):
        """preexec_fn runs in the child before exec (resource limits, signal dispositions)."""
        port = port or free_port()
        args = [str(a) for a in args]
        if kind == "redis":
            cmd = [REDIS_SERVER] + _redis_defaults(port) + args
        else:
            cmd = broker_cmd()
            if os.path.basename(cmd[0]).startswith("redis-server"):
                cmd = cmd + _redis_defaults(port) + args
            else:
                if not os.path.exists(cmd[0]):
                    raise SystemExit("respdiff: %s not found (build sc-broker or set SC_BIN / "
                                     "SC_BROKER_CMD)" % cmd[0])
                cmd = cmd + ["--port", str(port)] + args
        d = tmpdir()
        log = os.path.join(d, "%s-%d.log" % (kind, port))
        with open(log, "wb") as lf:
            proc = subprocess.Popen(cmd, cwd=d, stdin=subprocess.DEVNULL, stdout=lf,
                                    stderr=subprocess.STDOUT, preexec_fn=preexec_fn)
        _procs.append(proc)
        srv = cls(kind, proc, port, log)
        _servers.append(srv)
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise SystemExit("respdiff: %s exited with %s at start: %s\n%s"
                                 % (kind, proc.returncode, " ".join(cmd), srv.log_tail()))
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("respdiff: %s did not listen on %d: %s\n%s"
                                     % (kind, port, " ".join(cmd), srv.log_tail()))
                time.sleep(0.05)
        return srv

    def log_tail(self, n=20):
        try:
            with open(self.log, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode("latin-1")
        except OSError:
            return ""

    def alive(self):
        return self.proc.poll() is None

    def rss_kb(self):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def conn(self, resp3=False, timeout=5.0):
        c = Conn(self.port, timeout=timeout, name=self.kind)
        if resp3:
            r = c.call("HELLO", "3")
            if r.type != "%":
                raise Mismatch("HELLO 3 on %s failed: %r" % (self.kind, r))
        return c

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(2)
        if self.proc in _procs:
            _procs.remove(self.proc)


def redis_cli(port, *args, timeout=10, input=None):
    return subprocess.run([REDIS_CLI, "-p", str(port)] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=timeout, input=input)


# ---------------------------------------------------------------------------------------------
# differential pairs

def _sides(ra, rb):
    return "sc-broker: %s\nredis:     %s" % (show(ra), show(rb))


class ConnPair:
    """Two connections (a: sc-broker, b: redis) driven in lock step."""

    def __init__(self, a, b, pair=None):
        self.a = a
        self.b = b
        self.pair = pair

    def close(self):
        self.a.close()
        self.b.close()

    def _read_both(self, n=1, timeout=None):
        out = []
        for conn in (self.a, self.b):
            replies = []
            try:
                for _ in range(n):
                    replies.append(conn.read(timeout))
            except (Timeout, Closed) as e:
                replies.append(e)
            out.append(replies)
        if any(not isinstance(r, Reply) for rs in out for r in rs):
            self.die_if_crashed()
            if any(isinstance(r, Timeout) for rs in out for r in rs):
                self.die_if_stuck()
        return out

    def die_if_stuck(self):
        """After a timeout: if a server does not answer PING on a new connection within 3 s it
        is stuck (e.g. an endless loop); report it with the last bytes sent and end the run."""
        pair = self.pair
        if pair is None:
            return
        for srv in pair.servers():
            try:
                c = Conn(srv.port, timeout=3)
                r = c.call("PING")
                c.close()
                if r.raw == b"+PONG\r\n" or r.type == "-":
                    continue
            except (OSError, Timeout, Closed):
                pass
            sent = getattr(pair, "last_sent", b"")
            fail("%s process is stuck: no PING reply on a new connection within 3 s" % srv.kind,
                 "last bytes sent: %s" % show(sent, 300))
            finish()

    def die_if_crashed(self, what=""):
        """If a server process is gone, reports it with its log tail and ends the run."""
        pair = self.pair
        if pair is None:
            return
        for srv in pair.servers():
            time.sleep(0.05)
            if not srv.alive():
                rc = srv.proc.returncode
                how = ("killed by signal %d" % -rc) if rc < 0 else ("exit code %d" % rc)
                sent = getattr(pair, "last_sent", b"")
                fail("%s process died (%s)%s" % (srv.kind, how, " " + what if what else ""),
                     "last bytes sent: %s\nlog tail:\n%s" % (show(sent, 300), srv.log_tail(30)))
                finish()

    @staticmethod
    def _raws(replies):
        return b"".join(r.raw if isinstance(r, Reply) else
                        ("<%s: %s>" % (type(r).__name__, r)).encode() for r in replies)

    def _send_both(self, data):
        if self.pair is not None:
            self.pair.last_sent = data
        for conn in (self.a, self.b):
            try:
                conn.send_raw(data)
            except OSError:
                pass

    def cmd(self, *args, desc=None, timeout=None):
        """Sends args to both; the raw replies must be byte-identical. Returns (ra, rb)."""
        self._send_both(encode(*args))
        (ra,), (rb,) = self._read_both(1, timeout)
        desc = desc or _desc(args)
        raw_a, raw_b = self._raws([ra]), self._raws([rb])
        if VERBOSE:
            print("    # " + _sides(raw_a, raw_b).replace("\n", "\n    # "))
        if raw_a == raw_b and isinstance(ra, Reply):
            ok(desc + "  -> " + show(raw_a, 60))
        else:
            fail(desc, _sides(raw_a, raw_b))
        return ra, rb

    def cmd_f(self, argsfn, desc, timeout=None):
        """Like cmd, but the arguments differ per side: argsfn(conn) -> list of args (e.g. a
        CLIENT KILL ID with each server's own client id). The replies must be equal."""
        if self.pair is not None:
            self.pair.last_sent = repr(argsfn)
        for conn in (self.a, self.b):
            try:
                conn.send(*argsfn(conn))
            except OSError:
                pass
        (ra,), (rb,) = self._read_both(1, timeout)
        raw_a, raw_b = self._raws([ra]), self._raws([rb])
        if raw_a == raw_b and isinstance(ra, Reply):
            ok(desc + "  -> " + show(raw_a, 60))
        else:
            fail(desc, _sides(raw_a, raw_b))
        return ra, rb

    def cmd_sorted(self, *args, desc=None, timeout=None):
        self._send_both(encode(*args))
        (ra,), (rb,) = self._read_both(1, timeout)
        desc = (desc or _desc(args)) + " [unordered]"
        if isinstance(ra, Reply) and isinstance(rb, Reply):
            try:
                ka = (ra.raw[:1], len(elements(ra.raw)), sorted(elements(ra.raw)))
                kb = (rb.raw[:1], len(elements(rb.raw)), sorted(elements(rb.raw)))
            except Exception:
                ka, kb = ra.raw, rb.raw
            if ra.raw[:1] not in b"*~%>":
                ka, kb = ra.raw, rb.raw
            if ka == kb:
                ok(desc + "  -> %d elements" % len(ka[2]) if isinstance(ka, tuple) else desc)
                return ra, rb
        fail(desc, _sides(self._raws([ra]), self._raws([rb])))
        return ra, rb

    def cmd_shape(self, *args, check=None, desc=None, timeout=None):
        self._send_both(encode(*args))
        (ra,), (rb,) = self._read_both(1, timeout)
        desc = (desc or _desc(args)) + " [shape]"
        if isinstance(ra, Reply) and isinstance(rb, Reply):
            sa, sb = shape(ra.value), shape(rb.value)
            good = sa == sb
            if good and check is not None:
                good = bool(check(ra.value)) and bool(check(rb.value))
            if good:
                ok(desc)
                return ra, rb
            fail(desc, _sides(ra.raw, rb.raw) + "\nshapes: %r vs %r" % (sa, sb))
            return ra, rb
        fail(desc, _sides(self._raws([ra]), self._raws([rb])))
        return ra, rb

    def cmd_type(self, *args, desc=None, timeout=None):
        self._send_both(encode(*args))
        (ra,), (rb,) = self._read_both(1, timeout)
        desc = (desc or _desc(args)) + " [type]"
        if isinstance(ra, Reply) and isinstance(rb, Reply) and ra.raw[:1] == rb.raw[:1]:
            ok(desc)
        else:
            fail(desc, _sides(self._raws([ra]), self._raws([rb])))
        return ra, rb

    def raw(self, data, desc=None, replies=1, expect_close=False, timeout=None, wait=1.5):
        """Sends raw bytes to both, compares the next `replies` replies byte for byte."""
        self._send_both(data)
        desc = desc or "raw " + show(data, 80)
        if replies:
            ra, rb = self._read_both(replies, timeout)
            raw_a, raw_b = self._raws(ra), self._raws(rb)
            good = raw_a == raw_b and all(isinstance(r, Reply) for r in ra)
        else:
            ra = rb = []
            raw_a = raw_b = b""
            good = True
        if expect_close:
            ca, cb = self.a.is_closed(wait), self.b.is_closed(wait)
            if not (ca and cb):
                good = False
                raw_a += b" <closed=%s>" % str(ca).encode()
                raw_b += b" <closed=%s>" % str(cb).encode()
        if good:
            ok(desc + ("  -> " + show(raw_a, 60) if replies else ""))
        else:
            fail(desc, _sides(raw_a, raw_b))
        return ra, rb

    def each(self, fn):
        return fn(self.a), fn(self.b)

    def both(self, fn, desc="both"):
        try:
            ra = fn(self.a)
        except Exception as e:  # compared like a value: both sides must fail alike
            ra = "<%s: %s>" % (type(e).__name__, e)
        try:
            rb = fn(self.b)
        except Exception as e:
            rb = "<%s: %s>" % (type(e).__name__, e)
        if ra == rb:
            ok(desc + "  -> " + show(ra, 60))
        else:
            fail(desc, _sides(ra, rb))
        return ra, rb

    def check(self, cond, desc, detail=""):
        return check(cond, desc, detail)


class Pair(ConnPair):
    """Starts sc-broker and redis-server; the default connections are .a (broker) / .b."""

    def __init__(self, broker_args=(), redis_args=(), args=(), resp3=False, timeout=5.0):
        self.broker = Server.start("broker", list(args) + list(broker_args))
        self.redis = Server.start("redis", list(args) + list(redis_args))
        self.timeout = timeout
        super().__init__(self.broker.conn(resp3, timeout), self.redis.conn(resp3, timeout), self)

    def _connect(self, resp3=False, timeout=None):
        t = timeout or self.timeout
        return ConnPair(self.broker.conn(resp3, t), self.redis.conn(resp3, t), self)

    def reconnect(self, resp3=False):
        """Replaces the default connections (e.g. after a test made the server close them)."""
        self.a.close()
        self.b.close()
        self.a = self.broker.conn(resp3, self.timeout)
        self.b = self.redis.conn(resp3, self.timeout)

    def servers(self):
        return (self.broker, self.redis)

    def connect(self, resp3=False, timeout=None):
        try:
            return self._connect(resp3, timeout)
        except OSError as e:
            self.die_if_crashed("(connect: %s)" % e)
            raise

    def stop(self):
        self.close()
        self.broker.stop()
        self.redis.stop()


# ---------------------------------------------------------------------------------------------
# scripts

_ESC = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "a": "\a"}


def split_args(line):
    """Splits like Redis's sdssplitargs; returns None on unbalanced quotes."""
    out = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in " \t\n\r\v\f":
            i += 1
        if i >= n:
            return out
        cur = []
        quote = None  # '"' or "'" inside quotes
        while True:
            if quote:
                if i >= n:
                    return None
                c = line[i]
                if (quote == '"' and c == "\\" and i + 3 < n and line[i + 1] == "x"
                        and all(h in "0123456789abcdefABCDEF" for h in line[i + 2:i + 4])):
                    cur.append(chr(int(line[i + 2:i + 4], 16)))
                    i += 3
                elif quote == '"' and c == "\\" and i + 1 < n:
                    i += 1
                    cur.append(_ESC.get(line[i], line[i]))
                elif quote == "'" and c == "\\" and i + 1 < n and line[i + 1] == "'":
                    i += 1
                    cur.append("'")
                elif c == quote:  # the closing quote must end the argument
                    if i + 1 < n and line[i + 1] not in " \t\n\r\v\f":
                        return None
                    i += 1
                    break
                else:
                    cur.append(c)
            else:
                if i >= n:
                    break
                c = line[i]
                if c in " \t\n\r\v\f":
                    break
                if c in "\"'":
                    quote = c
                else:
                    cur.append(c)
            i += 1
        out.append("".join(cur).encode("latin-1"))


def run_script(pair, text):
    """Runs redis-cli-like lines against both sides (see module doc for the @ prefixes)."""
    for lineno, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        mode = "cmd"
        if s.startswith("@"):
            word, _, rest = s.partition(" ")
            mode = word[1:]
            s = rest.strip()
            if mode == "sleep":
                time.sleep(float(s))
                continue
            if mode == "raw":
                pair.raw(ast.literal_eval(s))
                continue
        args = split_args(s)
        if args is None:
            raise ValueError("script line %d: unbalanced quotes: %s" % (lineno, line))
        if not args:
            continue
        if SKIP and re.search(SKIP, s):
            print("ok - %s # SKIP (RESPDIFF_SKIP)" % s, flush=True)
            continue
        fn = {"cmd": pair.cmd, "sorted": pair.cmd_sorted, "shape": pair.cmd_shape,
              "type": pair.cmd_type}.get(mode)
        if fn is None:
            raise ValueError("script line %d: unknown directive @%s" % (lineno, mode))
        fn(*args, desc=s)


# ---------------------------------------------------------------------------------------------
# Typed raw pair (broker_hash.py, broker_set.py): replies parsed into (type char, payload)
# tuples next to their raw bytes, for structural checks (xSCAN cursors, HRANDFIELD pairs).

def _encode_list(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, int):
            a = str(a)
        if isinstance(a, str):
            a = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class _TypedReader:
    """Parses one RESP2/RESP3 reply from a socket; returns (value, raw bytes)."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self):
        d = self.sock.recv(1 << 20)
        if not d:
            raise ConnectionError("connection closed")
        self.buf += d

    def _line(self, pos):
        while True:
            i = self.buf.find(b"\r\n", pos)
            if i >= 0:
                return self.buf[pos:i], i + 2
            self._fill()

    def _need(self, end):
        while len(self.buf) < end:
            self._fill()

    def _parse(self, pos):
        line, pos = self._line(pos)
        t, rest = line[:1], line[1:]
        if t in (b"+", b"-"):
            return (t.decode(), rest), pos
        if t in (b":", b",", b"(", b"#"):
            return (t.decode(), rest), pos
        if t == b"_":
            return ("_", None), pos
        if t in (b"$", b"=", b"!"):
            n = int(rest)
            if n < 0:
                return ("$", None), pos
            self._need(pos + n + 2)
            return (t.decode(), self.buf[pos:pos + n]), pos + n + 2
        if t in (b"*", b"~", b">", b"%", b"|"):
            n = int(rest)
            if n < 0:
                return ("*", None), pos
            if t in (b"%", b"|"):
                n *= 2
            items = []
            for _ in range(n):
                v, pos = self._parse(pos)
                items.append(v)
            return (t.decode(), items), pos
        raise ValueError("bad RESP type %r in %r" % (t, self.buf[pos - len(line) - 2:pos + 50]))

    def read(self):
        v, end = self._parse(0)
        raw, self.buf = self.buf[:end], self.buf[end:]
        return v, raw


class TypedConn:
    """A raw RESP client whose replies are (type char, payload) tuples with the raw bytes."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.reader = _TypedReader(self.sock)

    def call(self, *args):
        self.sock.sendall(_encode_list(args))
        return self.reader.read()

    def pipeline(self, cmds):
        self.sock.sendall(b"".join(_encode_list(c) for c in cmds))
        return [self.reader.read() for _ in cmds]

    def read(self):
        return self.reader.read()

    def close(self):
        self.sock.close()


def canon(v, sort=False):
    """A comparable form of a parsed reply; with sort, aggregates are compared as multisets
    (maps and flat field/value lists as multisets of pairs)."""
    t, x = v
    if isinstance(x, list):
        items = [canon(i, sort) for i in x]
        if sort:
            if t == "%":
                pairs = sorted(zip(items[0::2], items[1::2]), key=repr)
                items = [i for p in pairs for i in p]
            else:
                items = sorted(items, key=repr)
        return (t, items)
    return (t, x)


class TypedPair:
    """A sc-broker and a redis-server side by side (started by respdiff, which kills them at
    exit), with one RESP2 connection to each.  Checks are reported through """

    def __init__(self):
        self.ours = Server.start("broker")
        self.redis = Server.start("redis")
        self.a = TypedConn(self.ours.port)
        self.b = TypedConn(self.redis.port)

    def reconnect(self):
        for c in (self.a, self.b):
            c.close()
        self.a, self.b = TypedConn(self.ours.port), TypedConn(self.redis.port)

    def crashed(self):
        """Reports a dead server with its log tail and ends the run."""
        for srv in (self.ours, self.redis):
            time.sleep(0.05)
            if not srv.alive():
                fail("%s process died (exit %s)" % (srv.kind, srv.proc.returncode),
                              "log tail:\n" + srv.log_tail(30))
                finish()

    def both(self, *args):
        return self.a.call(*args), self.b.call(*args)

    @staticmethod
    def _desc(args):
        text = " ".join(map(str, args))[:120]
        return text.encode("unicode_escape").decode("ascii")  # keep the log plain text

    def same(self, *args):
        """Identical raw bytes."""
        (va, ra), (vb, rb) = self.both(*args)
        check(ra == rb, self._desc(args) + "  -> " + show(ra, 50),
                       "sc-broker: %s\nredis:     %s" % (show(ra), show(rb)))
        return va

    def same_sorted(self, *args):
        """Same reply up to the order of aggregate elements."""
        (va, ra), (vb, rb) = self.both(*args)
        check(canon(va, True) == canon(vb, True), self._desc(args) + " [unordered]",
                       "sc-broker: %s\nredis:     %s" % (show(ra), show(rb)))
        return va

    def quiet(self, *args):
        """Setup commands: only the reply types must agree, and only a mismatch is printed."""
        (va, ra), (vb, rb) = self.both(*args)
        if va[0] != vb[0]:
            fail(self._desc(args) + " [type]",
                          "sc-broker: %s\nredis:     %s" % (show(ra), show(rb)))
        return va

    def expect(self, cond, what):
        check(cond, what)

    def notify(self, flags):
        """CONFIG SET notify-keyspace-events `flags` on both servers ("": off)."""
        for c in (self.a, self.b):
            c.call("CONFIG", "SET", "notify-keyspace-events", flags)

    def event_subscribers(self, flags):
        """notify(flags), then a new connection to each server (sc-broker's first) for the test
        to subscribe to the events with."""
        self.notify(flags)
        return [TypedConn(self.ours.port), TypedConn(self.redis.port)]

    def expect_same_events(self, subs, take, what, timeout=2):
        """Reads what each of event_subscribers()'s connections receives: take(message) gives
        (an event or None, whether it was the last); at most 100 events a connection.  Checks
        that both servers sent the same events, and closes the connections."""
        events = []
        for s in subs:
            got, last = [], False
            s.sock.settimeout(timeout)
            while not last and len(got) <= 100:
                (_, x), _ = s.read()
                ev, last = take(x)
                if ev is not None:
                    got.append(ev)
            events.append(got)
            s.close()
        self.expect(events[0] == events[1], "%s equal:\n  sc-broker %r\n  redis     %r"
                    % (what, events[0], events[1]))

    def finish(self):
        for c in (self.a, self.b):
            c.close()
        self.ours.stop()
        self.redis.stop()
        finish()


def run_sections(p, sections):
    """Runs each test function; an exception (desync, crash) fails that section only."""
    for name, fn in sections:
        print("# ---- %s" % name, flush=True)
        try:
            fn(p)
        except Exception as e:
            import traceback
            traceback.print_exc()
            p.crashed()
            fail("section %s raised %r" % (name, e))
            p.reconnect()


def scan_all(conn, cmd, key, *opts):
    """Runs a full xSCAN iteration; returns (elements, calls)."""
    cursor = b"0"
    out = []
    calls = 0
    while True:
        (t, x), _ = conn.call(cmd, key, cursor, *opts)
        assert t == "*", x
        cursor = x[0][1]
        out.extend(i[1] for i in x[1][1])
        calls += 1
        if cursor == b"0":
            return out, calls


def flat_pairs(items):
    return list(zip(items[0::2], items[1::2]))


if __name__ == "__main__":
    # Self-test: python3 tests/support/respdiff.py (uses SC_BROKER_CMD=redis-server if unset).
    if not os.environ.get("SC_BROKER_CMD") and not os.path.exists(broker_cmd()[0]):
        os.environ["SC_BROKER_CMD"] = REDIS_SERVER
    p = Pair()
    run_script(p, """
        PING
        SET k "hello world"
        GET k
        @sorted MSET a 1 b 2
        @sorted KEYS *
        @shape RANDOMKEY
        @type TIME
        @raw b"*1\\r\\n$4\\r\\nPING\\r\\n"
    """)
    p.both(lambda c: c("ECHO", "x"), "ECHO via both")
    finish()
