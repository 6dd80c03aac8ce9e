// ReplyParser (common/resp.h): every RESP2/RESP3 reply type, each valid reply cut at every byte
// offset (NeedMore, nothing consumed, then Ok with the right tree), the Writer's output read
// back, limits (depth, lengths), and seeded garbage that must never crash or over-read.
#include <random>
#include <string>
#include <vector>

#include "buffer.h"
#include "resp.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
extern "C" {
#include <cmocka.h>
}

using sc::resp::ParseStatus;
using sc::resp::Reply;
using sc::resp::ReplyLimits;
using sc::resp::ReplyParser;
using K = Reply::Kind;

namespace {

const char* kValid[] = {
    "+OK\r\n",
    "-ERR wrong\r\n",
    ":-42\r\n",
    "$5\r\nhe\r\no\r\n",
    "$0\r\n\r\n",
    "$-1\r\n",
    "*-1\r\n",
    "_\r\n",
    "*3\r\n:1\r\n$1\r\na\r\n*1\r\n+x\r\n",
    "%2\r\n+a\r\n:1\r\n+b\r\n#t\r\n",
    "~2\r\n+x\r\n+y\r\n",
    ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
    ",3.25\r\n",
    ",inf\r\n",
    "(123456789012345678901234567890\r\n",
    "=8\r\ntxt:abcd\r\n",
    "!9\r\nERR blob!\r\n",
    "|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n",
    "*0\r\n",
};

void test_every_offset(void**) {
  for (const char* text : kValid) {
    std::string s(text);
    for (size_t cut = 0; cut < s.size(); cut++) {
      ReplyParser p;
      size_t used = 99;
      Reply r;
      ParseStatus st = p.parse(std::string_view(s).substr(0, cut), &used, &r);
      if (st != ParseStatus::NeedMore) fail_msg("%s cut at %zu: not NeedMore", text, cut);
      assert_int_equal(used, 0);
    }
    ReplyParser p;
    size_t used = 0;
    Reply r;
    std::string twice = s + s;  // a following reply is not consumed
    assert_int_equal(p.parse(twice, &used, &r), ParseStatus::Ok);
    assert_int_equal(used, s.size());
  }
}

void test_trees(void**) {
  ReplyParser p;
  size_t used;
  Reply r;
  assert_int_equal(p.parse("*3\r\n:1\r\n$1\r\na\r\n*1\r\n+x\r\n", &used, &r), ParseStatus::Ok);
  assert_true(r.kind == K::Array && r.elems.size() == 3);
  assert_int_equal(r.elems[0].integer, 1);
  assert_string_equal(r.elems[1].str.c_str(), "a");
  assert_true(r.elems[2].elems[0].kind == K::Simple);
  assert_int_equal(p.parse("%2\r\n+a\r\n:1\r\n+b\r\n#t\r\n", &used, &r), ParseStatus::Ok);
  assert_true(r.kind == K::Map && r.elems.size() == 4 && r.elems[3].kind == K::Boolean &&
              r.elems[3].integer == 1);
  assert_int_equal(p.parse("$5\r\nhe\r\no\r\n", &used, &r), ParseStatus::Ok);
  assert_int_equal(r.str.size(), 5);  // CRLF inside a bulk is data
  assert_int_equal(p.parse("|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n", &used, &r), ParseStatus::Ok);
  assert_true(r.kind == K::Bulk && r.attributes.size() == 2);
  assert_int_equal(p.parse("!9\r\nERR blob!\r\n", &used, &r), ParseStatus::Ok);
  assert_true(r.kind == K::Error);
}

// What the Writer produces, the ReplyParser reads back.
void test_writer_round_trip(void**) {
  for (auto proto : {sc::resp::Proto::Resp2, sc::resp::Proto::Resp3}) {
    sc::Buffer b;
    sc::resp::Writer w(&b, proto);
    w.map(2);
    w.bulk("name");
    w.bulk("ann");
    w.bulk("n");
    w.dbl(1.5);
    w.push(1);
    w.boolean(true);
    w.null();
    ReplyParser p;
    std::string all(b.view());
    size_t used;
    Reply r;
    assert_int_equal(p.parse(all, &used, &r), ParseStatus::Ok);
    assert_true(r.elems.size() == 4);
    all.erase(0, used);
    assert_int_equal(p.parse(all, &used, &r), ParseStatus::Ok);
    all.erase(0, used);
    assert_int_equal(p.parse(all, &used, &r), ParseStatus::Ok);
    assert_int_equal(used, all.size());
  }
}

void test_limits(void**) {
  ReplyLimits lim;
  lim.max_depth = 8;
  lim.max_bulk_len = 100;
  lim.max_elements = 10;
  lim.max_line = 32;
  ReplyParser p(lim);
  size_t used;
  Reply r;
  std::string deep;
  for (int i = 0; i < 20; i++) deep += "*1\r\n";
  deep += ":1\r\n";
  assert_int_equal(p.parse(deep, &used, &r), ParseStatus::Error);
  assert_int_equal(p.parse("$101\r\n", &used, &r), ParseStatus::Error);
  assert_int_equal(p.parse("*11\r\n", &used, &r), ParseStatus::Error);
  assert_int_equal(p.parse("$-2\r\n", &used, &r), ParseStatus::Error);
  assert_int_equal(p.parse("%-1\r\n", &used, &r), ParseStatus::Error);
  assert_int_equal(p.parse(":12a\r\n", &used, &r), ParseStatus::Error);
  assert_int_equal(p.parse("$3\r\nabcXY", &used, &r), ParseStatus::Error);
  assert_int_equal(p.parse("?\r\n", &used, &r), ParseStatus::Error);
  assert_int_equal(p.parse(std::string(40, '+'), &used, &r), ParseStatus::Error);
  assert_int_equal(p.parse("+a\rb\r\n", &used, &r), ParseStatus::Error);
}

void test_garbage(void**) {
  std::mt19937 rng(12345);
  const char alphabet[] = "+-:$*%~>_,#(=!|\r\n0123456789-abc";
  int ok = 0, err = 0, more = 0;
  for (int i = 0; i < 20000; i++) {
    std::string s;
    size_t n = rng() % 40;
    for (size_t j = 0; j < n; j++)
      s += (rng() % 4) ? alphabet[rng() % (sizeof alphabet - 1)] : char(rng() % 256);
    ReplyParser p;
    size_t used = 0;
    Reply r;
    ParseStatus st = p.parse(s, &used, &r);
    assert_true(used <= s.size());
    (st == ParseStatus::Ok ? ok : st == ParseStatus::Error ? err : more)++;
  }
  print_message("garbage: %d ok, %d error, %d need-more of 20000\n", ok, err, more);
  assert_true(err > 0);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_offset), cmocka_unit_test(test_trees),
      cmocka_unit_test(test_writer_round_trip), cmocka_unit_test(test_limits),
      cmocka_unit_test(test_garbage),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
