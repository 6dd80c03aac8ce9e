#include "net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sc::net {

// Indexed by NetError, in its order.
static const char* const kNetErrorText[] = {
    "ok",         "no port (expected HOST:PORT)", "'[' without ']:' (expected [IPV6]:PORT)",
    "empty host", "port not in 1..65535",         "not a numeric IPv4 or IPv6 address",
};
static_assert(sizeof kNetErrorText / sizeof *kNetErrorText == size_t(NetError::NotNumeric) + 1,
              "one text per NetError");

const char* net_error_text(NetError e) {
  size_t i = size_t(e);
  return i < sizeof kNetErrorText / sizeof *kNetErrorText ? kNetErrorText[i] : "unknown";
}

NetError parse_host_port(std::string_view s, HostPort* out) {
  std::string_view h, p;
  if (!s.empty() && s[0] == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':')
      return NetError::BadBracket;
    h = s.substr(1, close - 1);
    p = s.substr(close + 2);
  } else {
    size_t colon = s.rfind(':');
    if (colon == std::string_view::npos) return NetError::NoPort;
    h = s.substr(0, colon);
    p = s.substr(colon + 1);
  }
  if (h.empty()) return NetError::EmptyHost;
  if (p.empty() || p.size() > 5) return NetError::BadPort;
  int v = 0;
  for (char c : p) {
    if (c < '0' || c > '9') return NetError::BadPort;
    v = v * 10 + (c - '0');
  }
  if (v < 1 || v > 65535) return NetError::BadPort;
  out->host.assign(h);
  out->port = v;
  return NetError::Ok;
}

NetError numeric_sockaddr(const std::string& host, int port, sockaddr_storage* ss, socklen_t* len) {
  if (port < 0 || port > 65535) return NetError::BadPort;
  sockaddr_storage a{};
  auto* in4 = reinterpret_cast<sockaddr_in*>(&a);
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&a);
  if (inet_pton(AF_INET, host.c_str(), &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons(uint16_t(port));
    *len = sizeof *in4;
  } else if (inet_pton(AF_INET6, host.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(uint16_t(port));
    *len = sizeof *in6;
  } else {
    return NetError::NotNumeric;
  }
  *ss = a;
  return NetError::Ok;
}

int listen_tcp(const sockaddr* addr, socklen_t len, int backlog) {
  int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (addr->sa_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(fd, addr, len) < 0 || listen(fd, backlog) < 0) {
    int err = errno;
    close(fd);
    return -err;
  }
  return fd;
}

std::string sockaddr_text(const sockaddr* sa) {
  char ip[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (sa->sa_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(sa);
    inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
    port = ntohs(a->sin_port);
  } else if (sa->sa_family == AF_INET6) {
    auto* a = reinterpret_cast<const sockaddr_in6*>(sa);
    inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
    port = ntohs(a->sin6_port);
  }
  return std::string(ip) + ":" + std::to_string(port);
}

bool is_loopback(const sockaddr* sa) {
  if (sa->sa_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(sa);
    return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
  }
  if (sa->sa_family == AF_INET6) {
    auto* a = reinterpret_cast<const sockaddr_in6*>(sa);
    if (IN6_IS_ADDR_LOOPBACK(&a->sin6_addr)) return true;
    if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) return a->sin6_addr.s6_addr[12] == 127;
  }
  return false;
}

}  // namespace sc::net
