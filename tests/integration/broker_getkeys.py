#!/usr/bin/env python3
"""COMMAND GETKEYS, GETKEYSANDFLAGS, INFO key specs and LIST: sc-broker vs redis-server 7.0.

- For every command and subcommand of the broker's COMMAND LIST that redis-server also has,
  COMMAND GETKEYS and COMMAND GETKEYSANDFLAGS of each sample argument list in SAMPLES give the
  same bytes; a broker command without a sample fails the test (add one when you add a
  command).  Then the same for each command name alone (arity and "no key arguments" errors).
- Edge cases of the key searches: numkeys arguments (LMPOP SINTERCARD BLMPOP: 0, negative,
  "2abc" that Redis's fallback reads as 2, too many, int overflow), SET with GET, BITFIELD read
  only or not, unknown commands and subcommands, letter case, and more than 256 keys (MSET DEL
  SINTERCARD LMPOP MGET SUNIONSTORE BITOP WATCH).
- COMMAND INFO of every command both servers have: the same first/last/step, key specs and
  movablekeys flag.  COMMAND INFO/DOCS of invalid subcommands, COMMAND LIST FILTERBY (PATTERN
  and ACLCAT against redis-server restricted to the broker's commands, syntax errors), COMMAND
  COUNT.
Before the key specs (key_specs.cpp) there was no GETKEYSANDFLAGS, LMPOP and SINTERCARD had no
keys, and every key was RW or RO.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import respdiff as rd  # noqa: E402

# One realistic argument list per line: "<command fullname> <argv as redis-cli takes it>".
SAMPLES = r"""
append            append k v
auth              auth secret
auth              auth user secret
bgrewriteaof      bgrewriteaof
bitcount          bitcount k 0 -1 bit
bitfield          bitfield k get u8 0
bitfield          bitfield k set u8 0 1
bitfield          bitfield k overflow sat incrby u8 0 1
bitfield          bitfield k get u8 0 overflow wrap get i4 8
bitfield_ro       bitfield_ro k get u8 0
bitop             bitop and dest a b c
bitpos            bitpos k 1 0 -1
blmove            blmove src dst left right 0
blmpop            blmpop 0.5 2 a b left count 2
blpop             blpop a b 0
brpop             brpop a b 1.5
brpoplpush        brpoplpush src dst 0
client            client
client|getname    client getname
client|getredir   client getredir
client|help       client help
client|id         client id
client|info       client info
client|kill       client kill id 7
client|list       client list type normal
client|no-evict   client no-evict on
client|reply      client reply on
client|setname    client setname worker-1
client|unblock    client unblock 7 error
command           command
command|count     command count
command|docs      command docs get
command|getkeys   command getkeys get k
command|getkeysandflags  command getkeysandflags set k v
command|help      command help
command|info      command info get
command|list      command list filterby pattern c*
config            config
config|get        config get maxmemory
config|help       config help
config|resetstat  config resetstat
config|set        config set maxmemory 0
copy              copy src dst db 1 replace
dbsize            dbsize
debug             debug sleep 0
decr              decr k
decrby            decrby k 2
del               del a b c
discard           discard
echo              echo hello
exec              exec
exists            exists a b
expire            expire k 10 nx
expireat          expireat k 1700000000
expiretime        expiretime k
flushall          flushall async
flushdb           flushdb
get               get k
getbit            getbit k 7
getdel            getdel k
getex             getex k ex 10
getrange          getrange k 0 -1
getset            getset k v
hdel              hdel h f1 f2
hello             hello 3
hexists           hexists h f
hget              hget h f
hgetall           hgetall h
hincrby           hincrby h f 1
hincrbyfloat      hincrbyfloat h f 1.5
hkeys             hkeys h
hlen              hlen h
hmget             hmget h f1 f2
hmset             hmset h f1 v1 f2 v2
hrandfield        hrandfield h 2 withvalues
hscan             hscan h 0 match f* count 10
hset              hset h f1 v1 f2 v2
hsetnx            hsetnx h f v
hstrlen           hstrlen h f
hvals             hvals h
incr              incr k
incrby            incrby k 5
incrbyfloat       incrbyfloat k 0.5
info              info server
keys              keys user:*
lastsave          lastsave
lcs               lcs a b len
lindex            lindex l 0
linsert           linsert l before pivot v
llen              llen l
lmove             lmove src dst left right
lmpop             lmpop 2 a b left count 3
lpop              lpop l 2
lpos              lpos l v rank 1
lpush             lpush l a b
lpushx            lpushx l a
lrange            lrange l 0 -1
lrem              lrem l 0 v
lset              lset l 0 v
ltrim             ltrim l 0 99
memory            memory
memory|doctor     memory doctor
memory|help       memory help
memory|malloc-stats  memory malloc-stats
memory|purge      memory purge
memory|stats      memory stats
memory|usage      memory usage k samples 5
mget              mget a b c
monitor           monitor
move              move k 1
mset              mset a 1 b 2 c 3
msetnx            msetnx a 1 b 2
multi             multi
object            object
object|encoding   object encoding k
object|freq       object freq k
object|help       object help
object|idletime   object idletime k
object|refcount   object refcount k
persist           persist k
pexpire           pexpire k 100 gt
pexpireat         pexpireat k 1700000000000
pexpiretime       pexpiretime k
ping              ping hello
psetex            psetex k 100 v
psubscribe        psubscribe news.*
pttl              pttl k
publish           publish news hello
pubsub            pubsub
pubsub|channels   pubsub channels news.*
pubsub|help       pubsub help
pubsub|numpat     pubsub numpat
pubsub|numsub     pubsub numsub news
pubsub|shardchannels  pubsub shardchannels
pubsub|shardnumsub    pubsub shardnumsub news
punsubscribe      punsubscribe news.*
quit              quit
randomkey         randomkey
rename            rename a b
renamenx          renamenx a b
reset             reset
rpop              rpop l
rpoplpush         rpoplpush src dst
rpush             rpush l a b
rpushx            rpushx l a
sadd              sadd s a b
scan              scan 0 match k* count 10 type string
scard             scard s
sdiff             sdiff a b c
sdiffstore        sdiffstore dest a b
select            select 1
set               set k v
set               set k v ex 10 get
set               set k v nx
setbit            setbit k 7 1
setex             setex k 10 v
setnx             setnx k v
setrange          setrange k 0 v
shutdown          shutdown nosave
sinter            sinter a b
sintercard        sintercard 2 a b limit 1
sinterstore       sinterstore dest a b
sismember         sismember s a
smembers          smembers s
smismember        smismember s a b
smove             smove src dst m
spop              spop s 2
srandmember       srandmember s -3
srem              srem s a b
sscan             sscan s 0 count 5
strlen            strlen k
subscribe         subscribe news
substr            substr k 0 3
sunion            sunion a b
sunionstore       sunionstore dest a b
swapdb            swapdb 0 1
time              time
touch             touch a b
ttl               ttl k
type              type k
unlink            unlink a b
unsubscribe       unsubscribe news
unwatch           unwatch
watch             watch a b
"""

# Argument lists at the edges of the key searches; both servers must agree on each.
EDGES = r"""
get
get a b
GET k
Get k
set k
set k v get
set k v GET
set k v xx get px 100
set k get v
set k v getx
mset a
mset a 1 b
msetnx a 1 b
lmpop 0 a left
lmpop -1 a left
lmpop 2abc a b left
lmpop " 2" a b left
lmpop +2 a b left
lmpop 01 a left
lmpop 5 a b left
lmpop 3 a b left
lmpop x a left
lmpop 4294967297 a left
lmpop 2147483648 a b left
lmpop 2147483647 a left
lmpop 4294967296 a left
lmpop -4294967295 a left
lmpop 99999999999999999999 a left
lmpop 1 a
sintercard 0 a
sintercard 3 a b
sintercard 2abc a b c
sintercard 1 a limit 5
sintercard -2 a b
blmpop 0 2 a b left
blmpop 0 0 a left
blmpop 0 3 a b left
blmpop 0 2x a b left
bitfield k
bitfield k get u8
bitfield k get u8 0 get u8 1
bitfield k overflow sat get u8 0
bitfield k incrby u8 0 1 get u8 0
bitfield k foo
bitfield k overflow
bitop and dest
bitop not dest a
copy a b
rename a
lcs a
memory usage k
memory Usage k
MEMORY USAGE k
memory usage
memory nosuch k
client nosuch
client list
config get maxmemory
nosuchcommand a
object help
object encoding
"""


def split(line):
    args = rd.split_args(line)
    assert args, "bad line %r" % line
    return args


def samples():
    out = {}
    for line in SAMPLES.strip().splitlines():
        name, rest = line.split(None, 1)
        out.setdefault(name, []).append(split(rest))
    return out


def names_of(conn):
    return sorted(n.decode() for n in conn("COMMAND", "LIST"))


def both_have(p, names):
    """The names of `names` that redis-server has too (COMMAND INFO not null)."""
    infos = p.b("COMMAND", "INFO", *names)
    return [n for n, i in zip(names, infos) if i is not None]


def getkeys(p, args, desc=None):
    p.cmd("COMMAND", "GETKEYS", *args, desc=desc)
    p.cmd("COMMAND", "GETKEYSANDFLAGS", *args, desc=desc and desc + " (with flags)")


# Commands whose GETKEYS or COMMAND INFO still differ from Redis on purpose: name -> reason
# (their checks are reported as TODO).
KNOWN = {}


def check_samples(p, common):
    table = samples()
    for name in common:
        argvs = table.get(name)
        if not rd.check(argvs, "SAMPLES has an argument list for %s" % name,
                        "add a line '%s <args>' to SAMPLES in %s" % (name, __file__)):
            continue
        for argv in argvs:
            getkeys(p, argv)
    stale = sorted(set(table) - set(common))
    rd.ok("samples of commands the broker lacks are ignored: %s" % " ".join(stale))


def check_names_alone(p, common):
    for name in common:
        argv = name.split("|")
        if name in KNOWN:
            with rd.optional(KNOWN[name]):
                getkeys(p, argv)
            continue
        getkeys(p, argv)


def check_many_keys(p):
    n = 300
    keys = ["key:%d" % i for i in range(n)]
    pairs = [x for k in keys for x in (k, "v")]
    for args in (["MSET"] + pairs, ["DEL"] + keys, ["SINTERCARD", str(n)] + keys,
                 ["SINTERCARD", str(n)] + keys + ["LIMIT", "5"],
                 ["LMPOP", str(n)] + keys + ["LEFT"],
                 ["LMPOP", str(n)] + keys + ["RIGHT", "COUNT", "2"],
                 ["MGET"] + keys, ["SUNIONSTORE", "dest"] + keys, ["BITOP", "OR", "dest"] + keys,
                 ["WATCH"] + keys, ["MSETNX"] + pairs):
        getkeys(p, args, desc="COMMAND GETKEYS %s with %d keys" % (args[0], n))
    ra, _ = p.cmd("COMMAND", "GETKEYS", "LMPOP", str(n), *keys, "LEFT")
    rd.check(ra.value == [k.encode() for k in keys], "LMPOP: the %d keys in order" % n)


def info_fields(conn, name):
    """first, last, step, key specs (raw) and movablekeys of COMMAND INFO `name`."""
    raw = conn.call("COMMAND", "INFO", name).raw
    entry = rd.elements(raw)[0]
    el = rd.elements(entry)
    flags = rd.parse(el[2])[0]
    return (el[3], el[4], el[5], el[8], "movablekeys" in [str(f) for f in flags])


def check_info(p, common):
    for name in common:
        desc = "COMMAND INFO %s: first/last/step, key specs and movablekeys as in Redis" % name
        if name in KNOWN:
            with rd.optional(KNOWN[name]):
                p.both(lambda c: info_fields(c, name), desc)
            continue
        p.both(lambda c: info_fields(c, name), desc)


def check_list_and_info(p, names, common):
    rd.run_script(p, r"""
        COMMAND INFO get|key
        COMMAND INFO config|get|key
        COMMAND INFO get|key config|get|key get
        COMMAND INFO config|nosuch
        COMMAND DOCS get|key
        COMMAND DOCS config|get|key
        COMMAND LIST bad_arg
        COMMAND LIST filterby bad_arg
        COMMAND LIST filterby bad_arg bad_arg2
        COMMAND LIST filterby aclcat non_existing_category
        COMMAND LIST filterby module non_existing_module
        COMMAND LIST filterby pattern non_exists*
        COMMAND LIST filterby pattern set
        COMMAND LIST filterby pattern GET
        COMMAND GETKEYSANDFLAGS
        COMMAND GETKEYSANDFLAGS get
        COMMAND GETKEYS get
        @sorted COMMAND LIST filterby pattern memory*
    """)
    # Each side's list, cut to the commands both have.
    have = set(common)
    for pattern in ("config*", "l*", "*pop", "s?nter*", "[bh]*", "*|*", "*", "CL*HELP"):
        a, b = (sorted(n.decode() for n in c("COMMAND", "LIST", "FILTERBY", "PATTERN", pattern)
                       if n.decode() in have) for c in (p.a, p.b))
        rd.check(a == b, "COMMAND LIST FILTERBY PATTERN %s: Redis's list of the broker's "
                 "commands" % pattern, "broker %s\nredis  %s" % (a, b))
    # ACL categories: derived from flags and families (command_cmd.cpp), checked here.
    same = have - set(KNOWN)
    for cat in ("string", "list", "hash", "set", "bitmap", "keyspace", "read", "write", "fast",
                "slow", "admin", "dangerous", "pubsub", "connection", "transaction", "blocking"):
        a, b = (sorted(n.decode() for n in c("COMMAND", "LIST", "FILTERBY", "ACLCAT", cat)
                       if n.decode() in same) for c in (p.a, p.b))
        rd.check(a == b, "COMMAND LIST FILTERBY ACLCAT %s: Redis's list of the broker's "
                 "commands" % cat, "only broker %s\nonly redis  %s"
                 % (sorted(set(a) - set(b)), sorted(set(b) - set(a))))
    top = [n for n in names if "|" not in n]
    count = p.a("COMMAND", "COUNT")
    rd.check(count == len(top) == len(p.a("COMMAND")),
             "COMMAND COUNT (%d) = top-level commands of COMMAND LIST = entries of COMMAND"
             % count)


def check_broker_only(p):
    """Commands Redis does not have: a module command's flags, from their {first, last, step}."""
    full = ["RW", "access", "update", "insert", "delete"]
    r = p.a("COMMAND", "GETKEYSANDFLAGS", "JSON.GET", "doc", "$")
    rd.check(r[0][0] == b"doc" and [str(f) for f in r[0][1]] == full, "JSON.GET: key doc with the flags of a module command "
             "declared by its key range", repr(r))
    r = p.a("COMMAND", "GETKEYS", "JSON.MGET", "a", "b", "$")
    rd.check(r == [b"a", b"b"], "JSON.MGET: every argument but the path", repr(r))
    log = p.broker.log_tail(10000)
    rd.check("key specs" not in log, "no command row disagrees with its key specs (broker log)",
             log[-2000:])


def main():
    p = rd.Pair()
    names = names_of(p.a)
    common = both_have(p, names)
    rd.check(len(common) > 150, "%d of the broker's %d commands are in redis-server too"
             % (len(common), len(names)))
    check_samples(p, common)
    check_names_alone(p, common)
    edges = [split(line) for line in EDGES.strip().splitlines()]
    lacking = set(both_have(p, sorted({a[0].decode().lower() for a in edges} - set(names))))
    for argv in edges:
        name = argv[0].decode().lower()
        if name in lacking:  # a command the broker does not have (yet)
            continue
        if name in KNOWN:
            with rd.optional(KNOWN[name]):
                getkeys(p, argv)
        else:
            getkeys(p, argv)
    rd.ok("edge cases of commands the broker lacks are left out: %s" % " ".join(sorted(lacking)))
    check_many_keys(p)
    check_info(p, common)
    check_list_and_info(p, names, common)
    check_broker_only(p)
    p.stop()
    rd.finish()


if __name__ == "__main__":
    main()
