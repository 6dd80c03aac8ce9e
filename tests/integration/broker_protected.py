#!/usr/bin/env python3
"""Protected configs and the DEBUG command, sc-broker vs redis-server 7.0, raw reply bytes.

Before, any client (with no password by default) could CONFIG SET dir and then switch the AOF
on, writing its data into any directory the broker can write to, and DEBUG SLEEP froze the
server.  As in Redis 7:
- enable-protected-configs no (default): CONFIG SET dir is refused ("can't set protected
  config"), alone or with other settings, which then stay unchanged too;
- enable-debug-command no (default): DEBUG is refused with Redis's message, inside MULTI too
  (the transaction is then doomed);
- both options are immutable at run time and readable with CONFIG GET;
- yes: allowed; local: allowed from a loopback peer and refused from another address (checked
  through a non-loopback address of this machine when it has one).
"""
import os
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import respdiff as rd  # noqa: E402


def non_loopback_ipv4():
    """An IPv4 address of this machine other than 127/8, or None."""
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True,
                             timeout=5).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    for a in out.split():
        if "." in a and not a.startswith("127."):
            try:
                socket.inet_aton(a)
                return a
            except OSError:
                pass
    return None


def main():
    tmp = tempfile.mkdtemp(prefix="sc-protected-")

    # ---- defaults: both refused ----
    p = rd.Pair()
    before = p.a("CONFIG", "GET", "dir")
    rd.run_script(p, """
        CONFIG GET enable-protected-configs
        CONFIG GET enable-debug-command
        CONFIG SET enable-protected-configs yes
        CONFIG SET enable-debug-command yes
        CONFIG SET dir %(tmp)s
        CONFIG SET DIR %(tmp)s
        CONFIG SET maxmemory 12345 dir %(tmp)s
        CONFIG GET maxmemory
        DEBUG SLEEP 0
        DEBUG HELP
        DEBUG
        MULTI
        SET k v
        DEBUG SLEEP 0
        EXEC
        GET k
    """ % {"tmp": tmp})
    rd.check(p.a("CONFIG", "GET", "dir") == before, "dir unchanged after the refused CONFIG SET")
    p.stop()

    # ---- yes: allowed ----
    p = rd.Pair(args=("--enable-protected-configs", "yes", "--enable-debug-command", "yes"))
    rd.run_script(p, """
        CONFIG GET enable-protected-configs
        CONFIG GET enable-debug-command
        CONFIG SET dir %(tmp)s
        DEBUG SLEEP 0
    """ % {"tmp": tmp})
    rd.check(p.a("CONFIG", "GET", "dir")[1] == tmp.encode(), "enable-protected-configs yes: "
             "CONFIG SET dir applied")
    p.stop()

    # ---- local: loopback allowed, another address refused ----
    addr = non_loopback_ipv4()
    bind = ("--bind", "127.0.0.1") + ((addr,) if addr else ())
    p = rd.Pair(args=("--enable-protected-configs", "local", "--enable-debug-command", "local",
                      "--protected-mode", "no") + bind)
    rd.run_script(p, """
        CONFIG GET enable-debug-command
        DEBUG SLEEP 0
        CONFIG SET dir %(tmp)s
    """ % {"tmp": tmp})
    if addr:
        far = rd.ConnPair(rd.Conn(p.broker.port, host=addr), rd.Conn(p.redis.port, host=addr),
                          p)
        rd.run_script(far, """
            DEBUG SLEEP 0
            CONFIG SET dir /
            PING
        """)
        rd.check(p.a("CONFIG", "GET", "dir")[1] == tmp.encode(),
                 "local: a client from %s did not change dir" % addr)
        far.close()
    else:
        rd.ok("local from a non-loopback address # SKIP this machine has no other address")
    p.stop()
    os.rmdir(tmp)
    rd.finish()


if __name__ == "__main__":
    main()
