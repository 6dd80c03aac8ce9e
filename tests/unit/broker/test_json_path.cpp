// JSON paths: the matches that writing commands go through (each location once, nested ones
// dropped for replacing writes, every match written after the matches inside it), the bounds
// of one evaluation, and RE2 filters on input that overflowed std::regex's stack.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <algorithm>
#include <string>
#include <vector>

#include "json_path.h"
// After the C++ headers: cmocka defines a fail() macro that <ios> would meet.
// clang-format off
extern "C" {
#include <cmocka.h>
}
// clang-format on

using sc::broker::JsonMatch;
using sc::broker::JsonPath;
using sc::broker::JsonPathLimits;
namespace json = sc::json;

static json::Value doc_of(const char* text) {
  json::Value v;
  std::string err;
  assert_true(json::parse(text, &v, &err));
  return v;
}

static std::vector<JsonMatch> eval(const char* path, json::Value* doc,
                                   const JsonPathLimits& lim = {}) {
  JsonPath p;
  std::string err;
  assert_true(sc::broker::json_path_parse(path, &p, &err));
  std::vector<JsonMatch> ms;
  assert_true(sc::broker::json_path_eval(p, doc, &ms, &err, lim));
  return ms;
}

// `inner` lies strictly inside `outer`.
static bool inside(const std::vector<uint32_t>& inner, const std::vector<uint32_t>& outer) {
  return outer.size() < inner.size() &&
         std::equal(outer.begin(), outer.end(), inner.begin());
}

static void test_overlapping_matches_dedup(void**) {
  json::Value doc = doc_of(R"({"a":{"b":{"c":{"d":"x"}}}})");
  std::vector<JsonMatch> ms = eval("$..*..*", &doc);
  // b c d (below a), c d (below b), d (below c): three locations, six matches.
  assert_int_equal(ms.size(), 6);
  sc::broker::json_matches_dedup(&ms);
  assert_int_equal(ms.size(), 3);
  // First occurrences, in match order: b, c, d.
  assert_int_equal(ms[0].loc.size(), 2);
  assert_int_equal(ms[1].loc.size(), 3);
  assert_int_equal(ms[2].loc.size(), 4);
  for (size_t i = 0; i < ms.size(); i++)
    for (size_t j = i + 1; j < ms.size(); j++) assert_false(ms[i].loc == ms[j].loc);
}

static void test_outermost_keeps_ancestors(void**) {
  json::Value doc = doc_of(R"({"a":{"b":{"c":{"d":"x"}}},"e":[{"b":1},{"b":{"b":2}}]})");
  std::vector<JsonMatch> ms = eval("$..b", &doc);
  assert_int_equal(ms.size(), 4);  // a.b, e[0].b, e[1].b, e[1].b.b
  sc::broker::json_matches_outermost(&ms);
  // a.b, e[0].b, e[1].b stay; e[1].b.b lies inside e[1].b.
  assert_int_equal(ms.size(), 3);
  for (size_t i = 0; i < ms.size(); i++)
    for (size_t j = 0; j < ms.size(); j++) assert_false(inside(ms[i].loc, ms[j].loc));
}

static void test_write_order_inner_first(void**) {
  json::Value doc = doc_of(R"({"a":[[[[]]]],"b":[[1,[2]],[3]]})");
  std::vector<JsonMatch> ms = eval("$..*..*", &doc);
  sc::broker::json_matches_dedup(&ms);
  std::vector<size_t> order = sc::broker::json_write_order(ms);
  assert_int_equal(order.size(), ms.size());
  // No match is written before a match inside it.
  for (size_t p = 0; p < order.size(); p++)
    for (size_t q = p + 1; q < order.size(); q++)
      assert_false(inside(ms[order[q]].loc, ms[order[p]].loc));
  // Writing through the pointers in that order is safe: append to every array.
  for (size_t i : order)
    if (ms[i].v->is_array()) ms[i].v->arr().push_back(json::Value::integer(9));
  assert_string_equal(json::to_string(doc).c_str(),
                      R"({"a":[[[[9],9],9]],"b":[[1,[2,9],9],[3,9]]})");
}

static void test_replace_outermost(void**) {
  json::Value doc = doc_of(R"({"a":{"b":{"c":{"d":"xxxxxxxxxxxxxxxxxxxxxxxxxxxx"}}}})");
  std::vector<JsonMatch> ms = eval("$..*..*", &doc);
  sc::broker::json_matches_outermost(&ms);
  assert_int_equal(ms.size(), 1);
  for (size_t i : sc::broker::json_write_order(ms)) *ms[i].v = json::Value::string("y");
  assert_string_equal(json::to_string(doc).c_str(), R"({"a":{"b":"y"}})");
}

static void test_work_bound(void**) {
  std::string text;
  for (int i = 0; i < 100; i++) text += R"({"a":)";
  text += "1";
  for (int i = 0; i < 100; i++) text += "}";
  json::Value doc = doc_of(text.c_str());
  JsonPath p;
  std::string err;
  assert_true(sc::broker::json_path_parse("$..a..a..a..a", &p, &err));
  std::vector<JsonMatch> ms;
  JsonPathLimits lim;
  lim.max_work = 100000;
  assert_false(sc::broker::json_path_eval(p, &doc, &ms, &err, lim));
  assert_true(ms.empty());
  assert_true(err.find("needs too much work") != std::string::npos);
  // Matches and depth have bounds of their own.
  lim = JsonPathLimits();
  lim.max_matches = 10;
  assert_false(sc::broker::json_path_eval(p, &doc, &ms, &err, lim));
  assert_true(err.find("matches") != std::string::npos);
  lim = JsonPathLimits();
  lim.max_depth = 50;
  assert_true(sc::broker::json_path_parse("$..a", &p, &err));
  assert_false(sc::broker::json_path_eval(p, &doc, &ms, &err, lim));
  assert_true(err.find("nesting") != std::string::npos);
  // A small one passes.
  assert_int_equal(eval("$..a", &doc).size(), 100);
}

static void test_regex_linear(void**) {
  // std::regex recursed once per character here and overflowed the stack.
  std::string text = R"([{"a":")" + std::string(200000, 'a') + R"("},{"a":"c"}])";
  json::Value doc = doc_of(text.c_str());
  assert_int_equal(eval(R"($[?(@.a =~ "(a|b)*")])", &doc).size(), 2);  // unanchored
  assert_int_equal(eval(R"($[?(@.a =~ "^(a|b)*$")])", &doc).size(), 1);
  JsonPath p;
  std::string err;
  assert_false(sc::broker::json_path_parse(R"($[?(@.a =~ "(a")])", &p, &err));
  assert_true(err.find("bad regular expression") != std::string::npos);
  std::string big = R"($[?(@.a =~ ")" + std::string(2000, 'a') + R"(")])";
  assert_false(sc::broker::json_path_parse(big, &p, &err));
  assert_true(err.find("too long") != std::string::npos);
  assert_false(sc::broker::json_path_parse(R"($[?(@.a =~ "((a{100}){100}){100}")])", &p, &err));
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_overlapping_matches_dedup),
      cmocka_unit_test(test_outermost_keeps_ancestors),
      cmocka_unit_test(test_write_order_inner_first),
      cmocka_unit_test(test_replace_outermost),
      cmocka_unit_test(test_work_bound),
      cmocka_unit_test(test_regex_linear),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
