// The --origins check (origins.h).
#include "origins.h"

#include <cctype>

namespace sc::http {
namespace {

std::string lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = char(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

// "80" → 80; false unless 1-65535 in decimal digits.
bool parse_port(std::string_view s, int* port) {
  if (s.empty() || s.size() > 5) return false;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v < 1 || v > 65535) return false;
  *port = v;
  return true;
}

// host:port with an optional [v6] host; host keeps its text (brackets dropped).
bool split_host_port(std::string_view s, std::string_view* host, std::string_view* port) {
  if (!s.empty() && s[0] == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':')
      return false;
    *host = s.substr(1, close - 1);
    *port = s.substr(close + 2);
    return !host->empty();
  }
  size_t colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  *host = s.substr(0, colon);
  *port = s.substr(colon + 1);
  return host->find(':') == std::string_view::npos;
}

bool host_chars_ok(std::string_view h) {
  if (h == "*") return true;
  for (char c : h)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
          c == ':'))
      return false;
  return !h.empty();
}

}  // namespace

bool parse_origins(std::string_view list, Origins* out, std::string* error) {
  *out = Origins();
  out->allow_all = false;
  size_t i = 0, entries = 0;
  while (i < list.size()) {
    size_t end = list.find_first_of(", ", i);
    if (end == std::string_view::npos) end = list.size();
    std::string_view e = list.substr(i, end - i);
    i = end + 1;
    if (e.empty()) continue;
    entries++;
    std::string_view host, port;
    OriginPattern p;
    if (!split_host_port(e, &host, &port) || !host_chars_ok(host) ||
        (port != "*" && !parse_port(port, &p.port))) {
      *error = "--origins wants host:port patterns (host or port may be *), got '" +
               std::string(e) + "'";
      return false;
    }
    p.host = lower(host);
    if (p.host == "*" && p.port == -1) out->allow_all = true;
    out->patterns.push_back(std::move(p));
  }
  if (entries == 0) {
    *error = "--origins is empty (use *:* to allow every origin)";
    return false;
  }
  return true;
}

bool origin_allowed(const Origins& o, std::string_view origin) {
  if (o.allow_all) return true;
  // url.parse of an origin: scheme://host[:port][/...]; "*" (no Origin) has no host.
  std::string host;
  int port = 80;
  if (origin.empty() || origin == "null") origin = "*";
  size_t sep = origin.find("://");
  if (sep != std::string_view::npos) {
    std::string_view rest = origin.substr(sep + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    size_t at = rest.rfind('@');  // userinfo
    if (at != std::string_view::npos) rest = rest.substr(at + 1);
    std::string_view h = rest, p;
    if (!rest.empty() && rest[0] == '[') {
      size_t close = rest.find(']');
      if (close == std::string_view::npos) return false;
      h = rest.substr(1, close - 1);
      if (close + 1 < rest.size()) {
        if (rest[close + 1] != ':') return false;
        p = rest.substr(close + 2);
      }
    } else if (size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
      h = rest.substr(0, colon);
      p = rest.substr(colon + 1);
    }
    if (!p.empty() && !parse_port(p, &port)) return false;
    host = lower(h);
  }
  for (auto& pat : o.patterns) {
    bool host_ok = pat.host == "*" || (!host.empty() && pat.host == host);
    bool port_ok = pat.port == -1 || pat.port == port;
    if (host_ok && port_ok && !(pat.host == "*" && pat.port == -1)) return true;
  }
  return false;
}

}  // namespace sc::http
