#!/usr/bin/env python3
"""Query buffers of sc-broker give their memory back, as Redis's do.

Before, a client that sent one 32 MB SET kept a 64 MB query buffer for as long as it stayed
connected, counted in used_memory and so against maxmemory.  Checked, watching the client
from a second connection (CLIENT LIST's qbuf / qbuf-free, INFO's used_memory):
- an idle client's buffer is cut within a few seconds (Redis: idle for over 2 s), and
  used_memory drops by most of it;
- an active client (a PING every 0.2 s) gets its buffer cut too, once it is more than twice
  what the client used in the last period;
- a client stalled in the middle of a 24 MB bulk argument keeps what that argument needs: the
  rest arrives later and the value is stored whole.
Every wait is bounded (8 s).
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import respdiff as rd  # noqa: E402

MB = 1024 * 1024
WAIT = 8.0


def client_fields(watch, cid):
    line = watch("CLIENT", "LIST", "ID", cid).decode().strip()
    return dict(kv.split("=", 1) for kv in line.split(" ") if "=" in kv)


def used_memory(watch):
    for line in watch("INFO", "memory").decode().splitlines():
        if line.startswith("used_memory:"):
            return int(line.split(":")[1])
    return -1


def qbuf_total(watch, cid):
    f = client_fields(watch, cid)
    return int(f["qbuf"]) + int(f["qbuf-free"])


def sanitized(pid):
    """True if the process runs with a sanitizer runtime (its allocator keeps freed memory)."""
    try:
        with open("/proc/%d/maps" % pid) as f:
            return any("libasan" in line or "libtsan" in line for line in f)
    except OSError:
        return False


def wait_until(cond, tick=None):
    deadline = time.time() + WAIT
    while time.time() < deadline:
        if tick:
            tick()
        if cond():
            return True
        time.sleep(0.2)
    return cond()


def main():
    b = rd.Server.start("broker")
    watch = b.conn()
    big = b"v" * (32 * MB)

    # ---- an idle client ----
    c = b.conn(timeout=30)
    cid = c("CLIENT", "ID")
    rd.check(c("SET", "big", big) == "OK", "SET of a 32 MB value")
    before_q, before_m = qbuf_total(watch, cid), used_memory(watch)
    rd.check(before_q >= 32 * MB, "right after the SET the query buffer holds %d bytes" % before_q)
    shrunk = wait_until(lambda: qbuf_total(watch, cid) < 64 * 1024)
    after_q, after_m = qbuf_total(watch, cid), used_memory(watch)
    rd.check(shrunk, "idle client: query buffer cut to %d bytes within %.0f s" % (after_q, WAIT),
             "still %d bytes (qbuf + qbuf-free)" % after_q)
    if sanitized(b.pid):
        rd.ok("used_memory fell # SKIP sanitizer build: used_memory is the RSS and ASan "
              "quarantines freed blocks")
    else:
        rd.check(before_m - after_m > 24 * MB, "used_memory fell by %d MB (from %d to %d)" %
                 ((before_m - after_m) // MB, before_m, after_m))
    rd.check(c("STRLEN", "big") == 32 * MB, "the client still works and the value is whole")
    c.close()

    # ---- an active client ----
    c = b.conn(timeout=30)
    cid = c("CLIENT", "ID")
    c("SET", "big2", big)
    rd.check(qbuf_total(watch, cid) >= 32 * MB, "active client: 32 MB query buffer after the SET")
    shrunk = wait_until(lambda: qbuf_total(watch, cid) < 1 * MB, tick=lambda: c("PING"))
    idle = int(client_fields(watch, cid)["idle"])
    rd.check(shrunk and idle < 2, "active client (idle=%d): query buffer cut to %d bytes" %
             (idle, qbuf_total(watch, cid)))
    c.close()

    # ---- a client stalled in the middle of a big argument ----
    c = b.conn(timeout=30)
    cid = c("CLIENT", "ID")
    val = bytes(range(256)) * (24 * MB // 256)
    req = rd.encode("SET", "big3", val)
    half = len(req) // 2
    c.send_raw(req[:half])
    time.sleep(3.5)  # idle for more than 2 s, so at least one resize check ran
    q = client_fields(watch, cid)
    rd.check(int(q["qbuf"]) + int(q["qbuf-free"]) >= len(req) - 64,
             "stalled mid-bulk: the buffer still has room for the whole argument (qbuf=%s "
             "qbuf-free=%s)" % (q["qbuf"], q["qbuf-free"]))
    c.send_raw(req[half:])
    rd.check(c.read().value == "OK", "the rest of the argument arrives: +OK")
    rd.check(c("GET", "big3") == val, "the 24 MB value is stored whole")
    c.close()

    rd.check(b.alive(), "sc-broker still runs")
    b.stop()
    rd.finish()


if __name__ == "__main__":
    main()
