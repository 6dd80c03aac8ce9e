"""TAP-style reporting for the Python tests of every tier (broker_*, balancer_*, worker_*).

    import tap
    tap.ok("what was checked")                 # ok N - what was checked
    tap.check(cond, "what", detail="why not")  # ok or not ok, returns bool(cond)
    tap.fail("what", detail)                   # not ok N - what (detail as "    # " lines)
    tap.fail("what", stop=True)                # ... and end the test now (exit 1)
    with tap.optional("reason"): ...           # failures inside are "# TODO reason", not fatal
    port = tap.free_port()
    data = tap.read_until(sock, b"needle")     # until EOF, an error, a timeout or the needle
    head, rest = tap.read_head(sock)           # an HTTP head up to its blank line
    kib = tap.rss_kib(pid)
    tap.finish()                               # summary line, exit 0 if nothing failed, else 1

Contract: checks are numbered in the order they run; a test that never calls finish() still
exits 1 at exit if a check failed (and the summary is printed then).  TAP_FAILFAST=1 (or the
older RESPDIFF_FAILFAST=1) raises Mismatch at the first failure, for a traceback.  Only the
standard library; no state but this module's counters.
"""
import atexit
import os
import random
import socket
import sys

FAILFAST = os.environ.get("TAP_FAILFAST") == "1" or os.environ.get("RESPDIFF_FAILFAST") == "1"


class Mismatch(AssertionError):
    pass


_count = 0
_failures = []  # (desc, detail)
_todos = []     # (desc with "# TODO reason", detail)
_optional = []  # stack of reasons; while non-empty, failures are TODO (reported, not fatal)
_finished = False
_before_finish = []  # callables run by finish() first (they may add checks)


def count():
    return _count


def failures():
    return list(_failures)


def ok(desc):
    global _count
    _count += 1
    print("ok %d - %s" % (_count, desc), flush=True)


class optional:
    """with tap.optional("LCS is optional"): ... -- failures inside are reported as
    "not ok N - desc # TODO reason" and listed by finish(), but do not fail the run."""

    def __init__(self, reason="optional"):
        self.reason = reason

    def __enter__(self):
        _optional.append(self.reason)
        return self

    def __exit__(self, *exc):
        _optional.pop()
        return False


def fail(desc, detail="", stop=False):
    global _count
    _count += 1
    todo = " # TODO " + _optional[-1] if _optional else ""
    print("not ok %d - %s%s" % (_count, desc, todo), flush=True)
    if detail:
        for line in str(detail).rstrip("\n").split("\n"):
            print("    # " + line, flush=True)
    if _optional:
        _todos.append((desc + todo, detail))
        return False
    _failures.append((desc, detail))
    if stop:
        finish()
    if FAILFAST:
        raise Mismatch("%s\n%s" % (desc, detail))
    return False


def check(cond, desc, detail="", stop=False):
    if cond:
        ok(desc)
    else:
        fail(desc, detail, stop)
    return bool(cond)


def free_port():
    """A TCP port that was free a moment ago, picked below the kernel's ephemeral range when there
    is room: outgoing connections never take those, and the TIME_WAIT entries they leave by the
    ten thousand on a busy machine would otherwise make a listener's bind fail with EADDRINUSE.
    The one port picker of the tests (tests/lib.sh and worker_lib.sh call it)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 0
    if low >= 12000:
        for _ in range(100):
            port = random.randrange(10000, low)
            s = socket.socket()
            try:
                s.bind(("0.0.0.0", port))
            except OSError:
                continue
            finally:
                s.close()
            return port
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def read_until(s, stop=None):
    """What the peer of socket s sends until it closes, the connection fails (reset, the socket's
    timeout), or `stop` (bytes) appears in it.  Never raises."""
    data = b""
    try:
        while not (stop and stop in data):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    return data


def read_head(s, buf=b""):
    """Reads from s (after `buf`, already read) through the blank line that ends an HTTP head;
    returns (head, the bytes after it).  Raises ConnectionError at EOF before the blank line."""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("EOF before the end of the HTTP head")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    return head, rest


def rss_kib(pid):
    """The resident set size of process pid in KiB (VmRSS in /proc/PID/status); 0 when absent."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def before_finish(fn):
    """Registers fn() to run at the start of finish() (a sanitizer-log scan, for one)."""
    _before_finish.append(fn)


def _summary():
    passed = _count - len(_failures) - len(_todos)
    for title, items in (("optional mismatches (not fatal)", _todos), ("mismatches", _failures)):
        if not items:
            continue
        print("\n%d %s:" % (len(items), title))
        for desc, detail in items:
            print("  - " + desc)
            for line in str(detail).rstrip("\n").split("\n")[:12]:
                if line:
                    print("      " + line)
    print("%d checks: %d passed, %d failed, %d optional failed"
          % (_count, passed, len(_failures), len(_todos)), flush=True)


def finish():
    """Prints the summary and exits: 0 when every check passed, 1 otherwise."""
    global _finished
    if not _finished:
        _finished = True
        while _before_finish:
            _before_finish.pop(0)()
        _summary()
    sys.exit(1 if _failures else 0)


def _at_exit():
    # A test that ends without finish() (an exception, or a plain end of script) still reports.
    if _finished or _count == 0:
        return
    _summary()
    if _failures:
        os._exit(1)


atexit.register(_at_exit)
