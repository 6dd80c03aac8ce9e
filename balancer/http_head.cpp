#include "http_head.h"

#include <cstdint>

#include "hex.h"

namespace sc::bal {

// RFC 9110 tchar: what a method token may contain.
static bool is_tchar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  for (const char* p = "!#$%&'*+-.^_`|~"; *p; p++)
    if (c == uint8_t(*p)) return true;
  return false;
}

static std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); i++) {
    int hi, lo;
    if (s[i] == '%' && i + 2 < s.size() && (hi = hex_digit(s[i + 1])) >= 0 &&
        (lo = hex_digit(s[i + 2])) >= 0) {
      out.push_back(char(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

static std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// When the '\n' at s[i] is followed by an empty line ("\n" or "\r\n"): the length of the head that
// ends there; else 0 (also when s ends too early to tell).
static size_t head_end_after(std::string_view s, size_t i) {
  if (i + 1 < s.size() && s[i + 1] == '\n') return i + 2;
  if (i + 2 < s.size() && s[i + 1] == '\r' && s[i + 2] == '\n') return i + 3;
  return 0;
}

static bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = char(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = char(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

HeadStatus HeadParser::parse(std::string_view in) {
  if (error_ != HeadError::None) return HeadStatus::Error;
  if (head_len_) return HeadStatus::Done;
  // Reject what cannot be a request line as early as possible (a TLS hello, a binary protocol):
  // a method token of at most 32 tchars followed by a space.
  size_t method_end = 0;
  while (method_end < in.size() && method_end <= 32 && is_tchar(uint8_t(in[method_end])))
    method_end++;
  if (method_end < in.size() && (method_end == 0 || method_end > 32 || in[method_end] != ' '))
    return set_error(HeadError::NotHttp);
  // Search the end of the head: "\n\r\n" or "\n\n", resuming a few bytes back.
  size_t i = scanned_ > 2 ? scanned_ - 2 : 0;
  for (; i < in.size() && !head_len_; i++)
    if (in[i] == '\n') head_len_ = head_end_after(in, i);
  if (!head_len_) {
    scanned_ = in.size();
    if (in.size() >= max_head_) return set_error(HeadError::TooLarge);
    return HeadStatus::NeedMore;
  }
  if (head_len_ > max_head_) return set_error(HeadError::TooLarge);
  if (!extract(in.substr(0, head_len_))) {
    head_len_ = 0;
    return set_error(HeadError::NotHttp);
  }
  return HeadStatus::Done;
}

bool HeadParser::extract(std::string_view head) {
  size_t eol = head.find('\n');
  std::string_view line = trim(head.substr(0, eol));
  // Request line: METHOD SP target SP HTTP/x.y
  size_t sp1 = line.find(' ');
  size_t sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) return false;
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (target.empty() || target.find(' ') != std::string_view::npos) return false;
  if (line.substr(sp2 + 1).substr(0, 5) != "HTTP/") return false;

  std::string query_id, cookie_id;
  bool have_query = false, have_cookie = false;
  if (size_t q = target.find('?'); q != std::string_view::npos) {
    std::string_view query = target.substr(q + 1);
    query = query.substr(0, query.find('#'));
    while (!query.empty() && !have_query) {
      size_t amp = query.find('&');
      std::string_view pair = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
      size_t eq = pair.find('=');
      std::string_view name = pair.substr(0, eq);
      if (name == key_ && eq != std::string_view::npos && eq + 1 < pair.size()) {
        query_id = percent_decode(pair.substr(eq + 1));
        have_query = !query_id.empty();
      }
    }
  }
  if (!have_query) {
    std::string_view rest = head.substr(eol + 1);
    while (!rest.empty() && !have_cookie) {
      size_t nl = rest.find('\n');
      std::string_view hline = rest.substr(0, nl);
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      size_t colon = hline.find(':');
      if (colon == std::string_view::npos || !iequals(hline.substr(0, colon), "cookie")) continue;
      std::string_view cookies = hline.substr(colon + 1);
      while (!cookies.empty()) {
        size_t semi = cookies.find(';');
        std::string_view c = trim(cookies.substr(0, semi));
        cookies = semi == std::string_view::npos ? std::string_view() : cookies.substr(semi + 1);
        size_t eq = c.find('=');
        if (eq == std::string_view::npos || trim(c.substr(0, eq)) != key_) continue;
        std::string_view value = trim(c.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
          value = value.substr(1, value.size() - 2);
        if (value.empty()) continue;
        cookie_id.assign(value);
        have_cookie = true;
        break;
      }
    }
  }
  id_ = have_query ? query_id : cookie_id;
  return true;
}

Replay replay_verdict(std::string_view sent, size_t max_head) {
  static constexpr std::string_view kMethods[] = {"GET ", "HEAD "};
  bool method = false;
  for (std::string_view m : kMethods) {
    size_t n = sent.size() < m.size() ? sent.size() : m.size();
    if (sent.substr(0, n) != m.substr(0, n)) continue;
    if (n < m.size()) return Replay::Maybe;
    method = true;
  }
  if (!method) return Replay::No;
  size_t head_len = 0;
  for (size_t i = sent.find('\n'); i != std::string_view::npos && !head_len;
       i = sent.find('\n', i + 1))
    head_len = head_end_after(sent, i);
  if (!head_len) return sent.size() >= max_head ? Replay::No : Replay::Maybe;
  if (head_len != sent.size() || head_len > max_head) return Replay::No;
  std::string_view head = sent.substr(0, head_len);
  size_t eol = head.find('\n');
  std::string_view line = trim(head.substr(0, eol));
  size_t sp = line.rfind(' ');
  if (sp == std::string_view::npos || line.substr(sp + 1).substr(0, 5) != "HTTP/")
    return Replay::No;
  std::string_view rest = head.substr(eol + 1);
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view hline = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    size_t colon = hline.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = hline.substr(0, colon), value = trim(hline.substr(colon + 1));
    if (iequals(name, "transfer-encoding")) return Replay::No;
    if (iequals(name, "content-length") && value != "0") return Replay::No;
  }
  return Replay::Yes;
}

}  // namespace sc::bal
