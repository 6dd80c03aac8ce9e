// libFuzzer harness for the list node compressor (broker/lz.h).  Built by `make fuzz` into
// build-fuzz/ and run for 15 s by tests/integration/fuzz_harnesses.sh.
//
// Checks: (1) the input compresses and decompresses back to itself, and a compression asked to
// save k bytes either fails or is no longer than size - k; (2) the input, read as a compressed
// stream (its first two bytes the expected size), decompresses or is rejected, and never reads
// or writes out of bounds (exact-size heap buffers, so ASan sees a one-byte overrun).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "lz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using sc::broker::lz_compress;
  using sc::broker::lz_decompress;
  if (size > 0) {
    std::vector<uint8_t> z(size + size / 32 + 1);
    size_t zn = lz_compress(data, size, z.data(), z.size());
    if (zn == 0 || zn > z.size()) std::abort();
    std::vector<uint8_t> back(size);
    if (!lz_decompress(z.data(), zn, back.data(), size) || memcmp(back.data(), data, size) != 0)
      std::abort();
    std::vector<uint8_t> tight(size > 8 ? size - 8 : 0);
    size_t tn = lz_compress(data, size, tight.data(), tight.size());
    if (tn > tight.size() || (tn && tn != zn)) std::abort();
  }
  if (size >= 2) {
    size_t out_len = size_t(data[0]) << 8 | data[1];
    std::vector<uint8_t> in(data + 2, data + size);
    std::vector<uint8_t> out(out_len);
    lz_decompress(in.data(), in.size(), out.data(), out_len);
  }
  return 0;
}
