#include "consistent_hash.h"

namespace sc {

uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

uint64_t hash64(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return mix64(h);
}

int32_t jump_hash(uint64_t key, int32_t buckets) {
  if (buckets <= 0) return -1;
  int64_t b = -1, j = 0;
  while (j < buckets) {
    b = j;
    key = key * 2862933555777941757ull + 1;
    j = int64_t(double(b + 1) * (double(1ll << 31) / double((key >> 33) + 1)));
  }
  return int32_t(b);
}

}  // namespace sc
