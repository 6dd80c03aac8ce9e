// PROXY protocol headers (HAProxy's proxy-protocol.txt, versions 1 and 2) that tell a backend
// the client's real address.
#pragma once
#include <sys/socket.h>

#include <cstddef>

#include "balancer.h"

namespace sc::bal {

inline constexpr size_t kProxyHeaderMax = 108;  // v1's maximum; v2 with IPv6 needs 52

// Writes the header for a connection from `src` to `dst` into `out` (kProxyHeaderMax bytes) and
// returns its length.  A null `dst` or a non-IP family gives "PROXY UNKNOWN" / v2 LOCAL.
size_t proxy_header(ProxyProtocol version, const sockaddr* src, const sockaddr* dst, char* out);

}  // namespace sc::bal
