// Intset: the encoding of small sets whose members are all integers.  A sorted array of
// distinct integers in one block, each stored in the narrowest width (2, 4 or 8 bytes) that
// fits every member; adding a wider integer upgrades the whole array.  Sorted order is part of
// the contract: SMEMBERS and friends reply in ascending order, as Redis does.
#pragma once
#include <cstddef>
#include <cstdint>

namespace sc::broker {

struct Intset {
  uint32_t width;   // bytes per member: 2, 4 or 8
  uint32_t length;  // number of members
  unsigned char contents[];
};

Intset* intset_new();
void intset_free(Intset* is);
Intset* intset_dup(const Intset* is);
inline uint32_t intset_len(const Intset* is) { return is->length; }
int64_t intset_get(const Intset* is, uint32_t idx);
// Index of `v` if present (true), else the insertion point (false).
bool intset_search(const Intset* is, int64_t v, uint32_t* pos);
inline bool intset_find(const Intset* is, int64_t v) {
  uint32_t p;
  return intset_search(is, v, &p);
}
// Adds `v`; returns false if it was already present.  May move the block.
bool intset_add(Intset** is, int64_t v);
// Removes `v`; returns false if it was not present.  May move the block.
bool intset_remove(Intset** is, int64_t v);
// Removes the member at `idx`.
void intset_remove_at(Intset** is, uint32_t idx);
inline size_t intset_bytes(const Intset* is) {
  return sizeof(Intset) + size_t(is->width) * is->length;
}

}  // namespace sc::broker
