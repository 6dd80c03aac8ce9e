// Unit tests of the session id helpers (worker/src/session_id.h): exact cookie-name matching
// (`xsid=` is not `sid=`), quoted values, query parameters, the well-formed check on hostile
// ids, the encoder's alphabet and length, and seeded garbage headers that must never yield an
// id the check lets through unless it is made only of the URL-safe alphabet.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <random>
#include <string>

#include "session_id.h"
extern "C" {
#include <cmocka.h>
}

namespace {

namespace ss = sc::session;

std::string cookie(const char* header, const char* name) {
  std::string_view v;
  if (!ss::cookie_value(header, name, &v)) return "<none>";
  return std::string(v);
}

void test_cookie_exact_name(void**) {
  assert_string_equal(cookie("sid=abc", "sid").c_str(), "abc");
  assert_string_equal(cookie("xsid=abc", "sid").c_str(), "<none>");
  assert_string_equal(cookie("sidx=abc", "sid").c_str(), "<none>");
  assert_string_equal(cookie("xsid=bad; sid=good", "sid").c_str(), "good");
  assert_string_equal(cookie("a=1;sid=two;b=3", "sid").c_str(), "two");
  assert_string_equal(cookie("  sid = spaced  ; x=1", "sid").c_str(), "spaced");
  assert_string_equal(cookie("sid=\"quoted\"", "sid").c_str(), "quoted");
  assert_string_equal(cookie("sid=first; sid=second", "sid").c_str(), "first");
  assert_string_equal(cookie("", "sid").c_str(), "<none>");
  assert_string_equal(cookie(";;;", "sid").c_str(), "<none>");
  assert_string_equal(cookie("sid", "sid").c_str(), "<none>");
  assert_string_equal(cookie("sid=", "sid").c_str(), "");
  assert_string_equal(cookie("sid=a", "").c_str(), "<none>");
  assert_string_equal(cookie("n/app/ssid=1; ssid=2", "ssid").c_str(), "2");
}

void test_query(void**) {
  std::string_view v;
  assert_true(ss::query_value("sid=abc", "sid", &v));
  assert_true(v == "abc");
  assert_true(ss::query_value("x=1&sid=def&y=2", "sid", &v));
  assert_true(v == "def");
  assert_false(ss::query_value("xsid=1&sidy=2", "sid", &v));
  assert_false(ss::query_value("", "sid", &v));
  assert_false(ss::query_value("&&&", "sid", &v));
}

void test_well_formed(void**) {
  assert_true(ss::well_formed("ABCDEFGHIJKLMNOPQRSTUV"));  // 22
  assert_false(ss::well_formed("ABCDEFGHIJKLMNOPQRSTU"));  // 21
  assert_true(ss::well_formed(std::string(64, 'a')));
  assert_false(ss::well_formed(std::string(65, 'a')));
  assert_false(ss::well_formed(""));
  const char* hostile[] = {"aaaaaaaaaaaaaaaaaaaaaa:x",     "aaaaaaaaaaaaaaaaaaaaaa*",
                           "aaaaaaaaaaaaaaaaaaaa\r\nX",    "aaaaaaaaaaaaaaaaaaaaa a",
                           "aaaaaaaaaaaaaaaaaaaaaa\"",     "aaaaaaaaaaaaaaaaaaaaa/a",
                           "aaaaaaaaaaaaaaaaaaaaaa=",      "aaaaaaaaaaaaaaaaaaaa%3A",
                           "aaaaaaaaaaaaaaaaaaaa\xc3\xa9", "aaaaaaaaaaaaaaaaaaaaaa;"};
  for (const char* h : hostile) assert_false(ss::well_formed(h));
  std::string nul(30, 'a');
  nul[10] = '\0';
  assert_false(ss::well_formed(nul));
}

void test_encode(void**) {
  unsigned char b[ss::kSidRandomBytes];
  std::mt19937_64 rng(7);
  for (int round = 0; round < 1000; round++) {
    for (auto& c : b) c = static_cast<unsigned char>(rng());
    std::string sid = ss::encode_sid(b, sizeof b);
    assert_int_equal(sid.size(), 32);
    assert_true(ss::well_formed(sid));
  }
  const unsigned char zero[3] = {0, 0, 0};
  assert_string_equal(ss::encode_sid(zero, 3).c_str(), "AAAA");
  const unsigned char ff[2] = {0xff, 0xff};
  assert_string_equal(ss::encode_sid(ff, 2).c_str(), "__8");
  assert_string_equal(ss::encode_sid(ff, 1).c_str(), "_w");
}

void test_set_cookie(void**) {
  assert_string_equal(ss::set_cookie("sid", "abc", false).c_str(),
                      "sid=abc; Path=/; HttpOnly; SameSite=Lax");
  assert_string_equal(ss::set_cookie("sid", "abc", true).c_str(),
                      "sid=abc; Path=/; HttpOnly; SameSite=Lax; Secure");
}

// Random headers built from a hostile alphabet: whatever the parser extracts is either
// rejected or made only of the id alphabet, and never reads out of the header.
void test_garbage(void**) {
  const char alphabet[] = "sid=; \t\"x:*\r\n\x01\x7f\xff%&aZ09_-";
  std::mt19937_64 rng(17);
  for (int round = 0; round < 50000; round++) {
    std::string h;
    size_t n = rng() % 80;
    for (size_t i = 0; i < n; i++) h.push_back(alphabet[rng() % (sizeof alphabet - 1)]);
    std::string_view v;
    for (bool is_cookie : {true, false}) {
      bool found = is_cookie ? ss::cookie_value(h, "sid", &v) : ss::query_value(h, "sid", &v);
      if (!found) continue;
      assert_true(v.data() >= h.data() && v.data() + v.size() <= h.data() + h.size());
      if (ss::well_formed(v))
        for (unsigned char c : v) assert_true(isalnum(c) || c == '_' || c == '-');
    }
  }
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cookie_exact_name), cmocka_unit_test(test_query),
      cmocka_unit_test(test_well_formed),       cmocka_unit_test(test_encode),
      cmocka_unit_test(test_set_cookie),        cmocka_unit_test(test_garbage),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
