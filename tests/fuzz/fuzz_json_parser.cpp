// libFuzzer harness for the JSON parser and writer the broker stores documents with
// (common/json.h).  Built by `make fuzz` into build-fuzz/; run for a bounded time by
// tests/integration/fuzz_harnesses.sh.
//
// The first input byte picks the depth limit; the rest is the text.  Checks: a parse either
// fails with an error text or gives a value within the depth limit; the value written compactly
// parses again to an equal value that writes to the same bytes (a fixed point), and pretty
// printing, clone, equality and memory accounting run on it without a sanitizer report.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "json.h"

namespace json = sc::json;

static void check(bool ok) {
  if (!ok) std::abort();
}

static size_t depth(const json::Value& v) {
  size_t d = 0;
  if (v.is_array()) {
    for (const json::Value& e : v.arr()) d = std::max(d, depth(e));
    return d + 1;
  }
  if (v.is_object()) {
    for (const json::Member& m : v.obj()) d = std::max(d, depth(m.val));
    return d + 1;
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  json::ParseLimits lim;
  lim.max_depth = 1 + data[0] % 64;
  lim.max_size = 1 << 20;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  json::Value v;
  std::string err;
  if (!json::parse(in, &v, &err, lim)) {
    check(!err.empty());
    return 0;
  }
  check(depth(v) <= lim.max_depth);
  std::string once = json::to_string(v);
  json::Value again;
  check(json::parse(once, &again, &err, lim));
  check(json::equal(v, again));
  check(json::to_string(again) == once);
  std::string pretty;
  json::write_pretty(v, &pretty, "  ", "\n", " ");
  json::Value from_pretty;
  check(json::parse(pretty, &from_pretty, &err, lim) && json::equal(v, from_pretty));
  json::Value copy = v.clone();
  check(json::equal(copy, v));
  (void)json::memory_usage(v);
  return 0;
}
