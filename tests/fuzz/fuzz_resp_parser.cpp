// libFuzzer harness for the RESP request parser (common/resp.h).  Built by `make fuzz` into
// build-fuzz/ and run for 15 s by tests/integration/fuzz_harnesses.sh.
//
// Build and run (clang):
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Icommon \
//       tests/fuzz/fuzz_resp_parser.cpp common/resp.cpp -o /tmp/fuzz_resp_parser
//   /tmp/fuzz_resp_parser -max_len=4096 -max_total_time=300
//
// The first input byte picks the authentication state and the split point; the rest is the
// stream.  The stream is fed in two reads, like a socket would deliver it, and every command
// parsed is checked to lie inside the input; a parse error must carry a protocol error text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "resp.h"

using sc::resp::ParseStatus;

static void check(bool ok) {
  if (!ok) std::abort();
}

// Parses every complete command at the head of `buf`, erasing what was consumed.
static bool drain(sc::resp::RequestParser& p, std::string& buf, bool auth) {
  while (!buf.empty()) {
    size_t consumed = 0;
    std::vector<std::string_view> argv;
    ParseStatus st = p.parse(buf, &consumed, &argv, auth);
    if (st == ParseStatus::NeedMore) return true;
    if (st == ParseStatus::Error) {
      check(p.error_text().rfind("ERR Protocol error: ", 0) == 0);
      return false;
    }
    check(consumed > 0 && consumed <= buf.size());
    for (auto a : argv) {
      // Views point into the buffer or into the parser's inline storage; touch every byte.
      volatile char sink = 0;
      for (char ch : a) sink = sink ^ ch;
      (void)sink;
    }
    buf.erase(0, consumed);
  }
  return true;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  bool auth = data[0] & 1;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  size_t split = in.empty() ? 0 : (data[0] >> 1) % (in.size() + 1);
  sc::resp::RequestLimits lim;
  lim.max_inline = 1024;
  lim.max_bulk_len = 1 << 20;
  sc::resp::RequestParser p(lim);
  std::string buf(in.substr(0, split));
  if (!drain(p, buf, auth)) return 0;
  buf.append(in.substr(split));
  drain(p, buf, auth);
  return 0;
}
