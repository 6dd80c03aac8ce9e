// Redis's glob matching (glob.h).
#include "glob.h"

#include <cctype>
#include <utility>

namespace sc::broker {

// `skip_longer` is set when the rest of the pattern matched nowhere in the rest of the string:
// then no earlier '*' can help by consuming more, which keeps patterns like "a*a*a*b"
// linear instead of exponential (Redis 7.0.9+ does the same).
static bool glob_impl(const char* p, size_t plen, const char* s, size_t slen, bool nocase,
                      int depth, bool* skip_longer) {
  if (depth > 1000) return false;
  auto lower = [&](char ch) { return nocase ? char(tolower((unsigned char)ch)) : ch; };
  while (plen && slen) {
    switch (p[0]) {
      case '*':
        while (plen > 1 && p[1] == '*') p++, plen--;
        if (plen == 1) return true;
        while (slen) {
          if (glob_impl(p + 1, plen - 1, s, slen, nocase, depth + 1, skip_longer)) return true;
          if (*skip_longer) return false;
          s++, slen--;
        }
        *skip_longer = true;
        return false;
      case '?':
        s++, slen--;
        break;
      case '[': {
        p++, plen--;
        bool negate = plen && p[0] == '^';
        if (negate) p++, plen--;
        bool match = false;
        while (true) {
          if (plen == 0) {
            p--, plen++;  // malformed: treat like Redis (stop at end of pattern)
            break;
          }
          if (p[0] == '\\' && plen >= 2) {
            p++, plen--;
            if (p[0] == s[0]) match = true;
          } else if (p[0] == ']') {
            break;
          } else if (plen >= 3 && p[1] == '-') {
            char a = lower(p[0]), b = lower(p[2]), ch = lower(s[0]);
            if (a > b) std::swap(a, b);
            p += 2, plen -= 2;
            if (ch >= a && ch <= b) match = true;
          } else if (lower(p[0]) == lower(s[0])) {
            match = true;
          }
          p++, plen--;
        }
        if (negate) match = !match;
        if (!match) return false;
        s++, slen--;
        break;
      }
      case '\\':
        if (plen >= 2) p++, plen--;
        [[fallthrough]];
      default:
        if (lower(p[0]) != lower(s[0])) return false;
        s++, slen--;
        break;
    }
    p++, plen--;
    if (slen == 0) {
      while (plen && *p == '*') p++, plen--;
      break;
    }
  }
  return plen == 0 && slen == 0;
}

bool glob_match(std::string_view pattern, std::string_view str, bool nocase) {
  bool skip_longer = false;
  return glob_impl(pattern.data(), pattern.size(), str.data(), str.size(), nocase, 0,
                   &skip_longer);
}

}  // namespace sc::broker
