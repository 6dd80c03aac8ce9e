// Unit tests of common/net.h: "HOST:PORT" parsing at every edge (brackets, ports 0, 1, 65535,
// 65536, six digits, signs, spaces, empty parts) and on garbage bytes, numeric addresses, a
// listening socket on IPv4 and IPv6 loopback, sockaddr text, loopback tests, timevals.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "net.h"
extern "C" {
#include <cmocka.h>
}

namespace {

using sc::net::HostPort;
using sc::net::NetError;

void expect_ok(const char* text, const char* host, int port) {
  HostPort hp;
  NetError e = sc::net::parse_host_port(text, &hp);
  if (e != NetError::Ok) fail_msg("'%s': %s", text, sc::net::net_error_text(e));
  assert_string_equal(hp.host.c_str(), host);
  assert_int_equal(hp.port, port);
}

void expect_error(std::string_view text, NetError want) {
  HostPort hp{"untouched", 7};
  NetError e = sc::net::parse_host_port(text, &hp);
  if (e != want)
    fail_msg("'%.*s': got '%s', want '%s'", int(text.size()), text.data(),
             sc::net::net_error_text(e), sc::net::net_error_text(want));
  assert_string_equal(hp.host.c_str(), "untouched");  // outputs only on success
  assert_int_equal(hp.port, 7);
}

void test_parse_valid(void**) {
  expect_ok("127.0.0.1:6379", "127.0.0.1", 6379);
  expect_ok("localhost:1", "localhost", 1);
  expect_ok("h:65535", "h", 65535);
  expect_ok("h:00080", "h", 80);         // five digits, leading zeros
  expect_ok("[::1]:8080", "::1", 8080);  // brackets removed
  expect_ok("[fe80::1%eth0]:9", "fe80::1%eth0", 9);
  expect_ok("::1:8080", "::1", 8080);  // no brackets: the last ':' splits
  expect_ok("a:b:c:1", "a:b:c", 1);
  expect_ok("[x]:1", "x", 1);  // brackets do not check the host
}

void test_parse_edges(void**) {
  expect_error("", NetError::NoPort);
  expect_error("host", NetError::NoPort);
  expect_error("127.0.0.1", NetError::NoPort);
  expect_error(":80", NetError::EmptyHost);
  expect_error(":", NetError::EmptyHost);
  expect_error("[]:80", NetError::EmptyHost);
  expect_error("host:", NetError::BadPort);
  expect_error("host:0", NetError::BadPort);
  expect_error("host:00000", NetError::BadPort);
  expect_error("host:65536", NetError::BadPort);
  expect_error("host:99999", NetError::BadPort);
  expect_error("host:100000", NetError::BadPort);  // six digits
  expect_error("host:000080", NetError::BadPort);  // six digits even if small
  expect_error("host:+80", NetError::BadPort);
  expect_error("host:-1", NetError::BadPort);
  expect_error("host: 80", NetError::BadPort);
  expect_error("host:80 ", NetError::BadPort);
  expect_error("host:8a", NetError::BadPort);
  expect_error("host:0x50", NetError::BadPort);
  expect_error("[::1]", NetError::BadBracket);
  expect_error("[::1]:", NetError::BadPort);
  expect_error("[::1]80", NetError::BadBracket);
  expect_error("[::1", NetError::BadBracket);
  expect_error("[::1:80", NetError::BadBracket);
  expect_error("[", NetError::BadBracket);
}

// Every byte string of length <= 3 over a small alphabet, and random garbage: the parser never
// crashes, and whenever it accepts, the parts rebuild the input.
void test_parse_garbage(void**) {
  const char alphabet[] = {'[', ']', ':', '1', '0', 'a', ' ', '\0', '\xff'};
  const size_t n = sizeof alphabet;
  std::string s;
  for (size_t len = 0; len <= 4; len++) {
    size_t total = 1;
    for (size_t i = 0; i < len; i++) total *= n;
    for (size_t k = 0; k < total; k++) {
      s.clear();
      for (size_t i = 0, x = k; i < len; i++, x /= n) s.push_back(alphabet[x % n]);
      HostPort hp;
      if (sc::net::parse_host_port(s, &hp) != NetError::Ok) continue;
      assert_true(hp.port >= 1 && hp.port <= 65535);
      // The input is the host (bracketed or not), ':', and the port's digits (zeros allowed).
      auto rebuilds = [&](const std::string& prefix) {
        if (s.compare(0, prefix.size(), prefix) != 0) return false;
        std::string digits = s.substr(prefix.size());
        return digits.find_first_not_of("0123456789") == std::string::npos &&
               std::stoi(digits) == hp.port;
      };
      bool same = rebuilds(hp.host + ":") || rebuilds("[" + hp.host + "]:");
      if (!same) fail_msg("accepted '%s' as '%s' port %d", s.c_str(), hp.host.c_str(), hp.port);
    }
  }
  uint32_t seed = 12345;
  for (int i = 0; i < 20000; i++) {
    s.clear();
    size_t len = (seed = seed * 1103515245 + 12345) % 24;
    for (size_t j = 0; j < len; j++) s.push_back(char((seed = seed * 1103515245 + 12345) >> 16));
    HostPort hp;
    if (sc::net::parse_host_port(s, &hp) == NetError::Ok)
      assert_true(hp.port >= 1 && hp.port <= 65535 && !hp.host.empty());
  }
}

void test_numeric_sockaddr(void**) {
  sockaddr_storage ss;
  socklen_t len = 0;
  assert_int_equal(int(sc::net::numeric_sockaddr("10.1.2.3", 80, &ss, &len)), int(NetError::Ok));
  assert_int_equal(ss.ss_family, AF_INET);
  assert_int_equal(len, sizeof(sockaddr_in));
  assert_string_equal(sc::net::sockaddr_text(reinterpret_cast<sockaddr*>(&ss)).c_str(),
                      "10.1.2.3:80");
  assert_int_equal(int(sc::net::numeric_sockaddr("::", 0, &ss, &len)), int(NetError::Ok));
  assert_int_equal(ss.ss_family, AF_INET6);
  assert_int_equal(len, sizeof(sockaddr_in6));
  // No brackets, as CLIENT LIST shows addresses.
  assert_string_equal(sc::net::sockaddr_text(reinterpret_cast<sockaddr*>(&ss)).c_str(), ":::0");
  for (const char* bad :
       {"", "localhost", "[::1]", "1.2.3", "1.2.3.256", "::g", " 1.2.3.4", "fe80::1%eth0"})
    assert_int_equal(int(sc::net::numeric_sockaddr(bad, 80, &ss, &len)), int(NetError::NotNumeric));
  assert_int_equal(int(sc::net::numeric_sockaddr("1.2.3.4", -1, &ss, &len)),
                   int(NetError::BadPort));
  assert_int_equal(int(sc::net::numeric_sockaddr("1.2.3.4", 65536, &ss, &len)),
                   int(NetError::BadPort));
  sockaddr unknown{};
  unknown.sa_family = AF_UNIX;
  assert_string_equal(sc::net::sockaddr_text(&unknown).c_str(), "?:0");
}

void test_loopback(void**) {
  sockaddr_storage ss;
  socklen_t len;
  auto check = [&](const char* ip, bool want) {
    assert_int_equal(int(sc::net::numeric_sockaddr(ip, 1, &ss, &len)), int(NetError::Ok));
    if (sc::net::is_loopback(reinterpret_cast<sockaddr*>(&ss)) != want) fail_msg("%s", ip);
  };
  check("127.0.0.1", true);
  check("127.255.0.9", true);
  check("::1", true);
  check("::ffff:127.0.0.2", true);
  check("128.0.0.1", false);
  check("10.0.0.1", false);
  check("::", false);
  check("::2", false);
  check("::ffff:10.0.0.1", false);
}

// Listens on an ephemeral loopback port for each family the host has, connects to it, and
// checks that the socket is non-blocking and that a busy port reports -EADDRINUSE.
void test_listen(void**) {
  int families = 0;
  for (const char* ip : {"127.0.0.1", "::1"}) {
    sockaddr_storage ss;
    socklen_t len;
    assert_int_equal(int(sc::net::numeric_sockaddr(ip, 0, &ss, &len)), int(NetError::Ok));
    int fd = sc::net::listen_tcp(reinterpret_cast<sockaddr*>(&ss), len, 16);
    if (fd == -EADDRNOTAVAIL || fd == -EAFNOSUPPORT) continue;  // no IPv6 on this host
    assert_true(fd >= 0);
    families++;
    sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    assert_int_equal(getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &blen), 0);
    assert_true(sc::net::is_loopback(reinterpret_cast<sockaddr*>(&bound)));
    int c = socket(ss.ss_family, SOCK_STREAM, 0);
    assert_int_equal(connect(c, reinterpret_cast<sockaddr*>(&bound), blen), 0);
    int a = accept(fd, nullptr, nullptr);
    assert_true(a >= 0);
    close(a);
    close(c);
    assert_int_equal(accept(fd, nullptr, nullptr), -1);  // non-blocking: nothing waiting
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    int busy = sc::net::listen_tcp(reinterpret_cast<sockaddr*>(&bound), blen, 16);
    assert_int_equal(busy, -EADDRINUSE);
    close(fd);
  }
  assert_true(families >= 1);
}

// Every NetError has its own text; a value outside the enum reads "unknown".
void test_error_text(void**) {
  assert_string_equal(sc::net::net_error_text(NetError::Ok), "ok");
  assert_string_equal(sc::net::net_error_text(NetError::BadPort), "port not in 1..65535");
  assert_string_equal(sc::net::net_error_text(NetError::NotNumeric),
                      "not a numeric IPv4 or IPv6 address");
  for (int i = 0; i <= int(NetError::NotNumeric); i++)
    for (int j = i + 1; j <= int(NetError::NotNumeric); j++)
      assert_string_not_equal(sc::net::net_error_text(NetError(i)),
                              sc::net::net_error_text(NetError(j)));
  assert_string_equal(sc::net::net_error_text(NetError(200)), "unknown");
}

void test_timeval(void**) {
  timeval tv = sc::net::seconds_to_timeval(0);
  assert_int_equal(tv.tv_sec, 0);
  assert_int_equal(tv.tv_usec, 0);
  tv = sc::net::seconds_to_timeval(2.5);
  assert_int_equal(tv.tv_sec, 2);
  assert_int_equal(tv.tv_usec, 500000);
  tv = sc::net::seconds_to_timeval(0.001);
  assert_int_equal(tv.tv_sec, 0);
  assert_true(tv.tv_usec >= 999 && tv.tv_usec <= 1000);
  assert_int_equal(sc::net::timeval_ms(timeval{3, 999999}), 3999);
  assert_int_equal(sc::net::timeval_ms(timeval{0, 0}), 0);
  assert_int_equal(sc::net::timeval_ms(timeval{1700000000, 1000}), 1700000000001LL);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_valid),   cmocka_unit_test(test_parse_edges),
      cmocka_unit_test(test_parse_garbage), cmocka_unit_test(test_numeric_sockaddr),
      cmocka_unit_test(test_loopback),      cmocka_unit_test(test_listen),
      cmocka_unit_test(test_timeval),       cmocka_unit_test(test_error_text),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
