// libFuzzer harness for the worker's HTTP helpers: the public/ path cleaner
// (worker/src/http_path.h), the --origins parser and matcher (worker/src/origins.h) and the
// session id's cookie and query parsing (worker/src/session_id.h).  Built
// by `make fuzz` into build-fuzz/; tests/integration/fuzz_harnesses.sh runs it for a bounded time.
//
// The first byte picks the target.  Checked: a path clean_path accepts gives a relative path
// whose every segment is non-empty, neither "." nor ".." nor a dotfile, with no control byte or
// backslash; an origin list parse_origins accepts has patterns whose ports are in range; a list
// without a wildcard host admits only origins that name one of its hosts; a sid taken from a
// Cookie header or a query string lies inside the input, and one well_formed() accepts is made
// only of [A-Za-z0-9_-].
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http_path.h"
#include "origins.h"
#include "session_id.h"

static void check(bool ok) {
  if (!ok) std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      std::string rel;
      if (sc::http::clean_path(in, &rel) != sc::http::PathResult::Ok) return 0;
      check(!rel.empty() && rel[0] != '/' && rel.back() != '/');
      size_t i = 0;
      while (i <= rel.size()) {
        size_t slash = rel.find('/', i);
        if (slash == std::string::npos) slash = rel.size();
        std::string_view seg(rel.data() + i, slash - i);
        check(!seg.empty() && seg[0] != '.');
        for (char c : seg) check(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f && c != '\\');
        i = slash + 1;
      }
      break;
    }
    case 1: {
      sc::http::Origins o;
      std::string err;
      if (!sc::http::parse_origins(in, &o, &err)) {
        check(!err.empty());
        return 0;
      }
      for (auto& p : o.patterns) check(p.port == -1 || (p.port >= 1 && p.port <= 65535));
      sc::http::origin_allowed(o, "http://example.com:8000");
      break;
    }
    case 2: {
      sc::http::Origins o;
      std::string err;
      check(sc::http::parse_origins("good.example:8000 other.test:*", &o, &err));
      if (sc::http::origin_allowed(o, in)) {
        std::string low(in);
        for (char& c : low) c = char(std::tolower(static_cast<unsigned char>(c)));
        check(low.find("good.example") != std::string::npos ||
              low.find("other.test") != std::string::npos);
      }
      break;
    }
    case 3: {
      for (int kind = 0; kind < 2; kind++) {
        std::string_view v;
        bool found = kind == 0 ? sc::session::cookie_value(in, "sid", &v)
                               : sc::session::query_value(in, "sid", &v);
        if (!found) continue;
        check(v.data() >= in.data() && v.data() + v.size() <= in.data() + in.size());
        if (!sc::session::well_formed(v)) continue;
        check(v.size() >= sc::session::kSidMinLength && v.size() <= sc::session::kSidMaxLength);
        for (char c : v) check(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-');
      }
      break;
    }
  }
  return 0;
}
