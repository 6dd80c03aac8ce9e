#!/usr/bin/env python3
"""Differential test of the wire protocol: sc-broker vs redis-server, raw reply bytes.

Pipelining, split writes, inline commands (quotes, escapes, unbalanced quotes), RESP3 via
HELLO (structure of the HELLO map, RESP3 reply types), HELLO AUTH/SETNAME, protocol errors with
the connection closed afterwards, unauthenticated limits with requirepass, unknown commands,
QUIT.
"""
import hashlib
import os
import random
import re
import socket as _socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import respdiff  # noqa: E402
from respdiff import Map, Pair, check, encode, run_script, shape  # noqa: E402


def pipelining(p):
    cmds = []
    for i in range(1000):
        if i % 4 == 0:
            cmds.append(encode("SET", "pk%d" % i, "v" * (i % 50)))
        elif i % 4 == 1:
            cmds.append(encode("GET", "pk%d" % (i - 1)))
        elif i % 4 == 2:
            cmds.append(encode("INCR", "pcounter"))
        else:
            cmds.append(encode("GET", "nosuch"))
    p.raw(b"".join(cmds), desc="1000 pipelined commands in one write", replies=1000)
    p.raw(b"".join(encode("PING") for _ in range(1000)) + encode("GET", "pcounter"),
          desc="1000 PING + GET in one write", replies=1001)
    # mixed inline and multibulk in one write
    p.raw(b"PING\r\n" + encode("ECHO", "x") + b"ECHO y\r\n" + encode("GET", "pcounter"),
          desc="inline and multibulk mixed in one write", replies=4)

    # one command split at every byte offset (two writes each)
    msg = encode("SET", "split", "hello world") + encode("GET", "split")
    for cut in range(1, len(msg)):
        for c in (p.a, p.b):
            c.send_raw(msg[:cut])
        time.sleep(0.002)
        for c in (p.a, p.b):
            c.send_raw(msg[cut:])
        ra = p.a.read().raw + p.a.read().raw
        rb = p.b.read().raw + p.b.read().raw
        if ra != rb:
            check(False, "SET+GET split at byte %d" % cut, "sc-broker: %r\nredis: %r" % (ra, rb))
            break
    else:
        check(True, "SET+GET split at every one of %d byte offsets" % (len(msg) - 1))
    # byte by byte
    msg = encode("SET", "bytewise", "v" * 20) + b"GET bytewise\r\n"
    for c in (p.a, p.b):
        for i in range(len(msg)):
            c.send_raw(msg[i:i + 1])
    p.both(lambda c: (c.read().raw, c.read().raw), "SET+inline GET sent one byte per write")
    # big multibulk values across many reads
    big = b"z" * (2 * 1024 * 1024 + 17)
    p.cmd("SET", "bigv", big, desc="SET bigv <2 MB>")
    p.cmd("GET", "bigv", desc="GET bigv <2 MB>")
    p.raw(encode("SET", "bigv2", big) * 3 + encode("STRLEN", "bigv2"),
          desc="3 pipelined 2 MB SETs + STRLEN", replies=4)


def big_output(p):
    """400 GETs of a 50 KB value in one write (20 MB of replies), read only afterwards."""
    val = bytes(range(256)) * 200
    p.cmd("SET", "bo", val, desc="SET bo <51 KB>")
    req = encode("GET", "bo") * 400 + encode("STRLEN", "bo")
    digests = []
    for c in (p.a, p.b):
        c.send_raw(req)
    time.sleep(0.5)  # let the server fill its output buffer while nobody reads
    for c in (p.a, p.b):
        h = hashlib.sha1()
        for _ in range(401):
            h.update(c.read(timeout=20).raw)
        digests.append(h.hexdigest())
    check(digests[0] == digests[1], "400 pipelined GETs of 51 KB read late: identical 20 MB",
          repr(digests))


def mutation_fuzz(p, n, seed):
    """Valid command streams with 1-3 random byte mutations, each on its own connection pair,
    all sent at once; after a pause, each side's output bytes and closed state must agree."""
    rng = random.Random(seed)
    interesting = b"\r\n*$:+-_ 0123456789\"'\\x"
    cases = []
    for i in range(n):
        tag = "mf%d_%d" % (seed, i)
        base = rng.choice([
            encode("SET", tag, "hello") + encode("GET", tag) + encode("APPEND", tag, "xy"),
            encode("MSET", tag + "a", "1", tag + "b", "2") + encode("MGET", tag + "a", tag + "b"),
            ("SET %s \"a b\"\r\nGET %s\r\nINCR %s\r\n" % (tag, tag, tag)).encode(),
            encode("INCRBY", tag, "10") + ("ECHO 'q x'\r\n").encode() + encode("STRLEN", tag),
            encode("ECHO", "x" * 40) + encode("EXISTS", tag, tag) + encode("PING"),
        ])
        data = bytearray(base)
        for _ in range(rng.randint(1, 3)):
            op = rng.random()
            pos = rng.randrange(len(data))
            if op < 0.4:
                data[pos] = rng.choice(interesting)
            elif op < 0.6:
                data[pos] = rng.randrange(256)
            elif op < 0.8:
                data.insert(pos, rng.choice(interesting))
            else:
                del data[pos]
        if i % 3 == 0:  # a third of the cases speak RESP3 (HELLO 3 first, not mutated)
            data[0:0] = encode("HELLO", "3")
        cases.append(bytes(data))
    outs = {}
    for side, srv in (("a", p.broker), ("b", p.redis)):
        socks = []
        for data in cases:
            s = _socket.create_connection(("127.0.0.1", srv.port), timeout=5)
            s.sendall(data)
            socks.append(s)
        time.sleep(0.6)
        res = []
        for s in socks:
            s.setblocking(False)
            got, closed = b"", False
            while True:
                try:
                    chunk = s.recv(65536)
                except BlockingIOError:
                    break
                except OSError:
                    closed = True
                    break
                if not chunk:
                    closed = True
                    break
                got += chunk
            # a mutation can turn a line into an inline HELLO: mask its client id
            got = re.sub(rb"\$2\r\nid\r\n:\d+\r\n", b"$2\r\nid\r\n:N\r\n", got)
            res.append((got, closed))
            s.close()
        outs[side] = res
    bad = [(i, cases[i], outs["a"][i], outs["b"][i]) for i in range(n)
           if outs["a"][i] != outs["b"][i]]
    check(not bad, "mutation fuzz: %d mutated command streams (seed %d), %d differ"
          % (n, seed, len(bad)),
          "\n".join("case %d input %r\n  sc-broker: %r\n  redis:     %r" % b for b in bad[:10]))


def inline(p):
    c = p.connect()
    run = c.raw
    run(b"PING\r\n", desc="inline PING")
    run(b"PING\n", desc="inline PING with LF only")
    run(b"ping hello\r\n", desc="inline ping hello")
    run(b"SET il \"a b\"\r\n", desc="inline double quotes")
    c.cmd("GET", "il")
    run(b"SET il 'a b'\r\n", desc="inline single quotes")
    c.cmd("GET", "il")
    run(b"SET il \"\\x41\\x42\\n\\r\\t\\b\\a\\\\\\\"\\q\"\r\n", desc="inline escapes \\x41 \\n..")
    c.cmd("GET", "il")
    run(b"SET il 'it\\'s \\n'\r\n", desc="inline single quote escape")
    c.cmd("GET", "il")
    run(b"SET il \"\"\r\n", desc="inline empty quoted arg")
    c.cmd("GET", "il")
    run(b"SET   il    spaced   \r\n", desc="inline extra spaces")
    c.cmd("GET", "il")
    run(b"SET\til\ttabs\r\n", desc="inline tabs")
    c.cmd("GET", "il")
    run(b"\r\n\r\n\nPING\r\n", desc="inline empty lines are skipped")
    run(b"   \r\nPING\r\n", desc="inline blank line is skipped")
    run(b"ECHO \"\\xZZ\"\r\n", desc="inline invalid hex escape")
    run(b"ECHO \"\\x4\"\r\n", desc="inline short hex escape")
    c.close()
    for data, desc in [(b"SET k \"abc\r\n", "unbalanced double quotes"),
                       (b"SET k 'abc\r\n", "unbalanced single quotes"),
                       (b"ECHO \"a\"b\r\n", "closing double quote followed by char"),
                       (b"ECHO \"a\\\"\r\n", "escaped quote leaves quotes unbalanced"),
                       (b"ECHO a\"b\r\n", "quote inside a word"),
                       (b"ECHO 'a'b\r\n", "closing single quote followed by char")]:
        c = p.connect()
        c.raw(data, desc="inline " + desc + " -> error + close", expect_close=True)
        c.close()
    # unknown commands, inline and multibulk
    c = p.connect()
    c.raw(b"FOO\r\n", desc="inline unknown command")
    c.raw(b"FOO a b\r\n", desc="inline unknown command with args")
    c.cmd("FOO")
    c.cmd("foo", "a", "b c", "")
    c.cmd("NOSUCH", *["arg%d" % i for i in range(40)])
    c.cmd("NOSUCH", "x" * 300, "y" * 200)
    c.cmd("NOSUCH", "'quoted'", "new\nline")
    c.cmd("x" * 200, "a")
    c.cmd("", "a")
    c.cmd("")
    c.cmd("CONFIG", "FOO")
    c.cmd("CLIENT", "NOSUCHSUB", "x")
    c.cmd("get")
    c.cmd("GeT", "k", "extra")
    c.close()
    # too big inline request (no newline within 64 KB)
    c = p.connect()
    c.raw(b"A" * (70 * 1024), desc="inline request > 64 KB without newline -> error + close",
          expect_close=True)
    c.close()
    c = p.connect()
    c.raw(b"ECHO " + b"A" * (60 * 1024) + b"\r\n", desc="inline request of 60 KB is fine")
    c.close()


def protocol_errors(p):
    cases = [
        (b"*abc\r\n", "multibulk length not a number"),
        (b"*1\r\n$-5\r\n", "negative bulk length"),
        (b"*1\r\n$abc\r\n", "bulk length not a number"),
        (b"*1\r\n+foo\r\n", "expected '$', got '+'"),
        (b"*2\r\n$4\r\nECHO\r\n:1\r\n", "expected '$', got ':'"),
        (b"*1\r\n*1\r\n", "expected '$', got '*'"),
        (b"*1\r\n$2147483648\r\n", "huge bulk header $2147483648"),
        (b"*1\r\n$536870913\r\n", "bulk header over proto-max-bulk-len"),
        (b"*1\r\n$629145600\r\n", "600 MB bulk header"),
        (b"*1\r\n$99999999999999999999\r\n", "bulk length overflow"),
        (b"*2147483648\r\n", "multibulk count over INT_MAX"),
        (b"*99999999999999999999\r\n", "multibulk count overflow"),
        (b"*1\r\n$1 \r\n", "bulk length with a trailing space"),
        (b"* 1\r\n", "multibulk length with a leading space"),
        (b"*1\r\n$\r\n", "empty bulk length"),
        (b"*\r\n", "empty multibulk length"),
        (b"*1x\r\n", "multibulk length with trailing garbage"),
        (b"*1\r\n$+1\r\n", "bulk length with plus sign"),
        (b"*3\r\n$3\r\nSET\r\n$1\r\na\r\nPING\r\n", "inline inside a multibulk"),
        (b"*1\r" + b"1" * (70 * 1024), "multibulk header without newline > 64 KB"),
        (b"*1\r\n$" + b"1" * (70 * 1024), "bulk header without newline > 64 KB"),
    ]
    for data, desc in cases:
        c = p.connect()
        c.raw(data, desc="protocol error: %s -> error + close" % desc, expect_close=True)
        c.close()
    # errors after good commands in the same write: replies before the error are delivered
    c = p.connect()
    c.raw(encode("SET", "pe", "1") + encode("INCR", "pe") + b"*1\r\n$x\r\n" + encode("PING"),
          desc="two commands then a protocol error in one write", replies=3, expect_close=True)
    c.close()
    # things that are not errors
    c = p.connect()
    c.raw(b"*0\r\nPING\r\n", desc="*0 is ignored")
    c.raw(b"*-1\r\nPING\r\n", desc="*-1 is ignored")
    c.raw(b"*-5\r\nPING\r\n", desc="*-5 is ignored")
    c.raw(b"*1\r\n$4\r\nPINGxx", desc="bulk followed by 2 bytes other than CRLF")
    c.raw(b"*1\r\n$0\r\n\r\n", desc="empty command name")
    c.raw(b"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", desc="ECHO of an empty bulk")
    c.raw(b"*2\r\n$4\r\nECHO\r\n$4\r\na\r\nb\r\n", desc="bulk containing CRLF")
    c.raw(b"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n", desc="two multibulks", replies=2)
    c.close()
    # incomplete commands: no reply, connection stays open
    for data, desc in [(b"*1048577\r\n", "multibulk count 1048577 (waits for args)"),
                       (b"*1\r\n$536870912\r\n", "bulk of exactly 512 MB announced"),
                       (b"*3\r\n$3\r\nSET\r\n", "half a SET")]:
        c = p.connect()
        c.raw(data, replies=0, desc="no reply yet: " + desc)
        closed = (c.a.is_closed(0.5), c.b.is_closed(0.5))
        pend = (c.a.pending(), c.b.pending())
        check(closed[0] == closed[1] and pend[0] == pend[1],
              "%s: both keep the connection open and silent" % desc,
              "closed=%r pending=%r" % (closed, pend))
        c.close()


def nul_quirk(p):
    """Redis finds line ends with strchr(), which stops at a NUL byte: an inline line or a
    multibulk/bulk header with a NUL before its CR/LF looks incomplete to Redis, which then waits
    for more input (and errors only when 64 KB have piled up). Reported as optional."""
    with respdiff.optional("Redis quirk: NUL byte hides the line end"):
        for data, desc in [(b"PI\x00NG\r\n", "inline line with a NUL byte"),
                           (b"*1\x00\r\n$4\r\nPING\r\n", "multibulk count with a NUL byte"),
                           (b"*1\r\n$4\x00\r\nPING\r\n", "bulk length with a NUL byte")]:
            c = p.connect()
            c.raw(data, replies=0, desc="no reply yet: " + desc)
            closed = (c.a.is_closed(0.5), c.b.is_closed(0.5))
            pend = (c.a.pending(), c.b.pending())
            check(closed[0] == closed[1] and pend[0] == pend[1],
                  "%s: same output and state as Redis" % desc,
                  "sc-broker: %r closed=%s\nredis:     %r closed=%s"
                  % (pend[0], closed[0], pend[1], closed[1]))
            c.close()


def resp3(p):
    c = p.connect()
    ra, rb = c.each(lambda x: x.call("HELLO", "3"))
    fields_a = [k for k, _ in ra.value] if isinstance(ra.value, Map) else None
    fields_b = [k for k, _ in rb.value] if isinstance(rb.value, Map) else None
    check(fields_a == fields_b, "HELLO 3: same map field names in the same order",
          "sc-broker: %r\nredis: %r" % (ra.value, rb.value))
    check(shape(ra.value) == shape(rb.value), "HELLO 3: same field types",
          "sc-broker: %r\nredis: %r" % (shape(ra.value), shape(rb.value)))
    if isinstance(ra.value, Map) and isinstance(rb.value, Map):
        for f in ("proto", "mode", "role", "modules"):
            check(ra.value.get(f) == rb.value.get(f), "HELLO 3: field %s equal" % f,
                  "sc-broker: %r\nredis: %r" % (ra.value.get(f), rb.value.get(f)))
        ida = ra.value.get("id")
        check(isinstance(ida, int) and ida > 0, "HELLO 3: id is a positive integer", repr(ida))
    run_script(c, """
        SET r3 v
        GET r3
        GET r3nope
        MGET r3 r3nope
        HSET r3h a 1 b 2
        HGETALL r3h
        HGETALL r3hnope
        HMGET r3h a nope
        @sorted SMEMBERS r3nope
        SADD r3s x y
        @sorted SMEMBERS r3s
        SISMEMBER r3s x
        INCRBYFLOAT r3f 1.5
        INCR r3i
        CONFIG GET maxmemory
        CONFIG GET maxmemory-policy
        CONFIG GET nosuchparam
        EXISTS r3
        TYPE r3
        TTL r3
        KEYS nosuchpattern*
        @shape SCAN 0 MATCH nosuch*
        ECHO hi
        PING
        PING x
        NOSUCHCMD
        GET
        SET r3
        SET r3 v NX GET
        DEL r3 r3nope
        @type CLIENT ID
        CLIENT GETNAME
        CLIENT SETNAME n3
        CLIENT GETNAME
        @type TIME
        @shape HELLO 2
        GET r3nope
        HGETALL r3h
        @shape HELLO 3
        GET r3nope
    """)
    c.close()
    # HELLO options and errors
    c = p.connect()
    run_script(c, """
        HELLO 4
        HELLO 1
        HELLO 0
        HELLO -1
        HELLO abc
        HELLO 3.0
        HELLO 2 FOO
        HELLO 3 SETNAME
        HELLO 3 AUTH default
        HELLO 3 AUTH
        HELLO 2 SETNAME "bad name"
        HELLO 2 SETNAME "new\\nline"
        CLIENT GETNAME
    """)
    c.each(lambda x: x.call("HELLO", "2", "SETNAME", "myname"))
    c.cmd("CLIENT", "GETNAME")
    ra, rb = c.each(lambda x: x.call("HELLO", "3", "AUTH", "default", "anything", "SETNAME",
                                     "n2"))
    check(ra.type == rb.type, "HELLO 3 AUTH default anything SETNAME n2 (nopass): same type",
          "%r\n%r" % (ra, rb))
    c.cmd("CLIENT", "GETNAME")
    c.cmd_type("HELLO")
    ra, rb = c.each(lambda x: x.call("HELLO"))
    check([k for k, _ in ra.value] == [k for k, _ in rb.value] and ra.value.get("proto") == 3
          and rb.value.get("proto") == 3, "HELLO without args keeps protocol 3",
          "%r\n%r" % (ra.value, rb.value))
    c.close()


def auth_limits():
    pw = "s3cret"
    p = Pair(args=["--requirepass", pw])
    for data, desc in [(b"*11\r\n", "unauthenticated multibulk count 11"),
                       (b"*2\r\n$4\r\nAUTH\r\n$16385\r\n", "unauthenticated bulk 16385"),
                       (b"*1\r\n$100000\r\n", "unauthenticated bulk 100000")]:
        c = p.connect()
        c.raw(data, desc="requirepass: %s -> error + close" % desc, expect_close=True)
        c.close()
    c = p.connect()
    c.raw(b"*10\r\n" + b"".join(b"$1\r\nx\r\n" for _ in range(10)),
          desc="requirepass: unknown command 'x' with 9 args unauthenticated, stays open")
    c.raw(b"*2\r\n$4\r\nECHO\r\n$16384\r\n" + b"a" * 16384 + b"\r\n",
          desc="requirepass: bulk of 16384 unauthenticated -> NOAUTH")
    run_script(c, """
        PING
        GET a
        HELLO 3
        HELLO 2 AUTH default wrong
        @shape HELLO 3 AUTH default %(pw)s SETNAME authed
        CLIENT GETNAME
        @type HELLO 3
        PING
        GET a
    """ % {"pw": pw})
    c.close()
    c = p.connect()
    c.cmd("AUTH", pw)
    c.raw(b"*11\r\n" + b"".join(b"$4\r\nECHO\r\n" if i == 0 else b"$1\r\nx\r\n"
                                for i in range(11)),
          desc="requirepass: 11 args authenticated are fine")
    c.raw(b"*2\r\n$4\r\nECHO\r\n$20000\r\n" + b"b" * 20000 + b"\r\n",
          desc="requirepass: bulk of 20000 authenticated is fine")
    c.close()
    c = p.connect()
    c.raw(b"QUIT\r\n", desc="requirepass: QUIT unauthenticated", expect_close=True)
    c.close()
    p.stop()


def quit_(p):
    c = p.connect()
    c.raw(encode("QUIT"), desc="QUIT -> +OK and close", expect_close=True)
    c.close()
    c = p.connect()
    c.raw(encode("SET", "q", "1") + encode("QUIT") + encode("SET", "q", "2"),
          desc="commands after QUIT in the same write are not run", replies=2,
          expect_close=True)
    c.close()
    p.cmd("GET", "q")
    c = p.connect()
    c.raw(encode("QUIT", "extra"), desc="QUIT with an argument")
    c.close()
    c = p.connect()
    c.raw(b"quit\r\n", desc="inline quit", expect_close=True)
    c.close()


def main():
    p = Pair()
    pipelining(p)
    big_output(p)
    env = os.environ.get("FUZZ_SEED", "1")
    seed = int(time.time()) % 100000 if env == "random" else int(env)
    print("# mutation fuzz seed %d (FUZZ_SEED=%d repeats it)" % (seed, seed))
    mutation_fuzz(p, 400, seed)
    inline(p)
    protocol_errors(p)
    nul_quirk(p)
    resp3(p)
    quit_(p)
    p.cmd("PING", desc="default connection still works after all the closes")
    p.stop()
    auth_limits()
    respdiff.finish()


if __name__ == "__main__":
    main()
