// libFuzzer harness for JSON paths (broker/json_path.h): the parser, the evaluation with its
// bounds, RE2 filters, and the match preparation of the writing commands.  Built by
// `make fuzz` into build-fuzz/; run for a bounded time by tests/integration/fuzz_harnesses.sh.
//
// Input: the path text, then optionally a NUL byte and a JSON document (a fixed nested
// document when absent or invalid).  Checks: a path either parses or fails with an "ERR Path"
// reply; an evaluation under small limits either fails with an error and no matches or gives
// matches whose locations lead to them; dedup leaves each location once; the write order puts
// every match after the matches inside it, and writing through the matches in that order (append
// to arrays, replace the outermost) leaves a document that writes and parses back.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "json_path.h"

namespace json = sc::json;
using sc::broker::JsonMatch;
using sc::broker::JsonPath;

static void check(bool ok) {
  if (!ok) std::abort();
}

static bool inside(const std::vector<uint32_t>& in, const std::vector<uint32_t>& out) {
  return out.size() < in.size() && std::equal(out.begin(), out.end(), in.begin());
}

static const char kDoc[] =
    R"({"a":[{"b":[1,"s",true,[2,[3]]],"p":1.5},{"c":{"d":[4,{"e":"tt"}]},"p":8}],)"
    R"("f":{"g":[[],[[]]],"a":{"a":{"a":"aaab"}}},"n":null,"s":"abc"})";

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nul = in.find('\0');
  std::string_view path_text = in.substr(0, nul);
  json::Value doc;
  std::string err;
  json::ParseLimits plim;
  plim.max_depth = 32;
  if (nul == std::string_view::npos || !json::parse(in.substr(nul + 1), &doc, &err, plim))
    check(json::parse(kDoc, &doc, &err, plim));

  JsonPath path;
  if (!sc::broker::json_path_parse(path_text, &path, &err)) {
    check(err.rfind("ERR Path '", 0) == 0);
    return 0;
  }
  sc::broker::JsonPathLimits lim;
  lim.max_work = 20000;
  lim.max_matches = 2000;
  lim.max_depth = 24;
  std::vector<JsonMatch> ms;
  if (!sc::broker::json_path_eval(path, &doc, &ms, &err, lim)) {
    check(ms.empty() && err.rfind("ERR Path '", 0) == 0);
    return 0;
  }
  for (const JsonMatch& m : ms) check(sc::broker::json_loc_get(&doc, m.loc) == m.v);

  std::vector<JsonMatch> outer = ms;
  sc::broker::json_matches_dedup(&ms);
  for (size_t i = 0; i < ms.size(); i++)
    for (size_t j = i + 1; j < ms.size(); j++) check(ms[i].loc != ms[j].loc);
  std::vector<size_t> order = sc::broker::json_write_order(ms);
  check(order.size() == ms.size());
  for (size_t p = 0; p < order.size(); p++)
    for (size_t q = p + 1; q < order.size(); q++) check(!inside(ms[order[q]].loc, ms[order[p]].loc));
  // Write through every match as ARRAPPEND and ARRPOP do; then replace the outermost ones.
  for (size_t i : order) {
    json::Value* v = ms[i].v;
    if (v->is_array() && v->arr().size() % 2 == 0)
      v->arr().push_back(json::Value::integer(7));
    else if (v->is_array())
      v->arr().erase(v->arr().begin());
    else if (v->is_object())
      v->obj().clear();
  }
  // The pointers of `outer` may be stale now: evaluate again.
  outer.clear();
  if (sc::broker::json_path_eval(path, &doc, &outer, &err, lim)) {
    sc::broker::json_matches_outermost(&outer);
    for (size_t i = 0; i < outer.size(); i++)
      for (size_t j = 0; j < outer.size(); j++) check(!inside(outer[i].loc, outer[j].loc));
    for (size_t i : sc::broker::json_write_order(outer)) *outer[i].v = json::Value::string("r");
  }
  std::string text = json::to_string(doc);
  json::Value back;
  check(json::parse(text, &back, &err));
  return 0;
}
