// HSCAN/SSCAN argument parsing and reply, shared by t_hash.cpp and t_set.cpp.  Behaviour and
// error texts follow Redis 7.0's scanGenericCommand: the cursor is parsed before the key is
// looked up, the options only once the key exists.
#pragma once
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "listpack.h"
#include "server.h"

namespace sc::broker {

struct ScanOpts {
  long long count = 10;      // COUNT: how much work one call does (a hint)
  std::string_view pattern;  // MATCH pattern when use_pattern
  bool use_pattern = false;  // false for no MATCH and for MATCH *
};

// Parses a cursor the way strtoul does (so "-1" wraps, "+5" is 5, "" is 0); replies
// "ERR invalid cursor" and returns false otherwise.
inline bool scan_parse_cursor(Client& c, std::string_view s, uint64_t* cursor) {
  std::string tmp(s);  // NUL-terminated; an embedded NUL ends the number like in Redis
  char* end = nullptr;
  errno = 0;
  unsigned long v = std::strtoul(tmp.c_str(), &end, 10);
  if (std::isspace(static_cast<unsigned char>(tmp.c_str()[0])) || *end != '\0' || errno == ERANGE) {
    reply_error(c, "ERR invalid cursor");
    return false;
  }
  *cursor = v;
  return true;
}

// Parses [MATCH pattern] [COUNT n] from c.argv[first..]; replies the error and returns false.
inline bool scan_parse_opts(Client& c, size_t first, ScanOpts* o) {
  size_t i = first;
  while (i < c.argv.size()) {
    size_t left = c.argv.size() - i;
    if (eq_nocase(c.argv[i], "count") && left >= 2) {
      long long n;
      if (!resp::parse_ll(c.argv[i + 1], &n)) {
        reply_error(c, kErrNotInteger);
        return false;
      }
      if (n < 1) {
        reply_error(c, kErrSyntax);
        return false;
      }
      o->count = n;
      i += 2;
    } else if (eq_nocase(c.argv[i], "match") && left >= 2) {
      o->pattern = c.argv[i + 1];
      o->use_pattern = !(o->pattern.size() == 1 && o->pattern[0] == '*');
      i += 2;
    } else {
      reply_error(c, kErrSyntax);
      return false;
    }
  }
  return true;
}

// Replies [cursor, [items...]].  With `pairs`, items are field,value pairs and MATCH tests the
// field only (dropping the pair); otherwise every item is tested.
inline void scan_reply(Client& c, uint64_t cursor, const std::vector<std::string_view>& items,
                       bool pairs, const ScanOpts& o) {
  resp::Writer& w = c.reply();
  w.array(2);
  char buf[24];
  int n = std::snprintf(buf, sizeof(buf), "%llu", static_cast<unsigned long long>(cursor));
  w.bulk(std::string_view(buf, size_t(n)));
  size_t step = pairs ? 2 : 1;
  if (!o.use_pattern) {
    w.array(items.size());
    for (std::string_view s : items) w.bulk(s);
    return;
  }
  std::vector<uint8_t> keep(items.size() / step);
  size_t kept = 0;
  for (size_t i = 0; i < keep.size(); i++) {
    keep[i] = glob_match(o.pattern, items[i * step]) ? 1 : 0;
    kept += keep[i];
  }
  w.array(kept * step);
  for (size_t i = 0; i < keep.size(); i++) {
    if (!keep[i]) continue;
    for (size_t j = 0; j < step; j++) w.bulk(items[i * step + j]);
  }
}

// Opens HSCAN/SSCAN: the cursor (argv[2]), the key of type `t` (argv[1]), then the options
// (argv[3..]).  nullptr once it has replied (an empty scan for a missing key).
inline KeyEntry* scan_open(Client& c, Type t, uint64_t* cursor, ScanOpts* o) {
  if (!scan_parse_cursor(c, c.argv[2], cursor)) return nullptr;
  KeyEntry* e = lookup_read_or_reply(c, c.argv[1], t, IfMissing::EmptyScan);
  if (!e || !scan_parse_opts(c, 3, o)) return nullptr;
  return e;
}

// Adds one entry of a small (listpack or intset) collection, scanned whole, to `items`: integers
// are formatted into `ints`, which the caller reserves for every entry so the views stay valid.
inline void scan_add_entry(const LpEntry& x, std::vector<std::string_view>* items,
                           std::vector<std::string>* ints) {
  if (x.is_int) {
    char b[24];
    ints->emplace_back(x.view(b));
    items->push_back(ints->back());
  } else {
    items->push_back(x.sv);
  }
}

// Scans hash table `d` from `cursor`, `add` pushing a node's items, until o.count items are in
// `items`, the table is done, or 10 * o.count buckets were visited.  Returns the next cursor.
template <class Dict, class F>
uint64_t scan_dict(Dict* d, uint64_t cursor, const ScanOpts& o,
                   const std::vector<std::string_view>& items, F&& add) {
  long long maxiter = o.count > LLONG_MAX / 10 ? LLONG_MAX : o.count * 10;
  do {
    cursor = d->scan(cursor, add);
  } while (cursor && maxiter-- && items.size() < size_t(o.count));
  return cursor;
}

}  // namespace sc::broker
