// A small byte-oriented LZ77 compressor for the list's interior nodes (list-compress-depth).
//
// Why: a long list is mostly nodes nobody touches; with list-compress-depth N > 0 the nodes
// past the N at each end are kept compressed (t_list.cpp).  Node contents are short strings
// that repeat (queue payloads, JSON, ids), which a fast LZ77 with a 8 KiB window shrinks well;
// speed matters more than ratio because LINDEX/LRANGE on an interior node decompress it.
//
// Format (LZF-style, written for this project): a sequence of items, each starting with a
// control byte c:
//   c < 32          a literal run: the next c + 1 bytes are copied to the output;
//   c >= 32         a back reference: length L = c >> 5 (7: plus the next byte), then one byte
//                   o; it copies L + 2 bytes starting ((c & 31) << 8 | o) + 1 bytes back in the
//                   output (the copy may overlap what it writes, like any LZ77).
// There is no header: the caller stores the raw length next to the compressed bytes.
//
// Contract: both functions are pure (no allocation, no global state, thread-safe), never read
// or write outside the spans they are given, and accept any bytes.
#pragma once
#include <cstddef>

namespace sc::broker {

// Compresses in[0, in_len) into out[0, out_cap).  Returns the compressed length, or 0 when the
// result would not fit in out_cap (so out_cap = in_len - k asks for a saving of at least k
// bytes) or in_len is 0.
size_t lz_compress(const void* in, size_t in_len, void* out, size_t out_cap);

// Decompresses in[0, in_len) into exactly out_len bytes at out.  Returns false (out's contents
// then unspecified) when the input is not a valid stream of exactly out_len bytes: a truncated
// item, a reference before the start of the output, or more or fewer bytes than out_len.
bool lz_decompress(const void* in, size_t in_len, void* out, size_t out_len);

}  // namespace sc::broker
