// Unit tests of the JSON DOM (common/json.h): parse/serialize round trips in RedisJSON's
// compact form, number formatting (integers kept exact, doubles in ryu's shortest form),
// serde_json-style errors, limits (depth, size), every prefix of valid documents, seeded
// garbage, deep equality, clone and the INDENT/NEWLINE/SPACE formatter.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "json.h"
extern "C" {
#include <cmocka.h>
}

using sc::json::ParseLimits;
using sc::json::Value;

namespace {

std::string roundtrip(const std::string& in) {
  Value v;
  std::string err;
  if (!sc::json::parse(in, &v, &err)) return "ERR " + err;
  return sc::json::to_string(v);
}

void expect_rt(const char* in, const char* out) {
  std::string got = roundtrip(in);
  if (got != out) {
    std::printf("input %s: got %s, want %s\n", in, got.c_str(), out);
    fail();
  }
}

void test_roundtrip(void**) {
  expect_rt("null", "null");
  expect_rt(" true ", "true");
  expect_rt("false", "false");
  expect_rt("{}", "{}");
  expect_rt("[]", "[]");
  expect_rt("{ \"a\" : [ 1 , 2 ] , \"b\" : { } }", "{\"a\":[1,2],\"b\":{}}");
  expect_rt("{\"b\":1,\"a\":2}", "{\"b\":1,\"a\":2}");          // insertion order kept
  expect_rt("{\"a\":1,\"b\":2,\"a\":3}", "{\"a\":3,\"b\":2}");  // duplicate: first place
  expect_rt("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"", "\"a\\\"b\\\\c/d\\b\\f\\n\\r\\t\"");
  expect_rt("\"\\u0001\\u001f\\u00e9\\ud83d\\ude00\"",
            "\"\\u0001\\u001f\xc3\xa9\xf0\x9f\x98\x80\"");
  expect_rt("\"\xc3\xa9\"", "\"\xc3\xa9\"");
}

void test_numbers(void**) {
  expect_rt("0", "0");
  expect_rt("-0", "0");
  expect_rt("9223372036854775807", "9223372036854775807");
  expect_rt("-9223372036854775808", "-9223372036854775808");
  expect_rt("9223372036854775808", "9.223372036854776e18");
  expect_rt("1.0", "1.0");
  expect_rt("-0.0", "-0.0");
  expect_rt("3.14", "3.14");
  expect_rt("0.1", "0.1");
  expect_rt("1e2", "100.0");
  expect_rt("1E-2", "0.01");
  expect_rt("1e15", "1000000000000000.0");
  expect_rt("1e16", "1e16");
  expect_rt("1.5e300", "1.5e300");
  expect_rt("0.00001", "0.00001");
  expect_rt("0.000001", "1e-6");
  expect_rt("1.5e-7", "1.5e-7");
  expect_rt("123.456e5", "12345600.0");
  expect_rt("2.5e-324", "5e-324");
  expect_rt("1e-400", "0.0");
  Value v;
  assert_true(sc::json::parse("42", &v, nullptr));
  assert_true(v.is_int());
  assert_true(sc::json::parse("42.0", &v, nullptr));
  assert_true(v.is_double());
}

void expect_err(const std::string& in, const char* msg) {
  Value v;
  std::string err;
  bool ok = sc::json::parse(in, &v, &err);
  if (ok || err != msg) {
    std::printf("input %s: got %s %s, want error %s\n", in.c_str(), ok ? "ok" : "error",
                err.c_str(), msg);
    fail();
  }
}

void test_errors(void**) {
  expect_err("", "EOF while parsing a value at line 1 column 0");
  expect_err("{bad", "key must be a string at line 1 column 2");
  expect_err("{\"a\":", "EOF while parsing a value at line 1 column 5");
  expect_err("{\"a\" 1}", "expected `:` at line 1 column 6");
  expect_err("{\"a\":1 \"b\"}", "expected `,` or `}` at line 1 column 8");
  expect_err("[1 2]", "expected `,` or `]` at line 1 column 4");
  expect_err("[1,]", "trailing comma at line 1 column 4");
  expect_err("[1", "EOF while parsing a list at line 1 column 2");
  expect_err("{\"a\":1", "EOF while parsing an object at line 1 column 6");
  expect_err("1 2", "trailing characters at line 1 column 3");
  expect_err("\n\n  x", "expected value at line 3 column 3");
  expect_err("tru", "EOF while parsing a value at line 1 column 3");
  expect_err("trux", "expected ident at line 1 column 4");
  expect_err("01", "invalid number at line 1 column 2");
  expect_err("1.", "EOF while parsing a value at line 1 column 2");
  expect_err("1.e5", "invalid number at line 1 column 3");
  expect_err("-", "EOF while parsing a value at line 1 column 1");
  expect_err("1e400", "number out of range at line 1 column 1");
  expect_err("\"abc", "EOF while parsing a string at line 1 column 4");
  expect_err("\"a\x01\"",
             "control character (\\u0000-\\u001F) found while parsing a string "
             "at line 1 column 3");
  expect_err("\"\\x\"", "invalid escape at line 1 column 3");
  expect_err("\"\xff\"", "invalid unicode code point at line 1 column 2");
  expect_err("\"\xed\xa0\x80\"", "invalid unicode code point at line 1 column 2");
}

void test_limits(void**) {
  ParseLimits lim;
  lim.max_depth = 3;
  Value v;
  std::string err;
  assert_true(sc::json::parse("[[[1]]]", &v, &err, lim));
  assert_false(sc::json::parse("[[[[1]]]]", &v, &err, lim));
  assert_string_equal(err.c_str(), "recursion limit exceeded at line 1 column 4");
  std::string deep(100000, '[');
  assert_false(sc::json::parse(deep, &v, &err));  // default 128: no stack growth either way
  lim.max_depth = 1000000;
  assert_false(sc::json::parse(deep, &v, &err, lim));  // iterative: EOF, not a crash
  lim.max_size = 10;
  assert_false(sc::json::parse("\"0123456789\"", &v, &err, lim));
  assert_string_equal(err.c_str(), "document too large");
}

// Every strict prefix of a valid document fails cleanly; the whole parses.
void test_prefixes(void**) {
  const std::string docs[] = {
      "{\"a\":[1,2.5,-3e-2,{\"b\":null}],\"c\":\"x\\u00e9\\n\",\"d\":true,\"e\":false}",
      "[[],{},\"\",0,-0.0,123456789012345678901]",
  };
  for (const std::string& d : docs) {
    Value v;
    for (size_t i = 0; i < d.size(); i++) {
      std::string prefix = d.substr(0, i);
      // A prefix may be complete by itself ("1" of "12"): it must then re-serialize.
      if (sc::json::parse(prefix, &v, nullptr)) assert_true(!sc::json::to_string(v).empty());
    }
    assert_true(sc::json::parse(d, &v, nullptr));
    Value w;
    assert_true(sc::json::parse(sc::json::to_string(v), &w, nullptr));
    assert_true(sc::json::equal(v, w));
  }
}

void test_garbage(void**) {
  std::mt19937 rng(1234);
  const char alphabet[] = "{}[]\":,.-+eE0123456789tfnul \\\x01\xc3\xa9";
  for (int n = 0; n < 20000; n++) {
    std::string s;
    size_t len = rng() % 40;
    for (size_t i = 0; i < len; i++) s.push_back(alphabet[rng() % (sizeof(alphabet) - 1)]);
    Value v;
    std::string err;
    if (sc::json::parse(s, &v, &err)) {
      Value w;
      assert_true(sc::json::parse(sc::json::to_string(v), &w, &err));
      assert_true(sc::json::equal(v, w));
    } else {
      assert_false(err.empty());
    }
  }
}

void test_equal_clone(void**) {
  Value a, b;
  assert_true(sc::json::parse("{\"x\":[1,{\"y\":\"z\"}],\"w\":1.5}", &a, nullptr));
  assert_true(sc::json::parse("{\"w\":1.5,\"x\":[1,{\"y\":\"z\"}]}", &b, nullptr));
  assert_true(sc::json::equal(a, b));  // objects compare as sets of members
  Value c = a.clone();
  assert_true(sc::json::equal(a, c));
  c.find("x")->arr().push_back(Value::null());
  assert_false(sc::json::equal(a, c));
  Value i, d;
  sc::json::parse("1", &i, nullptr);
  sc::json::parse("1.0", &d, nullptr);
  assert_false(sc::json::equal(i, d));  // RedisJSON: integer 1 is not number 1.0
  assert_string_equal(sc::json::type_name(i.type()), "integer");
  assert_string_equal(sc::json::type_name(d.type()), "number");
  assert_true(sc::json::memory_usage(a) > 0);
}

void test_pretty(void**) {
  Value v;
  assert_true(sc::json::parse("{\"a\":[1,{}],\"b\":[]}", &v, nullptr));
  std::string out;
  sc::json::write_pretty(v, &out, "  ", "\n", " ");
  assert_string_equal(out.c_str(), "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": []\n}");
  out.clear();
  sc::json::write_pretty(v, &out, "", "", " ");
  assert_string_equal(out.c_str(), "{\"a\": [1,{}],\"b\": []}");
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_roundtrip),   cmocka_unit_test(test_numbers),
      cmocka_unit_test(test_errors),      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_prefixes),    cmocka_unit_test(test_garbage),
      cmocka_unit_test(test_equal_clone), cmocka_unit_test(test_pretty),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
