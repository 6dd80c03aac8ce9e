// Parsing command arguments (args.h).
#include "args.h"

#include <strings.h>

#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "server.h"

namespace sc::broker {

bool eq_nocase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool arg_ll(Client& c, std::string_view s, long long* out, const char* err) {
  if (resp::parse_ll(s, out)) return true;
  reply_error(c, err ? err : kErrNotInteger);
  return false;
}

bool arg_int(Client& c, std::string_view s, int* out, const char* err) {
  long long v;
  if (!arg_ll(c, s, &v, err)) return false;
  if (v < INT_MIN || v > INT_MAX) {
    if (err)
      reply_error(c, err);
    else
      reply_error_fmt(c, "ERR value is out of range, value must between %d and %d", INT_MIN,
                      INT_MAX);
    return false;
  }
  *out = int(v);
  return true;
}

bool arg_double(Client& c, std::string_view s, double* out) {
  char buf[128];
  if (s.empty() || s.size() >= sizeof buf || isspace((unsigned char)s[0])) {
    reply_error(c, kErrNotFloat);
    return false;
  }
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = 0;
  char* end;
  errno = 0;
  double v = strtod(buf, &end);
  if (size_t(end - buf) != s.size() || (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL)) ||
      std::isnan(v)) {
    reply_error(c, kErrNotFloat);
    return false;
  }
  *out = v;
  return true;
}

}  // namespace sc::broker
