#include "proxy_protocol.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdio>
#include <cstring>

namespace sc::bal {

static const char kV2Signature[12] = {'\r', '\n', '\r', '\n', '\0', '\r',
                                      '\n', 'Q',  'U',  'I',  'T',  '\n'};

// Where a sockaddr_in or sockaddr_in6 keeps its address (len bytes) and its port (network order).
struct AddrPort {
  const void* addr;
  size_t len;
  uint16_t port;
};
static AddrPort addr_port(const sockaddr* sa) {
  if (sa->sa_family == AF_INET) {
    auto* s4 = reinterpret_cast<const sockaddr_in*>(sa);
    return {&s4->sin_addr, 4, s4->sin_port};
  }
  auto* s6 = reinterpret_cast<const sockaddr_in6*>(sa);
  return {&s6->sin6_addr, 16, s6->sin6_port};
}

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
    AddrPort s = addr_port(src), d = addr_port(dst);
    char sa[INET6_ADDRSTRLEN], da[INET6_ADDRSTRLEN];
    inet_ntop(src->sa_family, s.addr, sa, sizeof sa);
    inet_ntop(src->sa_family, d.addr, da, sizeof da);
    int n = std::snprintf(out, kProxyHeaderMax, "PROXY %s %s %s %u %u\r\n", v4 ? "TCP4" : "TCP6",
                          sa, da, unsigned(ntohs(s.port)), unsigned(ntohs(d.port)));
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
  p[12] = 0x21;              // v2, PROXY
  p[13] = v4 ? 0x11 : 0x21;  // TCP over IPv4 / over IPv6
  AddrPort s = addr_port(src), d = addr_port(dst);
  size_t n = 2 * s.len + 4;  // the two addresses, then the two ports
  p[14] = 0, p[15] = static_cast<unsigned char>(n);
  std::memcpy(p + 16, s.addr, s.len);
  std::memcpy(p + 16 + s.len, d.addr, s.len);
  std::memcpy(p + 16 + 2 * s.len, &s.port, 2);
  std::memcpy(p + 18 + 2 * s.len, &d.port, 2);
  return 16 + n;
}

}  // namespace sc::bal
