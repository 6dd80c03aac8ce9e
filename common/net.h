// Addresses and listening sockets for every tier: "HOST:PORT" parsing, numeric socket
// addresses, one listening-socket function for IPv4 and IPv6, sockaddr to text, timevals.
//
// Why: the balancer wrote the seconds-to-timeval conversion three times and parsed listen
// addresses through libevent while validating them with its own parser, and the broker opened
// its IPv4 and IPv6 listeners with two copies of the same branch.  One place, one behaviour.
//
// Contract:
// - Parsing never throws and never allocates on failure; a failure is a NetError value, and
//   net_error_text() names it for a message.  Outputs are written only on success.
// - "HOST:PORT" splits at the last ':'; an IPv6 host goes in brackets ("[::1]:6379").  The host
//   must be non-empty, the port 1..65535 in at most five decimal digits (no sign, no spaces).
// - numeric_sockaddr() takes a numeric IPv4 or IPv6 address (no brackets, no names, no
//   scope) and never resolves: safe to call before the event loop runs.
// - listen_tcp() returns a non-blocking, close-on-exec socket that the caller owns, or -errno.
//   It sets SO_REUSEADDR, and IPV6_V6ONLY on IPv6 (so "::" and "0.0.0.0" can both be bound).
// - Text forms are "IP:PORT" without brackets, as CLIENT LIST shows them; "?:0" for a family
//   that is neither IPv4 nor IPv6.
#pragma once
#include <sys/socket.h>
#include <sys/time.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace sc::net {

enum class NetError : uint8_t {
  Ok = 0,
  NoPort,      // no ':' separating a port
  BadBracket,  // '[' without "]:" after it
  EmptyHost,   // nothing before the ':' (or inside the brackets)
  BadPort,     // empty, not decimal, more than five digits, or outside 1..65535
  NotNumeric,  // numeric_sockaddr: not an IPv4 or IPv6 literal
};

// A short English reason ("no port", ...), for error messages.
const char* net_error_text(NetError e);

struct HostPort {
  std::string host;  // brackets removed
  int port = 0;      // 1..65535
};

// "HOST:PORT" or "[V6]:PORT" → *out.  Ok or the first thing found wrong.
NetError parse_host_port(std::string_view text, HostPort* out);

// A numeric IPv4 or IPv6 address and a port (0..65535) → *ss and *len.
NetError numeric_sockaddr(const std::string& host, int port, sockaddr_storage* ss, socklen_t* len);

// Binds and listens on addr with the given backlog.  The new fd, or -errno.
int listen_tcp(const sockaddr* addr, socklen_t len, int backlog);

// "IP:PORT" (see the contract).
std::string sockaddr_text(const sockaddr* sa);

// True for 127.0.0.0/8, ::1 and IPv4-mapped 127.0.0.0/8.
bool is_loopback(const sockaddr* sa);

// Seconds (>= 0, fractions allowed) → timeval, truncating below the microsecond.
inline timeval seconds_to_timeval(double secs) {
  timeval tv;
  tv.tv_sec = time_t(secs);
  tv.tv_usec = suseconds_t((secs - double(tv.tv_sec)) * 1e6);
  return tv;
}

// timeval → whole milliseconds.
inline int64_t timeval_ms(const timeval& tv) {
  return int64_t(tv.tv_sec) * 1000 + tv.tv_usec / 1000;
}

}  // namespace sc::net
