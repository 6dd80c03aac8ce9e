// Listpack encoding; see listpack.h for the layout.
#include "listpack.h"

#include <cstdlib>
#include <cstring>

#include "resp.h"

namespace sc::broker {

namespace {

// Varint: 7 bits per byte, least significant group first, high bit = more follows.
inline size_t varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

inline size_t varint_put(unsigned char* p, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    p[n++] = static_cast<unsigned char>(v | 0x80);
    v >>= 7;
  }
  p[n++] = static_cast<unsigned char>(v);
  return n;
}

inline uint64_t varint_get(const unsigned char* p, size_t* n) {
  uint64_t v = 0;
  int shift = 0;
  size_t i = 0;
  while (p[i] & 0x80) {
    v |= uint64_t(p[i] & 0x7f) << shift;
    shift += 7;
    i++;
  }
  v |= uint64_t(p[i]) << shift;
  *n = i + 1;
  return v;
}

inline uint64_t zigzag(int64_t v) { return (uint64_t(v) << 1) ^ uint64_t(v >> 63); }
inline int64_t unzigzag(uint64_t u) { return int64_t(u >> 1) ^ -int64_t(u & 1); }

inline size_t int_width(uint64_t z) {
  size_t w = 1;
  while (w < 8 && (z >> (8 * w)) != 0) w++;
  return w;
}

// An entry's encoding, computed once and then written.
struct Enc {
  bool is_int;
  uint64_t z;    // zigzag value for integers
  size_t width;  // integer payload bytes
  size_t size;   // total encoded size
};

inline Enc encode_plan(std::string_view s) {
  Enc e{};
  long long v;
  if (s.size() <= 20 && !s.empty() && resp::parse_ll(s, &v)) {
    e.is_int = true;
    e.z = zigzag(v);
    e.width = int_width(e.z);
    e.size = 1 + e.width;  // header (width*2+1 <= 17) fits one byte
  } else {
    e.is_int = false;
    e.size = varint_size(uint64_t(s.size()) << 1) + s.size();
  }
  return e;
}

inline size_t encode_write(unsigned char* p, std::string_view s, const Enc& e) {
  if (e.is_int) {
    p[0] = static_cast<unsigned char>((e.width << 1) | 1);
    uint64_t z = e.z;
    for (size_t i = 0; i < e.width; i++) {
      p[1 + i] = static_cast<unsigned char>(z);
      z >>= 8;
    }
    return 1 + e.width;
  }
  size_t n = varint_put(p, uint64_t(s.size()) << 1);
  if (!s.empty()) std::memcpy(p + n, s.data(), s.size());
  return n + s.size();
}

Listpack* lp_resize(Listpack* lp, size_t bytes) {
  Listpack* n = static_cast<Listpack*>(std::realloc(lp, bytes));
  if (!n) std::abort();
  return n;
}

}  // namespace

std::string_view LpEntry::view(char* buf) const {
  if (!is_int) return sv;
  return {buf, resp::format_ll(buf, iv)};
}

size_t LpEntry::str_len() const {
  if (!is_int) return sv.size();
  char buf[24];
  return resp::format_ll(buf, iv);
}

LpKey::LpKey(std::string_view s) : sv(s), is_int(false), iv(0) {
  long long v;
  if (s.size() <= 20 && !s.empty() && resp::parse_ll(s, &v)) {
    is_int = true;
    iv = v;
  }
}

Listpack* lp_new(size_t reserve_payload) {
  Listpack* lp = static_cast<Listpack*>(std::malloc(sizeof(Listpack) + reserve_payload));
  if (!lp) std::abort();
  lp->bytes = sizeof(Listpack);
  lp->count = 0;
  return lp;
}

void lp_free(Listpack* lp) { std::free(lp); }

Listpack* lp_dup(const Listpack* lp) {
  Listpack* n = static_cast<Listpack*>(std::malloc(lp->bytes));
  if (!n) std::abort();
  std::memcpy(n, lp, lp->bytes);
  return n;
}

uint32_t lp_get(const Listpack* lp, uint32_t pos, LpEntry* e) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(lp) + pos;
  size_t n;
  uint64_t h = varint_get(p, &n);
  if (h & 1) {
    size_t w = size_t(h >> 1);
    uint64_t z = 0;
    for (size_t i = 0; i < w; i++) z |= uint64_t(p[n + i]) << (8 * i);
    e->is_int = true;
    e->iv = unzigzag(z);
    e->sv = {};
    return pos + uint32_t(n + w);
  }
  size_t len = size_t(h >> 1);
  e->is_int = false;
  e->sv = {reinterpret_cast<const char*>(p + n), len};
  return pos + uint32_t(n + len);
}

uint32_t lp_next(const Listpack* lp, uint32_t pos) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(lp) + pos;
  size_t n;
  uint64_t h = varint_get(p, &n);
  return pos + uint32_t(n + size_t(h >> 1));  // same formula for strings and integers
}

bool lp_eq(const Listpack* lp, uint32_t pos, const LpKey& k) {
  LpEntry e;
  lp_get(lp, pos, &e);
  // Integers are stored as integers exactly when they are canonical, so the kinds must match.
  if (e.is_int != k.is_int) return false;
  return e.is_int ? e.iv == k.iv : e.sv == k.sv;
}

uint32_t lp_find(const Listpack* lp, const LpKey& k, int step) {
  const unsigned char* base = reinterpret_cast<const unsigned char*>(lp);
  uint32_t end = lp_end(lp);
  uint32_t pos = lp_first();
  while (pos < end) {
    const unsigned char* p = base + pos;
    size_t n;
    uint64_t h = varint_get(p, &n);
    size_t plen = size_t(h >> 1);
    bool match;
    if (h & 1) {
      if (k.is_int) {
        uint64_t z = 0;
        for (size_t i = 0; i < plen; i++) z |= uint64_t(p[n + i]) << (8 * i);
        match = unzigzag(z) == k.iv;
      } else {
        match = false;
      }
    } else {
      match = !k.is_int && plen == k.sv.size() &&
              (plen == 0 || std::memcmp(p + n, k.sv.data(), plen) == 0);
    }
    if (match) return pos;
    pos += uint32_t(n + plen);
    for (int s = 1; s < step && pos < end; s++) pos = lp_next(lp, pos);
  }
  return 0;
}

size_t lp_entry_size(std::string_view s) { return encode_plan(s).size; }

void lp_append(Listpack** lpp, std::string_view s) {
  Enc e = encode_plan(s);
  Listpack* lp = lp_resize(*lpp, (*lpp)->bytes + e.size);
  encode_write(reinterpret_cast<unsigned char*>(lp) + lp->bytes, s, e);
  lp->bytes += uint32_t(e.size);
  lp->count++;
  *lpp = lp;
}

void lp_append2(Listpack** lpp, std::string_view a, std::string_view b) {
  Enc ea = encode_plan(a), eb = encode_plan(b);
  Listpack* lp = lp_resize(*lpp, (*lpp)->bytes + ea.size + eb.size);
  unsigned char* p = reinterpret_cast<unsigned char*>(lp) + lp->bytes;
  p += encode_write(p, a, ea);
  encode_write(p, b, eb);
  lp->bytes += uint32_t(ea.size + eb.size);
  lp->count += 2;
  *lpp = lp;
}

void lp_append_int(Listpack** lpp, int64_t v) {
  char buf[24];
  lp_append(lpp, std::string_view(buf, resp::format_ll(buf, v)));
}

void lp_replace(Listpack** lpp, uint32_t pos, std::string_view s) {
  Listpack* lp = *lpp;
  uint32_t next = lp_next(lp, pos);
  size_t old_size = next - pos;
  Enc e = encode_plan(s);
  size_t tail = lp->bytes - next;
  if (e.size > old_size) {
    lp = lp_resize(lp, lp->bytes + (e.size - old_size));
    unsigned char* base = reinterpret_cast<unsigned char*>(lp);
    std::memmove(base + pos + e.size, base + next, tail);
    encode_write(base + pos, s, e);
    lp->bytes += uint32_t(e.size - old_size);
  } else {
    unsigned char* base = reinterpret_cast<unsigned char*>(lp);
    encode_write(base + pos, s, e);
    if (e.size < old_size) {
      std::memmove(base + pos + e.size, base + next, tail);
      lp->bytes -= uint32_t(old_size - e.size);
      lp = lp_resize(lp, lp->bytes);
    }
  }
  *lpp = lp;
}

void lp_delete(Listpack** lpp, uint32_t pos, uint32_t n) {
  Listpack* lp = *lpp;
  uint32_t end = pos;
  uint32_t removed = 0;
  while (removed < n && end < lp->bytes) {
    end = lp_next(lp, end);
    removed++;
  }
  unsigned char* base = reinterpret_cast<unsigned char*>(lp);
  std::memmove(base + pos, base + end, lp->bytes - end);
  lp->bytes -= end - pos;
  lp->count -= removed;
  *lpp = lp_resize(lp, lp->bytes);
}

}  // namespace sc::broker
