// The list node compressor (broker/lz.h): round trips at every length around its boundaries
// (literal runs of 32, references of 3..264 bytes, the 8 KiB window), the "must save" bound,
// incompressible input, and that the decompressor rejects truncated, corrupted and random
// streams with false, never reading or writing outside its spans (run under ASan in CI).
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
// clang-format off
extern "C" {
#include <cmocka.h>
}
// clang-format on

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "lz.h"

using sc::broker::lz_compress;
using sc::broker::lz_decompress;

// Compresses `s` with room for any expansion, decompresses it into a buffer of exactly the
// original size (heap, so ASan sees overruns) and checks equality.  Returns the compressed size.
static size_t round_trip(const std::string& s) {
  std::vector<unsigned char> z(s.size() + s.size() / 32 + 16);
  size_t zn = lz_compress(s.data(), s.size(), z.data(), z.size());
  if (s.empty()) {
    assert_int_equal(zn, 0);
    return 0;
  }
  assert_true(zn > 0);
  std::vector<unsigned char> back(s.size());
  assert_true(lz_decompress(z.data(), zn, back.data(), back.size()));
  assert_memory_equal(back.data(), s.data(), s.size());
  // One byte more or less of output is an error.
  std::vector<unsigned char> big(s.size() + 1);
  assert_false(lz_decompress(z.data(), zn, big.data(), big.size()));
  if (s.size() > 1) assert_false(lz_decompress(z.data(), zn, back.data(), s.size() - 1));
  return zn;
}

static std::string random_bytes(std::mt19937& g, size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = char(g());
  return s;
}

static void test_every_length(void**) {
  std::mt19937 g(1);
  for (size_t n = 0; n <= 1100; n++) {
    round_trip(std::string(n, 'a'));  // one long run: references of every length
    round_trip(random_bytes(g, n));   // literals only: runs of 32 and their remainders
    std::string mix;                  // literals and references interleaved
    while (mix.size() < n) mix += (g() % 3 == 0) ? random_bytes(g, g() % 40) : "queue:item:";
    mix.resize(n);
    round_trip(mix);
  }
}

static void test_reference_lengths_and_window(void**) {
  std::mt19937 g(2);
  // A repeat of length L at distance D for the lengths and distances around the limits.
  for (size_t len : {3, 4, 8, 9, 10, 262, 263, 264, 265, 266, 600})
    for (size_t dist : {1, 2, 31, 32, 255, 256, 257, 8191, 8192, 8193, 9000}) {
      std::string base = random_bytes(g, std::max(dist, len));
      std::string s = base.substr(0, dist) + base.substr(0, len) + random_bytes(g, 5);
      round_trip(s);
    }
}

static void test_compresses_repetitive_values(void**) {
  std::string s;
  for (int i = 0; s.size() < 8192; i++)
    s += "{\"user\":" + std::to_string(i % 50) + ",\"ok\":true}";
  size_t zn = round_trip(s);
  assert_true(zn < s.size() / 3);
  printf("# 8 KiB of JSON values -> %zu bytes\n", zn);
}

static void test_must_save_bound(void**) {
  std::mt19937 g(3);
  std::string s = random_bytes(g, 4096);
  std::vector<unsigned char> z(s.size());
  // Random bytes do not shrink: asking for a saving fails with 0, even with a tiny buffer.
  assert_int_equal(lz_compress(s.data(), s.size(), z.data(), s.size() - 8), 0);
  assert_int_equal(lz_compress(s.data(), s.size(), z.data(), 0), 0);
  std::string a(1000, 'x');
  size_t need = round_trip(a);
  assert_int_equal(lz_compress(a.data(), a.size(), z.data(), need), need);
  assert_int_equal(lz_compress(a.data(), a.size(), z.data(), need - 1), 0);
}

static void test_rejects_bad_streams(void**) {
  std::mt19937 g(4);
  std::vector<unsigned char> out(9000);
  // A reference before the start of the output; truncated literal runs and references.
  const unsigned char ref_first[] = {0x20, 0x00};
  assert_false(lz_decompress(ref_first, 2, out.data(), 3));
  const unsigned char short_lit[] = {0x05, 'a', 'b'};
  assert_false(lz_decompress(short_lit, 3, out.data(), 6));
  const unsigned char no_offset[] = {0x00, 'a', 0x20};
  assert_false(lz_decompress(no_offset, 3, out.data(), 4));
  const unsigned char no_extra[] = {0x00, 'a', 0xE0};
  assert_false(lz_decompress(no_extra, 3, out.data(), 20));
  assert_true(lz_decompress(nullptr, 0, out.data(), 0));
  assert_false(lz_decompress(nullptr, 0, out.data(), 1));
  // Every prefix and every one-byte corruption of a valid stream: false or (corruption of a
  // literal byte) true, never a crash; prefixes are always rejected.
  std::string s;
  for (int i = 0; i < 300; i++) s += "item-" + std::to_string(i % 17) + ";";
  std::vector<unsigned char> z(s.size() * 2);
  size_t zn = lz_compress(s.data(), s.size(), z.data(), z.size());
  assert_true(zn > 0);
  for (size_t k = 0; k < zn; k++) {
    std::vector<unsigned char> pre(z.begin(), z.begin() + ptrdiff_t(k));  // exact-size heap copy
    std::vector<unsigned char> o(s.size());
    assert_false(lz_decompress(pre.data(), pre.size(), o.data(), o.size()));
  }
  for (size_t k = 0; k < zn; k++)
    for (int bit = 0; bit < 8; bit++) {
      std::vector<unsigned char> bad(z.begin(), z.begin() + ptrdiff_t(zn));
      bad[k] ^= uint8_t(1 << bit);
      std::vector<unsigned char> o(s.size());
      lz_decompress(bad.data(), bad.size(), o.data(), o.size());
    }
  // Random garbage of random sizes into outputs of random sizes.
  int accepted = 0;
  for (int i = 0; i < 20000; i++) {
    std::string junk = random_bytes(g, g() % 64);
    std::vector<unsigned char> o(g() % 300);
    accepted += lz_decompress(junk.data(), junk.size(), o.data(), o.size());
  }
  printf("# %d of 20000 random streams happened to be valid\n", accepted);
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_length),
      cmocka_unit_test(test_reference_lengths_and_window),
      cmocka_unit_test(test_compresses_repetitive_values),
      cmocka_unit_test(test_must_save_bound),
      cmocka_unit_test(test_rejects_bad_streams),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
