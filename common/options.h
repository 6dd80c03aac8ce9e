// Options: one typed table per program gives its flags, its config file, its SCLUSTER_* variables,
// --help, the checks at start, the rows of docs/configuration.md and the broker's CONFIG GET/SET.
//
// Why: each option used to be declared twice (a string spec for the flags, then a range check
// when converting it), and the broker had its own typed table.  Now a program declares each
// option once, as a row {name, kind, field, range or choices, flags, help}, with C++20 designated
// initialisers.  The row's field is a member of the program's settings struct, whose initialiser
// is the default, so --help and the docs show what the code starts with.
//
// Contract:
// - OptionTable<Cfg>::set() checks a value against its row's kind and range and stores it in the
//   field; a bad value leaves the field as it was and *error gets Redis's reason text
//   ("argument must be between 0 and 65535 inclusive"); the caller adds the name and the origin.
//   Nothing is parsed later: the program reads plain struct fields, so no hot path pays for it.
// - Names compare without regard to case (redis.conf's directives).  On a command line an option
//   is `--name value` or `--name=value`; parse_args() in Redis style also takes `--name w1 w2`
//   (every word up to the next "--"), which Custom rows with several words need.
// - read_config_file() splits each line as redis.conf does (double quotes with \n \t \xHH
//   escapes, single quotes); blank lines and lines whose first word starts with '#' are skipped.
// - Rows are read-only and outlive the table (a static array in the program).
#pragma once
#include <algorithm>
#include <climits>
#include <cstdint>
#include <functional>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace sc {

enum class OptKind : uint8_t {
  Int,          // integer in [min, max]
  Size,         // bytes in [min, max], Redis's units: 1k = 1000, 1kb = 1024, mb, gb
  Number,       // decimal number in [dmin, dmax] (seconds: "0.25")
  Bool,         // yes | no
  Switch,       // a flag without a value (true when present); "yes"/"no" in a file or variable
  Enum,         // one of `choices`, stored as the word, or as its index in an integer/bool/OptIndex
  String,       // any single word (a list when the row is repeatable)
  Address,      // HOST:PORT as common/net.h's parse_host_port() takes it; empty: none
  AddressList,  // HOST:PORT,HOST:PORT,... (spaces around entries dropped, no empty entry)
  Custom,       // parse and format are the row's own functions (several words allowed)
};

enum OptFlag : uint8_t {
  kOptMutable = 1,     // CONFIG SET may change it at run time (broker)
  kOptProtected = 2,   // CONFIG SET only when enable-protected-configs allows the client
  kOptRepeatable = 4,  // each occurrence adds to the list instead of replacing it
  kOptHidden = 8,      // accepted but left out of --help and the docs (aliases)
  kOptBoolWords = 16,  // Bool also takes true/false and 1/0 (the worker's flags and variables)
};

// An enum-class field seen as the index of its word in `choices` (made by enum_index()).
template <class Cfg>
struct OptIndex {
  int (*get)(const Cfg&);
  void (*set)(Cfg&, int);
};

// A Custom row's functions: parse the value's words into the settings (false + reason in *err),
// and format the current value (CONFIG GET, --help's default).
template <class Cfg>
struct OptCustom {
  bool (*parse)(Cfg&, std::span<const std::string> words, std::string* err);
  std::string (*format)(const Cfg&);
};

template <class Cfg>
using OptField =
    std::variant<std::monostate, int Cfg::*, long Cfg::*, long long Cfg::*, unsigned long Cfg::*,
                 unsigned long long Cfg::*, double Cfg::*, bool Cfg::*, std::string Cfg::*,
                 std::vector<std::string> Cfg::*, OptIndex<Cfg>, OptCustom<Cfg>>;

template <class Cfg>
struct Option {
  const char* name;               // "--name" flag, "name" config-file directive and CONFIG name
  OptKind kind;                   // how the value is checked and stored
  OptField<Cfg> field;            // where it is stored; its initial value is the default
  long long min = 0, max = 0;     // Int, Size: inclusive range
  double dmin = 0, dmax = 0;      // Number: inclusive range
  const char* choices = nullptr;  // Enum: the words, space-separated (their case is kept)
  uint8_t flags = 0;              // OptFlag bits
  const char* metavar = nullptr;  // --help's placeholder; nullptr: one made from the kind
  const char* help = "";          // one line for --help
  const char* doc = nullptr;      // longer text for docs/configuration.md (nullptr: help)
  const char* default_text = nullptr;                // shown instead of an empty default ("stderr")
  const char* (*check)(std::string_view) = nullptr;  // String: nullptr or why a value is refused
};

template <class C, class T>
C class_of(T C::*);  // only named in decltype

// An enum-class member seen as the index of its word in the row's choices:
// `.field = enum_index<&Config::affinity>()` with `.choices = "ip session none"`.
template <auto Member>
constexpr OptIndex<decltype(class_of(Member))> enum_index() {
  using Cfg = decltype(class_of(Member));
  return {[](const Cfg& c) { return int(c.*Member); },
          [](Cfg& c, int i) { c.*Member = std::remove_cvref_t<decltype(c.*Member)>(i); }};
}

// ---- Non-template pieces (options.cpp) ----
namespace opt {

// Redis's memtoull: digits then an optional unit (b k kb m mb g gb).  False on anything else or
// on overflow.
bool parse_size(std::string_view s, long long* out);
// Strict decimal integer (resp::parse_ll): no spaces, no '+', no overflow.
bool parse_int(std::string_view s, long long* out);
// A finite decimal number, nothing after it.
bool parse_number(std::string_view s, double* out);
// yes/no (any case).
bool parse_bool(std::string_view s, bool* out);
// true/false/1/0 (kOptBoolWords).
bool parse_bool_word(std::string_view s, bool* out);
// The environment variable of an option: env_name("SCLUSTER_", "ping-interval") is
// SCLUSTER_PING_INTERVAL.
std::string env_name(const char* prefix, const char* option);
bool eq_nocase(std::string_view a, std::string_view b);
// The index of `word` in the space-separated `choices` (any case), -1 when absent; *canonical
// gets the word as the table spells it.
int find_choice(const char* choices, std::string_view word, std::string* canonical);
// The word at `index` of `choices` ("" when out of range).
std::string choice_at(const char* choices, int index);
// "argument(s) must be one of the following: a, b, c" (Redis's text).
std::string choices_error(const char* choices);
// "" when `s` is a valid HOST:PORT, else the reason.
std::string address_error(std::string_view s);
// Splits "a:1, b:2" into *out (appending); "" or the reason.
std::string split_address_list(std::string_view s, std::vector<std::string>* out);
// Shortest text of a range bound or a default: 0.05, 3600, 1.5 (%.15g).
std::string format_number(double v);

// Splits one config-file line as redis.conf does (sdssplitargs): false on unbalanced quotes.
// With hash_comments, an unquoted word starting with '#' ends the line (the balancer's files).
bool split_line(std::string_view line, std::vector<std::string>* words, bool hash_comments);

// Where and why a config file was refused.
struct FileError {
  int line = 0;        // 1-based; 0: the file could not be read
  std::string text;    // the offending line as written
  std::string reason;  // "Unbalanced quotes in configuration line", fn's reason, or the open error
};

// Calls fn(words, &reason) for each directive of the file at `path` (words[0] is the name).
// False with *err filled when the file cannot be read ("can't open config file 'p': No such file
// or directory"), a line has unbalanced quotes, or fn returns false.
bool read_config_file(
    const std::string& path, bool hash_comments,
    const std::function<bool(std::vector<std::string>& words, std::string* reason)>& fn,
    FileError* err);

// Escapes '|' for a markdown table cell.
std::string md_cell(std::string_view s);

}  // namespace opt

// One program's table.  Rows is a static array of Option<Cfg>.
template <class Cfg>
class OptionTable {
 public:
  using Row = Option<Cfg>;
  explicit constexpr OptionTable(std::span<const Row> rows) : rows_(rows) {}

  std::span<const Row> rows() const { return rows_; }

  const Row* find(std::string_view name) const {
    for (auto& r : rows_)
      if (opt::eq_nocase(r.name, name)) return &r;
    return nullptr;
  }

  // Does the row take a value on the command line?  (Switch rows don't.)
  static bool takes_value(const Row& r) { return r.kind != OptKind::Switch; }

  // Checks `words` against the row and stores them in *cfg; false + reason in *error (the field
  // is unchanged).  A non-Custom row takes exactly one word.
  bool set(Cfg* cfg, const Row& r, std::span<const std::string> words, std::string* error) const;

  // The current value as text: CONFIG GET, --help's default, the docs.
  std::string get(const Cfg& cfg, const Row& r) const;

  // Resets a repeatable row's list (flags replace a file's list, not add to it).
  void clear(Cfg* cfg, const Row& r) const {
    if (auto* p = std::get_if<std::vector<std::string> Cfg::*>(&r.field)) (cfg->**p).clear();
  }

  std::string metavar(const Row& r) const;

  // "usage: <usage>\n" then one line per visible row: "  --name METAVAR   help (default X)".
  std::string help(const char* usage) const;

  // docs/configuration.md's table for this program (header included): Directives names the
  // rows "name" (the broker: file, flags and CONFIG share them), Flags "--name METAVAR".
  enum class DocStyle { Directives, Flags };
  std::string markdown(DocStyle style) const;

  // Walks argv[first..argc): fn(row, words, text) for each option, text being "name w1 w2".
  // With multi_word, an option takes every following word up to the next "--" (redis-server's
  // syntax) and an unknown name reaches fn as a null row; otherwise it takes one word and an
  // unknown name is an error.  A missing value or fn's false stop it (false; *error set unless
  // fn reported).  Arguments that are not options go to *positional (nullptr: they are an
  // error).  "--help"/"-h" sets *help_wanted.
  bool parse_args(int argc, char** argv, int first, bool multi_word,
                  const std::function<bool(const Row*, std::vector<std::string>& words,
                                           const std::string& text)>& fn,
                  std::vector<std::string>* positional, bool* help_wanted,
                  std::string* error) const;

 private:
  std::span<const Row> rows_;
};

// ---- Template definitions ----

template <class Cfg>
bool OptionTable<Cfg>::set(Cfg* cfg, const Row& r, std::span<const std::string> words,
                           std::string* error) const {
  if (r.kind == OptKind::Custom) {
    auto* c = std::get_if<OptCustom<Cfg>>(&r.field);
    return c ? c->parse(*cfg, words, error) : (*error = "option has no parser", false);
  }
  if (words.size() != 1) {
    *error = "wrong number of arguments";
    return false;
  }
  const std::string& w = words[0];
  long long iv = 0;
  double dv = 0;
  std::string sv;
  bool has_int = false, has_double = false;
  std::vector<std::string> list;
  switch (r.kind) {
    case OptKind::Int:
      if (!opt::parse_int(w, &iv)) {
        *error = "argument couldn't be parsed into an integer";
        return false;
      }
      has_int = true;
      break;
    case OptKind::Size:
      if (!opt::parse_size(w, &iv) || iv < 0) {
        *error = "argument must be a memory value";
        return false;
      }
      has_int = true;
      break;
    case OptKind::Number:
      if (!opt::parse_number(w, &dv)) {
        *error = "argument couldn't be parsed into a number";
        return false;
      }
      if (dv < r.dmin || dv > r.dmax) {
        *error = "argument must be between " + opt::format_number(r.dmin) + " and " +
                 opt::format_number(r.dmax) + " inclusive";
        return false;
      }
      has_double = true;
      break;
    case OptKind::Bool:
    case OptKind::Switch: {
      bool b;
      if (!opt::parse_bool(w, &b) && !((r.flags & kOptBoolWords) && opt::parse_bool_word(w, &b))) {
        *error = "argument must be 'yes' or 'no'";
        return false;
      }
      iv = b;
      has_int = true;
      break;
    }
    case OptKind::Enum: {
      int i = opt::find_choice(r.choices, w, &sv);
      if (i < 0) {
        *error = opt::choices_error(r.choices);
        return false;
      }
      iv = i;
      has_int = true;
      break;
    }
    case OptKind::Address:
      if (!w.empty()) {
        if (std::string why = opt::address_error(w); !why.empty()) {
          *error = "argument must be HOST:PORT (" + why + ")";
          return false;
        }
      }
      sv = w;
      break;
    case OptKind::AddressList:
      if (std::string why = opt::split_address_list(w, &list); !why.empty()) {
        *error = "argument must be HOST:PORT[,HOST:PORT...] (" + why + ")";
        return false;
      }
      break;
    case OptKind::String:
      if (const char* why = r.check ? r.check(w) : nullptr) {
        *error = why;
        return false;
      }
      sv = w;
      break;
    case OptKind::Custom:
      break;
  }
  if (has_int && (r.kind == OptKind::Int || r.kind == OptKind::Size) &&
      (iv < r.min || iv > r.max)) {
    *error = "argument must be between " + std::to_string(r.min) + " and " + std::to_string(r.max) +
             " inclusive";
    return false;
  }
  bool repeat = r.flags & kOptRepeatable;
  bool stored = std::visit(
      [&](auto m) -> bool {
        using M = decltype(m);
        if constexpr (std::is_same_v<M, std::monostate> || std::is_same_v<M, OptCustom<Cfg>>) {
          return false;
        } else if constexpr (std::is_same_v<M, OptIndex<Cfg>>) {
          if (r.kind != OptKind::Enum) return false;
          m.set(*cfg, int(iv));
          return true;
        } else {
          using T = std::remove_cvref_t<decltype(cfg->*m)>;
          T& f = cfg->*m;
          if constexpr (std::is_same_v<T, std::vector<std::string>>) {
            if (!repeat) f.clear();
            if (r.kind == OptKind::AddressList)
              f.insert(f.end(), list.begin(), list.end());
            else
              f.push_back(sv);
            return true;
          } else if constexpr (std::is_same_v<T, std::string>) {
            if (r.kind != OptKind::String && r.kind != OptKind::Address && r.kind != OptKind::Enum)
              return false;
            f = sv;
            return true;
          } else if constexpr (std::is_same_v<T, double>) {
            if (!has_double) return false;
            f = dv;
            return true;
          } else if constexpr (std::is_same_v<T, bool>) {
            if (!has_int) return false;
            f = iv != 0;
            return true;
          } else {
            if (!has_int) return false;
            f = T(iv);
            return true;
          }
        }
      },
      r.field);
  if (!stored) *error = "option has no field of its kind";
  return stored;
}

template <class Cfg>
std::string OptionTable<Cfg>::get(const Cfg& cfg, const Row& r) const {
  return std::visit(
      [&](auto m) -> std::string {
        using M = decltype(m);
        if constexpr (std::is_same_v<M, std::monostate>) {
          return "";
        } else if constexpr (std::is_same_v<M, OptCustom<Cfg>>) {
          return m.format(cfg);
        } else if constexpr (std::is_same_v<M, OptIndex<Cfg>>) {
          return opt::choice_at(r.choices, m.get(cfg));
        } else {
          using T = std::remove_cvref_t<decltype(cfg.*m)>;
          const T& f = cfg.*m;
          if constexpr (std::is_same_v<T, std::vector<std::string>>) {
            std::string out;
            const char* sep = r.kind == OptKind::AddressList ? "," : " ";
            for (size_t i = 0; i < f.size(); i++) out += (i ? sep : "") + f[i];
            return out;
          } else if constexpr (std::is_same_v<T, std::string>) {
            return f;
          } else if constexpr (std::is_same_v<T, double>) {
            return opt::format_number(f);
          } else if constexpr (std::is_same_v<T, bool>) {
            if (r.kind == OptKind::Enum) return opt::choice_at(r.choices, f ? 1 : 0);
            return f ? "yes" : "no";
          } else {
            if (r.kind == OptKind::Enum) return opt::choice_at(r.choices, int(f));
            return std::to_string(f);
          }
        }
      },
      r.field);
}

template <class Cfg>
std::string OptionTable<Cfg>::metavar(const Row& r) const {
  if (r.metavar) return r.metavar;
  if (r.kind == OptKind::Enum) {  // the choices, '|'-separated
    std::string s = r.choices;
    std::replace(s.begin(), s.end(), ' ', '|');
    return s;
  }
  static constexpr const char* kMetavars[] = {
      "N",              // Int
      "BYTES",          // Size
      "S",              // Number
      "yes|no",         // Bool
      "",               // Switch: no value
      "",               // Enum: made above
      "TEXT",           // String
      "HOST:PORT",      // Address
      "HOST:PORT,...",  // AddressList
      "VALUE",          // Custom
  };
  static_assert(std::size(kMetavars) == size_t(OptKind::Custom) + 1);
  return size_t(r.kind) < std::size(kMetavars) ? kMetavars[size_t(r.kind)] : "";
}

template <class Cfg>
std::string OptionTable<Cfg>::help(const char* usage) const {
  const Cfg defaults{};
  std::string s = std::string("usage: ") + usage + "\n";
  for (auto& r : rows_) {
    if (r.flags & kOptHidden) continue;
    std::string mv = metavar(r);
    std::string left = std::string("  --") + r.name + (mv.empty() ? "" : " " + mv);
    if (left.size() < 34) left.resize(34, ' ');
    s += left + " " + r.help;
    std::string def = r.kind == OptKind::Switch ? "" : get(defaults, r);
    if (!def.empty()) s += " (default " + def + ")";
    if (r.flags & kOptRepeatable) s += " [repeatable]";
    s += "\n";
  }
  return s;
}

template <class Cfg>
std::string OptionTable<Cfg>::markdown(DocStyle style) const {
  const Cfg defaults{};
  bool flags = style == DocStyle::Flags;
  std::string s = flags ? "| flag | default | meaning |\n| --- | --- | --- |\n"
                        : "| setting | default | meaning |\n| --- | --- | --- |\n";
  for (auto& r : rows_) {
    if (r.flags & kOptHidden) continue;
    std::string def = r.kind == OptKind::Switch ? "" : get(defaults, r);
    std::string cell = !def.empty()     ? "`" + opt::md_cell(def) + "`"
                       : r.default_text ? opt::md_cell(r.default_text)
                       : flags          ? ""
                                        : "``";
    std::string mv = flags ? metavar(r) : "";
    s += std::string("| `") + (flags ? "--" : "") + r.name +
         (mv.empty() ? "" : " " + opt::md_cell(mv));
    s += "` | " + cell + " | " + opt::md_cell(r.doc ? r.doc : r.help);
    if ((r.kind == OptKind::Int || r.kind == OptKind::Size) && r.max < INT32_MAX)
      s += " (" + std::to_string(r.min) + " to " + std::to_string(r.max) + ")";
    if (r.kind == OptKind::Number)
      s += " (" + opt::format_number(r.dmin) + " to " + opt::format_number(r.dmax) + ")";
    if (r.flags & kOptRepeatable) s += " (repeatable)";
    if (r.flags & kOptMutable)
      s += r.flags & kOptProtected ? " (CONFIG SET, when enable-protected-configs allows)"
                                   : " (CONFIG SET)";
    s += " |\n";
  }
  return s;
}

template <class Cfg>
bool OptionTable<Cfg>::parse_args(
    int argc, char** argv, int first, bool multi_word,
    const std::function<bool(const Row*, std::vector<std::string>&, const std::string&)>& fn,
    std::vector<std::string>* positional, bool* help_wanted, std::string* error) const {
  *help_wanted = false;
  for (int i = first; i < argc; i++) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      *help_wanted = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
      if (!positional) {
        *error = "unexpected argument '" + arg + "'";
        return false;
      }
      positional->push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::vector<std::string> words;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      words.push_back(name.substr(eq + 1));
      name.resize(eq);
      has_value = true;
    }
    const Row* r = find(name);
    if (!r && !multi_word) {
      *error = "unknown option --" + name;
      return false;
    }
    if (r && !takes_value(*r)) {
      if (!has_value) words.push_back("yes");
    } else if (!has_value) {
      if (multi_word) {
        while (i + 1 < argc && std::string_view(argv[i + 1]).substr(0, 2) != "--")
          words.push_back(argv[++i]);
      } else if (i + 1 < argc) {
        words.push_back(argv[++i]);
      }
      if (words.empty() && !multi_word) {
        *error = "option --" + name + " needs a value (" + metavar(*r) + ")";
        return false;
      }
    }
    std::string text = name;
    for (auto& w : words) text += " " + w;
    if (!fn(r, words, text)) return false;
  }
  return true;
}

}  // namespace sc
