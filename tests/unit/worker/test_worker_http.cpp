// Unit tests of the worker's HTTP helpers: the public/ path resolver (worker/src/http_path.h)
// on clean paths, every way out (.., dotfiles, NUL and control bytes, backslash, relative
// paths, symlinks leading out, a directory without its index), seeded garbage that must never
// resolve outside the root; and the --origins matcher (worker/src/origins.h) with
// SocketCluster's semantics (host:port, host:*, *:port, *:*, no Origin = "*", port 80 default).
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "http_path.h"
#include "origins.h"
extern "C" {
#include <cmocka.h>
}

namespace {

using sc::http::PathResult;

std::string clean(const std::string& p) {
  std::string rel;
  return sc::http::clean_path(p, &rel) == PathResult::Ok ? rel : "<bad>";
}

void test_clean_path(void**) {
  assert_string_equal(clean("/").c_str(), "index.html");
  assert_string_equal(clean("//").c_str(), "index.html");
  assert_string_equal(clean("/a.js").c_str(), "a.js");
  assert_string_equal(clean("/css//site.css").c_str(), "css/site.css");
  assert_string_equal(clean("/docs/").c_str(), "docs/index.html");
  assert_string_equal(clean("/a b%2e.txt").c_str(), "a b%2e.txt");  // already decoded by lws
  const char* bad[] = {"",        "a.js",       "/..",    "/../etc/passwd", "/a/../../b",
                       "/./a",    "/.git/HEAD", "/.env",  "/a/.hidden",     "/a\\..\\b",
                       "/a\x01b", "/a\x7f",     "/..%2f", "/a/..",          "/..."};
  for (const char* b : bad) {
    std::string rel;
    assert_int_equal(int(sc::http::clean_path(b, &rel)), int(PathResult::BadPath));
  }
  std::string with_nul("/a\0/../../etc/passwd", 20), rel;
  assert_int_equal(int(sc::http::clean_path(with_nul, &rel)), int(PathResult::BadPath));
}

struct Tree {
  std::string base, root;
};

// base/{public/{index.html,a.js,sub/{index.html},empty/,in -> a.js,out -> ../secret,
// dirout -> .., abs -> /etc/passwd, fifo}, secret}
Tree make_tree() {
  char tmpl[] = "/tmp/sc_http_test.XXXXXX";
  assert_non_null(mkdtemp(tmpl));
  char real[PATH_MAX];
  assert_non_null(realpath(tmpl, real));
  Tree t{real, std::string(real) + "/public"};
  auto put = [](const std::string& p, const char* text) {
    FILE* f = std::fopen(p.c_str(), "w");
    assert_non_null(f);
    std::fputs(text, f);
    std::fclose(f);
  };
  assert_int_equal(mkdir(t.root.c_str(), 0755), 0);
  assert_int_equal(mkdir((t.root + "/sub").c_str(), 0755), 0);
  assert_int_equal(mkdir((t.root + "/empty").c_str(), 0755), 0);
  put(t.root + "/index.html", "<p>hi</p>");
  put(t.root + "/a.js", "1");
  put(t.root + "/sub/index.html", "sub");
  put(t.base + "/secret", "secret");
  assert_int_equal(symlink("a.js", (t.root + "/in").c_str()), 0);
  assert_int_equal(symlink("../secret", (t.root + "/out").c_str()), 0);
  assert_int_equal(symlink("..", (t.root + "/dirout").c_str()), 0);
  assert_int_equal(symlink("/etc/passwd", (t.root + "/abs").c_str()), 0);
  assert_int_equal(mkfifo((t.root + "/fifo").c_str(), 0644), 0);
  return t;
}

void remove_tree(const Tree& t) {
  const char* names[] = {"/public/index.html", "/public/a.js", "/public/sub/index.html",
                         "/public/in",         "/public/out",  "/public/dirout",
                         "/public/abs",        "/public/fifo", "/secret"};
  for (const char* n : names) unlink((t.base + n).c_str());
  rmdir((t.root + "/sub").c_str());
  rmdir((t.root + "/empty").c_str());
  rmdir(t.root.c_str());
  rmdir(t.base.c_str());
}

std::string resolve(const Tree& t, const std::string& p) {
  std::string file;
  PathResult r = sc::http::resolve_public(t.root, p, &file);
  if (r == PathResult::BadPath) return "<bad>";
  if (r == PathResult::NotFound) return "<404>";
  assert_true(file.compare(0, t.root.size() + 1, t.root + "/") == 0);
  return file.substr(t.root.size());
}

void test_resolve(void**) {
  Tree t = make_tree();
  assert_string_equal(resolve(t, "/").c_str(), "/index.html");
  assert_string_equal(resolve(t, "/a.js").c_str(), "/a.js");
  assert_string_equal(resolve(t, "/in").c_str(), "/a.js");  // a symlink inside stays inside
  assert_string_equal(resolve(t, "/sub/").c_str(), "/sub/index.html");
  assert_string_equal(resolve(t, "/sub").c_str(), "/sub/index.html");
  assert_string_equal(resolve(t, "/empty/").c_str(), "<404>");
  assert_string_equal(resolve(t, "/empty").c_str(), "<404>");
  assert_string_equal(resolve(t, "/missing.js").c_str(), "<404>");
  assert_string_equal(resolve(t, "/out").c_str(), "<404>");  // symlink to ../secret
  assert_string_equal(resolve(t, "/dirout/secret").c_str(), "<404>");
  // Out and back in: the real file lies under the root, so it is served.
  assert_string_equal(resolve(t, "/dirout/public/a.js").c_str(), "/a.js");
  assert_string_equal(resolve(t, "/abs").c_str(), "<404>");    // symlink to /etc/passwd
  assert_string_equal(resolve(t, "/fifo").c_str(), "<404>");   // not a regular file
  assert_string_equal(resolve(t, "/a.js/").c_str(), "<404>");  // a file is no directory
  assert_string_equal(resolve(t, "/../secret").c_str(), "<bad>");
  assert_string_equal(resolve(t, "/etc/passwd").c_str(), "<404>");  // absolute: under root

  // Garbage: random bytes from an alphabet rich in separators and dots, and random joins of
  // hostile segments; whatever resolves lies under the root (resolve() asserts it).
  std::mt19937 rng(16);
  const char alphabet[] =
      "/./..\\%2e\0\x01\xff"
      "abcdinoutsecretpublic";
  const char* segs[] = {"..",   ".",      "",     "dirout",           "out",
                        "abs",  "in",     "sub",  "public",           "secret",
                        "a.js", "%2e%2e", "..\\", "\xc0\xae\xc0\xae", "index.html"};
  for (int i = 0; i < 20000; i++) {
    std::string p = "/";
    if (i % 2) {
      int n = int(rng() % 24);
      for (int k = 0; k < n; k++) p.push_back(alphabet[rng() % (sizeof alphabet - 1)]);
    } else {
      int n = int(rng() % 6);
      for (int k = 0; k < n; k++) {
        p += segs[rng() % (sizeof segs / sizeof *segs)];
        if (rng() % 4) p.push_back('/');
      }
    }
    std::string r = resolve(t, p);
    assert_true(r == "<bad>" || r == "<404>" || r == "/index.html" || r == "/a.js" ||
                r == "/sub/index.html");
  }
  remove_tree(t);
}

bool allowed(const char* list, const char* origin) {
  sc::http::Origins o;
  std::string err;
  assert_true(sc::http::parse_origins(list, &o, &err));
  return sc::http::origin_allowed(o, origin);
}

void test_origins(void**) {
  assert_true(allowed("*:*", ""));
  assert_true(allowed("*:*", "http://evil.example:1234"));
  assert_true(allowed("example.com:80 other:*", "*:*") == false);  // '*' is no URL: no host
  assert_true(allowed("example.com:80", "http://example.com"));
  assert_true(allowed("example.com:80", "https://example.com"));  // port 80 by default, as SC
  assert_false(allowed("example.com:443", "https://example.com"));
  assert_true(allowed("example.com:8000", "http://Example.COM:8000"));
  assert_false(allowed("example.com:8000", "http://example.com:8001"));
  assert_false(allowed("example.com:8000", "http://ample.com:8000"));  // whole entries
  assert_false(allowed("example.com:8000", "http://xexample.com:8000"));
  assert_true(allowed("a.test:1,example.com:*", "http://example.com:9"));
  assert_true(allowed("*:8000", "http://anything:8000"));
  assert_false(allowed("*:8000", "http://anything:8001"));
  assert_true(allowed("[::1]:8000", "http://[::1]:8000"));
  assert_true(allowed("127.0.0.1:8000", "http://user@127.0.0.1:8000/path?q"));
  // No Origin (Node, curl) or "null": "*", which only *:80 (or *:*) lets through.
  assert_false(allowed("example.com:80", ""));
  assert_false(allowed("example.com:*", "null"));
  assert_true(allowed("*:80", ""));
  assert_false(allowed("example.com:80", "http://example.com:99999"));
  assert_false(allowed("example.com:80", "http://[::1"));
  assert_false(allowed("example.com:80", "garbage"));

  const char* bad[] = {"",        " , ",  "example.com", "example.com:", ":80",         "a:0",
                       "a:65536", "a:8x", "a b:80:",     "[::1:80",      "ex/ample:80", "a:80,b"};
  for (const char* b : bad) {
    sc::http::Origins o;
    std::string err;
    assert_false(sc::http::parse_origins(b, &o, &err));
    assert_true(err.size() > 0);
  }
  sc::http::Origins o;
  std::string err;
  assert_true(sc::http::parse_origins("a:80 *:*", &o, &err));
  assert_true(o.allow_all);

  // Garbage origins never crash and never pass a list without wildcards by accident.
  std::mt19937 rng(7);
  const char alphabet[] = "htps:/[]@?#.:80example.com*null";
  assert_true(sc::http::parse_origins("example.com:8000", &o, &err));
  for (int i = 0; i < 20000; i++) {
    std::string s;
    int n = int(rng() % 32);
    for (int k = 0; k < n; k++) s.push_back(alphabet[rng() % (sizeof alphabet - 1)]);
    if (sc::http::origin_allowed(o, s))
      assert_true(s.find("example.com:8000") != std::string::npos);
  }
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_clean_path),
      cmocka_unit_test(test_resolve),
      cmocka_unit_test(test_origins),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
