#include "proxy_protocol.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdio>
#include <cstring>

namespace sc::bal {

static const char kV2Signature[12] = {'\r', '\n', '\r', '\n', '\0', '\r',
                                      '\n', 'Q',  'U',  'I',  'T',  '\n'};

size_t proxy_header(ProxyProtocol version, const sockaddr* src, const sockaddr* dst, char* out) {
  bool known = dst && src->sa_family == dst->sa_family &&
               (src->sa_family == AF_INET || src->sa_family == AF_INET6);
  bool v4 = known && src->sa_family == AF_INET;
  if (version == ProxyProtocol::V1) {
    if (!known) {
      static const char kUnknown[] = "PROXY UNKNOWN\r\n";
      std::memcpy(out, kUnknown, sizeof kUnknown - 1);
      return sizeof kUnknown - 1;
    }
    char sa[INET6_ADDRSTRLEN], da[INET6_ADDRSTRLEN];
    unsigned sp, dp;
    if (v4) {
      auto* s4 = reinterpret_cast<const sockaddr_in*>(src);
      auto* d4 = reinterpret_cast<const sockaddr_in*>(dst);
      inet_ntop(AF_INET, &s4->sin_addr, sa, sizeof sa);
      inet_ntop(AF_INET, &d4->sin_addr, da, sizeof da);
      sp = ntohs(s4->sin_port), dp = ntohs(d4->sin_port);
    } else {
      auto* s6 = reinterpret_cast<const sockaddr_in6*>(src);
      auto* d6 = reinterpret_cast<const sockaddr_in6*>(dst);
      inet_ntop(AF_INET6, &s6->sin6_addr, sa, sizeof sa);
      inet_ntop(AF_INET6, &d6->sin6_addr, da, sizeof da);
      sp = ntohs(s6->sin6_port), dp = ntohs(d6->sin6_port);
    }
    int n = std::snprintf(out, kProxyHeaderMax, "PROXY %s %s %s %u %u\r\n", v4 ? "TCP4" : "TCP6",
                          sa, da, sp, dp);
    return size_t(n);
  }
  // Version 2: signature, ver/cmd, family/transport, 16-bit length, addresses.
  unsigned char* p = reinterpret_cast<unsigned char*>(out);
  std::memcpy(p, kV2Signature, 12);
  if (!known) {
    p[12] = 0x20;  // v2, LOCAL
    p[13] = 0x00;  // UNSPEC
    p[14] = p[15] = 0;
    return 16;
  }
  p[12] = 0x21;  // v2, PROXY
  if (v4) {
    auto* s4 = reinterpret_cast<const sockaddr_in*>(src);
    auto* d4 = reinterpret_cast<const sockaddr_in*>(dst);
    p[13] = 0x11;  // TCP over IPv4
    p[14] = 0, p[15] = 12;
    std::memcpy(p + 16, &s4->sin_addr, 4);
    std::memcpy(p + 20, &d4->sin_addr, 4);
    std::memcpy(p + 24, &s4->sin_port, 2);
    std::memcpy(p + 26, &d4->sin_port, 2);
    return 28;
  }
  auto* s6 = reinterpret_cast<const sockaddr_in6*>(src);
  auto* d6 = reinterpret_cast<const sockaddr_in6*>(dst);
  p[13] = 0x21;  // TCP over IPv6
  p[14] = 0, p[15] = 36;
  std::memcpy(p + 16, &s6->sin6_addr, 16);
  std::memcpy(p + 32, &d6->sin6_addr, 16);
  std::memcpy(p + 48, &s6->sin6_port, 2);
  std::memcpy(p + 50, &d6->sin6_port, 2);
  return 52;
}

}  // namespace sc::bal
