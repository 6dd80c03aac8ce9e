// Session id parsing and formatting (see session_id.h).
#include "session_id.h"

namespace sc::session {

static bool sid_char(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

bool well_formed(std::string_view sid) {
  if (sid.size() < kSidMinLength || sid.size() > kSidMaxLength) return false;
  for (unsigned char c : sid)
    if (!sid_char(c)) return false;
  return true;
}

std::string encode_sid(const unsigned char* b, size_t n) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((n * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    unsigned v = unsigned(b[i]) << 16 | unsigned(b[i + 1]) << 8 | b[i + 2];
    out += a[v >> 18];
    out += a[(v >> 12) & 63];
    out += a[(v >> 6) & 63];
    out += a[v & 63];
  }
  if (n - i == 1) {
    unsigned v = unsigned(b[i]) << 16;
    out += a[v >> 18];
    out += a[(v >> 12) & 63];
  } else if (n - i == 2) {
    unsigned v = unsigned(b[i]) << 16 | unsigned(b[i + 1]) << 8;
    out += a[v >> 18];
    out += a[(v >> 12) & 63];
    out += a[(v >> 6) & 63];
  }
  return out;
}

static std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Walks `sep`-separated name=value pairs; exact name.
static bool pair_value(std::string_view list, char sep, std::string_view name,
                       std::string_view* value) {
  if (name.empty()) return false;
  while (true) {
    size_t end = list.find(sep);
    std::string_view item = trim(list.substr(0, end));
    size_t eq = item.find('=');
    if (eq != std::string_view::npos && trim(item.substr(0, eq)) == name) {
      *value = trim(item.substr(eq + 1));
      return true;
    }
    if (end == std::string_view::npos) return false;
    list.remove_prefix(end + 1);
  }
}

bool cookie_value(std::string_view header, std::string_view name, std::string_view* value) {
  if (!pair_value(header, ';', name, value)) return false;
  if (value->size() >= 2 && value->front() == '"' && value->back() == '"')
    *value = value->substr(1, value->size() - 2);
  return true;
}

bool query_value(std::string_view query, std::string_view name, std::string_view* value) {
  return pair_value(query, '&', name, value);
}

std::string set_cookie(std::string_view name, std::string_view sid, bool secure) {
  std::string c(name);
  c.push_back('=');
  c.append(sid);
  c.append("; Path=/; HttpOnly; SameSite=Lax");
  if (secure) c.append("; Secure");
  return c;
}

}  // namespace sc::session
