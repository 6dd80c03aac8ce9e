#!/usr/bin/env python3
"""Commands a transaction refuses, sc-broker vs redis-server 7.0, raw reply bytes.

- The no_multi flag of every command both servers have is the same in COMMAND INFO (Redis
  7.0.15 marks SHUTDOWN, SAVE, SYNC and PSYNC; sc-broker has only SHUTDOWN of these).
- SHUTDOWN inside MULTI is refused with "Command not allowed inside a transaction", dooms the
  transaction (EXECABORT) and the server keeps running; before, it was queued and EXEC stopped
  the server.
- A refused EXEC ends the transaction with "EXECABORT Transaction discarded because of: ...".
- With maxmemory reached: EXEC of a transaction holding a denyoom command (SET) fails with
  EXECABORT ... OOM, EXEC of reads only runs, and queueing anything but EXEC/DISCARD/RESET is
  refused with OOM (Redis's multi.tcl "EXEC with at least one use-memory command should fail").
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import respdiff as rd  # noqa: E402


def flags_of(info):
    """COMMAND INFO's flags (element 2) of one command entry, as a set of str."""
    if not isinstance(info, list) or len(info) < 3:
        return None
    return {bytes(f).decode() if isinstance(f, bytes) else str(f) for f in info[2]}


def audit_no_multi(p):
    names = [n.decode() for n in p.a("COMMAND", "LIST")]
    both = 0
    for name in sorted(names):
        ia = p.a("COMMAND", "INFO", name)[0]
        ib = p.b("COMMAND", "INFO", name)[0]
        if ib is None:
            continue  # a broker-only command (JSON.*, ...)
        both += 1
        fa, fb = flags_of(ia), flags_of(ib)
        rd.check(("no_multi" in fa) == ("no_multi" in fb), "COMMAND INFO %s: no_multi as in "
                 "Redis" % name, "broker %s\nredis  %s" % (sorted(fa), sorted(fb)))
    rd.check(both > 100, "audited the no_multi flag of %d commands both servers have" % both)


def main():
    p = rd.Pair()
    audit_no_multi(p)

    rd.run_script(p, """
        DEL foo
        MULTI
        SET foo bar
        SHUTDOWN
        EXEC
        GET foo
        MULTI
        SHUTDOWN NOSAVE
        SET foo bar
        EXEC
        MULTI
        SHUTDOWN bogus
        EXEC
        GET foo
        # a refused EXEC aborts with its reason
        MULTI
        SET foo bar
        EXEC extra
        EXEC
        GET foo
        # still usable afterwards
        MULTI
        SET foo baz
        EXEC
        GET foo
    """)
    rd.check(p.broker.alive(), "sc-broker still runs after SHUTDOWN inside MULTI")

    # ---- maxmemory and transactions (the other connection changes maxmemory) ----
    o = p.connect()
    rd.run_script(p, """
        SET x value
        MULTI
        SET x 1
        GET x
    """)
    o.cmd("CONFIG", "SET", "maxmemory", "1")
    rd.run_script(p, """
        EXEC
        GET x
    """)
    o.cmd("CONFIG", "SET", "maxmemory", "0")

    rd.run_script(p, """
        MULTI
        GET x
        PING
    """)
    o.cmd("CONFIG", "SET", "maxmemory", "1")
    rd.run_script(p, "EXEC")
    # Queueing at the limit: every command but EXEC/DISCARD/RESET is refused.
    rd.run_script(p, """
        MULTI
        GET x
        PING
        EXEC
        MULTI
        DISCARD
        MULTI
        SET x 2
        DISCARD
        GET x
        SET x 3
    """)
    o.cmd("CONFIG", "SET", "maxmemory", "0")
    rd.run_script(p, """
        MULTI
        SET x 4
        EXEC
        GET x
    """)
    p.stop()
    rd.finish()


if __name__ == "__main__":
    main()
