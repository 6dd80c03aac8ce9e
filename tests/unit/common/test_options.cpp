// Unit tests of common/options.h: every kind parsed at its edges (ranges, units, choices, yes/no,
// HOST:PORT), garbage values leave the field as it was, unknown names, repeatable lists, enum
// indexes, Custom rows, argv in both syntaxes, config-file lines (quotes, escapes, comments,
// unbalanced quotes, bad directives with their line), --help and the docs table.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "options.h"
extern "C" {
#include <cmocka.h>
}

namespace {

using sc::OptKind;

enum class Mode : uint8_t { Fast, Safe, Off };

struct Cfg {
  int port = 6380;
  long long limit = 10;
  unsigned long long memory = 1024;
  double timeout = 1.5;
  bool verbose = false;
  bool flag = false;
  std::string level = "notice";
  Mode mode = Mode::Safe;
  bool uring = true;
  std::string name = "sid";
  std::string stats;
  std::vector<std::string> listen;
  std::vector<std::string> backends;
  int pair_a = 1, pair_b = 2;
};

bool pair_parse(Cfg& c, std::span<const std::string> w, std::string* err) {
  long long a, b;
  if (w.size() != 2 || !sc::opt::parse_int(w[0], &a) || !sc::opt::parse_int(w[1], &b)) {
    *err = "want two integers";
    return false;
  }
  c.pair_a = int(a), c.pair_b = int(b);
  return true;
}
std::string pair_format(const Cfg& c) {
  return std::to_string(c.pair_a) + " " + std::to_string(c.pair_b);
}

// One row per option reads better than clang-format's one line per field.
// clang-format off
const sc::Option<Cfg> kRows[] = {
    {.name = "port", .kind = OptKind::Int, .field = &Cfg::port, .min = 0, .max = 65535,
     .flags = sc::kOptMutable, .metavar = "PORT", .help = "TCP port"},
    {.name = "limit", .kind = OptKind::Int, .field = &Cfg::limit, .min = -5, .max = LLONG_MAX,
     .help = "a limit"},
    {.name = "memory", .kind = OptKind::Size, .field = &Cfg::memory, .min = 1024,
     .max = LLONG_MAX, .help = "bytes"},
    {.name = "timeout", .kind = OptKind::Number, .field = &Cfg::timeout, .dmin = 0.05,
     .dmax = 3600, .help = "seconds"},
    {.name = "verbose", .kind = OptKind::Bool, .field = &Cfg::verbose, .help = "talk"},
    {.name = "flag", .kind = OptKind::Switch, .field = &Cfg::flag, .help = "a switch"},
    {.name = "level", .kind = OptKind::Enum, .field = &Cfg::level,
     .choices = "debug verbose notice warning", .help = "log level"},
    {.name = "mode", .kind = OptKind::Enum, .field = sc::enum_index<&Cfg::mode>(),
     .choices = "fast safe off", .help = "mode"},
    {.name = "uring", .kind = OptKind::Enum, .field = &Cfg::uring, .choices = "off on",
     .help = "io_uring"},
    {.name = "name", .kind = OptKind::String, .field = &Cfg::name, .help = "a name",
     .check = [](std::string_view v) { return v == "bad" ? "must not be bad" : nullptr; }},
    {.name = "stats", .kind = OptKind::Address, .field = &Cfg::stats, .help = "metrics",
     .default_text = "(off)"},
    {.name = "listen", .kind = OptKind::Address, .field = &Cfg::listen,
     .flags = sc::kOptRepeatable, .help = "listener"},
    {.name = "backends", .kind = OptKind::AddressList, .field = &Cfg::backends,
     .flags = sc::kOptRepeatable, .help = "backends"},
    {.name = "pair", .kind = OptKind::Custom,
     .field = sc::OptCustom<Cfg>{pair_parse, pair_format}, .metavar = "A B", .help = "two ints"},
    {.name = "hidden", .kind = OptKind::Int, .field = &Cfg::port, .min = 0, .max = 65535,
     .flags = sc::kOptHidden, .help = "alias of port"},
};
// clang-format on
const sc::OptionTable<Cfg> kTable{kRows};

// Sets `name` to `value`; returns the error ("" on success).
std::string set(Cfg* c, const char* name, const std::string& value) {
  const auto* r = kTable.find(name);
  if (!r) return "unknown";
  std::string err;
  bool ok = kTable.set(c, *r, std::span<const std::string>(&value, 1), &err);
  if (ok && !err.empty()) fail_msg("%s: success with an error '%s'", name, err.c_str());
  if (!ok && err.empty()) fail_msg("%s '%s': failure without a reason", name, value.c_str());
  return err;
}

std::string get(const Cfg& c, const char* name) { return kTable.get(c, *kTable.find(name)); }

void expect_set(const char* name, const std::string& value, const char* want_get) {
  Cfg c;
  std::string err = set(&c, name, value);
  if (!err.empty()) fail_msg("%s '%s' refused: %s", name, value.c_str(), err.c_str());
  assert_string_equal(get(c, name).c_str(), want_get);
}

// A refused value leaves the field (and so the whole struct's text) as it was.
void expect_refused(const char* name, const std::string& value, const char* reason) {
  Cfg c;
  std::string before = get(c, name);
  std::string err = set(&c, name, value);
  if (err.empty()) fail_msg("%s '%s' accepted", name, value.c_str());
  if (reason && err != reason)
    fail_msg("%s '%s': reason '%s', want '%s'", name, value.c_str(), err.c_str(), reason);
  assert_string_equal(get(c, name).c_str(), before.c_str());
}

void test_int(void**) {
  expect_set("port", "0", "0");
  expect_set("port", "65535", "65535");
  expect_set("limit", "-5", "-5");
  expect_set("limit", "9223372036854775807", "9223372036854775807");
  const char* range = "argument must be between 0 and 65535 inclusive";
  expect_refused("port", "65536", range);
  expect_refused("port", "-1", range);
  expect_refused("limit", "-6", "argument must be between -5 and 9223372036854775807 inclusive");
  const char* nan = "argument couldn't be parsed into an integer";
  for (const char* bad :
       {"", " 1", "1 ", "+1", "1.5", "0x10", "1e3", "abc", "9223372036854775808", "--1", "1k"})
    expect_refused("port", bad, nan);
}

void test_size(void**) {
  expect_set("memory", "1024", "1024");
  expect_set("memory", "2k", "2000");
  expect_set("memory", "1kb", "1024");
  expect_set("memory", "2MB", "2097152");
  expect_set("memory", "1g", "1000000000");
  expect_set("memory", "1gb", "1073741824");
  expect_refused("memory", "1000",
                 "argument must be between 1024 and 9223372036854775807 inclusive");
  const char* bad_mem = "argument must be a memory value";
  for (const char* bad : {"", "10zb", "kb", "-1", "1.5mb", "99999999999gb", "1 kb", "1kbb"})
    expect_refused("memory", bad, bad_mem);
}

void test_number(void**) {
  expect_set("timeout", "0.05", "0.05");
  expect_set("timeout", "3600", "3600");
  expect_set("timeout", "2.25", "2.25");
  expect_refused("timeout", "0.01", "argument must be between 0.05 and 3600 inclusive");
  expect_refused("timeout", "3600.5", "argument must be between 0.05 and 3600 inclusive");
  for (const char* bad : {"", "x", "1s", " 1", "nan", "inf", "1e999", "0x"})
    expect_refused("timeout", bad, "argument couldn't be parsed into a number");
}

void test_bool_and_switch(void**) {
  expect_set("verbose", "yes", "yes");
  expect_set("verbose", "NO", "no");
  for (const char* bad : {"", "true", "1", "on", "yess"})
    expect_refused("verbose", bad, "argument must be 'yes' or 'no'");
  expect_set("flag", "yes", "yes");
  assert_false(kTable.takes_value(*kTable.find("flag")));
  assert_true(kTable.takes_value(*kTable.find("verbose")));
}

void test_enum(void**) {
  expect_set("level", "warning", "warning");
  expect_set("level", "DEBUG", "debug");  // stored as the table spells it
  expect_refused("level", "loud",
                 "argument(s) must be one of the following: debug, verbose, notice, warning");
  expect_refused("level", "", nullptr);
  expect_refused("level", "debug verbose", nullptr);
  Cfg c;
  assert_string_equal(get(c, "mode").c_str(), "safe");
  assert_string_equal(set(&c, "mode", "off").c_str(), "");
  assert_int_equal(int(c.mode), int(Mode::Off));
  assert_string_equal(get(c, "mode").c_str(), "off");
  assert_string_equal(get(c, "uring").c_str(), "on");
  assert_string_equal(set(&c, "uring", "off").c_str(), "");
  assert_false(c.uring);
}

void test_strings_and_addresses(void**) {
  expect_set("name", "", "");
  expect_set("name", "with space", "with space");
  expect_refused("name", "bad", "must not be bad");
  expect_set("stats", "", "");  // empty: off
  expect_set("stats", "127.0.0.1:9100", "127.0.0.1:9100");
  expect_set("stats", "[::1]:9100", "[::1]:9100");
  for (const char* bad :
       {"127.0.0.1", ":80", "host:0", "host:65536", "host:+1", "[::1:80", "x:8 0"})
    expect_refused("stats", bad, nullptr);
  Cfg c;
  assert_string_equal(set(&c, "listen", "127.0.0.1:1").c_str(), "");
  assert_string_equal(set(&c, "listen", "127.0.0.1:2").c_str(), "");
  assert_int_equal(c.listen.size(), 2);  // repeatable: each adds
  assert_string_equal(set(&c, "backends", "a:1, b:2").c_str(), "");
  assert_string_equal(set(&c, "backends", "c:3").c_str(), "");
  assert_string_equal(get(c, "backends").c_str(), "a:1,b:2,c:3");
  for (const char* bad : {"", "a:1,", ",a:1", "a:1,,b:2", "a:1,b", "a:1,b:x"})
    expect_refused("backends", bad, nullptr);
  kTable.clear(&c, *kTable.find("listen"));
  assert_int_equal(c.listen.size(), 0);
}

void test_custom_and_arity(void**) {
  Cfg c;
  std::vector<std::string> two{"3", "4"};
  std::string err;
  assert_true(kTable.set(&c, *kTable.find("pair"), two, &err));
  assert_string_equal(get(c, "pair").c_str(), "3 4");
  assert_false(kTable.set(&c, *kTable.find("pair"), std::vector<std::string>{"3"}, &err));
  assert_string_equal(err.c_str(), "want two integers");
  assert_false(kTable.set(&c, *kTable.find("port"), two, &err));
  assert_string_equal(err.c_str(), "wrong number of arguments");
  assert_false(kTable.set(&c, *kTable.find("port"), std::vector<std::string>{}, &err));
  assert_int_equal(c.port, 6380);
}

void test_find(void**) {
  assert_non_null(kTable.find("PORT"));  // names compare without case
  assert_null(kTable.find("nope"));
  assert_null(kTable.find(""));
  assert_null(kTable.find("port "));
  assert_null(kTable.find("--port"));
}

// Every row, fed random bytes: no crash, and a refusal leaves the settings text unchanged.
void test_garbage(void**) {
  srand(7);
  for (int round = 0; round < 3000; round++) {
    std::string v;
    int n = rand() % 12;
    for (int i = 0; i < n; i++) v.push_back(char(rand() % 256));
    for (auto& r : kTable.rows()) {
      Cfg c;
      std::string before = kTable.get(c, r), err;
      if (!kTable.set(&c, r, std::span<const std::string>(&v, 1), &err))
        assert_string_equal(kTable.get(c, r).c_str(), before.c_str());
    }
  }
}

struct Seen {
  std::vector<std::string> texts;
  std::vector<std::string> positional;
  bool help = false;
  std::string error;
};

bool run_args(std::vector<const char*> args, bool multi, Seen* s, bool allow_positional = true) {
  args.insert(args.begin(), "prog");
  std::vector<char*> argv;
  for (auto* a : args) argv.push_back(const_cast<char*>(a));
  return kTable.parse_args(
      int(argv.size()), argv.data(), 1, multi,
      [&](const sc::Option<Cfg>* r, std::vector<std::string>& w, const std::string& text) {
        s->texts.push_back((r ? "" : "?") + text + "#" + std::to_string(w.size()));
        return true;
      },
      allow_positional ? &s->positional : nullptr, &s->help, &s->error);
}

void test_args(void**) {
  Seen s;
  assert_true(
      run_args({"file.conf", "--port", "1", "--port=2", "--flag", "--name=", "-h"}, false, &s));
  assert_int_equal(s.texts.size(), 4);
  assert_string_equal(s.texts[0].c_str(), "port 1#1");
  assert_string_equal(s.texts[1].c_str(), "port 2#1");
  assert_string_equal(s.texts[2].c_str(), "flag yes#1");
  assert_string_equal(s.texts[3].c_str(), "name #1");
  assert_int_equal(s.positional.size(), 1);
  assert_true(s.help);

  Seen u;
  assert_false(run_args({"--nope", "1"}, false, &u));
  assert_string_equal(u.error.c_str(), "unknown option --nope");
  Seen m;
  assert_false(run_args({"--port"}, false, &m));
  assert_string_equal(m.error.c_str(), "option --port needs a value (PORT)");
  Seen p;
  assert_false(run_args({"stray"}, false, &p, false));
  assert_string_equal(p.error.c_str(), "unexpected argument 'stray'");

  // redis-server's syntax: every word up to the next "--"; negative numbers are words.
  Seen r;
  assert_true(
      run_args({"--pair", "3", "4", "--limit", "-2", "--nope", "x", "y", "--port"}, true, &r));
  assert_int_equal(r.texts.size(), 4);
  assert_string_equal(r.texts[0].c_str(), "pair 3 4#2");
  assert_string_equal(r.texts[1].c_str(), "limit -2#1");
  assert_string_equal(r.texts[2].c_str(), "?nope x y#2");  // unknown: the caller decides
  assert_string_equal(r.texts[3].c_str(), "port#0");
}

void test_split_line(void**) {
  std::vector<std::string> w;
  assert_true(sc::opt::split_line("  port   6380  ", &w, false));
  assert_int_equal(w.size(), 2);
  assert_true(sc::opt::split_line("requirepass \"a b\\\"c\\x41\\n\" 'it\\'s' \"\"", &w, false));
  assert_int_equal(w.size(), 4);
  assert_string_equal(w[1].c_str(), "a b\"cA\n");
  assert_string_equal(w[2].c_str(), "it's");
  assert_string_equal(w[3].c_str(), "");
  assert_true(sc::opt::split_line("requirepass #secret", &w, false));  // redis.conf: a password
  assert_int_equal(w.size(), 2);
  assert_true(sc::opt::split_line("listen a:1  # comment", &w, true));  // the balancer's files
  assert_int_equal(w.size(), 2);
  assert_true(sc::opt::split_line("listen \"#a\"", &w, true));
  assert_string_equal(w[1].c_str(), "#a");
  for (const char* bad : {"x \"open", "x 'open", "x \"a\"b", "x 'a'b", "x \"\\\""})
    if (sc::opt::split_line(bad, &w, false)) fail_msg("'%s' split", bad);
  assert_true(sc::opt::split_line("", &w, false));
  assert_int_equal(w.size(), 0);
  // Garbage lines: never a crash; what splits comes back the same once quoted again.
  srand(11);
  const char kAlphabet[] = " \t\"'\\x0aF#b\n\x01\xff";
  for (int round = 0; round < 20000; round++) {
    std::string line;
    for (int i = rand() % 16; i > 0; i--)
      line.push_back(kAlphabet[rand() % (sizeof kAlphabet - 1)]);
    if (!sc::opt::split_line(line, &w, false)) continue;
    std::string again;
    for (auto& word : w) {
      again += " \"";
      for (unsigned char c : word) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "\\x%02x", c);
        again += hex;
      }
      again += "\"";
    }
    std::vector<std::string> w2;
    assert_true(sc::opt::split_line(again, &w2, false));
    assert_true(w2 == w);
  }
}

std::string write_file(const char* text) {
  char path[] = "/tmp/test_options.XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, strlen(text)), ssize_t(strlen(text)));
  close(fd);
  return path;
}

// Loads `text` as a config file into *c; returns "" or "line: reason".
std::string load(const char* text, Cfg* c) {
  std::string path = write_file(text);
  sc::opt::FileError fe;
  bool ok = sc::opt::read_config_file(
      path, false,
      [&](std::vector<std::string>& w, std::string* why) {
        const auto* r = kTable.find(w[0]);
        if (!r) return *why = "Bad directive", false;
        return kTable.set(c, *r, std::span<const std::string>(w).subspan(1), why);
      },
      &fe);
  unlink(path.c_str());
  return ok ? "" : std::to_string(fe.line) + ": " + fe.reason + " [" + fe.text + "]";
}

void test_config_file(void**) {
  Cfg c;
  assert_string_equal(load("# comment\n\n   \t\nport 1\r\n  PORT 2\nname \"a b\"\n"
                           "pair 5 6\nlisten 127.0.0.1:1\nlisten 127.0.0.1:2\n   # indented\n",
                           &c)
                          .c_str(),
                      "");
  assert_int_equal(c.port, 2);
  assert_string_equal(c.name.c_str(), "a b");
  assert_int_equal(c.pair_a, 5);
  assert_int_equal(c.listen.size(), 2);
  Cfg d;
  assert_string_equal(load("port 1\nnope 2\n", &d).c_str(), "2: Bad directive [nope 2]");
  assert_string_equal(load("port 1\nport 70000\n", &d).c_str(),
                      "2: argument must be between 0 and 65535 inclusive [port 70000]");
  assert_string_equal(load("port \"1\n", &d).c_str(),
                      "1: Unbalanced quotes in configuration line [port \"1]");
  assert_string_equal(load("port 1 2\n", &d).c_str(), "1: wrong number of arguments [port 1 2]");
  assert_string_equal(load("\x01\xff garbage\n", &d).c_str(),
                      "1: Bad directive [\x01\xff garbage]");
  sc::opt::FileError fe;
  assert_false(sc::opt::read_config_file(
      "/nonexistent/x.conf", false, [](std::vector<std::string>&, std::string*) { return true; },
      &fe));
  assert_int_equal(fe.line, 0);
  assert_string_equal(fe.reason.c_str(),
                      "can't open config file '/nonexistent/x.conf': No such file or directory");
}

void test_help_and_markdown(void**) {
  std::string h = kTable.help("prog [options]");
  assert_non_null(strstr(h.c_str(), "usage: prog [options]\n"));
  assert_non_null(
      strstr(h.c_str(), "  --port PORT                      TCP port (default 6380)\n"));
  assert_non_null(
      strstr(h.c_str(), "  --level debug|verbose|notice|warning log level (default notice)"));
  assert_non_null(strstr(h.c_str(), "  --flag                           a switch\n"));
  assert_non_null(strstr(h.c_str(), "listener [repeatable]\n"));
  assert_non_null(strstr(h.c_str(), "--timeout S                      seconds (default 1.5)\n"));
  assert_null(strstr(h.c_str(), "hidden"));
  using Style = sc::OptionTable<Cfg>::DocStyle;
  std::string md = kTable.markdown(Style::Flags);
  assert_non_null(strstr(md.c_str(), "| flag | default | meaning |\n"));
  assert_non_null(
      strstr(md.c_str(), "| `--port PORT` | `6380` | TCP port (0 to 65535) (CONFIG SET) |\n"));
  assert_non_null(
      strstr(md.c_str(), "| `--level debug\\|verbose\\|notice\\|warning` | `notice` |"));
  assert_non_null(strstr(md.c_str(), "| `--stats HOST:PORT` | (off) | metrics |\n"));
  assert_non_null(strstr(md.c_str(), "| `--timeout S` | `1.5` | seconds (0.05 to 3600) |\n"));
  assert_non_null(strstr(md.c_str(), "| `--listen HOST:PORT` |  | listener (repeatable) |\n"));
  assert_null(strstr(md.c_str(), "hidden"));
  md = kTable.markdown(Style::Directives);
  assert_non_null(strstr(md.c_str(), "| setting | default | meaning |\n"));
  assert_non_null(strstr(md.c_str(), "| `memory` | `1024` | bytes |\n"));
  assert_non_null(strstr(md.c_str(), "| `listen` | `` | listener (repeatable) |\n"));
  assert_null(strstr(md.c_str(), "hidden"));
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_int),
      cmocka_unit_test(test_size),
      cmocka_unit_test(test_number),
      cmocka_unit_test(test_bool_and_switch),
      cmocka_unit_test(test_enum),
      cmocka_unit_test(test_strings_and_addresses),
      cmocka_unit_test(test_custom_and_arity),
      cmocka_unit_test(test_find),
      cmocka_unit_test(test_garbage),
      cmocka_unit_test(test_args),
      cmocka_unit_test(test_split_line),
      cmocka_unit_test(test_config_file),
      cmocka_unit_test(test_help_and_markdown),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
