// The JSON DOM: values, an iterative parser with limits, and serializers matching RedisJSON's
// output (serde_json's compact form, ryu's shortest doubles).
#include "json.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <unordered_map>

#include "hex.h"

namespace sc::json {

// ---- Str ----

char* Str::block_new(std::string_view s) {
  char* p = static_cast<char*>(std::malloc(sizeof(uint32_t) + s.size()));
  if (!p) std::abort();
  uint32_t n = uint32_t(s.size());
  std::memcpy(p, &n, sizeof(n));
  if (!s.empty()) std::memcpy(p + sizeof(n), s.data(), s.size());
  return p;
}
std::string_view Str::block_view(const char* p) {
  if (!p) return {};
  uint32_t n;
  std::memcpy(&n, p, sizeof(n));
  return {p + sizeof(n), n};
}
char* Str::block_append(char* p, std::string_view s) {
  size_t old = block_view(p).size();
  char* np = static_cast<char*>(std::realloc(p, sizeof(uint32_t) + old + s.size()));
  if (!np) std::abort();
  uint32_t n = uint32_t(old + s.size());
  std::memcpy(np, &n, sizeof(n));
  if (!s.empty()) std::memcpy(np + sizeof(n) + old, s.data(), s.size());
  return np;
}

static_assert(std::endian::native == std::endian::little, "Str's inline form assumes it");

Str::Str(std::string_view s) {
  if (s.empty()) return;
  if (s.size() <= 7) {
    raw_ = 1 | (uint64_t(s.size()) << 1);
    std::memcpy(reinterpret_cast<char*>(&raw_) + 1, s.data(), s.size());
    return;
  }
  raw_ = reinterpret_cast<uint64_t>(block_new(s));
}
Str& Str::operator=(Str&& o) noexcept {
  if (this != &o) {
    if (raw_ && !(raw_ & 1)) std::free(reinterpret_cast<char*>(raw_));
    raw_ = o.raw_;
    o.raw_ = 0;
  }
  return *this;
}
Str::~Str() {
  if (raw_ && !(raw_ & 1)) std::free(reinterpret_cast<char*>(raw_));
}
std::string_view Str::view() const {
  if (!raw_) return {};
  if (raw_ & 1) return {reinterpret_cast<const char*>(&raw_) + 1, size_t((raw_ >> 1) & 7)};
  return block_view(reinterpret_cast<const char*>(raw_));
}
size_t Str::heap_bytes() const {
  return raw_ && !(raw_ & 1) ? sizeof(uint32_t) + view().size() : 0;
}

void Value::str_append(std::string_view s) {
  if (ilen_ == kHeap) {
    s_ = Str::block_append(s_, s);
  } else if (ilen_ + s.size() <= kInlineMax) {
    std::memcpy(inline_data() + ilen_, s.data(), s.size());
    ilen_ = uint8_t(ilen_ + s.size());
  } else {
    std::string joined(str());
    joined.append(s);
    s_ = Str::block_new(joined);
    ilen_ = kHeap;
  }
}
// ---- Value ----

Value Value::boolean(bool b) {
  Value v;
  v.type_ = Type::Bool;
  v.b_ = b;
  return v;
}
Value Value::integer(int64_t i) {
  Value v;
  v.type_ = Type::Int;
  v.i_ = i;
  return v;
}
Value Value::number(double d) {
  Value v;
  v.type_ = Type::Double;
  v.d_ = d;
  return v;
}
Value Value::string(std::string_view s) {
  Value v;
  v.type_ = Type::String;
  if (s.size() <= kInlineMax) {
    v.ilen_ = uint8_t(s.size());
    if (!s.empty()) std::memcpy(v.inline_data(), s.data(), s.size());
  } else {
    v.ilen_ = kHeap;
    v.s_ = Str::block_new(s);
  }
  return v;
}
Value Value::array() {
  Value v;
  v.type_ = Type::Array;
  new (&v.a_) Array();
  return v;
}
Value Value::object() {
  Value v;
  v.type_ = Type::Object;
  new (&v.o_) Object();
  return v;
}

void Value::reset() {
  switch (type_) {
    case Type::String:
      if (ilen_ == kHeap) std::free(s_);
      break;
    case Type::Array:
      a_.~Array();
      break;
    case Type::Object:
      o_.~Object();
      break;
    default:
      break;
  }
  type_ = Type::Null;
  ilen_ = 0;
  i_ = 0;
}

Value Value::clone() const {
  switch (type_) {
    case Type::String:
      return string(str());
    case Type::Array: {
      Value out = array();
      out.a_.reserve(a_.size());
      for (const Value& e : a_) out.a_.push_back(e.clone());
      return out;
    }
    case Type::Object: {
      Value out = object();
      out.o_.reserve(o_.size());
      for (const Member& m : o_) out.o_.emplace_back(m.key.view(), m.val.clone());
      return out;
    }
    default: {
      Value out;
      std::memcpy(static_cast<void*>(&out), this, sizeof(Value));  // scalars: plain bytes
      return out;
    }
  }
}

ptrdiff_t Value::find_index(std::string_view key) const {
  const Object& o = o_;
  for (size_t i = 0; i < o.size(); i++)
    if (o[i].key == key) return ptrdiff_t(i);
  return -1;
}
Value* Value::find(std::string_view key) {
  ptrdiff_t i = find_index(key);
  return i < 0 ? nullptr : &o_[size_t(i)].val;
}
const Value* Value::find(std::string_view key) const {
  ptrdiff_t i = find_index(key);
  return i < 0 ? nullptr : &o_[size_t(i)].val;
}
void Value::set(std::string_view key, Value v) {
  if (Value* cur = find(key)) {
    *cur = std::move(v);
    return;
  }
  o_.emplace_back(key, std::move(v));
}
bool Value::erase(std::string_view key) {
  ptrdiff_t i = find_index(key);
  if (i < 0) return false;
  o_.erase(o_.begin() + i);
  return true;
}
size_t Value::size() const {
  if (type_ == Type::Array) return a_.size();
  if (type_ == Type::Object) return o_.size();
  return 0;
}

bool equal(const Value& a, const Value& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Type::Null:
      return true;
    case Type::Bool:
      return a.as_bool() == b.as_bool();
    case Type::Int:
      return a.as_int() == b.as_int();
    case Type::Double:
      return a.as_double() == b.as_double();
    case Type::String:
      return a.str() == b.str();
    case Type::Array: {
      if (a.arr().size() != b.arr().size()) return false;
      for (size_t i = 0; i < a.arr().size(); i++)
        if (!equal(a.arr()[i], b.arr()[i])) return false;
      return true;
    }
    case Type::Object: {
      if (a.obj().size() != b.obj().size()) return false;
      for (const Member& m : a.obj()) {
        const Value* o = b.find(m.key);
        if (!o || !equal(m.val, *o)) return false;
      }
      return true;
    }
  }
  return false;
}

const char* type_name(Type t) {
  // In the order of Type's values.
  static constexpr const char* kNames[] = {"null",   "boolean", "integer", "number",
                                           "string", "array",   "object"};
  static_assert(sizeof(kNames) / sizeof(kNames[0]) == size_t(Type::Object) + 1);
  return size_t(t) < std::size(kNames) ? kNames[size_t(t)] : "null";
}

size_t memory_usage(const Value& v) {
  size_t n = 0;
  switch (v.type()) {
    case Type::String:
      if (v.str().size() > 14) n += v.str().size() + sizeof(uint32_t);
      break;
    case Type::Array:
      if (v.arr().capacity()) n += 8 + v.arr().capacity() * sizeof(Value);  // block header
      for (const Value& e : v.arr()) n += memory_usage(e);
      break;
    case Type::Object:
      if (v.obj().capacity()) n += 8 + v.obj().capacity() * sizeof(Member);
      for (const Member& m : v.obj()) n += m.key.heap_bytes() + memory_usage(m.val);
      break;
    default:
      break;
  }
  return n;
}

// ---- Parser ----

namespace {

class Parser {
 public:
  Parser(std::string_view in, std::string* err, const ParseLimits& lim)
      : begin_(in.data()), p_(in.data()), end_(in.data() + in.size()), err_(err), lim_(lim) {}

  bool run(Value* out);

 private:
  struct Frame {
    Value v;
    std::string key;                                           // pending member name (objects)
    std::unordered_map<std::string, size_t>* index = nullptr;  // member positions, big objects
  };

  bool fail(const char* msg, const char* at, bool eof = false) {
    // serde_json counts lines and columns up to the offending byte (the last byte at EOF).
    size_t line = 1;
    const char* line_start = begin_;
    for (const char* q = begin_; q < at && q < end_; q++) {
      if (*q == '\n') {
        line++;
        line_start = q + 1;
      }
    }
    size_t col = size_t(at - line_start) + (eof ? 0 : 1);
    if (err_) {
      *err_ = msg;
      *err_ += " at line " + std::to_string(line) + " column " + std::to_string(col);
    }
    return false;
  }
  void skip_ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\t' || *p_ == '\r')) p_++;
  }
  bool parse_string(std::string* out);
  bool parse_number(Value* out);
  bool parse_literal(Value* out);
  bool parse_key(Frame& f);
  bool attach(Frame& f, Value v);

  const char* begin_;
  const char* p_;
  const char* end_;
  std::string* err_;
  const ParseLimits& lim_;
};

// Length of the valid UTF-8 sequence at p (0 if invalid).
size_t utf8_len(const unsigned char* p, const unsigned char* end) {
  unsigned char c = p[0];
  size_t n;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (size_t(end - p) < n) return 0;
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
      (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
    return 0;
  return n;
}

bool Parser::parse_string(std::string* out) {
  p_++;  // opening quote
  for (;;) {
    const char* start = p_;
    while (p_ < end_) {
      unsigned char c = (unsigned char)*p_;
      if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
      p_++;
    }
    out->append(start, size_t(p_ - start));
    if (p_ >= end_) return fail("EOF while parsing a string", end_, true);
    unsigned char c = (unsigned char)*p_;
    if (c == '"') {
      p_++;
      return true;
    }
    if (c < 0x20)
      return fail("control character (\\u0000-\\u001F) found while parsing a string", p_);
    if (c >= 0x80) {
      size_t n = utf8_len((const unsigned char*)p_, (const unsigned char*)end_);
      if (n == 0) return fail("invalid unicode code point", p_);
      out->append(p_, n);
      p_ += n;
      continue;
    }
    // Escape.
    p_++;
    if (p_ >= end_) return fail("EOF while parsing a string", end_, true);
    char e = *p_++;
    if (char c = unescape_char(e)) {
      out->push_back(c);
      continue;
    }
    switch (e) {
      case 'u': {
        auto hex4 = [&](uint32_t* cp) {
          if (end_ - p_ < 4) {
            p_ = end_;
            return fail("EOF while parsing a string", end_, true);
          }
          uint32_t v = 0;
          for (int i = 0; i < 4; i++) {
            int h = hex_digit(p_[i]);
            if (h < 0) return fail("invalid escape", p_ + i);
            v = (v << 4) | uint32_t(h);
          }
          p_ += 4;
          *cp = v;
          return true;
        };
        uint32_t cp = 0;
        if (!hex4(&cp)) return false;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u')
            return fail("unexpected end of hex escape", p_);
          p_ += 2;
          uint32_t lo = 0;
          if (!hex4(&lo)) return false;
          if (lo < 0xDC00 || lo > 0xDFFF) return fail("lone leading surrogate in hex escape", p_);
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          return fail("lone leading surrogate in hex escape", p_);
        }
        append_utf8(cp, out);
        break;
      }
      default:
        return fail("invalid escape", p_ - 1);
    }
  }
}

bool Parser::parse_number(Value* out) {
  const char* start = p_;
  bool neg = false;
  if (*p_ == '-') {
    neg = true;
    p_++;
  }
  if (p_ >= end_) return fail("EOF while parsing a value", end_, true);
  if (*p_ < '0' || *p_ > '9') return fail("invalid number", p_);
  const char* int_start = p_;
  if (*p_ == '0') {
    p_++;
    if (p_ < end_ && *p_ >= '0' && *p_ <= '9') return fail("invalid number", p_);
  } else {
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') p_++;
  }
  const char* int_end = p_;
  bool is_float = false;
  bool neg_exp = false;
  if (p_ < end_ && *p_ == '.') {
    is_float = true;
    p_++;
    if (p_ >= end_) return fail("EOF while parsing a value", end_, true);
    if (*p_ < '0' || *p_ > '9') return fail("invalid number", p_);
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') p_++;
  }
  if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
    is_float = true;
    p_++;
    if (p_ < end_ && (*p_ == '+' || *p_ == '-')) neg_exp = *p_++ == '-';
    if (p_ >= end_) return fail("EOF while parsing a value", end_, true);
    if (*p_ < '0' || *p_ > '9') return fail("invalid number", p_);
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') p_++;
  }
  if (!is_float) {
    uint64_t v = 0;
    bool overflow = false;
    for (const char* q = int_start; q < int_end; q++) {
      uint64_t d = uint64_t(*q - '0');
      if (v > (UINT64_MAX - d) / 10) {
        overflow = true;
        break;
      }
      v = v * 10 + d;
    }
    if (!overflow) {
      if (!neg && v <= uint64_t(INT64_MAX)) {
        *out = Value::integer(int64_t(v));
        return true;
      }
      if (neg && v <= uint64_t(INT64_MAX) + 1) {
        *out = Value::integer(v == uint64_t(INT64_MAX) + 1 ? INT64_MIN : -int64_t(v));
        return true;
      }
    }
    // Beyond 64 bits: a double, like serde_json does for integers it cannot hold.
  }
  double d = 0;
  auto r = std::from_chars(start, p_, d);
  if (r.ec == std::errc::result_out_of_range) {
    if (!neg_exp) return fail("number out of range", start);
    d = neg ? -0.0 : 0.0;
  } else if (r.ec != std::errc() || r.ptr != p_) {
    return fail("invalid number", start);
  }
  if (!std::isfinite(d)) return fail("number out of range", start);
  *out = Value::number(d);
  return true;
}

bool Parser::parse_literal(Value* out) {
  auto lit = [&](const char* word, Value v) {
    size_t n = std::strlen(word);
    for (size_t i = 0; i < n; i++) {
      if (p_ + i >= end_) return fail("EOF while parsing a value", end_, true);
      if (p_[i] != word[i]) return fail("expected ident", p_ + i);
    }
    p_ += n;
    *out = std::move(v);
    return true;
  };
  switch (*p_) {
    case 't':
      return lit("true", Value::boolean(true));
    case 'f':
      return lit("false", Value::boolean(false));
    default:
      return lit("null", Value());
  }
}

bool Parser::parse_key(Frame& f) {
  skip_ws();
  if (p_ >= end_) return fail("EOF while parsing an object", end_, true);
  if (*p_ != '"') return fail("key must be a string", p_);
  f.key.clear();
  if (!parse_string(&f.key)) return false;
  skip_ws();
  if (p_ >= end_) return fail("EOF while parsing an object", end_, true);
  if (*p_ != ':') return fail("expected `:`", p_);
  p_++;
  return true;
}

// Adds a completed value to the open container `f`.  Duplicate object keys keep the first
// position and the last value (serde_json's preserve_order map does the same).
bool Parser::attach(Frame& f, Value v) {
  if (f.v.is_array()) {
    f.v.arr().push_back(std::move(v));
    return true;
  }
  Object& o = f.v.obj();
  if (f.index) {
    auto [it, fresh] = f.index->emplace(f.key, o.size());
    if (!fresh) {
      o[it->second].val = std::move(v);
      return true;
    }
  } else {
    for (Member& m : o) {
      if (m.key == f.key) {
        m.val = std::move(v);
        return true;
      }
    }
    if (o.size() >= 32) {  // big object: index the members from now on
      f.index = new std::unordered_map<std::string, size_t>();
      for (size_t i = 0; i < o.size(); i++) f.index->emplace(std::string(o[i].key.view()), i);
      f.index->emplace(f.key, o.size());
    }
  }
  o.emplace_back(std::string_view(f.key), std::move(v));
  f.key.clear();
  return true;
}

bool Parser::run(Value* out) {
  if (size_t(end_ - begin_) > lim_.max_size) {
    if (err_) *err_ = "document too large";
    return false;
  }
  std::vector<Frame> stack;
  std::string scratch;  // string values are decoded here, then copied at their exact size
  struct Cleanup {
    std::vector<Frame>& s;
    ~Cleanup() {
      for (Frame& f : s) delete f.index;
    }
  } cleanup{stack};
  Value cur;
  for (;;) {
    // Parse one value into `cur`, or open a container and loop for its first element.
    skip_ws();
    if (p_ >= end_) return fail("EOF while parsing a value", end_, true);
    char c = *p_;
    bool have_value = true;
    if (c == '[' || c == '{') {
      if (stack.size() >= lim_.max_depth) return fail("recursion limit exceeded", p_);
      p_++;
      stack.push_back(Frame{c == '[' ? Value::array() : Value::object(), {}, nullptr});
      skip_ws();
      char close = c == '[' ? ']' : '}';
      if (p_ < end_ && *p_ == close) {
        p_++;
        cur = std::move(stack.back().v);
        stack.pop_back();
      } else if (c == '{') {
        if (!parse_key(stack.back())) return false;
        have_value = false;
      } else {
        have_value = false;
      }
    } else if (c == '"') {
      scratch.clear();
      if (!parse_string(&scratch)) return false;
      cur = Value::string(scratch);
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      if (!parse_number(&cur)) return false;
    } else if (c == 't' || c == 'f' || c == 'n') {
      if (!parse_literal(&cur)) return false;
    } else {
      return fail("expected value", p_);
    }
    if (!have_value) continue;
    // Attach `cur` to its parent; close every container that ends here.
    for (;;) {
      if (stack.empty()) {
        skip_ws();
        if (p_ < end_) return fail("trailing characters", p_);
        *out = std::move(cur);
        return true;
      }
      Frame& f = stack.back();
      bool is_obj = f.v.is_object();
      attach(f, std::move(cur));
      skip_ws();
      if (p_ >= end_)
        return fail(is_obj ? "EOF while parsing an object" : "EOF while parsing a list", end_,
                    true);
      if (*p_ == ',') {
        p_++;
        skip_ws();
        if (p_ < end_ && *p_ == (is_obj ? '}' : ']')) return fail("trailing comma", p_);
        if (is_obj && !parse_key(f)) return false;
        break;  // parse the next element
      }
      if (*p_ == (is_obj ? '}' : ']')) {
        p_++;
        // Growth by doubling leaves up to half of a container unused: documents are stored
        // for long, so give it back.
        if (is_obj)
          f.v.obj().shrink_to_fit();
        else
          f.v.arr().shrink_to_fit();
        cur = std::move(f.v);
        delete f.index;
        stack.pop_back();
        continue;
      }
      return fail(is_obj ? "expected `,` or `}`" : "expected `,` or `]`", p_);
    }
  }
}

}  // namespace

char unescape_char(char e) {
  switch (e) {
    case '"': return '"';
    case '\\': return '\\';
    case '/': return '/';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return 0;
  }
}

void append_utf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(char(cp));
  } else if (cp < 0x800) {
    out->push_back(char(0xC0 | (cp >> 6)));
    out->push_back(char(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(char(0xE0 | (cp >> 12)));
    out->push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(char(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(char(0xF0 | (cp >> 18)));
    out->push_back(char(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(char(0x80 | (cp & 0x3F)));
  }
}

bool parse(std::string_view in, Value* out, std::string* err, const ParseLimits& limits) {
  Parser p(in, err, limits);
  return p.run(out);
}

// ---- Serialization ----

void write_string(std::string_view s, std::string* out) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t start = 0;
  for (size_t i = 0; i < s.size(); i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + start, i - start);
    start = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default: {
        char u[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out->append(u, 6);
      }
    }
  }
  out->append(s.data() + start, s.size() - start);
  out->push_back('"');
}

void write_double(double d, std::string* out) {
  if (!std::isfinite(d)) {  // never stored; print like serde_json does for non-finite
    out->append("null");
    return;
  }
  char buf[40];
  auto r = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  // buf: [-]d[.ddd]e(+|-)xx  -> sign, significant digits, decimal exponent.
  const char* p = buf;
  const char* end = r.ptr;
  if (*p == '-') {
    out->push_back('-');
    p++;
  }
  char digits[24];
  int nd = 0;
  while (p < end && *p != 'e') {
    if (*p != '.') digits[nd++] = *p;
    p++;
  }
  int exp10 = 0;
  if (p < end) std::from_chars(p + 1 + (p[1] == '+'), end, exp10);
  // Ryu's "pretty" rules as in serde_json: value = digits * 10^(kk - nd).
  int kk = exp10 + 1;
  int k = kk - nd;
  if (k >= 0 && kk <= 16) {
    out->append(digits, size_t(nd));
    out->append(size_t(k), '0');
    out->append(".0");
  } else if (kk > 0 && kk <= 16) {
    out->append(digits, size_t(kk));
    out->push_back('.');
    out->append(digits + kk, size_t(nd - kk));
  } else if (kk > -5 && kk <= 0) {
    out->append("0.");
    out->append(size_t(-kk), '0');
    out->append(digits, size_t(nd));
  } else {
    out->push_back(digits[0]);
    if (nd > 1) {
      out->push_back('.');
      out->append(digits + 1, size_t(nd - 1));
    }
    out->push_back('e');
    out->append(std::to_string(kk - 1));
  }
}

namespace {

void write_int(int64_t v, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, size_t(r.ptr - buf));
}

void write_scalar(const Value& v, std::string* out) {
  switch (v.type()) {
    case Type::Null:
      out->append("null");
      break;
    case Type::Bool:
      out->append(v.as_bool() ? "true" : "false");
      break;
    case Type::Int:
      write_int(v.as_int(), out);
      break;
    case Type::Double:
      write_double(v.as_double(), out);
      break;
    case Type::String:
      write_string(v.str(), out);
      break;
    default:
      break;
  }
}

}  // namespace

void write(const Value& v, std::string* out) {
  switch (v.type()) {
    case Type::Array: {
      out->push_back('[');
      bool first = true;
      for (const Value& e : v.arr()) {
        if (!first) out->push_back(',');
        first = false;
        write(e, out);
      }
      out->push_back(']');
      break;
    }
    case Type::Object: {
      out->push_back('{');
      bool first = true;
      for (const Member& m : v.obj()) {
        if (!first) out->push_back(',');
        first = false;
        write_string(m.key, out);
        out->push_back(':');
        write(m.val, out);
      }
      out->push_back('}');
      break;
    }
    default:
      write_scalar(v, out);
  }
}

std::string to_string(const Value& v) {
  std::string s;
  write(v, &s);
  return s;
}

namespace {

struct Pretty {
  std::string_view indent, newline, space;
  std::string* out;
  void line(int level) {
    out->append(newline);
    for (int i = 0; i < level; i++) out->append(indent);
  }
  void value(const Value& v, int level) {
    if (v.is_array()) {
      out->push_back('[');
      if (v.arr().empty()) {
        out->push_back(']');
        return;
      }
      bool first = true;
      for (const Value& e : v.arr()) {
        if (!first) out->push_back(',');
        first = false;
        line(level + 1);
        value(e, level + 1);
      }
      line(level);
      out->push_back(']');
    } else if (v.is_object()) {
      out->push_back('{');
      if (v.obj().empty()) {
        out->push_back('}');
        return;
      }
      bool first = true;
      for (const Member& m : v.obj()) {
        if (!first) out->push_back(',');
        first = false;
        line(level + 1);
        write_string(m.key, out);
        out->push_back(':');
        out->append(space);
        value(m.val, level + 1);
      }
      line(level);
      out->push_back('}');
    } else {
      write_scalar(v, out);
    }
  }
};

}  // namespace

void write_pretty(const Value& v, std::string* out, std::string_view indent,
                  std::string_view newline, std::string_view space) {
  if (indent.empty() && newline.empty() && space.empty()) {
    write(v, out);
    return;
  }
  Pretty{indent, newline, space, out}.value(v, 0);
}

}  // namespace sc::json
