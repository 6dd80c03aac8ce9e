// The --origins check on the WebSocket upgrade, with SocketCluster's semantics.
//
// SocketCluster (socketcluster-server 0.9 to 20, verifyHandshake) takes `origins`, a list of
// host:port patterns (default "*:*"); "*:*" lets every upgrade through.  Otherwise the Origin
// header (missing, or the string "null", counts as "*") is parsed as a URL, its port defaulting
// to 80 (for https too: SocketCluster does so), and the upgrade passes when the list holds
// "host:port", "host:*" or "*:port".  A refused upgrade gets HTTP 403.  So a client without
// Origin (Node, curl) passes a restricted list only through "*:80", as in SocketCluster.
// One difference: SocketCluster searches its origins string for a substring; we match whole
// entries of the list (separated by spaces or commas), so "example.com:80" does not also admit
// "ample.com:80".
//
// Contract: parse_origins accepts "host:port" entries where host is a name, an IPv4 address,
// a bracketed IPv6 address or "*", and port is 1-65535 or "*"; hosts compare without case.
// Both functions are pure.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace sc::http {

struct OriginPattern {
  std::string host;  // lower case, without brackets; "*": any
  int port = -1;     // -1: any
};

struct Origins {
  bool allow_all = true;  // "*:*" is in the list
  std::vector<OriginPattern> patterns;
};

// false with *error when an entry is malformed.
bool parse_origins(std::string_view list, Origins* out, std::string* error);
// The value of the Origin header (empty when absent).
bool origin_allowed(const Origins& o, std::string_view origin);

}  // namespace sc::http
