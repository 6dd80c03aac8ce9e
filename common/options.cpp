#include "options.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace sc {

static const OptionSpec* find_spec(const std::vector<OptionSpec>& specs, const std::string& name) {
  for (auto& s : specs)
    if (name == s.name) return &s;
  return nullptr;
}

const std::string& OptionValues::get(const std::string& name) const {
  static const std::string kEmpty;
  auto it = values_.find(name);
  if (it != values_.end() && !it->second.empty()) return it->second.back();
  auto d = defaults_.find(name);
  return d != defaults_.end() ? d->second : kEmpty;
}

const std::vector<std::string>& OptionValues::all(const std::string& name) const {
  static const std::vector<std::string> kNone;
  auto it = values_.find(name);
  return it != values_.end() ? it->second : kNone;
}

void OptionValues::set(const std::string& name, const std::string& value, bool append) {
  auto& v = values_[name];
  if (!append) v.clear();
  v.push_back(value);
}

static void apply_defaults(const std::vector<OptionSpec>& specs, OptionValues* out) {
  for (auto& s : specs)
    if (s.def) out->set_default(s.name, s.def);
}

bool parse_flags(const std::vector<OptionSpec>& specs, int argc, char** argv, OptionValues* out,
                 std::vector<std::string>* positional, bool* help_wanted, std::string* error) {
  apply_defaults(specs, out);
  *help_wanted = false;
  for (int i = 1; i < argc; i++) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      *help_wanted = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      positional->push_back(arg);
      continue;
    }
    std::string name = arg.substr(2), value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      has_value = true;
    }
    const OptionSpec* spec = find_spec(specs, name);
    if (!spec) {
      *error = "unknown option --" + name;
      return false;
    }
    if (!spec->metavar) {
      out->set(name, has_value ? value : "1", false);
      continue;
    }
    if (!has_value) {
      if (i + 1 >= argc) {
        *error = "option --" + name + " needs a value (" + spec->metavar + ")";
        return false;
      }
      value = argv[++i];
    }
    out->set(name, value, spec->repeatable);
  }
  return true;
}

bool parse_option_file(const std::vector<OptionSpec>& specs, const std::string& path,
                       OptionValues* out, std::string* error) {
  apply_defaults(specs, out);
  std::ifstream in(path);
  if (!in) {
    *error = "cannot open config file " + path;
    return false;
  }
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    lineno++;
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream ls(line);
    std::string name, value, rest;
    if (!(ls >> name)) continue;
    if (name.rfind("--", 0) == 0) name = name.substr(2);
    std::getline(ls >> std::ws, value);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t' || value.back() == '\r'))
      value.pop_back();
    const OptionSpec* spec = find_spec(specs, name);
    if (!spec) {
      *error = path + ":" + std::to_string(lineno) + ": unknown option " + name;
      return false;
    }
    if (spec->metavar && value.empty()) {
      *error = path + ":" + std::to_string(lineno) + ": option " + name + " needs a value";
      return false;
    }
    out->set(name, spec->metavar ? value : "1", spec->repeatable);
  }
  return true;
}

std::string options_help(const std::vector<OptionSpec>& specs, const char* usage) {
  std::string s = std::string("usage: ") + usage + "\n";
  for (auto& o : specs) {
    std::string left =
        std::string("  --") + o.name + (o.metavar ? std::string(" ") + o.metavar : "");
    if (left.size() < 34) left.resize(34, ' ');
    s += left + " " + o.help;
    if (o.def && *o.def) s += std::string(" (default ") + o.def + ")";
    if (o.repeatable) s += " [repeatable]";
    s += "\n";
  }
  return s;
}

}  // namespace sc
