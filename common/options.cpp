#include "options.h"

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "hex.h"
#include "net.h"
#include "resp.h"

namespace sc::opt {

bool eq_nocase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++)
    if (std::tolower((unsigned char)a[i]) != std::tolower((unsigned char)b[i])) return false;
  return true;
}

bool parse_int(std::string_view s, long long* out) { return resp::parse_ll(s, out); }

bool parse_size(std::string_view s, long long* out) {
  static const struct {
    const char* unit;
    long long mul;
  } kUnits[] = {{"b", 1},
                {"k", 1000},
                {"kb", 1024},
                {"m", 1000 * 1000},
                {"mb", 1024 * 1024},
                {"g", 1000LL * 1000 * 1000},
                {"gb", 1024LL * 1024 * 1024}};
  size_t i = 0;
  while (i < s.size() && (isdigit((unsigned char)s[i]) || (i == 0 && s[i] == '-'))) i++;
  if (i == 0) return false;
  std::string_view num = s.substr(0, i), unit = s.substr(i);
  long long mul = 1;
  if (!unit.empty()) {
    bool found = false;
    for (auto& u : kUnits)
      if (eq_nocase(unit, u.unit)) mul = u.mul, found = true;
    if (!found) return false;
  }
  long long v;
  if (!parse_int(num, &v)) return false;
  if (v != 0 && (v > LLONG_MAX / mul || v < LLONG_MIN / mul)) return false;
  *out = v * mul;
  return true;
}

bool parse_number(std::string_view s, double* out) {
  if (s.empty() || isspace((unsigned char)s[0])) return false;
  std::string z(s);
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(z.c_str(), &end);
  if (*end || errno == ERANGE || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

bool parse_bool(std::string_view s, bool* out) {
  if (eq_nocase(s, "yes")) return *out = true, true;
  if (eq_nocase(s, "no")) return *out = false, true;
  return false;
}

bool parse_bool_word(std::string_view s, bool* out) {
  if (s == "true" || s == "1") return *out = true, true;
  if (s == "false" || s == "0") return *out = false, true;
  return false;
}

std::string env_name(const char* prefix, const char* option) {
  std::string n = prefix;
  for (const char* p = option; *p; p++) n.push_back(*p == '-' ? '_' : char(std::toupper(*p)));
  return n;
}

// Calls fn(word, index) for each space-separated word of `choices` until fn returns true.
template <class F>
static int each_choice(const char* choices, F fn) {
  int index = 0;
  for (const char* p = choices; p && *p;) {
    while (*p == ' ') p++;
    const char* e = p;
    while (*e && *e != ' ') e++;
    if (e > p) {
      if (fn(std::string_view(p, e - p), index)) return index;
      index++;
    }
    p = e;
  }
  return -1;
}

int find_choice(const char* choices, std::string_view word, std::string* canonical) {
  return each_choice(choices, [&](std::string_view c, int) {
    if (!eq_nocase(c, word)) return false;
    *canonical = c;
    return true;
  });
}

std::string choice_at(const char* choices, int index) {
  std::string out;
  each_choice(choices, [&](std::string_view c, int i) {
    if (i != index) return false;
    out = c;
    return true;
  });
  return out;
}

std::string choices_error(const char* choices) {
  std::string err = "argument(s) must be one of the following: ";
  each_choice(choices, [&](std::string_view c, int i) {
    err += (i ? ", " : "") + std::string(c);
    return false;
  });
  return err;
}

std::string address_error(std::string_view s) {
  net::HostPort hp;
  net::NetError e = net::parse_host_port(s, &hp);
  return e == net::NetError::Ok ? "" : net::net_error_text(e);
}

std::string split_address_list(std::string_view list, std::vector<std::string>* out) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    std::string_view item = list.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (std::string why = address_error(item); !why.empty())
      return "'" + std::string(item) + "': " + why;
    items.emplace_back(item);
    start = comma + 1;
  }
  out->insert(out->end(), items.begin(), items.end());
  return "";
}

std::string format_number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

bool split_line(std::string_view line, std::vector<std::string>* words, bool hash_comments) {
  words->clear();
  size_t i = 0, n = line.size();
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (true) {
    while (i < n && space(line[i])) i++;
    if (i == n) return true;
    if (hash_comments && line[i] == '#') return true;
    std::string w;
    bool dq = false, sq = false;
    while (true) {
      if (dq) {
        if (i == n) return false;
        if (line[i] == '\\' && i + 3 < n && line[i + 1] == 'x' && hex_digit(line[i + 2]) >= 0 &&
            hex_digit(line[i + 3]) >= 0) {
          w.push_back(char(hex_digit(line[i + 2]) * 16 + hex_digit(line[i + 3])));
          i += 4;
          continue;
        }
        if (line[i] == '\\' && i + 1 < n) {
          char c = line[i + 1];
          w.push_back(c == 'n'   ? '\n'
                      : c == 'r' ? '\r'
                      : c == 't' ? '\t'
                      : c == 'b' ? '\b'
                      : c == 'a' ? '\a'
                                 : c);
          i += 2;
          continue;
        }
        if (line[i] == '"') {
          i++;
          if (i < n && !space(line[i])) return false;  // a closing quote must end the word
          break;
        }
        w.push_back(line[i++]);
      } else if (sq) {
        if (i == n) return false;
        if (line[i] == '\\' && i + 1 < n && line[i + 1] == '\'') {
          w.push_back('\'');
          i += 2;
          continue;
        }
        if (line[i] == '\'') {
          i++;
          if (i < n && !space(line[i])) return false;
          break;
        }
        w.push_back(line[i++]);
      } else {
        if (i == n || space(line[i])) break;
        if (line[i] == '"')
          dq = true;
        else if (line[i] == '\'')
          sq = true;
        else
          w.push_back(line[i]);
        i++;
      }
    }
    words->push_back(std::move(w));
  }
}

bool read_config_file(const std::string& path, bool hash_comments,
                      const std::function<bool(std::vector<std::string>&, std::string*)>& fn,
                      FileError* err) {
  *err = FileError{};
  std::ifstream in(path);
  if (!in) {
    err->reason = "can't open config file '" + path + "': " + std::strerror(errno);
    return false;
  }
  std::string line;
  std::vector<std::string> words;
  for (int lineno = 1; std::getline(in, line); lineno++) {
    size_t b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos || line[b] == '#') continue;
    bool ok = split_line(line, &words, hash_comments);
    if (!ok) err->reason = "Unbalanced quotes in configuration line";
    if (ok && (words.empty() || fn(words, &err->reason))) continue;
    err->line = lineno;
    err->text = line;
    return false;
  }
  return true;
}

std::string md_cell(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace sc::opt
