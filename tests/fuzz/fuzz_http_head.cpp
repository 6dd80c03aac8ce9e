// libFuzzer harness for the balancer's request-head parser (balancer/http_head.h).  Built by
// `make fuzz` into build-fuzz/ and run for 15 s by tests/integration/fuzz_harnesses.sh.
//
// Build and run (clang):
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Ibalancer \
//       tests/fuzz/fuzz_http_head.cpp balancer/http_head.cpp -o /tmp/fuzz_http_head
//   /tmp/fuzz_http_head -max_len=8192 -max_total_time=300
//
// The first input byte picks a split point and a head limit; the rest is the stream, fed as a
// growing prefix (as segments arrive).  Checks: the outcome does not depend on the split; Done
// reports a head inside the input and within the limit; once Done or Error the answer sticks.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http_head.h"

using sc::bal::HeadParser;
using sc::bal::HeadStatus;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  size_t limit = 64 + size_t(data[0]) * 16;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  size_t split = in.empty() ? 0 : data[0] % in.size();

  HeadParser whole("sid", limit);
  HeadStatus a = whole.parse(in);
  HeadParser parts("sid", limit);
  HeadStatus b = parts.parse(in.substr(0, split));
  if (b == HeadStatus::NeedMore) b = parts.parse(in);
  if (a != b) std::abort();
  if (a == HeadStatus::Done) {
    if (whole.head_len() > in.size() || whole.head_len() > limit) std::abort();
    if (whole.session_id() != parts.session_id() || whole.head_len() != parts.head_len())
      std::abort();
    if (whole.parse(in) != HeadStatus::Done) std::abort();
  }
  if (a == HeadStatus::Error && whole.parse(in) != HeadStatus::Error) std::abort();
  return 0;
}
