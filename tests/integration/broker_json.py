#!/usr/bin/env python3
"""JSON.* commands of sc-broker checked against RedisJSON 2.x's documented replies.

There is no RedisJSON server here: the expected replies are written below, taken from the
RedisJSON command documentation (examples of each command page) and from its error texts.
Covers both path forms (JSONPath `$...` incl. filters: one result per match; legacy `.a`: one
value, errors when missing), RESP3 shapes of JSON.TYPE/NUMINCRBY, keyspace events, WATCH, expiry, WRONGTYPE,
and garbage (bad JSON, 10,000-deep nesting, huge numbers, 1 MB strings) leaving the connection
and the broker sane.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import respdiff  # noqa: E402
from respdiff import Err, Server, check, finish  # noqa: E402


class E(str):
    """An expected error reply (exact text)."""


class EP(str):
    """An expected error reply starting with this text."""


class J:
    """An expected bulk reply holding JSON equal to `v` (member order ignored)."""

    def __init__(self, v):
        self.v = v


def same(got, want):
    if isinstance(want, E):
        return isinstance(got, Err) and str(got) == str(want)
    if isinstance(want, EP):
        return isinstance(got, Err) and str(got).startswith(str(want))
    if isinstance(want, J):
        try:
            return isinstance(got, bytes) and json.loads(got) == want.v
        except ValueError:
            return False
    if isinstance(got, Err):
        return False
    if want == "OK":
        return got == "OK"
    if isinstance(want, str):
        return got == want.encode() or (isinstance(got, str) and got == want)
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(
            same(g, w) for g, w in zip(got, want))
    return got == want


def t(c, want, *args):
    got = c(*args)
    check(same(got, want), " ".join(str(a) for a in args)[:100],
          "got %r, want %r" % (got, want.v if isinstance(want, J) else want))


def main():
    srv = Server.start("broker")
    c = srv.conn()

    # ---- JSON.SET / JSON.GET (documentation examples)
    t(c, "OK", "JSON.SET", "doc", "$", '{"a":2}')
    t(c, "OK", "JSON.SET", "doc", "$.a", "3")
    t(c, '[{"a":3}]', "JSON.GET", "doc", "$")
    t(c, "OK", "JSON.SET", "doc", "$", '{"a":2}')
    t(c, "OK", "JSON.SET", "doc", "$.b", "8")
    t(c, '[{"a":2,"b":8}]', "JSON.GET", "doc", "$")
    t(c, "OK", "JSON.SET", "doc", "$", '{"f1": {"a":1}, "f2":{"a":2}}')
    t(c, "OK", "JSON.SET", "doc", "$..a", "3")
    t(c, '{"f1":{"a":3},"f2":{"a":3}}', "JSON.GET", "doc")
    t(c, E("ERR new objects must be created at the root"), "JSON.SET", "newkey", "$.x", "5")
    t(c, None, "JSON.SET", "doc", "$.nonexistent.x", "5")
    t(c, None, "JSON.SET", "doc", "$", "1", "NX")
    t(c, "OK", "JSON.SET", "doc", "$", '{"a":2, "b": 3, "nested": {"a": 4, "b": null}}', "XX")
    t(c, None, "JSON.SET", "nokey", "$", "1", "XX")
    t(c, None, "JSON.SET", "doc", "$.a", "1", "NX")
    t(c, None, "JSON.SET", "doc", "$.zz", "1", "XX")
    t(c, E("ERR syntax error"), "JSON.SET", "doc", "$", "1", "NX", "XX")
    t(c, '[3,null]', "JSON.GET", "doc", "$..b")
    t(c, J({"..a": [2, 4], "$..b": [3, None]}), "JSON.GET", "doc", "..a", "$..b")
    t(c, J({".a": 2, ".b": 3}), "JSON.GET", "doc", ".a", ".b")
    t(c, '2', "JSON.GET", "doc", ".a")
    t(c, '{"a":4,"b":null}', "JSON.GET", "doc", "nested")
    t(c, '[]', "JSON.GET", "doc", "$.nope")
    t(c, E("ERR Path '$.nope' does not exist"), "JSON.GET", "doc", ".nope")
    t(c, None, "JSON.GET", "missing")
    t(c, '{\n\t"a": 4,\n\t"b": null\n}', "JSON.GET", "doc", "INDENT", "\t", "NEWLINE", "\n",
      "SPACE", " ", ".nested")
    t(c, '[\n  {\n    "a":4,\n    "b":null\n  }\n]', "JSON.GET", "doc", "INDENT", "  ",
      "NEWLINE", "\n", "$.nested")
    t(c, "OK", "JSON.SET", "arr", "$", '[1,[2,3],{"x":[4,5,6]}]')
    t(c, '[6]', "JSON.GET", "arr", "$[2].x[-1]")
    t(c, '[4,5,6]', "JSON.GET", "arr", "$[2].x[*]")
    t(c, '[5,6]', "JSON.GET", "arr", "$[2].x[1:]")
    t(c, '[4,6]', "JSON.GET", "arr", "$[2].x[0,2]")
    t(c, '[[4,5,6]]', "JSON.GET", "arr", "$[2]['x']")
    t(c, '[2,3]', "JSON.GET", "arr", "[1]")
    t(c, EP("ERR Path '$[?(@.x>)]' is not valid"), "JSON.GET", "arr", "$[?(@.x>)]")
    t(c, EP("ERR Path '$.a..' is not valid"), "JSON.GET", "arr", "$.a..")

    # ---- JSONPath filters (examples in the style of RedisJSON's path documentation)
    t(c, "OK", "JSON.SET", "store", "$", '{"books":[{"title":"A","price":8.95,"tags":["x"]},'
      '{"title":"B","price":12,"tags":["y"]},{"title":"C","price":22.99,"isbn":"1"}],'
      '"limit":10}')
    t(c, '["A"]', "JSON.GET", "store", "$.books[?(@.price<10)].title")
    t(c, '["B"]', "JSON.GET", "store", "$.books[?(@.price>10 && @.price<20)].title")
    t(c, '["C"]', "JSON.GET", "store", "$..[?(@.isbn)].title")
    t(c, '["A","B"]', "JSON.GET", "store", "$.books[?(!@.isbn)].title")
    t(c, '["A"]', "JSON.GET", "store", "$.books[?(@.price < $.limit)].title")
    t(c, '["A","B"]', "JSON.GET", "store", '$.books[?(@.title=="B" || @.tags[0]==\'x\')].title')
    t(c, '["A","C"]', "JSON.GET", "store", '$.books[?(@.title =~ "^[AC]")].title')
    t(c, "OK", "JSON.SET", "store", "$.books[?(@.price>20)].price", "20")
    t(c, "[8.95,12,20]", "JSON.GET", "store", "$..price")
    t(c, 2, "JSON.DEL", "store", "$.books[?(@.price>=12)]")
    t(c, '["A"]', "JSON.GET", "store", "$.books[*].title")
    t(c, "ReJSON-RL", "TYPE", "arr")

    # ---- JSON.MGET
    t(c, "OK", "JSON.SET", "doc1", "$", '{"a":1, "b": 2, "nested": {"a": 3}, "c": null}')
    t(c, "OK", "JSON.SET", "doc2", "$", '{"a":4, "b": 5, "nested": {"a": 6}, "c": null}')
    c("SET", "str", "x")
    t(c, ['[1,3]', '[4,6]', None, None], "JSON.MGET", "doc1", "doc2", "nokey", "str", "$..a")
    t(c, ['1', '4', None], "JSON.MGET", "doc1", "doc2", "nokey", ".a")

    # ---- JSON.DEL / JSON.FORGET
    t(c, "OK", "JSON.SET", "doc", "$", '{"a": 1, "nested": {"a": 2, "b": 3}}')
    t(c, 2, "JSON.DEL", "doc", "$..a")
    t(c, '[{"nested":{"b":3}}]', "JSON.GET", "doc", "$")
    t(c, 0, "JSON.DEL", "doc", "$.nope")
    t(c, 1, "JSON.FORGET", "doc", ".nested.b")
    t(c, "OK", "JSON.SET", "arr2", "$", "[0,1,2,3,4]")
    t(c, 3, "JSON.DEL", "arr2", "$[0,2,4]")
    t(c, '[1,3]', "JSON.GET", "arr2")
    t(c, 1, "JSON.DEL", "doc")
    t(c, 0, "EXISTS", "doc")
    t(c, 0, "JSON.DEL", "doc")

    # ---- JSON.TYPE
    t(c, "OK", "JSON.SET", "doc", "$", '{"a":2, "nested": {"a": true}, "foo": "bar", "f": 1.5}')
    t(c, ["string"], "JSON.TYPE", "doc", "$..foo")
    t(c, ["integer", "boolean"], "JSON.TYPE", "doc", "$..a")
    t(c, [], "JSON.TYPE", "doc", "$..dummy")
    t(c, "number", "JSON.TYPE", "doc", ".f")
    t(c, "object", "JSON.TYPE", "doc")
    t(c, None, "JSON.TYPE", "doc", ".nope")
    t(c, None, "JSON.TYPE", "missing")

    # ---- JSON.NUMINCRBY / JSON.NUMMULTBY
    t(c, "OK", "JSON.SET", "doc", ".", '{"a":"b","b":[{"a":2}, {"a":5}, {"a":"c"}]}')
    t(c, "[null]", "JSON.NUMINCRBY", "doc", "$.a", "2")
    t(c, "[null,4,7,null]", "JSON.NUMINCRBY", "doc", "$..a", "2")
    t(c, "OK", "JSON.SET", "doc", ".", '{"a":"b","b":[{"a":2}, {"a":5}, {"a":"c"}]}')
    t(c, "[null]", "JSON.NUMMULTBY", "doc", "$.a", "2")
    t(c, "[null,4,10,null]", "JSON.NUMMULTBY", "doc", "$..a", "2")
    t(c, "OK", "JSON.SET", "n", "$", '{"i":1,"f":1.5,"big":9223372036854775807,"s":"x"}')
    t(c, "3", "JSON.NUMINCRBY", "n", ".i", "2")
    t(c, "4.5", "JSON.NUMMULTBY", "n", ".f", "3")
    t(c, "[3.5]", "JSON.NUMINCRBY", "n", "$.i", "0.5")
    t(c, "[9.0]", "JSON.NUMMULTBY", "n", "$.f", "2")
    t(c, "9223372036854775807", "JSON.GET", "n", ".big")
    t(c, "9.223372036854776e18", "JSON.NUMINCRBY", "n", ".big", "1")
    t(c, E("ERR Path '$.s' does not exist or does not contains a number"),
      "JSON.NUMINCRBY", "n", ".s", "1")
    t(c, E("ERR could not perform this operation on a key that doesn't exist"),
      "JSON.NUMINCRBY", "missing", "$.a", "1")
    t(c, EP("ERR expected value"), "JSON.NUMINCRBY", "n", "$.i", "abc")
    t(c, E("ERR result is not a number"), "JSON.NUMMULTBY", "n", "$.f", "1e308")

    # ---- JSON.STRAPPEND / JSON.STRLEN
    t(c, "OK", "JSON.SET", "doc", "$", '{"a":"foo", "nested": {"a": "hello"}, "nested2": {"a": 31}}')
    t(c, [3, 5, None], "JSON.STRLEN", "doc", "$..a")
    t(c, [6, 8, None], "JSON.STRAPPEND", "doc", "$..a", '"baz"')
    t(c, '[{"a":"foobaz","nested":{"a":"hellobaz"},"nested2":{"a":31}}]', "JSON.GET", "doc", "$")
    t(c, 7, "JSON.STRAPPEND", "doc", ".a", '"!"')
    t(c, 7, "JSON.STRLEN", "doc", ".a")
    t(c, E("ERR Path '$.nested2.a' does not exist or not a string"),
      "JSON.STRAPPEND", "doc", ".nested2.a", '"x"')
    t(c, E("WRONGTYPE wrong type of path value - expected string but found integer"),
      "JSON.STRLEN", "doc", ".nested2.a")
    t(c, None, "JSON.STRLEN", "missing", ".a")
    t(c, E("ERR could not perform this operation on a key that doesn't exist"),
      "JSON.STRLEN", "missing", "$.a")
    t(c, "OK", "JSON.SET", "s", "$", '"abc"')
    t(c, 5, "JSON.STRAPPEND", "s", '"de"')
    t(c, '"abcde"', "JSON.GET", "s")

    # ---- arrays (documentation examples: item:1 colors)
    item = ('{"name":"Noise-cancelling Bluetooth headphones","description":"Wireless Bluetooth '
            'headphones with noise-cancelling technology","connection":{"wireless":true,"type":'
            '"Bluetooth"},"price":99.98,"stock":25,"colors":["black","silver"]}')
    t(c, "OK", "JSON.SET", "item:1", "$", item)
    t(c, [3], "JSON.ARRAPPEND", "item:1", "$.colors", '"blue"')
    t(c, '[["black","silver","blue"]]', "JSON.GET", "item:1", "$.colors")
    t(c, [1], "JSON.ARRINDEX", "item:1", "$..colors", '"silver"')
    t(c, [-1], "JSON.ARRINDEX", "item:1", "$..colors", '"gold"')
    t(c, [5], "JSON.ARRINSERT", "item:1", "$.colors", "2", '"yellow"', '"gold"')
    t(c, '[["black","silver","yellow","gold","blue"]]', "JSON.GET", "item:1", "$.colors")
    t(c, [5], "JSON.ARRLEN", "item:1", "$.colors")
    t(c, [None], "JSON.ARRLEN", "item:1", "$.name")
    t(c, ['"blue"'], "JSON.ARRPOP", "item:1", "$.colors")
    t(c, ['"black"'], "JSON.ARRPOP", "item:1", "$.colors", "0")
    t(c, [2], "JSON.ARRTRIM", "item:1", "$.colors", "0", "1")
    t(c, '[["silver","yellow"]]', "JSON.GET", "item:1", "$.colors")
    t(c, 2, "JSON.ARRLEN", "item:1", ".colors")
    t(c, 3, "JSON.ARRAPPEND", "item:1", ".colors", '"red"')
    t(c, 2, "JSON.ARRINDEX", "item:1", ".colors", '"red"')
    t(c, E("ERR Path '.price' does not exist or not an array"),
      "JSON.ARRAPPEND", "item:1", ".price", "1")
    t(c, E("ERR Path '.price' does not exist or not an array"), "JSON.ARRLEN", "item:1", ".price")
    t(c, E("ERR Path '$.price' does not exist or not an array"),
      "JSON.ARRPOP", "item:1", ".price")
    t(c, E("ERR index out of bounds"), "JSON.ARRINSERT", "item:1", "$.colors", "9", "1")
    t(c, E("ERR value is not an integer or out of range"),
      "JSON.ARRINSERT", "item:1", "$.colors", "x", "1")
    t(c, '"red"', "JSON.ARRPOP", "item:1", ".colors")
    t(c, "OK", "JSON.SET", "a", "$", "[]")
    t(c, [None], "JSON.ARRPOP", "a", "$")
    t(c, None, "JSON.ARRPOP", "a")
    t(c, None, "JSON.ARRLEN", "missing")
    t(c, "OK", "JSON.SET", "a", "$", "[1,2,3,4,5]")
    t(c, [3], "JSON.ARRTRIM", "a", "$", "1", "3")
    t(c, "[2,3,4]", "JSON.GET", "a")
    t(c, 0, "JSON.ARRTRIM", "a", ".", "5", "9")
    t(c, "OK", "JSON.SET", "a", "$", '[1,"1",1.0,null,{"x":1},[1]]')
    t(c, [2], "JSON.ARRINDEX", "a", "$", "1.0")
    t(c, [4], "JSON.ARRINDEX", "a", "$", '{"x":1}')
    t(c, [-1], "JSON.ARRINDEX", "a", "$", "1", "1", "2")
    t(c, [5], "JSON.ARRINDEX", "a", "$", "[1]", "-1")

    # ---- objects
    t(c, "OK", "JSON.SET", "doc", "$", '{"a":[3], "nested": {"a": {"b":2, "c": 1}}}')
    t(c, [None, ["b", "c"]], "JSON.OBJKEYS", "doc", "$..a")
    t(c, [None, 2], "JSON.OBJLEN", "doc", "$..a")
    t(c, ["a", "nested"], "JSON.OBJKEYS", "doc")
    t(c, 2, "JSON.OBJLEN", "doc", ".")
    t(c, None, "JSON.OBJKEYS", "doc", ".nope")
    t(c, E("ERR Path '$.a' does not exist or not an object"), "JSON.OBJKEYS", "doc", ".a")
    t(c, E("WRONGTYPE wrong type of path value - expected object but found array"),
      "JSON.OBJLEN", "doc", ".a")

    # ---- JSON.CLEAR / JSON.TOGGLE
    t(c, "OK", "JSON.SET", "doc", "$", '{"obj":{"a":1, "b":2}, "arr":[1,2,3], "str": "foo", '
      '"bool": true, "int": 42, "float": 3.14}')
    t(c, 4, "JSON.CLEAR", "doc", "$.*")
    t(c, '[{"obj":{},"arr":[],"str":"foo","bool":true,"int":0,"float":0}]', "JSON.GET", "doc", "$")
    t(c, 0, "JSON.CLEAR", "doc", "$.*")
    t(c, "OK", "JSON.SET", "doc", "$", '{"bool": true}')
    t(c, [0], "JSON.TOGGLE", "doc", "$.bool")
    t(c, '[{"bool":false}]', "JSON.GET", "doc", "$")
    t(c, [1], "JSON.TOGGLE", "doc", "$.bool")
    t(c, "false", "JSON.TOGGLE", "doc", ".bool")
    t(c, E("ERR Path '$.nope' does not exist or not a bool"), "JSON.TOGGLE", "doc", ".nope")

    # ---- JSON.NUMPOWBY / JSON.MERGE / JSON.MSET / JSON.RESP (documentation examples)
    t(c, "OK", "JSON.SET", "doc", ".", '{"a":"b","b":[{"a":2}, {"a":5}, {"a":"c"}]}')
    t(c, "[null,4,25,null]", "JSON.NUMPOWBY", "doc", "$..a", "2")
    t(c, "OK", "JSON.SET", "doc", "$", '{"a":2}')
    t(c, "OK", "JSON.MERGE", "doc", "$.a", "3")
    t(c, '[{"a":3}]', "JSON.GET", "doc", "$")
    t(c, "OK", "JSON.MERGE", "doc", "$.b", "8")
    t(c, '[{"a":3,"b":8}]', "JSON.GET", "doc", "$")
    t(c, "OK", "JSON.MERGE", "doc", "$", '{"a":null}')
    t(c, '[{"b":8}]', "JSON.GET", "doc", "$")
    t(c, "OK", "JSON.SET", "doc", "$", '{"a":[2,4,6,8]}')
    t(c, "OK", "JSON.MERGE", "doc", "$.a", "[10,12]")
    t(c, '[{"a":[10,12]}]', "JSON.GET", "doc", "$")
    t(c, "OK", "JSON.SET", "doc", "$", '{"f1": {"a":1}, "f2":{"a":2}}')
    t(c, "OK", "JSON.MERGE", "doc", "$", '{"f1": null, "f2":{"a":3, "b":4}, "f3":[2,4,6]}')
    t(c, '{"f2":{"a":3,"b":4},"f3":[2,4,6]}', "JSON.GET", "doc")
    t(c, E("ERR new objects must be created at the root"), "JSON.MERGE", "nokey", "$.a", "1")
    t(c, "OK", "JSON.MSET", "doc1", "$", '{"a":1}', "doc2", "$", '{"f":{"a":2}}', "doc3", "$",
      '{"f1":{"a":0},"f2":{"a":0}}')
    t(c, "OK", "JSON.MSET", "doc1", "$", '{"a":2}', "doc2", "$.f.a", "3", "doc3", "$",
      '{"f1":{"a":1},"f2":{"a":2}}')
    t(c, '[{"a":2}]', "JSON.GET", "doc1", "$")
    t(c, '[{"f":{"a":3}}]', "JSON.GET", "doc2", "$")
    t(c, '{"f1":{"a":1},"f2":{"a":2}}', "JSON.GET", "doc3")
    t(c, E("ERR wrong number of arguments for 'json.mset' command"), "JSON.MSET", "a", "$", "1",
      "b")
    t(c, E("ERR new objects must be created at the root"), "JSON.MSET", "doc1", "$", "1",
      "nokey", "$.a", "1")
    t(c, '[{"a":2}]', "JSON.GET", "doc1", "$")  # nothing written when one triplet fails
    t(c, "OK", "JSON.SET", "item:2", "$", '{"name":"Wireless earbuds","description":"Wireless '
      'Bluetooth in-ear headphones","connection":{"wireless":true,"type":"Bluetooth"},'
      '"price":64.99,"stock":17,"colors":["black","white"], "max_level":[80, 100, 120]}')
    t(c, ["{", "name", "Wireless earbuds", "description", "Wireless Bluetooth in-ear headphones",
          "connection", ["{", "wireless", "true", "type", "Bluetooth"],
          "price", "64.989999999999995", "stock", 17, "colors", ["[", "black", "white"],
          "max_level", ["[", 80, 100, 120]], "JSON.RESP", "item:2")
    t(c, [["[", 80, 100, 120]], "JSON.RESP", "item:2", "$.max_level")

    # ---- key-level semantics
    t(c, E("WRONGTYPE Operation against a key holding the wrong kind of value"),
      "JSON.GET", "str")
    t(c, E("WRONGTYPE Operation against a key holding the wrong kind of value"),
      "JSON.SET", "str", "$", "1")
    t(c, E("ERR wrong number of arguments for 'json.set' command"), "JSON.SET", "k", "$")
    w = srv.conn()
    w("WATCH", "doc")
    c("JSON.SET", "doc", "$.bool", "false")
    w("MULTI")
    w("JSON.GET", "doc")
    check(w("EXEC") is None, "WATCH is invalidated by JSON.SET")
    t(c, "OK", "CONFIG", "SET", "notify-keyspace-events", "KEA")
    sub = srv.conn()
    sub("SUBSCRIBE", "__keyevent@0__:json.set", "__keyevent@0__:json.del")
    sub.read()
    c("JSON.SET", "ev", "$", '{"a":1}')
    c("JSON.DEL", "ev", "$.a")
    m1, m2 = sub.read().value, sub.read().value
    check(m1 == [b"message", b"__keyevent@0__:json.set", b"ev"] and
          m2 == [b"message", b"__keyevent@0__:json.del", b"ev"],
          "keyspace events json.set / json.del (class d)", "%r %r" % (m1, m2))
    c("JSON.SET", "exp", "$", "1")
    c("PEXPIRE", "exp", "150")
    time.sleep(0.3)
    t(c, None, "JSON.GET", "exp")
    t(c, 0, "EXISTS", "exp")

    # ---- RESP3 shapes
    r3 = srv.conn(resp3=True)
    r3("HELLO", "3")
    got = r3("JSON.TYPE", "doc", ".bool")
    check(got == [b"boolean"], "RESP3 JSON.TYPE legacy is wrapped in an array", repr(got))
    r3("JSON.SET", "r3", "$", '{"a":1,"b":"x"}')
    got = r3("JSON.NUMINCRBY", "r3", "$..*", "1")
    check(got == [2, None], "RESP3 JSON.NUMINCRBY replies an array of numbers", repr(got))

    # ---- garbage
    t(c, E("ERR EOF while parsing a value at line 1 column 5"), "JSON.SET", "g", "$", '{"a":')
    t(c, E("ERR key must be a string at line 1 column 2"), "JSON.SET", "g", "$", "{bad")
    t(c, E("ERR trailing characters at line 1 column 3"), "JSON.SET", "g", "$", "1 2")
    t(c, E("ERR EOF while parsing a value at line 1 column 0"), "JSON.SET", "g", "$", "")
    t(c, EP("ERR recursion limit exceeded"), "JSON.SET", "g", "$", "[" * 10000 + "]" * 10000)
    t(c, EP("ERR recursion limit exceeded"), "JSON.SET", "g", "$", '{"a":' * 10000 + "1" +
      "}" * 10000)
    t(c, EP("ERR number out of range"), "JSON.SET", "g", "$", "1e400")
    t(c, "OK", "JSON.SET", "g", "$", "123456789012345678901234567890")
    t(c, "1.2345678901234568e29", "JSON.GET", "g")
    t(c, "OK", "JSON.SET", "g", "$", "[-9223372036854775808,0.1,1e-7,1e16,1e15,-0.0]")
    t(c, "[-9223372036854775808,0.1,1e-7,1e16,1000000000000000.0,-0.0]", "JSON.GET", "g")
    big = "x" * (1 << 20)
    t(c, "OK", "JSON.SET", "g", "$", json.dumps({"s": big}))
    t(c, 1 << 20, "JSON.STRLEN", "g", ".s")
    check(c("JSON.GET", "g", ".s") == json.dumps(big).encode(), "1 MB string round trip")
    t(c, "OK", "JSON.SET", "g", "$", '"\\u00e9\\ud83d\\ude00\\n\\u0001"')
    t(c, '"é😀\\n\\u0001"', "JSON.GET", "g")
    t(c, EP("ERR invalid unicode code point"), "JSON.SET", "g", "$", b'"\xff"')
    t(c, EP("ERR lone leading surrogate"), "JSON.SET", "g", "$", '"\\udc00"')
    deep = "[" * 100 + "]" * 100
    t(c, "OK", "JSON.SET", "d", "$", deep)
    t(c, EP("ERR recursion limit exceeded"), "JSON.SET", "d",
      "$" + "[0]" * 99, "[" * 100 + "]" * 100)
    t(c, "PONG", "PING")
    check(srv.alive(), "broker alive after garbage")

    finish()


if __name__ == "__main__":
    main()
