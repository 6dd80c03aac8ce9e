// Listpack: the compact encoding of small hashes and sets.  One malloc'ed block holds a small
// header and the entries back to back; each entry is a varint header followed by its payload:
//
//   header h, even:  a byte string of h/2 bytes follows
//   header h, odd:   an integer follows, stored zigzag little-endian in h/2 bytes (1..8)
//
// A string is stored as an integer when it is the canonical decimal form of an int64 (what
// Redis's string2ll accepts), so "1700000000000" takes 7 bytes and reads back identically.
// There are no back-pointers: small objects are only walked forwards.  A session hash of four
// short fields fits in well under 100 bytes (Redis's listpack needs about 10% more).
//
// Positions are byte offsets from the start of the block (they survive reallocation); the
// first entry is at lp_first(), and lp_end(lp) is one past the last.  Functions that may grow
// or shrink the block take `Listpack**` and may move it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sc::broker {

struct Listpack {
  uint32_t bytes;  // total size of the block, header included
  uint32_t count;  // number of entries
  unsigned char data[];
};

// One decoded entry.  For an integer entry `sv` is empty and `iv` holds the value.
struct LpEntry {
  bool is_int = false;
  int64_t iv = 0;
  std::string_view sv;
  // The entry as bytes; integers are formatted into `buf` (at least 21 bytes).
  std::string_view view(char* buf) const;
  size_t str_len() const;  // length of view()
};

// A search key prepared once for many comparisons (parsed as an integer if canonical).
struct LpKey {
  explicit LpKey(std::string_view s);
  std::string_view sv;
  bool is_int;
  int64_t iv;
};

Listpack* lp_new(size_t reserve_payload = 0);
void lp_free(Listpack* lp);
Listpack* lp_dup(const Listpack* lp);
inline constexpr uint32_t lp_first() { return sizeof(Listpack); }
inline uint32_t lp_end(const Listpack* lp) { return lp->bytes; }
inline uint32_t lp_count(const Listpack* lp) { return lp->count; }

// Decodes the entry at `pos`; returns the position of the next entry.
uint32_t lp_get(const Listpack* lp, uint32_t pos, LpEntry* e);
// The position after the entry at `pos`.
uint32_t lp_next(const Listpack* lp, uint32_t pos);
// True if the entry at `pos` equals `k`.
bool lp_eq(const Listpack* lp, uint32_t pos, const LpKey& k);
// Finds the first entry equal to `k` among the entries at index 0, step, 2*step...
// (step 2 searches the fields of a field/value listpack).  Returns its position or 0.
uint32_t lp_find(const Listpack* lp, const LpKey& k, int step);
// Encoded size of `s` as an entry.
size_t lp_entry_size(std::string_view s);
// Appends entries at the end.
void lp_append(Listpack** lp, std::string_view s);
void lp_append2(Listpack** lp, std::string_view a, std::string_view b);
// Appends an integer entry.
void lp_append_int(Listpack** lp, int64_t v);
// Replaces the entry at `pos` by `s` (the entry count is unchanged).
void lp_replace(Listpack** lp, uint32_t pos, std::string_view s);
// Deletes `n` entries starting at `pos`.
void lp_delete(Listpack** lp, uint32_t pos, uint32_t n);
// Bytes allocated, for memory reporting.
inline size_t lp_bytes(const Listpack* lp) { return lp->bytes; }

// Calls fn(const LpEntry&) for each entry in order.
template <class F>
void lp_for_each(const Listpack* lp, F&& fn) {
  LpEntry e;
  for (uint32_t p = lp_first(); p < lp_end(lp);) {
    p = lp_get(lp, p, &e);
    fn(e);
  }
}

}  // namespace sc::broker
