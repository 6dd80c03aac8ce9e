// Command-line and config-file options driven by one table per program.
//
// A program declares its options once ({name, metavar, default, help, repeatable}); the same table
// parses `--name value` / `--name=value` flags, parses a config file of `name value` lines (`#`
// starts a comment), and prints --help.  Values stay strings here; the program converts and
// validates them.  Flags override the file: apply the file first, then the flags.
#pragma once
#include <map>
#include <string>
#include <vector>

namespace sc {

struct OptionSpec {
  const char* name;     // without the leading "--"
  const char* metavar;  // nullptr: a switch that takes no value ("1" when present)
  const char* def;      // default value, nullptr: none
  const char* help;     // one line
  bool repeatable;      // values accumulate instead of replacing
};

class OptionValues {
 public:
  // Last value of `name`, else its default (or "" when it has none).
  const std::string& get(const std::string& name) const;
  // Every value given for a repeatable option (empty when none, defaults ignored).
  const std::vector<std::string>& all(const std::string& name) const;
  bool given(const std::string& name) const { return values_.count(name) != 0; }
  void set(const std::string& name, const std::string& value, bool append);
  void set_default(const std::string& name, const std::string& value) { defaults_[name] = value; }
  void clear(const std::string& name) { values_.erase(name); }

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::map<std::string, std::string> defaults_;
};

// Parses argv (after argv[0]) against `specs`.  Returns false and fills *error on an unknown flag
// or a missing value; `--help` sets *help_wanted.  Positional arguments go to *positional.
bool parse_flags(const std::vector<OptionSpec>& specs, int argc, char** argv, OptionValues* out,
                 std::vector<std::string>* positional, bool* help_wanted, std::string* error);

// Reads `name value` lines from `path` into *out (flags given later override them).
bool parse_option_file(const std::vector<OptionSpec>& specs, const std::string& path,
                       OptionValues* out, std::string* error);

// The --help text: usage line, then one line per option with its default.
std::string options_help(const std::vector<OptionSpec>& specs, const char* usage);

}  // namespace sc
