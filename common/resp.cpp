#include "resp.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "hex.h"

namespace sc::resp {

std::string parse_error_text(ParseError e, char got) {
  switch (e) {
    case ParseError::None: return "ERR no error";
    case ParseError::InvalidMultibulkLength: return "ERR Protocol error: invalid multibulk length";
    case ParseError::InvalidBulkLength: return "ERR Protocol error: invalid bulk length";
    case ParseError::ExpectedDollar:
      return std::string("ERR Protocol error: expected '$', got '") + got + "'";
    case ParseError::TooBigInline: return "ERR Protocol error: too big inline request";
    case ParseError::TooBigMultibulkCount: return "ERR Protocol error: too big mbulk count string";
    case ParseError::TooBigBulkCount: return "ERR Protocol error: too big bulk count string";
    case ParseError::UnbalancedQuotes: return "ERR Protocol error: unbalanced quotes in request";
    case ParseError::UnauthenticatedMultibulk:
      return "ERR Protocol error: unauthenticated multibulk length";
    case ParseError::UnauthenticatedBulk: return "ERR Protocol error: unauthenticated bulk length";
  }
  return "ERR Protocol error";
}

bool parse_ll(std::string_view s, long long* out) {
  // Same acceptance as Redis's string2ll: "0", "-5", no '+', no leading zeros, no spaces.
  size_t n = s.size();
  if (n == 0 || n > 20) return false;
  const char* p = s.data();
  if (n == 1 && p[0] == '0') {
    *out = 0;
    return true;
  }
  bool neg = false;
  size_t i = 0;
  if (p[0] == '-') {
    neg = true;
    if (++i == n) return false;
  }
  if (p[i] < '1' || p[i] > '9') return false;
  unsigned long long v = 0;
  for (; i < n; i++) {
    if (p[i] < '0' || p[i] > '9') return false;
    unsigned d = p[i] - '0';
    if (v > (ULLONG_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  if (neg) {
    if (v > (unsigned long long)LLONG_MAX + 1) return false;
    *out = (long long)(0ULL - v);
  } else {
    if (v > (unsigned long long)LLONG_MAX) return false;
    *out = (long long)v;
  }
  return true;
}

size_t format_ll(char* buf, long long v) {
  char tmp[24];
  unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
  size_t n = 0;
  do {
    tmp[n++] = char('0' + u % 10);
    u /= 10;
  } while (u);
  size_t len = 0;
  if (v < 0) buf[len++] = '-';
  while (n) buf[len++] = tmp[--n];
  return len;
}

void RequestParser::reset() {
  multibulk_left_ = -1;
  bulk_len_ = -1;
  pos_ = 0;
  spans_.clear();
}

ParseStatus RequestParser::parse(std::string_view in, size_t* consumed,
                                 std::vector<std::string_view>* argv, bool authenticated) {
  argv->clear();
  *consumed = 0;
  if (in.empty()) return ParseStatus::NeedMore;
  if (multibulk_left_ < 0 && in[0] != '*') return parse_inline(in, consumed, argv);

  const char* base = in.data();
  size_t len = in.size();
  if (multibulk_left_ < 0) {
    const char* nl = static_cast<const char*>(std::memchr(base, '\r', len));
    if (!nl) {
      if (len > limits_.max_inline) return fail(ParseError::TooBigMultibulkCount);
      return ParseStatus::NeedMore;
    }
    size_t nlpos = size_t(nl - base);
    if (nlpos + 2 > len) return ParseStatus::NeedMore;  // the '\n' is not here yet
    long long ll;
    bool ok = parse_ll(std::string_view(base + 1, nlpos - 1), &ll);
    if (!ok || ll > limits_.max_multibulk) return fail(ParseError::InvalidMultibulkLength);
    if (ll > 10 && !authenticated) return fail(ParseError::UnauthenticatedMultibulk);
    pos_ = nlpos + 2;
    if (ll <= 0) {
      *consumed = pos_;
      reset();
      return ParseStatus::Ok;
    }
    multibulk_left_ = ll;
    spans_.clear();
    if (ll < 1024) spans_.reserve(size_t(ll));
    bulk_len_ = -1;
  }

  while (multibulk_left_ > 0) {
    if (bulk_len_ < 0) {
      const char* p = base + pos_;
      size_t rest = len - pos_;
      const char* nl = static_cast<const char*>(std::memchr(p, '\r', rest));
      if (!nl) {
        if (rest > limits_.max_inline) return fail(ParseError::TooBigBulkCount);
        return ParseStatus::NeedMore;
      }
      size_t nlpos = size_t(nl - p);
      if (nlpos + 2 > rest) return ParseStatus::NeedMore;
      if (p[0] != '$') return fail(ParseError::ExpectedDollar, p[0]);
      long long ll;
      bool ok = parse_ll(std::string_view(p + 1, nlpos - 1), &ll);
      if (!ok || ll < 0 || ll > limits_.max_bulk_len) return fail(ParseError::InvalidBulkLength);
      if (ll > 16384 && !authenticated) return fail(ParseError::UnauthenticatedBulk);
      pos_ += nlpos + 2;
      bulk_len_ = ll;
    }
    // Like Redis, the two bytes after the payload are skipped, not checked.
    if (len - pos_ < size_t(bulk_len_) + 2) return ParseStatus::NeedMore;
    spans_.emplace_back(pos_, size_t(bulk_len_));
    pos_ += size_t(bulk_len_) + 2;
    bulk_len_ = -1;
    multibulk_left_--;
  }
  argv->reserve(spans_.size());
  for (auto& s : spans_) argv->emplace_back(base + s.first, s.second);
  *consumed = pos_;
  multibulk_left_ = -1;
  bulk_len_ = -1;
  pos_ = 0;
  spans_.clear();
  return ParseStatus::Ok;
}

static bool is_space(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f';
}
ParseStatus RequestParser::parse_inline(std::string_view in, size_t* consumed,
                                        std::vector<std::string_view>* argv) {
  const char* nl = static_cast<const char*>(std::memchr(in.data(), '\n', in.size()));
  if (!nl) {
    if (in.size() > limits_.max_inline) return fail(ParseError::TooBigInline);
    return ParseStatus::NeedMore;
  }
  size_t linelen = size_t(nl - in.data());
  size_t total = linelen + 1;
  if (linelen > 0 && in[linelen - 1] == '\r') linelen--;
  // Redis splits a NUL-terminated copy, so a NUL byte ends the line.
  std::string_view line(in.data(), linelen);
  if (auto z = line.find('\0'); z != std::string_view::npos) line = line.substr(0, z);

  // sdssplitargs semantics.  Unescaped bytes go to inline_storage_, reserved up front so the
  // views stay valid.
  inline_storage_.clear();
  inline_storage_.reserve(line.size() + 1);
  std::vector<std::pair<size_t, size_t>> spans;
  size_t i = 0, n = line.size();
  auto at = [&](size_t k) -> char { return k < n ? line[k] : '\0'; };
  while (true) {
    while (i < n && is_space(line[i])) i++;
    if (i >= n) break;
    size_t start = inline_storage_.size();
    bool inq = false, insq = false, done = false;
    while (!done) {
      char c = at(i);
      if (inq) {
        if (c == '\\' && at(i + 1) == 'x' && hex_digit(at(i + 2)) >= 0 &&
            hex_digit(at(i + 3)) >= 0) {
          inline_storage_.push_back(char(hex_digit(at(i + 2)) * 16 + hex_digit(at(i + 3))));
          i += 3;
        } else if (c == '\\' && at(i + 1)) {
          i++;
          char e = at(i);
          switch (e) {
            case 'n': e = '\n'; break;
            case 'r': e = '\r'; break;
            case 't': e = '\t'; break;
            case 'b': e = '\b'; break;
            case 'a': e = '\a'; break;
            default: break;
          }
          inline_storage_.push_back(e);
        } else if (c == '"') {
          if (at(i + 1) && !is_space(at(i + 1))) return fail(ParseError::UnbalancedQuotes);
          done = true;
        } else if (!c) {
          return fail(ParseError::UnbalancedQuotes);
        } else {
          inline_storage_.push_back(c);
        }
      } else if (insq) {
        if (c == '\\' && at(i + 1) == '\'') {
          i++;
          inline_storage_.push_back('\'');
        } else if (c == '\'') {
          if (at(i + 1) && !is_space(at(i + 1))) return fail(ParseError::UnbalancedQuotes);
          done = true;
        } else if (!c) {
          return fail(ParseError::UnbalancedQuotes);
        } else {
          inline_storage_.push_back(c);
        }
      } else {
        switch (c) {
          case ' ': case '\n': case '\r': case '\t': case '\0': done = true; break;
          case '"': inq = true; break;
          case '\'': insq = true; break;
          default: inline_storage_.push_back(c); break;
        }
      }
      if (at(i)) i++;
    }
    spans.emplace_back(start, inline_storage_.size() - start);
  }
  for (auto& s : spans) argv->emplace_back(inline_storage_.data() + s.first, s.second);
  *consumed = total;
  return ParseStatus::Ok;
}

// ---- Writer ----

void Writer::header(char type, long long n) {
  char* p = out_->prepare(24);
  p[0] = type;
  size_t len = 1 + format_ll(p + 1, n);
  p[len++] = '\r';
  p[len++] = '\n';
  out_->commit(len);
}

void Writer::simple(std::string_view s) {
  char* p = out_->prepare(s.size() + 3);
  p[0] = '+';
  std::memcpy(p + 1, s.data(), s.size());
  p[s.size() + 1] = '\r';
  p[s.size() + 2] = '\n';
  out_->commit(s.size() + 3);
}

void Writer::error(std::string_view s) {
  // Error texts must not contain newlines (Redis replaces them with spaces).
  char* p = out_->prepare(s.size() + 3);
  p[0] = '-';
  for (size_t i = 0; i < s.size(); i++) p[i + 1] = (s[i] == '\r' || s[i] == '\n') ? ' ' : s[i];
  p[s.size() + 1] = '\r';
  p[s.size() + 2] = '\n';
  out_->commit(s.size() + 3);
}

void Writer::integer(long long v) { header(':', v); }

void Writer::bulk(std::string_view s) {
  char* p = out_->prepare(s.size() + 32);
  p[0] = '$';
  size_t len = 1 + format_ll(p + 1, (long long)s.size());
  p[len++] = '\r';
  p[len++] = '\n';
  if (!s.empty()) std::memcpy(p + len, s.data(), s.size());  // an empty view may be null
  len += s.size();
  p[len++] = '\r';
  p[len++] = '\n';
  out_->commit(len);
}

void Writer::bulk_int(long long v) {
  char num[24];
  size_t n = format_ll(num, v);
  bulk(std::string_view(num, n));
}

void Writer::null() {
  if (proto_ == Proto::Resp3)
    out_->append("_\r\n", 3);
  else
    out_->append("$-1\r\n", 5);
}

void Writer::null_array() {
  if (proto_ == Proto::Resp3)
    out_->append("_\r\n", 3);
  else
    out_->append("*-1\r\n", 5);
}

void Writer::array(size_t n) { header('*', (long long)n); }
void Writer::map(size_t n) {
  if (proto_ == Proto::Resp3)
    header('%', (long long)n);
  else
    header('*', (long long)n * 2);
}
void Writer::set(size_t n) { header(proto_ == Proto::Resp3 ? '~' : '*', (long long)n); }
void Writer::push(size_t n) { header(proto_ == Proto::Resp3 ? '>' : '*', (long long)n); }

void Writer::boolean(bool b) {
  if (proto_ == Proto::Resp3)
    out_->append(b ? "#t\r\n" : "#f\r\n", 4);
  else
    out_->append(b ? ":1\r\n" : ":0\r\n", 4);
}

void Writer::dbl(double d) {
  char buf[64];
  int n;
  if (std::isinf(d))
    n = std::snprintf(buf, sizeof buf, "%s", d > 0 ? "inf" : "-inf");
  else
    n = std::snprintf(buf, sizeof buf, "%.17g", d);
  if (proto_ == Proto::Resp3) {
    out_->push_back(',');
    out_->append(buf, size_t(n));
    out_->append("\r\n", 2);
  } else {
    bulk(std::string_view(buf, size_t(n)));
  }
}

void Writer::verbatim(std::string_view s) {
  if (proto_ == Proto::Resp3) {
    header('=', (long long)s.size() + 4);
    out_->append("txt:", 4);
    out_->append(s);
    out_->append("\r\n", 2);
  } else {
    bulk(s);
  }
}

// ---- ReplyParser ----

ParseStatus ReplyParser::parse(std::string_view in, size_t* consumed, Reply* out) {
  *consumed = 0;
  size_t pos = 0;
  Reply r;
  ParseStatus st = value(in, &pos, &r, 0);
  if (st == ParseStatus::Ok) {
    *consumed = pos;
    *out = std::move(r);
  }
  return st;
}

ParseStatus ReplyParser::line(std::string_view in, size_t* pos, std::string_view* out) {
  size_t start = *pos;
  size_t cr = in.find('\r', start);
  if (cr == std::string_view::npos || cr + 1 >= in.size()) {
    if (in.size() - start > limits_.max_line) return fail("line too long");
    return ParseStatus::NeedMore;
  }
  if (in[cr + 1] != '\n') return fail("CR not followed by LF");
  if (cr - start > limits_.max_line) return fail("line too long");
  *out = in.substr(start, cr - start);
  *pos = cr + 2;
  return ParseStatus::Ok;
}

ParseStatus ReplyParser::value(std::string_view in, size_t* pos, Reply* out, int depth) {
  if (depth > limits_.max_depth) return fail("nesting too deep");
  if (*pos >= in.size()) return ParseStatus::NeedMore;
  char type = in[*pos];
  (*pos)++;
  std::string_view l;
  ParseStatus st = line(in, pos, &l);
  if (st != ParseStatus::Ok) return st;
  using K = Reply::Kind;
  auto length = [&](long long* n) {
    return parse_ll(l, n) && *n >= -1;
  };
  switch (type) {
    case '+':
      out->kind = K::Simple;
      out->str = std::string(l);
      return ParseStatus::Ok;
    case '-':
      out->kind = K::Error;
      out->str = std::string(l);
      return ParseStatus::Ok;
    case ':':
      out->kind = K::Integer;
      if (!parse_ll(l, &out->integer)) return fail("bad integer");
      return ParseStatus::Ok;
    case '_':
      if (!l.empty()) return fail("bad null");
      out->kind = K::Null;
      return ParseStatus::Ok;
    case '#':
      if (l != "t" && l != "f") return fail("bad boolean");
      out->kind = K::Boolean;
      out->integer = l == "t";
      return ParseStatus::Ok;
    case ',':
    case '(':
      if (l.empty()) return fail("empty number");
      for (char ch : l)
        if (!(isdigit((unsigned char)ch) || ch == '-' || ch == '+' || ch == '.' || ch == 'e' ||
              ch == 'E' || (type == ',' && isalpha((unsigned char)ch))))
          return fail("bad number");
      out->kind = type == ',' ? K::Double : K::BigNumber;
      out->str = std::string(l);
      return ParseStatus::Ok;
    case '$':
    case '=':
    case '!': {
      long long n;
      if (!length(&n) || n > limits_.max_bulk_len) return fail("bad bulk length");
      if (n == -1) {
        if (type != '$') return fail("bad bulk length");
        out->kind = K::Null;
        return ParseStatus::Ok;
      }
      if (in.size() - *pos < size_t(n) + 2) return ParseStatus::NeedMore;
      if (in[*pos + size_t(n)] != '\r' || in[*pos + size_t(n) + 1] != '\n')
        return fail("bulk not terminated by CRLF");
      out->kind = type == '$' ? K::Bulk : type == '=' ? K::Verbatim : K::Error;
      out->str = std::string(in.substr(*pos, size_t(n)));
      *pos += size_t(n) + 2;
      return ParseStatus::Ok;
    }
    case '*':
    case '%':
    case '~':
    case '>':
    case '|': {
      long long n;
      if (!length(&n) || n > limits_.max_elements) return fail("bad aggregate length");
      if (n == -1) {
        if (type != '*') return fail("bad aggregate length");
        out->kind = K::Null;
        return ParseStatus::Ok;
      }
      size_t count = size_t(n) * ((type == '%' || type == '|') ? 2 : 1);
      std::vector<Reply> elems;
      elems.reserve(std::min<size_t>(count, 1024));
      for (size_t i = 0; i < count; i++) {
        Reply e;
        st = value(in, pos, &e, depth + 1);
        if (st != ParseStatus::Ok) return st;
        elems.push_back(std::move(e));
      }
      if (type == '|') {  // an attribute: the reply it describes follows
        st = value(in, pos, out, depth + 1);
        if (st != ParseStatus::Ok) return st;
        out->attributes = std::move(elems);
        return ParseStatus::Ok;
      }
      out->kind = type == '*' ? K::Array : type == '%' ? K::Map : type == '~' ? K::Set : K::Push;
      out->elems = std::move(elems);
      return ParseStatus::Ok;
    }
    default:
      return fail(std::string("unknown type byte '") + type + "'");
  }
}

}  // namespace sc::resp
