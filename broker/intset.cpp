// Intset encoding; see intset.h.
#include "intset.h"

#include <cstdlib>
#include <cstring>

namespace sc::broker {

namespace {

inline uint32_t width_for(int64_t v) {
  if (v >= INT16_MIN && v <= INT16_MAX) return 2;
  if (v >= INT32_MIN && v <= INT32_MAX) return 4;
  return 8;
}

inline int64_t get_w(const unsigned char* c, uint32_t width, uint32_t idx) {
  switch (width) {
    case 2: {
      int16_t v;
      std::memcpy(&v, c + 2 * size_t(idx), 2);
      return v;
    }
    case 4: {
      int32_t v;
      std::memcpy(&v, c + 4 * size_t(idx), 4);
      return v;
    }
    default: {
      int64_t v;
      std::memcpy(&v, c + 8 * size_t(idx), 8);
      return v;
    }
  }
}

inline void set_w(unsigned char* c, uint32_t width, uint32_t idx, int64_t v) {
  switch (width) {
    case 2: {
      int16_t x = int16_t(v);
      std::memcpy(c + 2 * size_t(idx), &x, 2);
      break;
    }
    case 4: {
      int32_t x = int32_t(v);
      std::memcpy(c + 4 * size_t(idx), &x, 4);
      break;
    }
    default:
      std::memcpy(c + 8 * size_t(idx), &v, 8);
  }
}

Intset* resize(Intset* is, uint32_t width, uint32_t len) {
  Intset* n = static_cast<Intset*>(std::realloc(is, sizeof(Intset) + size_t(width) * len));
  if (!n) std::abort();
  return n;
}

}  // namespace

Intset* intset_new() {
  Intset* is = static_cast<Intset*>(std::malloc(sizeof(Intset)));
  if (!is) std::abort();
  is->width = 2;
  is->length = 0;
  return is;
}

void intset_free(Intset* is) { std::free(is); }

Intset* intset_dup(const Intset* is) {
  size_t n = intset_bytes(is);
  Intset* d = static_cast<Intset*>(std::malloc(n));
  if (!d) std::abort();
  std::memcpy(d, is, n);
  return d;
}

int64_t intset_get(const Intset* is, uint32_t idx) { return get_w(is->contents, is->width, idx); }

bool intset_search(const Intset* is, int64_t v, uint32_t* pos) {
  if (is->length == 0) {
    *pos = 0;
    return false;
  }
  // Fast paths for values beyond either end (appending sorted input is common).
  if (v > intset_get(is, is->length - 1)) {
    *pos = is->length;
    return false;
  }
  if (v < intset_get(is, 0)) {
    *pos = 0;
    return false;
  }
  uint32_t lo = 0, hi = is->length;  // search in [lo, hi)
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    int64_t m = intset_get(is, mid);
    if (m == v) {
      *pos = mid;
      return true;
    }
    if (m < v) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  *pos = lo;
  return false;
}

bool intset_add(Intset** isp, int64_t v) {
  Intset* is = *isp;
  uint32_t w = width_for(v);
  if (w > is->width) {
    // Upgrade: v is outside the current range, so it goes at one end.
    uint32_t old_w = is->width, len = is->length;
    is = resize(is, w, len + 1);
    bool prepend = v < 0;
    for (uint32_t i = len; i-- > 0;)
      set_w(is->contents, w, i + (prepend ? 1 : 0), get_w(is->contents, old_w, i));
    set_w(is->contents, w, prepend ? 0 : len, v);
    is->width = w;
    is->length = len + 1;
    *isp = is;
    return true;
  }
  uint32_t pos;
  if (intset_search(is, v, &pos)) return false;
  is = resize(is, is->width, is->length + 1);
  std::memmove(is->contents + size_t(pos + 1) * is->width, is->contents + size_t(pos) * is->width,
               size_t(is->length - pos) * is->width);
  set_w(is->contents, is->width, pos, v);
  is->length++;
  *isp = is;
  return true;
}

void intset_remove_at(Intset** isp, uint32_t pos) {
  Intset* is = *isp;
  std::memmove(is->contents + size_t(pos) * is->width, is->contents + size_t(pos + 1) * is->width,
               size_t(is->length - pos - 1) * is->width);
  is->length--;
  *isp = resize(is, is->width, is->length);
}

bool intset_remove(Intset** isp, int64_t v) {
  if (width_for(v) > (*isp)->width) return false;
  uint32_t pos;
  if (!intset_search(*isp, v, &pos)) return false;
  intset_remove_at(isp, pos);
  return true;
}

}  // namespace sc::broker
