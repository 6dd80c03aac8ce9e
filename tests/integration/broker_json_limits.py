#!/usr/bin/env python3
"""JSON paths that used to crash sc-broker or corrupt its heap, and the bounds of one path.

- `=~` on a 20,000-character string: std::regex recursed per character and overflowed the
  stack (segfault); RE2 answers.  Bad, too long and too large patterns are invalid paths.
- a path whose work grows without limit (`$..a..a..a..a..a` on a 120-deep document) gets
  `ERR Path ... needs too much work` quickly, and the server stays up.
- overlapping matches (`$..*..*` yields one location several times, and a descendant before its
  ancestor): every writing command, SET ARRAPPEND ARRINSERT ARRPOP ARRTRIM CLEAR MERGE MSET DEL
  FORGET TOGGLE NUMINCRBY STRAPPEND, writes each location once and never through a value an
  earlier write freed (heap-use-after-free under ASan before).  Replies and documents are checked
  exactly.  Semantics: JSON.SET/MSET write the outermost matches only (RedisJSON keeps the
  topmost of nested paths); the other writers write every location once, inner ones first.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from respdiff import Err, Server, check, finish  # noqa: E402


def main():
    srv = Server.start("broker")
    c = srv.conn(timeout=30)

    def doc(key):
        return json.loads(c("JSON.GET", key))

    def t(want, *args):
        got = c(*args)
        check(got == want, " ".join(str(a) for a in args)[:90], "got %r, want %r" % (got, want))

    def t_err(prefix, *args):
        got = c(*args)
        check(isinstance(got, Err) and str(got).startswith(prefix),
              " ".join(str(a) for a in args)[:90], "got %r, want an error %r" % (got, prefix))

    def t_doc(key, want):
        got = doc(key)
        check(got == want, "document %s after the write" % key, "got %r, want %r" % (got, want))

    # ---- Regular expressions: linear time, no recursion
    for n in (8000, 20000, 200000):
        t("OK", "JSON.SET", "rx", "$", json.dumps([{"a": "a" * n}, {"a": "c"}]))
        got = c("JSON.GET", "rx", '$[?(@.a =~ "(a|b)*")]')
        check(isinstance(got, bytes) and len(json.loads(got)) == 2,
              "=~ \"(a|b)*\" over a %d-character string (unanchored: both match)" % n,
              repr(got)[:200])
        got = c("JSON.GET", "rx", '$[?(@.a =~ "^(a|b)*$")]')
        check(isinstance(got, bytes) and len(json.loads(got)) == 1,
              "=~ \"^(a|b)*$\" over a %d-character string matches one" % n, repr(got)[:200])
        check(srv.alive() and c("PING") == "PONG", "the broker is up after the %d-character match" % n)
    t_err("ERR Path '$[?(@.a =~ \"(a\")]' is not valid: bad regular expression",
          "JSON.GET", "rx", '$[?(@.a =~ "(a")]')
    t_err("ERR Path", "JSON.GET", "rx", '$[?(@.a =~ "%s")]' % ("a" * 5000))
    t_err("ERR Path", "JSON.GET", "rx", '$[?(@.a =~ "((a{100}){100}){100}")]')
    # RE2 syntax as RedisJSON's (Rust) regex: classes, alternation, case-insensitive flag.
    t("OK", "JSON.SET", "rx", "$", '[{"a":"Hello"},{"a":"world"},{"a":"x1"}]')
    t(b'[{"a":"Hello"}]', "JSON.GET", "rx", '$[?(@.a =~ "(?i)^h")]')
    t(b'[{"a":"x1"}]', "JSON.GET", "rx", '$[?(@.a =~ "\\\\d")]')

    # ---- The work of one path is bounded
    deep = '{"a":' * 120 + "1" + "}" * 120
    t("OK", "JSON.SET", "deep", "$", deep)
    for path in ("$..a..a..a..a..a", "$..a..a..a..a..a..a..a..a", "$..*..*..*..*..*"):
        start = time.monotonic()
        got = c("JSON.GET", "deep", path)
        took = time.monotonic() - start
        check(isinstance(got, Err) and "needs too much work" in str(got),
              "JSON.GET deep %s: an error past the bound" % path, repr(got)[:200])
        check(took < 10, "... within 10 s (took %.2f s)" % took)
    t_err("ERR Path '$..a..a..a..a..a' needs too much work", "JSON.SET", "deep",
          "$..a..a..a..a..a", "1")
    t_err("ERR Path", "JSON.MGET", "deep", "deep", "$..a..a..a..a..a")
    t_err("ERR Path", "JSON.DEL", "deep", "$..a..a..a..a..a")
    t_err("ERR Path", "JSON.NUMINCRBY", "deep", "$..a..a..a..a..a", "1")
    t_err("ERR Path", "JSON.ARRAPPEND", "deep", "$..a..a..a..a..a", "1")
    check(doc("deep") == json.loads(deep), "the document is unchanged after the refused writes")
    got = c("JSON.GET", "deep", "$..a")
    check(isinstance(got, bytes) and len(json.loads(got)) == 120, "$..a still answers (120 matches)")

    # ---- Overlapping matches
    x32, y36 = "x" * 32, "y" * 36
    t("OK", "JSON.SET", "k", "$", '{"a":{"b":{"c":{"d":"%s"}}}}' % x32)
    t("OK", "JSON.SET", "k", "$..*..*", '"%s"' % y36)
    t_doc("k", {"a": {"b": y36}})

    t("OK", "JSON.SET", "k", "$", '{"a":[[[[]]]]}')
    t([2, 2, 1], "JSON.ARRAPPEND", "k", "$..*..*", "1")
    t_doc("k", {"a": [[[[1], 1], 1]]})

    t("OK", "JSON.SET", "k", "$", '{"a":[[[]]]}')
    t([2, 1], "JSON.ARRINSERT", "k", "$..*..*", "0", '"i"')
    t_doc("k", {"a": [["i", ["i"]]]})

    t("OK", "JSON.SET", "k", "$", '{"a":[[[1,2],3],4]}')
    # Matches: a[0], a[1], a[0][0], a[0][1], a[0][0][0], a[0][0][1] (a step's children, then
    # the deeper ones); written inner first, answered in match order.
    t([b"3", None, b"2", None, None, None], "JSON.ARRPOP", "k", "$..*..*")
    t_doc("k", {"a": [[[1]], 4]})

    t("OK", "JSON.SET", "k", "$", '{"a":[[[1,2],3],4]}')
    t([1, None, 1, None, None, None], "JSON.ARRTRIM", "k", "$..*..*", "0", "0")
    t_doc("k", {"a": [[[1]], 4]})

    t("OK", "JSON.SET", "k", "$", '{"a":{"b":{"c":{"d":5}}}}')
    t(3, "JSON.CLEAR", "k", "$..*..*")
    t_doc("k", {"a": {"b": {}}})

    t("OK", "JSON.SET", "k", "$", '{"a":{"b":{"c":{}}}}')
    t("OK", "JSON.MERGE", "k", "$..*..*", '{"m":1}')
    t_doc("k", {"a": {"b": {"c": {"m": 1}, "m": 1}}})

    t("OK", "JSON.SET", "k", "$", '{"a":{"b":{"c":{"d":"%s"}}}}' % x32)
    t("OK", "JSON.MSET", "k", "$..*..*", '"%s"' % y36, "k", "$.a.b", "[1]")
    t_doc("k", {"a": {"b": [1]}})

    for cmd in ("JSON.DEL", "JSON.FORGET"):
        t("OK", "JSON.SET", "k", "$", '{"a":{"b":{"c":{"d":5}}}}')
        t(1, cmd, "k", "$..*..*")
        t_doc("k", {"a": {}})

    t("OK", "JSON.SET", "k", "$", '{"a":{"b":true,"c":{"d":false}}}')
    t([0, None, 1], "JSON.TOGGLE", "k", "$..*..*")
    t_doc("k", {"a": {"b": False, "c": {"d": True}}})

    t("OK", "JSON.SET", "k", "$", '{"a":{"b":1,"c":{"d":2}}}')
    t(b"[2,null,3]", "JSON.NUMINCRBY", "k", "$..*..*", "1")
    t_doc("k", {"a": {"b": 2, "c": {"d": 3}}})

    t("OK", "JSON.SET", "k", "$", '{"a":{"b":"x","c":{"d":"y"}}}')
    t([2, None, 2], "JSON.STRAPPEND", "k", "$..*..*", '"s"')
    t_doc("k", {"a": {"b": "xs", "c": {"d": "ys"}}})

    # Unions naming one element twice are one location for a writer too.
    t("OK", "JSON.SET", "k", "$", '{"a":[1,2]}')
    t(b"[11,12]", "JSON.NUMINCRBY", "k", "$.a[0,0,-2,1]", "10")
    t_doc("k", {"a": [11, 12]})

    # A bigger tangle: every writer over `$..*..*..*` on a mixed document, the broker stays
    # sane and the document stays valid JSON.
    mixed = '{"a":[{"b":[1,"s",true,[2,[3]]]},{"c":{"d":[4,{"e":"t"}]}}],"f":{"g":[[],[[]]]}}'
    writes = [("JSON.SET", '"v"'), ("JSON.ARRAPPEND", "7"), ("JSON.ARRINSERT", "0", "8"),
              ("JSON.ARRPOP",), ("JSON.ARRTRIM", "0", "1"), ("JSON.CLEAR",),
              ("JSON.MERGE", '{"z":null}'), ("JSON.DEL",), ("JSON.TOGGLE",),
              ("JSON.NUMINCRBY", "2"), ("JSON.STRAPPEND", '"!"'), ("JSON.MSET",)]
    for w in writes:
        for path in ("$..*..*", "$..*..*..*", "$..[*]..*", "$..*"):
            t("OK", "JSON.SET", "m", "$", mixed)
            if w[0] == "JSON.MSET":
                c("JSON.MSET", "m", path, '"w"')
            else:
                c(w[0], "m", path, *w[1:])
            got = c("JSON.GET", "m")
            ok = isinstance(got, bytes)
            if ok:
                try:
                    json.loads(got)
                except ValueError:
                    ok = False
            check(ok and srv.alive(), "%s m %s leaves valid JSON" % (w[0], path), repr(got)[:200])

    check(srv.alive() and c("PING") == "PONG", "the broker is still up")
    srv.stop()
    finish()


if __name__ == "__main__":
    main()
