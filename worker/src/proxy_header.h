// The PROXY protocol header (HAProxy's proxy-protocol.txt, v1 text and v2 binary) that a
// balancer in front of the worker sends first, and the first entry of X-Forwarded-For: where a
// socket's client address comes from with --trust-proxy (sc-balancer --proxy-protocol v1|v2).
//
// Why a parser of our own: lws 4.1 (Debian 12) does not read PROXY headers, so with
// --trust-proxy the worker accepts connections itself, reads the header, and hands the socket
// and the bytes after the header to lws (proxy_accept.cpp).
//
// Contract (a pure incremental parser: no allocation but *addr, no I/O):
// - parse_proxy_header(in) looks at the first bytes of a connection.
//   Ok: a complete header of *consumed bytes; *addr = the source address as text ("" for v1
//   UNKNOWN, v2 LOCAL and v2 families other than TCP/UDP over IPv4/IPv6).
//   NeedMore: `in` is a proper prefix of a possible header; call again with more bytes.
//   NotProxy: `in` cannot start a header (an HTTP request); nothing consumed.
//   Error: a malformed header (v1 over 107 bytes, bad addresses, v2 version not 2, v2 length
//   over kProxyV2MaxBody); the connection cannot be trusted and is closed.
// - first_forwarded_for(value) → the first comma-separated entry of an X-Forwarded-For value,
//   trimmed, when it is a numeric IPv4 or IPv6 address; else "".
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace sc {

enum class ProxyParse { Ok, NeedMore, NotProxy, Error };

inline constexpr size_t kProxyV1Max = 107;      // "PROXY TCP6 <39> <39> 65535 65535\r\n"
inline constexpr size_t kProxyV2MaxBody = 512;  // addresses (36) + TLVs we accept

ProxyParse parse_proxy_header(std::string_view in, size_t* consumed, std::string* addr);

std::string first_forwarded_for(std::string_view value);

}  // namespace sc
