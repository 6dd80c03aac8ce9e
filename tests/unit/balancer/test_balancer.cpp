// Unit tests of the balancer's pure parts: the request-head parser (split at every offset,
// garbage, limits, exact cookie names), the replay verdict (what may be resent after a backend
// reset) and the consistent hash (stable, even, minimal movement).
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
// cmocka needs the above first
extern "C" {
#include <cmocka.h>
}

#include <cstdint>
#include <string>
#include <vector>

#include "consistent_hash.h"
#include "http_head.h"

using sc::bal::HeadError;
using sc::bal::HeadParser;
using sc::bal::HeadStatus;

// Feeds `in` growing one byte at a time (prefixes), as the proxy does with segments.
static HeadStatus feed_prefixes(HeadParser* p, const std::string& in, size_t split) {
  HeadStatus st = p->parse(std::string_view(in).substr(0, split));
  if (st != HeadStatus::NeedMore) return st;
  return p->parse(in);
}

static void test_head_every_split(void**) {
  std::string req =
      "GET /socketcluster/?a=1&sid=q%41x&b=2 HTTP/1.1\r\nHost: x\r\nCookie: xsid=no; sid=cookie\r\n"
      "\r\nBODY";
  for (size_t split = 0; split <= req.size(); split++) {
    HeadParser p("sid", 65536);
    assert_int_equal(int(feed_prefixes(&p, req, split)), int(HeadStatus::Done));
    assert_int_equal(p.head_len(), req.size() - 4);
    assert_string_equal(p.session_id().c_str(), "qAx");
  }
}

static void test_head_cookie_exact(void**) {
  HeadParser p("sid", 65536);
  std::string req =
      "GET / HTTP/1.1\r\nCookie: xsid=wrong; sidx=wrong2\r\ncookie:  a=b; sid=\"right\"\r\n\r\n";
  assert_int_equal(int(p.parse(req)), int(HeadStatus::Done));
  assert_string_equal(p.session_id().c_str(), "right");
  HeadParser q("sid", 65536);
  std::string none = "GET /?xsid=1 HTTP/1.1\r\nCookie: xsid=2\r\n\r\n";
  assert_int_equal(int(q.parse(none)), int(HeadStatus::Done));
  assert_string_equal(q.session_id().c_str(), "");
}

static void test_head_large(void**) {
  std::string req =
      "GET /?x=1 HTTP/1.1\r\nX-Pad: " + std::string(9000, 'p') + "\r\nCookie: sid=big\r\n\r\n";
  HeadParser p("sid", 65536);
  for (size_t n = 1; n < req.size(); n += 1000)
    assert_int_equal(int(p.parse(std::string_view(req).substr(0, n))), int(HeadStatus::NeedMore));
  assert_int_equal(int(p.parse(req)), int(HeadStatus::Done));
  assert_string_equal(p.session_id().c_str(), "big");
  HeadParser small("sid", 4096);
  assert_int_equal(int(small.parse(req)), int(HeadStatus::Error));
  assert_int_equal(int(small.error()), int(HeadError::TooLarge));
}

static void test_head_garbage(void**) {
  const char* bad[] = {"\x16\x03\x01\x02\x00", " GET / HTTP/1.1\r\n\r\n", "GE\x01T",
                       "GET /\r\n\r\n", "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJ / HTTP/1.1\r\n\r\n"};
  for (const char* b : bad) {
    HeadParser p("sid", 65536);
    assert_int_equal(int(p.parse(b)), int(HeadStatus::Error));
  }
  // Random bytes never crash and end in Error or NeedMore.
  uint64_t x = 1;
  for (int round = 0; round < 2000; round++) {
    std::string s;
    for (int i = 0; i < 64; i++) {
      x = sc::mix64(x);
      s.push_back(char(x & 0xff));
    }
    HeadParser p("sid", 1024);
    for (size_t n = 0; n <= s.size(); n++) p.parse(std::string_view(s).substr(0, n));
  }
}

static void test_jump_hash_properties(void**) {
  // Stable values (any change breaks the mapping of running clusters).
  assert_int_equal(sc::jump_hash(0, 1), 0);
  assert_int_equal(sc::jump_hash(sc::hash64("127.0.0.1"), 5),
                   sc::jump_hash(sc::hash64("127.0.0.1"), 5));
  // Even spread and minimal movement when a slot dies.
  const int n = 5, keys = 50000;
  std::vector<int> count(n, 0);
  std::vector<int> before(keys);
  for (int k = 0; k < keys; k++) {
    before[k] = sc::pick_live(sc::hash64(std::to_string(k)), n, [](int) { return true; });
    count[before[k]]++;
  }
  for (int c : count) assert_true(c > keys / n * 0.95 && c < keys / n * 1.05);
  for (int k = 0; k < keys; k++) {
    int after = sc::pick_live(sc::hash64(std::to_string(k)), n, [](int i) { return i != 2; });
    assert_true(after != 2);
    if (before[k] != 2) assert_int_equal(after, before[k]);  // only slot 2's keys move
  }
  assert_int_equal(sc::pick_live(7, n, [](int) { return false; }), -1);
}

// replay_verdict: every proper prefix of a bodiless GET/HEAD head is Maybe, the whole head Yes;
// a body, another method, a second request or garbage is No.
static void test_replay_verdict(void**) {
  using sc::bal::Replay;
  using sc::bal::replay_verdict;
  for (std::string head : {std::string("GET /x HTTP/1.1\r\nHost: a\r\n\r\n"),
                           std::string("HEAD / HTTP/1.0\r\nContent-Length: 0\r\n\r\n"),
                           std::string("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n"
                                       "Connection: Upgrade\r\n\r\n")}) {
    for (size_t n = 0; n < head.size(); n++)
      assert_true(replay_verdict(std::string_view(head).substr(0, n), 65536) == Replay::Maybe);
    assert_true(replay_verdict(head, 65536) == Replay::Yes);
    assert_true(replay_verdict(head + "G", 65536) == Replay::No);  // a second request
    assert_true(replay_verdict(head, 16) == Replay::No);           // too long
  }
  for (const char* no : {"POST /x HTTP/1.1\r\n\r\n", "PUT ", "GETX", "HEADER",
                         "GET / HTTP/1.1\r\nContent-Length: 3\r\n\r\n",
                         "GET / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n",
                         "GET / XTTP/1.1\r\n\r\n", "\x16\x03\x01"})
    assert_true(replay_verdict(no, 65536) == Replay::No);
}

int main() {
  const CMUnitTest tests[] = {
      cmocka_unit_test(test_head_every_split),     cmocka_unit_test(test_head_cookie_exact),
      cmocka_unit_test(test_head_large),           cmocka_unit_test(test_head_garbage),
      cmocka_unit_test(test_jump_hash_properties), cmocka_unit_test(test_replay_verdict),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
