// Settings: one table of every option (name, kind, range, whether CONFIG SET may change it),
// which drives the config file (redis.conf syntax), the --flags, CONFIG GET/SET and --help.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

#include "aof.h"
#include "info.h"
#include "log.h"
#include "networking.h"
#include "server.h"

namespace sc::broker {

namespace {

enum class Kind { Int, Bool, String, Enum, Memory, Special };

struct Option {
  const char* name;
  Kind kind;
  bool mutable_;            // CONFIG SET allowed
  long long min, max;       // Int / Memory range
  const char* enum_values;  // Enum: space-separated
  const char* help;
  // Accessors: get formats the current value; set parses and applies it (false + err on bad).
  std::function<std::string(const Config&)> get;
  std::function<bool(Config&, const std::vector<std::string>&, std::string*)> set;
  // CONFIG SET refused unless enable-protected-configs allows the client (Redis 7's
  // PROTECTED_CONFIG: settings that choose where files are written).
  bool protected_ = false;
};

Option protect(Option o) {
  o.protected_ = true;
  return o;
}

bool parse_bool(const std::string& s, bool* out) {
  if (eq_nocase(s, "yes")) return *out = true, true;
  if (eq_nocase(s, "no")) return *out = false, true;
  return false;
}

// Redis's memtoull: "1gb", "100mb", "5k", plain bytes.
bool parse_memory(const std::string& s, long long* out) {
  static const struct {
    const char* unit;
    long long mul;
  } kUnits[] = {{"b", 1},           {"k", 1000},         {"kb", 1024},
                {"m", 1000 * 1000}, {"mb", 1024 * 1024}, {"g", 1000LL * 1000 * 1000},
                {"gb", 1024LL * 1024 * 1024}};
  size_t i = 0;
  while (i < s.size() && (isdigit((unsigned char)s[i]) || (i == 0 && s[i] == '-'))) i++;
  if (i == 0) return false;
  std::string num = s.substr(0, i), unit = s.substr(i);
  long long mul = 1;
  if (!unit.empty()) {
    bool found = false;
    for (auto& u : kUnits)
      if (eq_nocase(unit, u.unit)) mul = u.mul, found = true;
    if (!found) return false;
  }
  long long v;
  if (!resp::parse_ll(num, &v)) return false;
  if (v != 0 && (v > LLONG_MAX / mul || v < LLONG_MIN / mul)) return false;
  *out = v * mul;
  return true;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); i++) out += (i ? " " : "") + v[i];
  return out;
}

template <class T>
Option int_opt(const char* name, T Config::*field, long long min, long long max, bool mut,
               const char* help) {
  return Option{name, Kind::Int, mut, min, max, nullptr, help,
                [field](const Config& c) { return std::to_string((long long)(c.*field)); },
                [field, min, max](Config& c, const std::vector<std::string>& a, std::string* err) {
                  long long v;
                  if (a.size() != 1 || !resp::parse_ll(a[0], &v)) {
                    *err = "argument couldn't be parsed into an integer";
                    return false;
                  }
                  if (v < min || v > max) {
                    *err = "argument must be between " + std::to_string(min) + " and " +
                           std::to_string(max) + " inclusive";
                    return false;
                  }
                  c.*field = T(v);
                  return true;
                }};
}

template <class T>
Option mem_opt(const char* name, T Config::*field, long long min, long long max, bool mut,
               const char* help) {
  return Option{name, Kind::Memory, mut, min, max, nullptr, help,
                [field](const Config& c) { return std::to_string((long long)(c.*field)); },
                [field, min, max](Config& c, const std::vector<std::string>& a, std::string* err) {
                  long long v;
                  if (a.size() != 1 || !parse_memory(a[0], &v) || v < 0) {
                    *err = "argument must be a memory value";
                    return false;
                  }
                  if (v < min || v > max) {
                    *err = "argument must be between " + std::to_string(min) + " and " +
                           std::to_string(max) + " inclusive";
                    return false;
                  }
                  c.*field = T(v);
                  return true;
                }};
}

Option bool_opt(const char* name, bool Config::*field, bool mut, const char* help) {
  return Option{name, Kind::Bool, mut, 0, 1, nullptr, help,
                [field](const Config& c) { return std::string(c.*field ? "yes" : "no"); },
                [field](Config& c, const std::vector<std::string>& a, std::string* err) {
                  bool v;
                  if (a.size() != 1 || !parse_bool(a[0], &v)) {
                    *err = "argument must be 'yes' or 'no'";
                    return false;
                  }
                  c.*field = v;
                  return true;
                }};
}

Option str_opt(const char* name, std::string Config::*field, bool mut, const char* help) {
  return Option{name, Kind::String, mut, 0, 0, nullptr, help,
                [field](const Config& c) { return c.*field; },
                [field](Config& c, const std::vector<std::string>& a, std::string* err) {
                  if (a.size() != 1) {
                    *err = "wrong number of arguments";
                    return false;
                  }
                  c.*field = a[0];
                  return true;
                }};
}

Option enum_opt(const char* name, std::string Config::*field, const char* values, bool mut,
                const char* help) {
  return Option{name, Kind::Enum, mut, 0, 0, values, help,
                [field](const Config& c) { return c.*field; },
                [field, values](Config& c, const std::vector<std::string>& a, std::string* err) {
                  if (a.size() == 1) {
                    std::istringstream in(values);
                    std::string v;
                    while (in >> v)
                      if (eq_nocase(v, a[0])) {
                        c.*field = v;
                        return true;
                      }
                  }
                  *err = "argument(s) must be one of the following: ";
                  std::istringstream in(values);
                  std::string v;
                  for (bool first = true; in >> v; first = false) *err += (first ? "" : ", ") + v;
                  return false;
                }};
}

std::string obuf_string(const Config& c) {
  auto one = [](const char* cls, const ObufLimit& l) {
    return std::string(cls) + " " + std::to_string(l.hard) + " " + std::to_string(l.soft) + " " +
           std::to_string(l.soft_seconds);
  };
  return one("normal", c.obuf[0]) + " slave 268435456 67108864 60 " + one("pubsub", c.obuf[1]);
}

bool obuf_set(Config& c, const std::vector<std::string>& a, std::string* err) {
  std::vector<std::string> w;
  for (auto& s : a) {  // CONFIG SET passes one string; the file passes separate words
    std::istringstream in(s);
    std::string t;
    while (in >> t) w.push_back(t);
  }
  if (w.empty() || w.size() % 4 != 0) {
    *err = "Wrong number of arguments in buffer limit configuration.";
    return false;
  }
  Config tmp = c;
  for (size_t i = 0; i < w.size(); i += 4) {
    int cls;
    if (eq_nocase(w[i], "normal"))
      cls = 0;
    else if (eq_nocase(w[i], "pubsub"))
      cls = 1;
    else if (eq_nocase(w[i], "slave") || eq_nocase(w[i], "replica"))
      cls = -1;
    else {
      *err = "Invalid client class specified in buffer limit configuration.";
      return false;
    }
    long long hard, soft, secs;
    if (!parse_memory(w[i + 1], &hard) || !parse_memory(w[i + 2], &soft) ||
        !resp::parse_ll(w[i + 3], &secs) || hard < 0 || soft < 0 || secs < 0) {
      *err = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
      return false;
    }
    if (cls >= 0) tmp.obuf[cls] = ObufLimit{(unsigned long long)hard, (unsigned long long)soft,
                                            secs};
  }
  c.obuf[0] = tmp.obuf[0];
  c.obuf[1] = tmp.obuf[1];
  return true;
}

std::vector<Option>& options() {
  static std::vector<Option> opts = {
      Option{"bind", Kind::Special, true, 0, 0, nullptr,
             "addresses to listen on; a leading '-' makes one optional",
             [](const Config& c) { return join(c.bind); },
             [](Config& c, const std::vector<std::string>& a, std::string* err) {
               std::vector<std::string> v;
               for (auto& s : a) {
                 std::istringstream in(s);
                 std::string t;
                 while (in >> t) v.push_back(t);
               }
               if (v.empty()) {
                 *err = "Too few bind addresses specified.";
                 return false;
               }
               c.bind = v;
               return true;
             }},
      int_opt("port", &Config::port, 0, 65535, true, "TCP port (default 6380)"),
      int_opt("tcp-backlog", &Config::tcp_backlog, 0, INT32_MAX, false, "listen() backlog"),
      int_opt("timeout", &Config::timeout, 0, INT32_MAX, true,
              "close a client idle for this many seconds (0: never)"),
      int_opt("tcp-keepalive", &Config::tcp_keepalive, 0, INT32_MAX, true, "TCP keepalive"),
      bool_opt("protected-mode", &Config::protected_mode, true,
               "without requirepass, accept only loopback clients"),
      enum_opt("enable-protected-configs", &Config::enable_protected_configs, "no yes local",
               false, "may CONFIG SET change dir (local: from loopback clients only)"),
      enum_opt("enable-debug-command", &Config::enable_debug_command, "no yes local", false,
               "may clients run DEBUG (local: from loopback clients only)"),
      str_opt("requirepass", &Config::requirepass, true, "password clients must AUTH with"),
      int_opt("maxclients", &Config::maxclients, 1, LLONG_MAX, true, "max connected clients"),
      mem_opt("maxmemory", &Config::maxmemory, 0, LLONG_MAX, true,
              "refuse writes that need memory above this many bytes (0: no limit)"),
      enum_opt("maxmemory-policy", &Config::maxmemory_policy, "noeviction", true,
               "what to do at maxmemory (noeviction: refuse writes)"),
      int_opt("databases", &Config::databases, 1, 1 << 20, false, "number of databases"),
      int_opt("hz", &Config::hz, 1, 500, false, "background tasks per second"),
      mem_opt("proto-max-bulk-len", &Config::proto_max_bulk_len, 1024 * 1024, LLONG_MAX, true,
              "largest bulk string a client may send"),
      mem_opt("client-query-buffer-limit", &Config::client_query_buffer_limit, 1024 * 1024,
              LLONG_MAX, true, "close a client whose unparsed input exceeds this"),
      Option{"client-output-buffer-limit", Kind::Special, true, 0, 0, nullptr,
             "<class> <hard> <soft> <soft seconds>: normal and pubsub classes",
             obuf_string, obuf_set},
      Option{"notify-keyspace-events", Kind::Special, true, 0, 0, nullptr,
             "keyspace notification classes (default Ex: expired events)",
             [](const Config& c) { return notify_flags_string(c.notify_flags); },
             [](Config& c, const std::vector<std::string>& a, std::string* err) {
               int f = a.size() == 1 ? notify_flags_parse(a[0]) : -1;
               if (f < 0) {
                 *err = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
                 return false;
               }
               c.notify_flags = f;
               return true;
             }},
      enum_opt("loglevel", &Config::loglevel, "debug verbose notice warning", true, "log level"),
      str_opt("logfile", &Config::logfile, false, "log file (empty: stderr)"),
      protect(str_opt("dir", &Config::dir, true,
                      "working directory (AOF location); CONFIG SET needs "
                      "enable-protected-configs")),
      str_opt("pidfile", &Config::pidfile, false, "write the pid here"),
      bool_opt("daemonize", &Config::daemonize, false, "not supported: always runs in foreground"),
      int_opt("hash-max-listpack-entries", &Config::hash_max_listpack_entries, 0, LLONG_MAX,
              true, "hashes with more fields use a table"),
      int_opt("hash-max-listpack-value", &Config::hash_max_listpack_value, 0, LLONG_MAX, true,
              "hashes with a longer field or value use a table"),
      int_opt("hash-max-ziplist-entries", &Config::hash_max_listpack_entries, 0, LLONG_MAX, true,
              "alias of hash-max-listpack-entries"),
      int_opt("hash-max-ziplist-value", &Config::hash_max_listpack_value, 0, LLONG_MAX, true,
              "alias of hash-max-listpack-value"),
      int_opt("set-max-intset-entries", &Config::set_max_intset_entries, 0, LLONG_MAX, true,
              "integer sets larger than this use a table"),
      int_opt("set-max-listpack-entries", &Config::set_max_listpack_entries, 0, LLONG_MAX, true,
              "small sets up to this size stay compact"),
      int_opt("set-max-listpack-value", &Config::set_max_listpack_value, 0, LLONG_MAX, true,
              "small sets with members up to this length stay compact"),
      int_opt("list-max-listpack-size", &Config::list_max_listpack_size, -5, LLONG_MAX, true,
              "list node size"),
      bool_opt("lazyfree-lazy-user-del", &Config::lazyfree_lazy_user_del, true,
               "accepted for compatibility"),
      int_opt("active-expire-effort", &Config::active_expire_effort, 1, 10, true,
              "effort of the active expiry sweep"),
      bool_opt("appendonly", &Config::appendonly, true, "log every write to the AOF"),
      enum_opt("appendfsync", &Config::appendfsync, "everysec always no", true,
               "when to fsync the AOF"),
      str_opt("appendfilename", &Config::appendfilename, false, "AOF file name, in dir"),
      int_opt("auto-aof-rewrite-percentage", &Config::auto_aof_rewrite_percentage, 0, INT32_MAX,
              true, "rewrite the AOF when it grew by this percentage"),
      mem_opt("auto-aof-rewrite-min-size", &Config::auto_aof_rewrite_min_size, 0, LLONG_MAX, true,
              "but not before it is this big"),
      bool_opt("aof-load-truncated", &Config::aof_load_truncated, true,
               "load a truncated AOF up to its last whole command"),
      int_opt("json-max-depth", &Config::json_max_depth, 1, 100000, true,
              "deepest nesting of a JSON document"),
      mem_opt("json-max-size", &Config::json_max_size, 1, LLONG_MAX, true,
              "largest JSON document"),
      Option{"save", Kind::Special, true, 0, 0, nullptr,
             "accepted for redis.conf compatibility; sc-broker has no RDB snapshots",
             [](const Config&) { return std::string(); },
             [](Config&, const std::vector<std::string>&, std::string*) { return true; }},
  };
  return opts;
}

Option* find_option(std::string_view name) {
  for (auto& o : options())
    if (eq_nocase(o.name, name)) return &o;
  return nullptr;
}

// Applies a changed setting to the running server.
void apply(const Option& o) {
  Server& s = srv();
  if (!strcmp(o.name, "notify-keyspace-events")) s.notify_flags = s.cfg.notify_flags;
  if (!strcmp(o.name, "loglevel")) {
    LogLevel l;
    if (log_parse_level(s.cfg.loglevel, &l)) log_set_level(l);
  }
  if (!strcmp(o.name, "appendonly")) {
    std::string err;
    if (!aof_set_enabled(s.cfg.appendonly, &err)) SC_LOG(Warning, "%s", err.c_str());
  }
  if (!strcmp(o.name, "requirepass")) {
    // Like Redis: changing the password does not log out connected clients.
  }
}

// The message of a bad directive, as Redis prints it (main writes it to stderr).
std::string fatal_config(int line, const std::string& text, const std::string& why) {
  std::string m = "\n*** FATAL CONFIG FILE ERROR (sc-broker) ***\n";
  if (line > 0) m += "Reading the configuration file, at line " + std::to_string(line) + "\n";
  return m + ">>> '" + text + "'\n" + why;
}

// Applies one directive (a config file line or a --flag).  False with *error on a bad one.
bool apply_directive(Config* cfg, const std::vector<std::string>& words, int line,
                     const std::string& text, std::string* error) {
  Option* o = find_option(words[0]);
  if (!o) {
    *error = fatal_config(line, text, "Bad directive or wrong number of arguments");
    return false;
  }
  std::vector<std::string> args(words.begin() + 1, words.end());
  std::string err;
  if (o->kind != Kind::Special && args.size() != 1) {
    *error = fatal_config(line, text, "wrong number of arguments");
    return false;
  }
  if (!o->set(*cfg, args, &err)) {
    *error = fatal_config(line, text, err);
    return false;
  }
  return true;
}

void print_help() {
  printf("Usage: sc-broker [/path/to/sc-broker.conf] [--option value ...]\n\n");
  printf("Options (also valid as 'name value' lines in the config file):\n");
  for (auto& o : options()) {
    Config d;
    printf("  --%-28s %s (default: %s)\n", o.name, o.help, o.get(d).c_str());
  }
}

}  // namespace

ConfigLoad config_load(int argc, char** argv, Config* cfg, std::string* error) {
  int i = 1;
  if (i < argc && (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))) {
    print_help();
    return ConfigLoad::Exit0;
  }
  if (i < argc && (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-v"))) {
    printf("sc-broker v=0.1.0 (Redis 7.0 protocol compatible)\n");
    return ConfigLoad::Exit0;
  }
  std::vector<std::pair<std::vector<std::string>, std::string>> directives;
  if (i < argc && argv[i][0] != '-') {
    cfg->config_file = argv[i];
    std::ifstream in(argv[i]);
    if (!in) {
      *error = std::string("Fatal error, can't open config file '") + argv[i] + "': " +
               strerror(errno);
      return ConfigLoad::Error;
    }
    std::string line;
    int lineno = 0;
    resp::RequestParser splitter;
    while (std::getline(in, line)) {
      lineno++;
      size_t b = line.find_first_not_of(" \t\r");
      if (b == std::string::npos || line[b] == '#') continue;
      std::string withnl = line + "\n";
      size_t used;
      std::vector<std::string_view> words;
      if (splitter.parse(withnl, &used, &words) != resp::ParseStatus::Ok) {
        *error = fatal_config(lineno, line, "Unbalanced quotes in configuration line");
        return ConfigLoad::Error;
      }
      if (words.empty()) continue;
      std::vector<std::string> w(words.begin(), words.end());
      if (!apply_directive(cfg, w, lineno, line, error)) return ConfigLoad::Error;
    }
    i++;
  }
  // --name value [value...] flags, applied after the file so they override it.
  while (i < argc) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) {
      *error = "sc-broker: unexpected argument '" + a + "' (try --help)";
      return ConfigLoad::Error;
    }
    std::vector<std::string> w{a.substr(2)};
    i++;
    while (i < argc && strncmp(argv[i], "--", 2) != 0) w.push_back(argv[i++]);
    std::string text;
    for (auto& s : w) text += (text.empty() ? "" : " ") + s;
    if (!apply_directive(cfg, w, 0, text, error)) return ConfigLoad::Error;
  }
  return ConfigLoad::Ok;
}

// ---- CONFIG command ----

static void config_get_command(Client& c) {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& o : options()) {
    for (size_t i = 2; i < c.argv.size(); i++) {
      if (glob_match(c.argv[i], o.name, true)) {
        out.emplace_back(o.name, o.get(srv().cfg));
        break;
      }
    }
  }
  c.reply().map(out.size());
  for (auto& [k, v] : out) {
    c.reply().bulk(k);
    c.reply().bulk(v);
  }
}

static void config_set_command(Client& c) {
  if (c.argv.size() % 2 != 0) {
    reply_syntax_error(c);
    return;
  }
  Config backup = srv().cfg;
  std::vector<Option*> changed;
  for (size_t i = 2; i < c.argv.size(); i += 2) {
    Option* o = find_option(c.argv[i]);
    if (o && (!o->mutable_ ||
              (o->protected_ &&
               !protected_action_allowed(srv().cfg.enable_protected_configs, c)))) {
      srv().cfg = backup;
      reply_error_fmt(c, "ERR CONFIG SET failed (possibly related to argument '%.*s') - can't "
                         "set %s config", int(c.argv[i].size()), c.argv[i].data(),
                      o->mutable_ ? "protected" : "immutable");
      return;
    }
    if (!o) {
      srv().cfg = backup;
      reply_error_fmt(c, "ERR Unknown option or number of arguments for CONFIG SET - '%.*s'",
                      int(c.argv[i].size()), c.argv[i].data());
      return;
    }
    for (Option* prev : changed)
      if (prev == o) {
        srv().cfg = backup;
        reply_error_fmt(c, "ERR CONFIG SET failed (possibly related to argument '%s') - "
                           "duplicate parameter", o->name);
        return;
      }
    std::string err;
    if (!o->set(srv().cfg, {std::string(c.argv[i + 1])}, &err)) {
      srv().cfg = backup;
      reply_error_fmt(c, "ERR CONFIG SET failed (possibly related to argument '%.*s') - %s",
                      int(c.argv[i].size()), c.argv[i].data(), err.c_str());
      return;
    }
    changed.push_back(o);
  }
  for (Option* o : changed) {
    if ((!strcmp(o->name, "port") || !strcmp(o->name, "bind")) && srv().base &&
        !rebind_listeners()) {
      srv().cfg.port = backup.port;
      srv().cfg.bind = backup.bind;
      reply_error_fmt(c, "ERR CONFIG SET failed (possibly related to argument '%s') - Unable "
                         "to listen on this port", o->name);
      return;
    }
    apply(*o);
  }
  c.reply().ok();
}

static void config_resetstat_command(Client& c) {
  Stats& st = srv().stats;
  st = Stats{};
  errorstats_reset();
  for_each_command([](Command& cmd) {
    cmd.calls = cmd.usec = cmd.rejected_calls = cmd.failed_calls = 0;
  });
  c.reply().ok();
}

static void config_help_command(Client& c) {
  static const char* const kLines[] = {
      "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GET <pattern>",
      "    Return parameters matching the glob-like <pattern> and their values.",
      "SET <directive> <value>",
      "    Set the configuration <directive> to <value>.",
      "RESETSTAT",
      "    Reset statistics reported by the INFO command.",
      "HELP",
      "    Print this help."};
  reply_help(c, kLines);
}

static Command kSubcommands[] = {
    {.name = "get", .arity = -3, .flags = kCmdAdmin, .proc = config_get_command},
    {.name = "set", .arity = -4, .flags = kCmdAdmin, .proc = config_set_command},
    {.name = "resetstat", .arity = 2, .flags = kCmdAdmin, .proc = config_resetstat_command},
    {.name = "help", .arity = 2, .proc = config_help_command},
    {},
};

static Command kCommands[] = {
    {.name = "config", .arity = -2, .flags = kCmdAdmin, .proc = container_command,
     .subcommands = kSubcommands},
};

std::span<Command> config_commands() { return kCommands; }

}  // namespace sc::broker
