// Robj lifecycle shared by every type, and the String encodings.
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <malloc.h>

#include "server.h"
#include "t_hash.h"
#include "t_list.h"
#include "t_set.h"

namespace sc::broker {

Robj string_value_int(long long v) {
  Robj out;
  out.type = Type::String;
  out.enc = Enc::Int;
  out.i = v;
  return out;
}

Robj string_value(std::string_view s) {
  long long v;
  // Only values that print back identically become integers ("007" stays a string).
  if (s.size() <= 20 && resp::parse_ll(s, &v)) return string_value_int(v);
  Robj out;
  out.type = Type::String;
  out.enc = Enc::Raw;
  out.ptr = str_new(s);
  return out;
}

std::string_view string_view_of(const Robj& v, char* buf) {
  if (v.enc == Enc::Int) return {buf, resp::format_ll(buf, v.i)};
  return str_view(static_cast<const Sds*>(v.ptr));
}

size_t string_len(const Robj& v) {
  char buf[24];
  return string_view_of(v, buf).size();
}

Sds* string_grow(Robj& v, size_t len) {
  if (v.enc == Enc::Int) {
    char buf[24];
    std::string_view digits = string_view_of(v, buf);
    v.ptr = str_new(digits);  // replaces the integer in the union
    v.enc = Enc::Raw;
  }
  v.grown = true;
  Sds* s = static_cast<Sds*>(v.ptr);
  size_t old = s->len;
  if (len <= old) return s;
  size_t capacity = malloc_usable_size(s) - sizeof(Sds);
  if (len > capacity) {
    constexpr size_t kGreedyLimit = 1 << 20;
    size_t want = len < kGreedyLimit ? len * 2 : len + kGreedyLimit;
    if (want > UINT32_MAX) want = len;
    if (len - old >= kGreedyLimit) {
      // A big jump (SETBIT or SETRANGE far past the end): calloc hands out pages that are
      // already zero, so only the bytes written later are ever touched.
      Sds* n = static_cast<Sds*>(std::calloc(1, sizeof(Sds) + want));
      if (!n) std::abort();
      std::memcpy(n->data, s->data, old);
      std::free(s);
      n->len = uint32_t(len);
      v.ptr = n;
      return n;
    }
    s = static_cast<Sds*>(std::realloc(s, sizeof(Sds) + want));
    if (!s) std::abort();
    v.ptr = s;
  }
  std::memset(s->data + old, 0, len - old);
  s->len = uint32_t(len);
  return s;
}

void value_free(Robj& v) {
  switch (v.type) {
    case Type::String:
      if (v.enc == Enc::Raw) str_free(static_cast<Sds*>(v.ptr));
      break;
    case Type::Hash: hash_free(v); break;
    case Type::Set: set_free(v); break;
    case Type::List: list_free(v); break;
    case Type::Json: json_free(v); break;
  }
  v.ptr = nullptr;
}

Robj value_dup(const Robj& v) {
  switch (v.type) {
    case Type::String:
      if (v.enc == Enc::Raw) {
        Robj out = v;
        out.ptr = str_new(str_view(static_cast<const Sds*>(v.ptr)));
        return out;
      }
      return v;
    case Type::Hash: return hash_dup(v);
    case Type::Set: return set_dup(v);
    case Type::List: return list_dup(v);
    case Type::Json: return json_dup(v);
  }
  return v;
}

// ---- Long double parsing and formatting, as Redis's string2ld / ld2string(LD_STR_HUMAN) ----

constexpr size_t kMaxLongDoubleChars = 5 * 1024;

bool parse_long_double(std::string_view s, long double* out) {
  char buf[kMaxLongDoubleChars];
  if (s.empty() || s.size() >= sizeof(buf)) return false;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  errno = 0;
  char* end;
  long double v = std::strtold(buf, &end);
  if (std::isspace(static_cast<unsigned char>(buf[0])) || *end != '\0' ||
      size_t(end - buf) != s.size() ||
      (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || std::fpclassify(v) == FP_ZERO)) ||
      errno == EINVAL || std::isnan(v))
    return false;
  *out = v;
  return true;
}

// "%.17Lf" with trailing zeros (and a bare '.') removed; "-0" becomes "0".
std::string format_long_double_human(long double v) {
  char buf[kMaxLongDoubleChars];
  int l = std::snprintf(buf, sizeof(buf), "%.17Lf", v);
  if (l < 0 || size_t(l) + 1 > sizeof(buf)) return std::string();
  if (std::memchr(buf, '.', size_t(l))) {
    char* p = buf + l - 1;
    while (*p == '0') {
      p--;
      l--;
    }
    if (*p == '.') l--;
  }
  if (l == 2 && buf[0] == '-' && buf[1] == '0') {
    buf[0] = '0';
    l = 1;
  }
  return std::string(buf, size_t(l));
}

size_t value_mem(const Robj& v) {
  switch (v.type) {
    case Type::String:
      return v.enc == Enc::Raw ? malloc_usable_size(v.ptr) : 0;
    case Type::Hash: return hash_mem(v);
    case Type::Set: return set_mem(v);
    case Type::List: return list_mem(v);
    case Type::Json: return json_mem(v);
  }
  return 0;
}

const char* type_name(Type t) {
  switch (t) {
    case Type::String: return "string";
    case Type::List: return "list";
    case Type::Set: return "set";
    case Type::Hash: return "hash";
    case Type::Json: return "ReJSON-RL";
  }
  return "none";
}

const char* enc_name(Enc e) {
  static const char* kNames[] = {"raw", "int", "listpack", "hashtable", "intset", "quicklist",
                                 "json"};
  return kNames[int(e)];
}

}  // namespace sc::broker
