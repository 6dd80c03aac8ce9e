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
//
// Bounds: an evaluation is untrusted work (a client picks both the document and the path), so
// it runs under a budget (JsonPathLimits) and stops with an error past it, never grows the
// stack or the match list without limit.  `=~` uses RE2 (linear time in the text, no
// recursion), with the pattern length and the compiled program size bounded.
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

// Bounds of one regular expression of a filter (`=~ "pattern"`); past them the path is invalid.
constexpr size_t kJsonRegexMaxPattern = 1024;      // bytes of pattern text
constexpr int kJsonRegexMaxProgram = 10000;        // RE2 program size (instructions)
constexpr int64_t kJsonRegexMaxMemory = 1 << 20;   // RE2 compile + DFA memory, bytes

// The budget of one evaluation.  A work unit is one node visited by a step, one filter operand
// or comparison, one element of a match's location; a regex match costs 1 + text length x
// program size / 256.  The defaults stop a path after well under a second of work and let it
// visit a few million nodes.
struct JsonPathLimits {
  uint64_t max_work = 10'000'000;  // work units per evaluation
  size_t max_matches = 1'000'000;  // matches per evaluation
  size_t max_depth = 1000;         // nesting levels of the document the evaluation may enter
};

// One match: the value and where it is (index of each step from the root: an array index or
// the position of the member in its object), so callers can delete or report locations.
struct JsonMatch {
  json::Value* v;
  std::vector<uint32_t> loc;
};

// Evaluates `path` from `root` (steps [0, nsteps), all when nsteps < 0).  Matches come in
// RedisJSON's order: for each step an ancestor before its descendants, but a path with two
// recursive steps (`$..*..*`) can yield one location more than once and a descendant before an
// ancestor.  Returns false with *err set to an error reply ("ERR ...") and *out emptied when
// the evaluation went past `limits`.
bool json_path_eval(const JsonPath& path, json::Value* root, std::vector<JsonMatch>* out,
                    std::string* err, const JsonPathLimits& limits = {}, int nsteps = -1);

// ---- Writing through matches ----
// A write through one match may free or move what lies inside it (replacing a value, clearing
// or growing an array), so commands that write first make the matches safe:

// Keeps the first of several matches of one location (a location is written once).
void json_matches_dedup(std::vector<JsonMatch>* ms);
// Also drops every match inside another match: what JSON.SET/MSET do, since the outer value
// replaces the inner ones anyway (RedisJSON keeps only the topmost of nested paths).
void json_matches_outermost(std::vector<JsonMatch>* ms);
// The order to write through deduplicated matches: every match after all the matches inside
// it (deeper and later locations first).  Then a write only changes storage that the matches
// still to come do not live in.  Returns indexes into `ms`.
std::vector<size_t> json_write_order(const std::vector<JsonMatch>& ms);

// Follows `loc` from `root`; nullptr if it no longer leads anywhere.
json::Value* json_loc_get(json::Value* root, const std::vector<uint32_t>& loc);

// Deletes the values at `locs` (RedisJSON's JSON.DEL order: deeper and later positions first,
// values inside another deleted value skipped).  Returns how many were deleted.
size_t json_loc_delete(json::Value* root, std::vector<std::vector<uint32_t>> locs);

// Nesting depth of a value: 0 for scalars, 1 for [] / {}, ...
size_t json_depth(const json::Value& v);

}  // namespace sc::broker
