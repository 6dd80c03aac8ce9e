// Consistent hashing shared by the tiers: a key is hashed to 64 bits, then Lamping & Veach's
// jump consistent hash picks one of N slots of an *ordered* list.  Every process that holds the
// same list computes the same mapping, before and after a restart.
//
// Dead slots: pick_live() keeps a key on its jump-hash slot while that slot is alive; only the
// keys of a dead slot are re-hashed (with a derived key) onto the live ones, and they come back
// home when the slot is alive again.  So a death moves exactly the dead slot's keys.
#pragma once
#include <cstdint>
#include <string_view>

namespace sc {

// A stable 64-bit hash of bytes (FNV-1a, then a splitmix64 finaliser for the high bits that
// jump hash consumes).  The value never depends on the platform or the process.
uint64_t hash64(std::string_view bytes);

// splitmix64 step: a bijective mixer, used to derive the retry keys.
uint64_t mix64(uint64_t x);

// Jump consistent hash: a slot in [0, buckets), or -1 when buckets <= 0.
int32_t jump_hash(uint64_t key, int32_t buckets);

// The slot for `key` among `n` ordered slots, skipping those where alive(i) is false.
// Returns -1 if none is alive.  Alive is any callable bool(int).
template <class Alive>
int pick_live(uint64_t key, int n, const Alive& alive) {
  if (n <= 0) return -1;
  int slot = jump_hash(key, n);
  if (alive(slot)) return slot;
  uint64_t k = key;
  for (int attempt = 1; attempt <= 64; attempt++) {  // each retry is an independent draw
    k = mix64(k + uint64_t(attempt));
    slot = jump_hash(k, n);
    if (alive(slot)) return slot;
  }
  for (int i = 1; i < n; i++) {  // mostly-dead list: deterministic scan from the last draw
    int s = (slot + i) % n;
    if (alive(s)) return s;
  }
  return -1;
}

}  // namespace sc
