// libFuzzer harness for the worker's PROXY protocol parser (worker/src/proxy_header.h).  Built
// by `make fuzz` into build-fuzz/ and run for 15 s by tests/integration/fuzz_harnesses.sh.
//
// Build and run (clang):
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Iworker/src \
//       tests/fuzz/fuzz_proxy_header.cpp worker/src/proxy_header.cpp -o /tmp/fuzz_proxy_header
//   /tmp/fuzz_proxy_header -max_len=1024 -max_total_time=300
//
// Checks, for the input as the first bytes of a connection: Ok consumes no more than it was
// given; every prefix shorter than an Ok header needs more, and every longer one gives the same
// header and address (the answer does not depend on how the bytes arrived); a NotProxy answer
// never turns into a header with more bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proxy_header.h"

using sc::ProxyParse;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t consumed = 0;
  std::string addr;
  ProxyParse whole = sc::parse_proxy_header(in, &consumed, &addr);
  if (whole == ProxyParse::Ok && consumed > size) std::abort();
  sc::first_forwarded_for(in);
  for (size_t n = 0; n < size; n++) {
    size_t c = 0;
    std::string a;
    ProxyParse r = sc::parse_proxy_header(in.substr(0, n), &c, &a);
    if (whole == ProxyParse::Ok) {
      if (n < consumed && r != ProxyParse::NeedMore) std::abort();
      if (n >= consumed && (r != ProxyParse::Ok || c != consumed || a != addr)) std::abort();
    }
    if (whole == ProxyParse::NotProxy && r == ProxyParse::Ok) std::abort();
  }
  return 0;
}
