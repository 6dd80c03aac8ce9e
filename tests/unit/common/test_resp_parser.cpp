// Unit tests of the RESP codec (common/resp.h): the request parser is fed valid input cut at
// every byte offset, garbage from a seeded generator and inputs just past each limit; the
// writer's output is checked byte for byte in RESP2 and RESP3; parse_ll's edge cases.
#include <climits>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "buffer.h"
#include "resp.h"

// cmocka.h last: it needs the four C headers before it, and its fail() macro would clash with
// the parser's private fail() member.  This cmocka.h has no extern "C" guard of its own.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
extern "C" {
#include <cmocka.h>
}

using sc::Buffer;
using sc::resp::ParseError;
using sc::resp::ParseStatus;
using sc::resp::Proto;
using sc::resp::RequestLimits;
using sc::resp::RequestParser;
using sc::resp::Writer;

namespace {

using Argv = std::vector<std::string>;
using Commands = std::vector<Argv>;

std::string mbulk(const Argv& argv) {
  std::string s = "*" + std::to_string(argv.size()) + "\r\n";
  for (const auto& a : argv) s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return s;
}

std::string show(const Commands& cmds) {
  std::string s;
  for (const auto& argv : cmds) {
    s += "[";
    for (const auto& a : argv) s += "\"" + a + "\" ";
    s += "] ";
  }
  return s;
}

// Parses every complete command at the head of `buf` (erasing what was consumed) and appends
// it to `out`.  Empty commands (blank lines, "*0") are kept as empty argv so tests see them.
// Returns the last status (NeedMore when the buffer ran dry, Error on a protocol error).
ParseStatus drain(RequestParser& p, std::string& buf, Commands* out, bool auth = true) {
  while (true) {
    size_t consumed = 0;
    std::vector<std::string_view> argv;
    ParseStatus st = p.parse(buf, &consumed, &argv, auth);
    if (st != ParseStatus::Ok) {
      assert_int_equal(consumed, 0);
      return st;
    }
    assert_true(consumed > 0);
    assert_true(consumed <= buf.size());
    Argv a;
    for (auto v : argv) a.emplace_back(v);
    out->push_back(std::move(a));
    buf.erase(0, consumed);
    if (buf.empty()) return ParseStatus::NeedMore;
  }
}

struct Case {
  std::string input;
  Commands expect;
};

std::vector<Case> valid_cases() {
  std::string binary("a\0b\r\nc\xff\x01", 8);
  std::string big(100000, 'x');
  for (size_t i = 0; i < big.size(); i++) big[i] = char('a' + i % 26);
  return {
      {mbulk({"SET", "key", "value"}), {{"SET", "key", "value"}}},
      {mbulk({"GET", "key"}), {{"GET", "key"}}},
      {mbulk({"PING"}) + mbulk({"ECHO", "hi"}) + mbulk({"GET", "k"}),
       {{"PING"}, {"ECHO", "hi"}, {"GET", "k"}}},
      {mbulk({"SET", "bin", binary}), {{"SET", "bin", binary}}},
      {mbulk({"SET", "", ""}), {{"SET", "", ""}}},
      {"*0\r\n", {{}}},
      {"*-1\r\n", {{}}},
      {"*0\r\n" + mbulk({"PING"}), {{}, {"PING"}}},
      {"\r\n", {{}}},
      {"\n", {{}}},
      {"   \r\n", {{}}},
      {"PING\r\n", {{"PING"}}},
      {"PING\n", {{"PING"}}},
      {"set  a   b\r\n", {{"set", "a", "b"}}},
      {"set \"a b\" 'c d'\r\n", {{"set", "a b", "c d"}}},
      {"set \"\\x41\\n\\t\\\"\" 'it\\'s'\r\n", {{"set", "A\n\t\"", "it's"}}},
      {"set \"\" ''\r\n", {{"set", "", ""}}},
      {"\r\nPING\r\n\r\n" + mbulk({"GET", "x"}), {{}, {"PING"}, {}, {"GET", "x"}}},
      {"PING\r\n" + mbulk({"SET", "k", "v"}) + "GET k\r\n",
       {{"PING"}, {"SET", "k", "v"}, {"GET", "k"}}},
      {mbulk({"SET", "big", big}), {{"SET", "big", big}}},
      // A 64-argument command and a 1-argument multibulk of a bulk that looks like RESP.
      {mbulk(Argv(64, "a")), {Argv(64, "a")}},
      {mbulk({"*1\r\n$4\r\nPING\r\n"}), {{"*1\r\n$4\r\nPING\r\n"}}},
  };
}

// Every case, cut into two reads at every byte offset: the commands come out the same.
void test_split_at_every_offset(void**) {
  for (const auto& c : valid_cases()) {
    size_t step = c.input.size() > 5000 ? 997 : 1;  // the 100 KB bulk: a sample of offsets
    for (size_t k = 0; k <= c.input.size(); k += step) {
      RequestParser p;
      std::string buf = c.input.substr(0, k);
      Commands got;
      ParseStatus st = drain(p, buf, &got);
      assert_int_equal(st, ParseStatus::NeedMore);
      buf += c.input.substr(k);
      st = drain(p, buf, &got);
      assert_int_equal(st, ParseStatus::NeedMore);
      if (got != c.expect) fail_msg("split %zu: got %s", k, show(got).c_str());
      assert_true(buf.empty());
    }
  }
}

// A single command: every strict prefix is NeedMore with nothing consumed, fed one byte more at
// a time to the same parser (it keeps its progress); the whole is Ok.
void test_byte_by_byte(void**) {
  for (const auto& c : valid_cases()) {
    if (c.expect.size() != 1 || c.input.size() > 5000) continue;
    RequestParser p;
    for (size_t k = 0; k < c.input.size(); k++) {
      size_t consumed = 7;
      std::vector<std::string_view> argv;
      std::string_view prefix(c.input.data(), k);
      ParseStatus st = p.parse(prefix, &consumed, &argv);
      if (st != ParseStatus::NeedMore) fail_msg("prefix %zu of %s", k, show(c.expect).c_str());
      assert_int_equal(consumed, 0);
    }
    size_t consumed = 0;
    std::vector<std::string_view> argv;
    assert_int_equal(p.parse(c.input, &consumed, &argv), ParseStatus::Ok);
    assert_int_equal(consumed, c.input.size());
    Argv a(argv.begin(), argv.end());
    assert_true(a == c.expect[0]);
  }
}

// A pipeline of many commands parsed one after the other from one buffer.
void test_pipeline(void**) {
  std::string in;
  Commands expect;
  for (int i = 0; i < 32; i++) {
    Argv a{"SET", "key:" + std::to_string(i), std::string(size_t(i), 'v')};
    in += mbulk(a);
    expect.push_back(a);
  }
  RequestParser p;
  Commands got;
  std::string buf = in;
  assert_int_equal(drain(p, buf, &got), ParseStatus::NeedMore);
  assert_true(got == expect);
}

// Garbage from a fixed seed never crashes; every error is a protocol error with Redis's text.
void test_garbage(void**) {
  std::mt19937 rng(12345);
  const char alphabet[] = "*$\r\n0123456789-+ \"'\\xabc";
  for (int round = 0; round < 20000; round++) {
    std::string buf;
    size_t n = rng() % 64;
    bool structured = round % 2 == 0;
    for (size_t i = 0; i < n; i++)
      buf.push_back(structured ? alphabet[rng() % (sizeof alphabet - 1)] : char(rng() & 0xff));
    RequestLimits lim;
    lim.max_inline = 16 + rng() % 64;
    lim.max_bulk_len = 1000;
    RequestParser p(lim);
    Commands got;
    bool auth = rng() % 2;
    ParseStatus st = drain(p, buf, &got, auth);
    if (st == ParseStatus::Error) {
      assert_int_not_equal(p.error(), ParseError::None);
      if (auth)
        assert_true(p.error() != ParseError::UnauthenticatedBulk &&
                    p.error() != ParseError::UnauthenticatedMultibulk);
      assert_true(p.error_text().rfind("ERR Protocol error: ", 0) == 0);
    }
  }
  // Mutations of a valid command: one byte changed at each offset.
  std::string base = mbulk({"SET", "key", "value"});
  for (size_t i = 0; i < base.size(); i++) {
    for (int b : {0, 13, 10, int('*'), int('$'), int('-'), int('9'), int('x'), 0xff}) {
      std::string buf = base;
      buf[i] = char(b);
      RequestParser p;
      Commands got;
      ParseStatus st = drain(p, buf, &got);
      if (st == ParseStatus::Error)
        assert_true(p.error_text().rfind("ERR Protocol error: ", 0) == 0);
    }
  }
}

ParseStatus parse_once(RequestParser& p, std::string_view in, bool auth = true) {
  size_t consumed = 0;
  std::vector<std::string_view> argv;
  return p.parse(in, &consumed, &argv, auth);
}

void expect_error(std::string_view in, ParseError e, RequestLimits lim = {}, bool auth = true) {
  RequestParser p(lim);
  ParseStatus st = parse_once(p, in, auth);
  if (st != ParseStatus::Error || p.error() != e)
    fail_msg("input %.40s: status %d error %d, expected error %d", std::string(in).c_str(), int(st),
             int(p.error()), int(e));
}

void test_limits(void**) {
  RequestLimits def;
  // Inline without newline: NeedMore up to max_inline bytes, then the error.
  {
    std::string s(def.max_inline, 'a');
    RequestParser p;
    assert_int_equal(parse_once(p, s), ParseStatus::NeedMore);
    s.push_back('a');
    expect_error(s, ParseError::TooBigInline);
  }
  {
    std::string s = "*" + std::string(def.max_inline + 1, '1');
    expect_error(s, ParseError::TooBigMultibulkCount);
    s = "*1\r\n$" + std::string(def.max_inline + 1, '1');
    expect_error(s, ParseError::TooBigBulkCount);
  }
  RequestLimits small;
  small.max_bulk_len = 100;
  small.max_inline = 32;
  {
    RequestParser p(small);
    assert_int_equal(parse_once(p, "*1\r\n$100\r\n"), ParseStatus::NeedMore);
  }
  expect_error("*1\r\n$101\r\n", ParseError::InvalidBulkLength, small);
  expect_error(std::string(33, 'x'), ParseError::TooBigInline, small);
  expect_error("*1\r\n$-1\r\n", ParseError::InvalidBulkLength);
  expect_error("*1\r\n$abc\r\n", ParseError::InvalidBulkLength);
  expect_error("*1\r\n$+1\r\n", ParseError::InvalidBulkLength);
  expect_error("*abc\r\n", ParseError::InvalidMultibulkLength);
  expect_error("*2147483648\r\n", ParseError::InvalidMultibulkLength);
  expect_error("*99999999999999999999\r\n", ParseError::InvalidMultibulkLength);
  expect_error("*1\r\nxyz\r\n", ParseError::ExpectedDollar);
  {
    RequestParser p;
    parse_once(p, "*1\r\n:12\r\n");
    assert_string_equal(p.error_text().c_str(), "ERR Protocol error: expected '$', got ':'");
  }
  expect_error("set \"abc\r\n", ParseError::UnbalancedQuotes);
  expect_error("set \"abc\"d\r\n", ParseError::UnbalancedQuotes);
  expect_error("set 'abc\r\n", ParseError::UnbalancedQuotes);
  // Unauthenticated clients: at most 10 elements and 16 KiB bulks.
  {
    RequestParser p;
    assert_int_equal(parse_once(p, "*10\r\n", false), ParseStatus::NeedMore);
    RequestParser q;
    assert_int_equal(parse_once(q, "*1\r\n$16384\r\n", false), ParseStatus::NeedMore);
    RequestParser r;
    assert_int_equal(parse_once(r, "*11\r\n", true), ParseStatus::NeedMore);
  }
  expect_error("*11\r\n", ParseError::UnauthenticatedMultibulk, {}, false);
  expect_error("*1\r\n$16385\r\n", ParseError::UnauthenticatedBulk, {}, false);
  // Texts as Redis 7.0 sends them.
  assert_string_equal(sc::resp::parse_error_text(ParseError::InvalidBulkLength, 0).c_str(),
                      "ERR Protocol error: invalid bulk length");
  assert_string_equal(sc::resp::parse_error_text(ParseError::InvalidMultibulkLength, 0).c_str(),
                      "ERR Protocol error: invalid multibulk length");
  assert_string_equal(sc::resp::parse_error_text(ParseError::TooBigInline, 0).c_str(),
                      "ERR Protocol error: too big inline request");
  assert_string_equal(sc::resp::parse_error_text(ParseError::UnbalancedQuotes, 0).c_str(),
                      "ERR Protocol error: unbalanced quotes in request");
}

// The pending_bulk hint while a large bulk is arriving.
void test_pending_bulk(void**) {
  RequestParser p;
  assert_int_equal(parse_once(p, "*2\r\n$3\r\nset\r\n$1000\r\nab"), ParseStatus::NeedMore);
  assert_int_equal(p.pending_bulk(), 1000);
}

// ---- Writer ----

std::string write_both(void (*fn)(Writer&), Proto proto) {
  Buffer b;
  Writer w(&b, proto);
  fn(w);
  return std::string(b.view());
}

struct WriterCase {
  const char* name;
  void (*fn)(Writer&);
  std::string resp2, resp3;
};

void test_writer(void**) {
  const WriterCase cases[] = {
      {"simple", [](Writer& w) { w.simple("OK2"); }, "+OK2\r\n", "+OK2\r\n"},
      {"ok", [](Writer& w) { w.ok(); }, "+OK\r\n", "+OK\r\n"},
      {"error", [](Writer& w) { w.error("ERR bad\r\nthing"); }, "-ERR bad  thing\r\n",
       "-ERR bad  thing\r\n"},
      {"integer", [](Writer& w) { w.integer(-42); }, ":-42\r\n", ":-42\r\n"},
      {"integer min", [](Writer& w) { w.integer(LLONG_MIN); }, ":-9223372036854775808\r\n",
       ":-9223372036854775808\r\n"},
      {"integer max", [](Writer& w) { w.integer(LLONG_MAX); }, ":9223372036854775807\r\n",
       ":9223372036854775807\r\n"},
      {"bulk", [](Writer& w) { w.bulk("hello"); }, "$5\r\nhello\r\n", "$5\r\nhello\r\n"},
      {"bulk empty", [](Writer& w) { w.bulk(""); }, "$0\r\n\r\n", "$0\r\n\r\n"},
      {"bulk binary", [](Writer& w) { w.bulk(std::string_view("a\0\r\n", 4)); },
       std::string("$4\r\na\0\r\n\r\n", 10), std::string("$4\r\na\0\r\n\r\n", 10)},
      {"bulk_int", [](Writer& w) { w.bulk_int(-7); }, "$2\r\n-7\r\n", "$2\r\n-7\r\n"},
      {"null", [](Writer& w) { w.null(); }, "$-1\r\n", "_\r\n"},
      {"null_array", [](Writer& w) { w.null_array(); }, "*-1\r\n", "_\r\n"},
      {"array",
       [](Writer& w) {
         w.array(2);
         w.integer(1);
         w.bulk("a");
       },
       "*2\r\n:1\r\n$1\r\na\r\n", "*2\r\n:1\r\n$1\r\na\r\n"},
      {"array empty", [](Writer& w) { w.array(0); }, "*0\r\n", "*0\r\n"},
      {"map",
       [](Writer& w) {
         w.map(1);
         w.bulk("f");
         w.bulk("v");
       },
       "*2\r\n$1\r\nf\r\n$1\r\nv\r\n", "%1\r\n$1\r\nf\r\n$1\r\nv\r\n"},
      {"set",
       [](Writer& w) {
         w.set(1);
         w.bulk("m");
       },
       "*1\r\n$1\r\nm\r\n", "~1\r\n$1\r\nm\r\n"},
      {"push",
       [](Writer& w) {
         w.push(1);
         w.bulk("message");
       },
       "*1\r\n$7\r\nmessage\r\n", ">1\r\n$7\r\nmessage\r\n"},
      {"true", [](Writer& w) { w.boolean(true); }, ":1\r\n", "#t\r\n"},
      {"false", [](Writer& w) { w.boolean(false); }, ":0\r\n", "#f\r\n"},
      {"dbl", [](Writer& w) { w.dbl(1.5); }, "$3\r\n1.5\r\n", ",1.5\r\n"},
      {"dbl inf", [](Writer& w) { w.dbl(1.0 / 0.0); }, "$3\r\ninf\r\n", ",inf\r\n"},
      {"dbl -inf", [](Writer& w) { w.dbl(-1.0 / 0.0); }, "$4\r\n-inf\r\n", ",-inf\r\n"},
      {"verbatim", [](Writer& w) { w.verbatim("a\r\nb"); }, "$4\r\na\r\nb\r\n",
       "=8\r\ntxt:a\r\nb\r\n"},
      {"raw", [](Writer& w) { w.raw("+X\r\n"); }, "+X\r\n", "+X\r\n"},
  };
  for (const auto& c : cases) {
    std::string r2 = write_both(c.fn, Proto::Resp2), r3 = write_both(c.fn, Proto::Resp3);
    if (r2 != c.resp2) fail_msg("%s RESP2: got %s", c.name, r2.c_str());
    if (r3 != c.resp3) fail_msg("%s RESP3: got %s", c.name, r3.c_str());
  }
  // Many replies into one buffer (growth across the 1 KiB initial capacity).
  Buffer b;
  Writer w(&b, Proto::Resp2);
  std::string expect;
  for (int i = 0; i < 1000; i++) {
    w.bulk_int(i);
    std::string s = std::to_string(i);
    expect += "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
  }
  assert_true(std::string(b.view()) == expect);
  // set_proto switches forms on the same writer.
  Buffer b2;
  Writer w2(&b2, Proto::Resp2);
  w2.null();
  w2.set_proto(Proto::Resp3);
  w2.null();
  assert_true(std::string(b2.view()) == "$-1\r\n_\r\n");
}

// ---- parse_ll / format_ll ----

void test_parse_ll(void**) {
  struct {
    const char* s;
    bool ok;
    long long v;
  } cases[] = {
      {"0", true, 0},
      {"1", true, 1},
      {"-1", true, -1},
      {"9223372036854775807", true, LLONG_MAX},
      {"-9223372036854775808", true, LLONG_MIN},
      {"9223372036854775808", false, 0},
      {"-9223372036854775809", false, 0},
      {"18446744073709551615", false, 0},
      {"18446744073709551616", false, 0},
      {"99999999999999999999", false, 0},
      {"123456789012345678901", false, 0},
      {"+1", false, 0},
      {"01", false, 0},
      {"00", false, 0},
      {"-0", false, 0},
      {"-", false, 0},
      {"", false, 0},
      {" 1", false, 0},
      {"1 ", false, 0},
      {"1a", false, 0},
      {"0x10", false, 0},
      {"1.0", false, 0},
  };
  for (const auto& c : cases) {
    long long v = 12345;
    bool ok = sc::resp::parse_ll(c.s, &v);
    if (ok != c.ok) fail_msg("parse_ll(\"%s\") returned %d", c.s, ok);
    if (ok) assert_true(v == c.v);
  }
  for (long long v : {0LL, 1LL, -1LL, 10LL, -10LL, LLONG_MAX, LLONG_MIN, 1000000007LL}) {
    char buf[24];
    size_t n = sc::resp::format_ll(buf, v);
    long long back = 0;
    assert_true(sc::resp::parse_ll(std::string_view(buf, n), &back));
    assert_true(back == v);
    assert_true(std::string(buf, n) == std::to_string(v));
  }
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_split_at_every_offset),
      cmocka_unit_test(test_byte_by_byte),
      cmocka_unit_test(test_pipeline),
      cmocka_unit_test(test_garbage),
      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_pending_bulk),
      cmocka_unit_test(test_writer),
      cmocka_unit_test(test_parse_ll),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
