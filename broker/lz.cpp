// The list node compressor (format and contract in lz.h).
#include "lz.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace sc::broker {

namespace {

constexpr size_t kMaxLiteral = 32;         // bytes of one literal run (control 0..31)
constexpr size_t kMaxOffset = 8192;        // 13 bits of distance, stored minus one
constexpr size_t kMaxMatch = 7 + 255 + 2;  // longest reference: L = 7 + extra byte, copy L + 2
constexpr int kHashBits = 12;              // 4096 slots: 16 KiB of stack per call

inline uint32_t hash3(const unsigned char* p) {
  uint32_t v = uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16;
  return (v * 2654435761u) >> (32 - kHashBits);
}

}  // namespace

size_t lz_compress(const void* in_v, size_t n, void* out_v, size_t cap) {
  if (n == 0 || n > UINT32_MAX - 1) return 0;
  const auto* in = static_cast<const unsigned char*>(in_v);
  auto* out = static_cast<unsigned char*>(out_v);
  uint32_t last[1u << kHashBits];  // position + 1 of the last 3 bytes with this hash; 0: none
  std::memset(last, 0, sizeof last);
  size_t ip = 0, op = 0, lit = 0;  // lit: first byte not yet written
  auto literals_until = [&](size_t end) {
    while (lit < end) {
      size_t k = std::min(end - lit, kMaxLiteral);
      if (cap - op < k + 1) return false;
      out[op++] = uint8_t(k - 1);
      std::memcpy(out + op, in + lit, k);
      op += k;
      lit += k;
    }
    return true;
  };
  while (ip + 2 < n) {
    uint32_t h = hash3(in + ip);
    size_t ref = last[h];
    last[h] = uint32_t(ip + 1);
    if (ref == 0 || ip - (ref - 1) > kMaxOffset) {
      ip++;
      continue;
    }
    ref--;
    if (in[ref] != in[ip] || in[ref + 1] != in[ip + 1] || in[ref + 2] != in[ip + 2]) {
      ip++;
      continue;
    }
    size_t max = std::min(n - ip, kMaxMatch), len = 3;
    while (len < max && in[ref + len] == in[ip + len]) len++;
    if (!literals_until(ip)) return 0;
    size_t l = len - 2, off = ip - ref - 1;
    if (cap - op < (l >= 7 ? 3u : 2u)) return 0;
    if (l < 7) {
      out[op++] = uint8_t(l << 5 | off >> 8);
    } else {
      out[op++] = uint8_t(7 << 5 | off >> 8);
      out[op++] = uint8_t(l - 7);
    }
    out[op++] = uint8_t(off & 0xff);
    for (size_t q = ip + 1; q < ip + len && q + 2 < n; q++) last[hash3(in + q)] = uint32_t(q + 1);
    ip += len;
    lit = ip;
  }
  if (!literals_until(n)) return 0;
  return op;
}

bool lz_decompress(const void* in_v, size_t n, void* out_v, size_t out_len) {
  const auto* in = static_cast<const unsigned char*>(in_v);
  auto* out = static_cast<unsigned char*>(out_v);
  size_t ip = 0, op = 0;
  while (ip < n) {
    unsigned c = in[ip++];
    if (c < 32) {
      size_t k = c + 1;
      if (k > n - ip || k > out_len - op) return false;
      std::memcpy(out + op, in + ip, k);
      ip += k;
      op += k;
      continue;
    }
    size_t len = c >> 5;
    if (len == 7) {
      if (ip >= n) return false;
      len += in[ip++];
    }
    if (ip >= n) return false;
    size_t off = (size_t(c & 31) << 8 | in[ip++]) + 1;
    len += 2;
    if (off > op || len > out_len - op) return false;
    unsigned char* d = out + op;
    const unsigned char* s = d - off;
    for (size_t i = 0; i < len; i++) d[i] = s[i];  // byte by byte: the source may overlap
    op += len;
  }
  return op == out_len;
}

}  // namespace sc::broker
