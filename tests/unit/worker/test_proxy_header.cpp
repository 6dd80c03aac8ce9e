// Unit tests of the PROXY protocol parser and X-Forwarded-For (worker/src/proxy_header.h):
// v1 and v2 headers for IPv4 and IPv6, UNKNOWN and LOCAL, every prefix of a valid header
// (NeedMore, never a wrong answer), an HTTP request (NotProxy at its first byte), malformed
// headers, and seeded garbage (never a crash, never more consumed than given).
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <random>
#include <string>

#include "proxy_header.h"
extern "C" {
#include <cmocka.h>
}

namespace {

using sc::ProxyParse;

ProxyParse parse(const std::string& in, size_t* consumed, std::string* addr) {
  *consumed = 0;
  return sc::parse_proxy_header(in, consumed, addr);
}

std::string v2(unsigned char ver_cmd, unsigned char fam, const std::string& body) {
  std::string h("\r\n\r\n\0\r\nQUIT\n", 12);
  h.push_back(char(ver_cmd));
  h.push_back(char(fam));
  h.push_back(char(body.size() >> 8));
  h.push_back(char(body.size() & 0xff));
  return h + body;
}

// Every proper prefix of `header` needs more; the whole, followed by a request, is Ok.
void check_prefixes(const std::string& header, const char* want_addr) {
  size_t consumed;
  std::string addr;
  for (size_t i = 0; i < header.size(); i++)
    assert_int_equal(int(parse(header.substr(0, i), &consumed, &addr)), int(ProxyParse::NeedMore));
  std::string in = header + "GET / HTTP/1.1\r\n";
  assert_int_equal(int(parse(in, &consumed, &addr)), int(ProxyParse::Ok));
  assert_int_equal(consumed, header.size());
  assert_string_equal(addr.c_str(), want_addr);
}

void test_v1(void**) {
  check_prefixes("PROXY TCP4 10.1.2.3 127.0.0.1 40000 8000\r\n", "10.1.2.3");
  check_prefixes("PROXY TCP6 2001:db8::7 ::1 40000 8000\r\n", "2001:db8::7");
  check_prefixes("PROXY UNKNOWN\r\n", "");
  check_prefixes("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n", "");
}

void test_v2(void**) {
  std::string b4 = std::string("\x0a\x01\x02\x03", 4) + std::string("\x7f\x00\x00\x01", 4) +
                   std::string("\x9c\x40\x1f\x40", 4);
  check_prefixes(v2(0x21, 0x11, b4), "10.1.2.3");
  std::string b6(36, '\0');
  b6[0] = char(0x20);
  b6[1] = char(0x01);
  b6[15] = char(0x09);
  check_prefixes(v2(0x21, 0x21, b6), "2001::9");
  check_prefixes(v2(0x21, 0x11, b4 + std::string("\x04\x00\x01x", 4)), "10.1.2.3");  // a TLV
  check_prefixes(v2(0x20, 0x00, ""), "");                                            // LOCAL
  check_prefixes(v2(0x21, 0x31, std::string(216, 'u')), "");                         // AF_UNIX
}

void test_not_proxy_and_errors(void**) {
  size_t consumed;
  std::string addr;
  assert_int_equal(int(parse("G", &consumed, &addr)), int(ProxyParse::NotProxy));
  assert_int_equal(int(parse("GET /socketcluster/ HTTP/1.1\r\n", &consumed, &addr)),
                   int(ProxyParse::NotProxy));
  assert_int_equal(int(parse("PROXX", &consumed, &addr)), int(ProxyParse::NotProxy));
  assert_int_equal(int(parse("\r\n\r\nX", &consumed, &addr)), int(ProxyParse::NotProxy));
  assert_int_equal(consumed, 0);
  for (const char* bad : {
           "PROXY TCP4 10.1.2.3 127.0.0.1 40000\r\n",         // a field missing
           "PROXY TCP4 10.1.2.3 127.0.0.1 40000 8000 9\r\n",  // one too many
           "PROXY TCP4 ::1 127.0.0.1 40000 8000\r\n",         // family mismatch
           "PROXY TCP4 10.1.2.300 127.0.0.1 40000 8000\r\n",  // not an address
           "PROXY TCP4 10.1.2.3 127.0.0.1 70000 8000\r\n",    // port range
           "PROXY TCP4 10.1.2.3 127.0.0.1 040 8000\r\n",      // leading zero
           "PROXY UDP4 10.1.2.3 127.0.0.1 1 2\r\n",           // not TCP
       })
    assert_int_equal(int(parse(bad, &consumed, &addr)), int(ProxyParse::Error));
  // No CRLF within 107 bytes.
  assert_int_equal(int(parse("PROXY " + std::string(120, 'x'), &consumed, &addr)),
                   int(ProxyParse::Error));
  assert_int_equal(int(parse(v2(0x11, 0x11, std::string(12, 'x')), &consumed, &addr)),
                   int(ProxyParse::Error));  // version 1 in a v2 block
  assert_int_equal(int(parse(v2(0x23, 0x11, std::string(12, 'x')), &consumed, &addr)),
                   int(ProxyParse::Error));  // command 3
  assert_int_equal(int(parse(v2(0x21, 0x11, std::string(4, 'x')), &consumed, &addr)),
                   int(ProxyParse::Error));  // too short for IPv4
  assert_int_equal(int(parse(v2(0x21, 0x11, std::string(600, 'x')), &consumed, &addr)),
                   int(ProxyParse::Error));  // over kProxyV2MaxBody
}

void test_garbage(void**) {
  std::mt19937 rng(16);
  for (int i = 0; i < 20000; i++) {
    std::string in = i % 2 ? "PROXY " : std::string("\r\n\r\n\0\r\nQUIT\n", 12);
    size_t n = rng() % 140;
    for (size_t k = 0; k < n; k++)
      in.push_back(char(rng() % 4 ? "TCP46 .:0123456789\r\n"[rng() % 20] : rng()));
    size_t consumed = 0;
    std::string addr;
    ProxyParse r = sc::parse_proxy_header(in, &consumed, &addr);
    if (r == ProxyParse::Ok) assert_true(consumed <= in.size());
  }
}

void test_forwarded_for(void**) {
  assert_string_equal(sc::first_forwarded_for("10.0.0.7").c_str(), "10.0.0.7");
  assert_string_equal(sc::first_forwarded_for(" 10.0.0.7 , 192.168.1.1").c_str(), "10.0.0.7");
  assert_string_equal(sc::first_forwarded_for("2001:db8::1, 10.0.0.1").c_str(), "2001:db8::1");
  assert_string_equal(sc::first_forwarded_for("unknown, 10.0.0.1").c_str(), "");
  assert_string_equal(sc::first_forwarded_for("").c_str(), "");
  assert_string_equal(sc::first_forwarded_for("10.0.0.7:1234").c_str(), "");
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_v1),
      cmocka_unit_test(test_v2),
      cmocka_unit_test(test_not_proxy_and_errors),
      cmocka_unit_test(test_garbage),
      cmocka_unit_test(test_forwarded_for),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
