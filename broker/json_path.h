// JSON paths as RedisJSON 2.x accepts them, and their evaluation over a json::Value.
//
// Two forms:
//  - JSONPath, starting with '$': `$`, `$.a.b`, `$['a']`, `$["a","b"]`, `$.a[0]`, `$.a[-1]`,
//    `$.a[*]`, `$.*`, `$..x` (recursive descent), `$.a[1:3]`, `$.a[0,2]`, and filters
//    `$.a[?(@.price < 10 && @.tags[0] == "x")]` (== != < <= > >= =~, && || !, parentheses,
//    `@`/`$` paths, number/string/true/false/null literals).  Commands answer with one result
//    per match (an array), nulls where a match has the wrong type.
//  - legacy (RedisJSON 1.x): `.`, `.a.b`, `a.b`, `.a[0]`, `[0]`.  Turned into the JSONPath
//    `$.a.b` for evaluation; commands answer with the first match and fail when none exists.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "../common/json.h"

namespace sc::broker {

struct FilterExpr;  // json_path.cpp

struct PathStep {
  enum Kind : uint8_t { Key, Index, Wildcard, Slice, KeyUnion, IndexUnion, Filter };
  Kind kind = Key;
  bool descendant = false;               // reached with `..`
  std::vector<std::string> keys;         // Key (one) / KeyUnion
  std::vector<int64_t> indexes;          // Index (one) / IndexUnion
  int64_t start = 0, end = 0, step = 1;  // Slice
  bool has_start = false, has_end = false;
  std::shared_ptr<const FilterExpr> filter;  // Filter: applied to each child
};

struct JsonPath {
  bool legacy = false;
  std::string original;  // as the user wrote it
  std::string fixed;     // the JSONPath form ("$.a" for legacy ".a"): error messages use it
  std::vector<PathStep> steps;

  bool is_root() const { return steps.empty(); }
  // Only plain keys and single indexes: a path that names one location (JSON.SET may create
  // its last member).
  bool is_static() const;
};

// Parses `s`; on failure returns false with *err set to a full error reply ("ERR ...").
bool json_path_parse(std::string_view s, JsonPath* out, std::string* err);

// One match: the value and where it is (index of each step from the root: an array index or
// the position of the member in its object), so callers can delete or report locations.
struct JsonMatch {
  json::Value* v;
  std::vector<uint32_t> loc;
};

// Evaluates `path` from `root` (steps [0, nsteps), all when nsteps < 0).  Matches come in
// RedisJSON's order; an ancestor always comes before its descendants.
void json_path_eval(const JsonPath& path, json::Value* root, std::vector<JsonMatch>* out,
                    int nsteps = -1);

// Follows `loc` from `root`; nullptr if it no longer leads anywhere.
json::Value* json_loc_get(json::Value* root, const std::vector<uint32_t>& loc);

// Deletes the values at `locs` (RedisJSON's JSON.DEL order: deeper and later positions first,
// values inside another deleted value skipped).  Returns how many were deleted.
size_t json_loc_delete(json::Value* root, std::vector<std::vector<uint32_t>> locs);

// Nesting depth of a value: 0 for scalars, 1 for [] / {}, ...
size_t json_depth(const json::Value& v);

}  // namespace sc::broker
