// Hashing for the broker's tables: a seeded 64-bit hash of bytes (seed randomised at start so
// clients cannot pick colliding keys) and a process-wide fast PRNG.
#pragma once
#include <cstdint>
#include <cstring>
#include <string_view>

namespace sc::broker {

extern uint64_t g_hash_seed;
extern uint64_t g_rand_state;

inline uint64_t mix64(uint64_t x) {  // a strong 64-bit finaliser (Murmur3's fmix64 constants)
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

inline uint64_t hash_bytes(std::string_view s) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  uint64_t h = g_hash_seed ^ (n * 0x9E3779B97F4A7C15ULL);
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ mix64(w + 0x9E3779B97F4A7C15ULL)) * 0xbf58476d1ce4e5b9ULL;
    h = (h << 31) | (h >> 33);
    p += 8;
    n -= 8;
  }
  uint64_t w = 0;
  std::memcpy(&w, p, n);
  h ^= w + (uint64_t(n) << 56);
  return mix64(h);
}

inline uint64_t rand64() {  // splitmix64
  uint64_t z = (g_rand_state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace sc::broker
