// Settings: one row per option in common/options.h's typed table (name, kind, field, range,
// whether CONFIG SET may change it), which drives the config file (redis.conf syntax), the
// --flags, CONFIG GET/SET, --help and docs/configuration.md (--help-markdown).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "aof.h"
#include "info.h"
#include "log.h"
#include "networking.h"
#include "options.h"
#include "server.h"

namespace sc::broker {

namespace {

std::vector<std::string> words_of(std::span<const std::string> a) {
  std::vector<std::string> v;  // CONFIG SET passes one string; the file passes separate words
  for (auto& s : a) {
    std::istringstream in(s);
    std::string t;
    while (in >> t) v.push_back(t);
  }
  return v;
}

std::string bind_format(const Config& c) {
  std::string out;
  for (size_t i = 0; i < c.bind.size(); i++) out += (i ? " " : "") + c.bind[i];
  return out;
}

bool bind_parse(Config& c, std::span<const std::string> a, std::string* err) {
  std::vector<std::string> v = words_of(a);
  if (v.empty()) {
    *err = "Too few bind addresses specified.";
    return false;
  }
  c.bind = v;
  return true;
}

std::string obuf_format(const Config& c) {
  auto one = [](const char* cls, const ObufLimit& l) {
    return std::string(cls) + " " + std::to_string(l.hard) + " " + std::to_string(l.soft) + " " +
           std::to_string(l.soft_seconds);
  };
  return one("normal", c.obuf[0]) + " slave 268435456 67108864 60 " + one("pubsub", c.obuf[1]);
}

bool obuf_parse(Config& c, std::span<const std::string> a, std::string* err) {
  std::vector<std::string> w = words_of(a);
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
    if (!opt::parse_size(w[i + 1], &hard) || !opt::parse_size(w[i + 2], &soft) ||
        !resp::parse_ll(w[i + 3], &secs) || hard < 0 || soft < 0 || secs < 0) {
      *err = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
      return false;
    }
    if (cls >= 0)
      tmp.obuf[cls] = ObufLimit{(unsigned long long)hard, (unsigned long long)soft, secs};
  }
  c.obuf[0] = tmp.obuf[0];
  c.obuf[1] = tmp.obuf[1];
  return true;
}

std::string notify_format(const Config& c) { return notify_flags_string(c.notify_flags); }

bool notify_parse(Config& c, std::span<const std::string> a, std::string* err) {
  int f = a.size() == 1 ? notify_flags_parse(a[0]) : -1;
  if (f < 0) {
    *err = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
    return false;
  }
  c.notify_flags = f;
  return true;
}

// maxmemory-clients: bytes (Redis's units) or "N%" of maxmemory, stored as -N like Redis.
std::string mmc_format(const Config& c) {
  return c.maxmemory_clients < 0 ? std::to_string(-c.maxmemory_clients) + "%"
                                 : std::to_string(c.maxmemory_clients);
}

bool mmc_parse(Config& c, std::span<const std::string> a, std::string* err) {
  long long v;
  if (a.size() == 1 && opt::parse_size(a[0], &v) && v >= 0) {
    c.maxmemory_clients = v;
    return true;
  }
  if (a.size() == 1 && a[0].size() > 1 && a[0].back() == '%' &&
      resp::parse_ll(std::string_view(a[0]).substr(0, a[0].size() - 1), &v) && v >= 0) {
    if (v > 100) {
      *err = "percentage argument must be less or equal to 100";
      return false;
    }
    c.maxmemory_clients = -v;
    return true;
  }
  *err = "argument must be a memory or percent value";
  return false;
}

using K = OptKind;
using Row = Option<Config>;
constexpr uint8_t kMut = kOptMutable;

// A row for a size past which a type leaves its compact encoding: an Int from 0 up, CONFIG SET-able.
template <class T>
constexpr Row encoding_limit(const char* name, T Config::*field, const char* help) {
  return {.name = name, .kind = K::Int, .field = field, .min = 0, .max = LLONG_MAX, .flags = kMut,
          .help = help};
}

// Every setting, once.  Defaults are Config's initialisers (server.h).
// One row per option reads better than clang-format's one line per field.
// clang-format off
const Row kOptions[] = {
    {.name = "bind", .kind = K::Custom, .field = OptCustom<Config>{bind_parse, bind_format},
     .flags = kMut, .metavar = "ADDR...",
     .help = "addresses to listen on; a leading '-' makes one optional"},
    {.name = "port", .kind = K::Int, .field = &Config::port, .min = 0, .max = 65535,
     .flags = kMut, .metavar = "PORT", .help = "TCP port"},
    {.name = "tcp-backlog", .kind = K::Int, .field = &Config::tcp_backlog, .min = 0,
     .max = INT32_MAX, .help = "listen() backlog"},
    {.name = "timeout", .kind = K::Int, .field = &Config::timeout, .min = 0, .max = INT32_MAX,
     .flags = kMut, .metavar = "SECONDS",
     .help = "close a client idle for this many seconds (0: never)"},
    {.name = "tcp-keepalive", .kind = K::Int, .field = &Config::tcp_keepalive, .min = 0,
     .max = INT32_MAX, .flags = kMut, .metavar = "SECONDS", .help = "TCP keepalive"},
    {.name = "protected-mode", .kind = K::Bool, .field = &Config::protected_mode, .flags = kMut,
     .help = "without requirepass, accept only loopback clients"},
    {.name = "enable-protected-configs", .kind = K::Enum,
     .field = &Config::enable_protected_configs, .choices = "no yes local",
     .help = "may CONFIG SET change dir (local: from loopback clients only)"},
    {.name = "enable-debug-command", .kind = K::Enum, .field = &Config::enable_debug_command,
     .choices = "no yes local", .help = "may clients run DEBUG (local: from loopback clients only)"},
    {.name = "requirepass", .kind = K::String, .field = &Config::requirepass, .flags = kMut,
     .metavar = "PASSWORD", .help = "password clients must AUTH with"},
    {.name = "maxclients", .kind = K::Int, .field = &Config::maxclients, .min = 1,
     .max = LLONG_MAX, .flags = kMut, .help = "max connected clients"},
    {.name = "maxmemory", .kind = K::Size, .field = &Config::maxmemory, .min = 0,
     .max = LLONG_MAX, .flags = kMut,
     .help = "refuse writes that need memory above this many bytes (0: no limit)"},
    {.name = "maxmemory-clients", .kind = K::Custom,
     .field = OptCustom<Config>{mmc_parse, mmc_format}, .flags = kMut, .metavar = "BYTES|N%",
     .help = "close the biggest clients when all clients' buffers exceed this (N%: of "
             "maxmemory; 0: no limit)"},
    {.name = "maxmemory-policy", .kind = K::Enum, .field = &Config::maxmemory_policy,
     .choices = "noeviction", .flags = kMut,
     .help = "what to do at maxmemory (noeviction: refuse writes)"},
    {.name = "databases", .kind = K::Int, .field = &Config::databases, .min = 1, .max = 1 << 20,
     .help = "number of databases"},
    {.name = "hz", .kind = K::Int, .field = &Config::hz, .min = 1, .max = 500, .flags = kMut,
     .help = "background tasks per second"},
    {.name = "proto-max-bulk-len", .kind = K::Size, .field = &Config::proto_max_bulk_len,
     .min = 1024 * 1024, .max = LLONG_MAX, .flags = kMut,
     .help = "largest bulk string a client may send"},
    {.name = "client-query-buffer-limit", .kind = K::Size,
     .field = &Config::client_query_buffer_limit, .min = 1024 * 1024, .max = LLONG_MAX,
     .flags = kMut, .help = "close a client whose unparsed input exceeds this"},
    {.name = "client-output-buffer-limit", .kind = K::Custom,
     .field = OptCustom<Config>{obuf_parse, obuf_format}, .flags = kMut,
     .metavar = "CLASS HARD SOFT SECONDS",
     .help = "output buffer limits of the normal and pubsub classes"},
    {.name = "notify-keyspace-events", .kind = K::Custom,
     .field = OptCustom<Config>{notify_parse, notify_format}, .flags = kMut,
     .metavar = "CLASSES", .help = "keyspace notification classes (default Ex: expired events)"},
    {.name = "loglevel", .kind = K::Enum, .field = &Config::loglevel,
     .choices = "debug verbose notice warning", .flags = kMut, .help = "log level"},
    {.name = "logfile", .kind = K::String, .field = &Config::logfile, .metavar = "PATH",
     .help = "log file (empty: stderr)"},
    {.name = "dir", .kind = K::String, .field = &Config::dir, .flags = kMut | kOptProtected,
     .metavar = "PATH",
     .help = "working directory (AOF location)"},
    {.name = "pidfile", .kind = K::String, .field = &Config::pidfile, .metavar = "PATH",
     .help = "write the pid here"},
    {.name = "daemonize", .kind = K::Bool, .field = &Config::daemonize,
     .help = "not supported: always runs in foreground"},
    encoding_limit("hash-max-listpack-entries", &Config::hash_max_listpack_entries, "hashes with more fields use a table"),
    encoding_limit("hash-max-listpack-value", &Config::hash_max_listpack_value, "hashes with a longer field or value use a table"),
    encoding_limit("hash-max-ziplist-entries", &Config::hash_max_listpack_entries, "alias of hash-max-listpack-entries"),
    encoding_limit("hash-max-ziplist-value", &Config::hash_max_listpack_value, "alias of hash-max-listpack-value"),
    encoding_limit("set-max-intset-entries", &Config::set_max_intset_entries, "integer sets larger than this use a table"),
    encoding_limit("set-max-listpack-entries", &Config::set_max_listpack_entries, "small sets up to this size stay compact"),
    encoding_limit("set-max-listpack-value", &Config::set_max_listpack_value, "small sets with members up to this length stay compact"),
    {.name = "list-max-listpack-size", .kind = K::Int, .field = &Config::list_max_listpack_size,
     .min = INT32_MIN, .max = INT32_MAX, .flags = kMut,
     .help = "list node size: -1..-5 for 4..64 KiB (below -5: -5), N > 0 for N entries"},
    {.name = "list-max-ziplist-size", .kind = K::Int, .field = &Config::list_max_listpack_size,
     .min = INT32_MIN, .max = INT32_MAX, .flags = kMut, .help = "alias of list-max-listpack-size"},
    {.name = "list-compress-depth", .kind = K::Int, .field = &Config::list_compress_depth,
     .min = 0, .max = INT32_MAX, .flags = kMut,
     .help = "list nodes kept uncompressed at each end; the others are compressed (0: none)"},
    {.name = "lazyfree-lazy-user-del", .kind = K::Bool, .field = &Config::lazyfree_lazy_user_del,
     .flags = kMut, .help = "accepted for compatibility"},
    {.name = "active-expire-effort", .kind = K::Int, .field = &Config::active_expire_effort,
     .min = 1, .max = 10, .flags = kMut, .help = "effort of the active expiry sweep"},
    {.name = "appendonly", .kind = K::Bool, .field = &Config::appendonly, .flags = kMut,
     .help = "log every write to the AOF"},
    {.name = "appendfsync", .kind = K::Enum, .field = &Config::appendfsync,
     .choices = "everysec always no", .flags = kMut, .help = "when to fsync the AOF"},
    {.name = "appendfilename", .kind = K::String, .field = &Config::appendfilename,
     .metavar = "NAME", .help = "AOF file name, in dir"},
    {.name = "auto-aof-rewrite-percentage", .kind = K::Int,
     .field = &Config::auto_aof_rewrite_percentage, .min = 0, .max = INT32_MAX, .flags = kMut,
     .help = "rewrite the AOF when it grew by this percentage"},
    {.name = "auto-aof-rewrite-min-size", .kind = K::Size,
     .field = &Config::auto_aof_rewrite_min_size, .min = 0, .max = LLONG_MAX, .flags = kMut,
     .help = "but not before it is this big"},
    {.name = "aof-load-truncated", .kind = K::Bool, .field = &Config::aof_load_truncated,
     .flags = kMut, .help = "load a truncated AOF up to its last whole command"},
    {.name = "json-max-depth", .kind = K::Int, .field = &Config::json_max_depth, .min = 1,
     .max = 100000, .flags = kMut, .help = "deepest nesting of a JSON document"},
    {.name = "json-max-size", .kind = K::Size, .field = &Config::json_max_size, .min = 1,
     .max = LLONG_MAX, .flags = kMut, .help = "largest JSON document"},
    {.name = "key-load-delay", .kind = K::Int, .field = &Config::key_load_delay,
     .min = INT32_MIN, .max = INT32_MAX, .flags = kMut | kOptHidden,
     .help = "for tests: microseconds slept per command loaded from the AOF"},
    {.name = "save", .kind = K::Custom,
     .field = OptCustom<Config>{[](Config&, std::span<const std::string>,
                                   std::string*) { return true; },
                                [](const Config&) { return std::string(); }},
     .flags = kMut, .metavar = "RULES",
     .help = "accepted for redis.conf compatibility; sc-broker has no RDB snapshots"},
};
// clang-format on

const OptionTable<Config> kTable{kOptions};

// What makes a changed setting take effect in the running server.  Settings that the code
// reads from srv().cfg where it needs them have none.
enum class Apply { None, Listeners, Notify, LogLevel, AppendOnly, Hz };

// The settings that have an apply; several may share one (port and bind: the listeners).
// requirepass has none: as in Redis, a new password does not log out connected clients.
struct ApplyRow {
  const char* name;
  Apply what;
};
constexpr ApplyRow kApplies[] = {
    {"port", Apply::Listeners},
    {"bind", Apply::Listeners},
    {"notify-keyspace-events", Apply::Notify},
    {"loglevel", Apply::LogLevel},
    {"appendonly", Apply::AppendOnly},
    {"hz", Apply::Hz},
};

Apply apply_of(const Row& o) {
  for (const ApplyRow& a : kApplies)
    if (!strcmp(o.name, a.name)) return a.what;
  return Apply::None;
}

// Applies the settings now in srv().cfg; false with Redis's reason when that cannot be done
// (the caller then puts every setting of the command back and applies again).
bool apply(Apply what, const Row& o, const char** err) {
  Server& s = srv();
  switch (what) {
    case Apply::None:
      return true;
    case Apply::Listeners:
      if (!s.base || rebind_listeners()) return true;
      *err = !strcmp(o.name, "port") ? "Unable to listen on this port. Check server logs."
                                     : "Failed to bind to specified addresses.";
      return false;
    case Apply::Notify:
      s.notify_flags = s.cfg.notify_flags;
      return true;
    case Apply::LogLevel: {
      LogLevel l;
      if (log_parse_level(s.cfg.loglevel, &l)) log_set_level(l);
      return true;
    }
    case Apply::Hz:
      if (s.cron_ev) {
        timeval tick{0, 1000000 / s.cfg.hz};
        event_add(s.cron_ev.get(), &tick);  // re-arms the persistent timer with the new period
      }
      return true;
    case Apply::AppendOnly: {
      // A rewrite that cannot start now is retried by the cron (aof.cpp), so this one stays a
      // warning rather than a refusal.
      std::string why;
      if (!aof_set_enabled(s.cfg.appendonly, &why)) SC_LOG(Warning, "%s", why.c_str());
      return true;
    }
  }
  return true;
}

// The message of a bad directive, as Redis prints it (main writes it to stderr).
std::string fatal_config(int line, const std::string& text, const std::string& why) {
  std::string m = "\n*** FATAL CONFIG FILE ERROR (sc-broker) ***\n";
  if (line > 0) m += "Reading the configuration file, at line " + std::to_string(line) + "\n";
  return m + ">>> '" + text + "'\n" + why;
}

// Applies one directive (a config file line or a --flag): its words after the name.  False with
// the reason in *why.
bool apply_directive(Config* cfg, const Row* o, std::span<const std::string> args,
                     std::string* why) {  // o == nullptr: an unknown name
  if (!o) {
    *why = "Bad directive or wrong number of arguments";
    return false;
  }
  return kTable.set(cfg, *o, args, why);
}

const char kUsage[] =
    "sc-broker [/path/to/sc-broker.conf] [--option value ...]\n"
    "Every option is also a 'name value' line of the config file (redis.conf "
    "syntax);\nflags override the file.";

}  // namespace

ConfigLoad config_load(int argc, char** argv, Config* cfg, std::string* error) {
  int i = 1;
  if (i < argc && (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))) {
    fputs(kTable.help(kUsage).c_str(), stdout);
    return ConfigLoad::Exit0;
  }
  if (i < argc && !strcmp(argv[i], "--help-markdown")) {
    fputs(kTable.markdown(OptionTable<Config>::DocStyle::Directives).c_str(), stdout);
    return ConfigLoad::Exit0;
  }
  if (i < argc && (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-v"))) {
    printf("sc-broker v=0.1.0 (Redis 7.0 protocol compatible)\n");
    return ConfigLoad::Exit0;
  }
  if (i < argc && argv[i][0] != '-') {
    cfg->config_file = argv[i];
    opt::FileError fe;
    bool ok = opt::read_config_file(
        argv[i], false,
        [&](std::vector<std::string>& w, std::string* why) {
          return apply_directive(cfg, kTable.find(w[0]), std::span<const std::string>(w).subspan(1),
                                 why);
        },
        &fe);
    if (!ok) {
      *error = fe.line ? fatal_config(fe.line, fe.text, fe.reason) : "Fatal error, " + fe.reason;
      return ConfigLoad::Error;
    }
    i++;
  }
  // --name value [value...] flags, applied after the file so they override it.
  if (i < argc && strncmp(argv[i], "--", 2) != 0) {
    *error = std::string("sc-broker: unexpected argument '") + argv[i] + "' (try --help)";
    return ConfigLoad::Error;
  }
  std::vector<std::string> positional;
  bool help = false;
  std::string why;
  bool ok = kTable.parse_args(
      argc, argv, i, true,
      [&](const Row* o, std::vector<std::string>& w, const std::string& text) {
        if (apply_directive(cfg, o, w, &why)) return true;
        *error = fatal_config(0, text, why);
        return false;
      },
      &positional, &help, &why);
  if (!ok) return ConfigLoad::Error;
  if (!positional.empty()) {
    *error = "sc-broker: unexpected argument '" + positional[0] + "' (try --help)";
    return ConfigLoad::Error;
  }
  if (help) {
    fputs(kTable.help(kUsage).c_str(), stdout);
    return ConfigLoad::Exit0;
  }
  return ConfigLoad::Ok;
}

// ---- CONFIG command ----

// CONFIG GET name-or-pattern...: each setting once.  An exact name (no glob character) is
// answered as typed, hidden settings included (a test knob such as key-load-delay); a pattern
// matches the visible settings, answered by their names (Redis 7.0's rules).
static void config_get_command(Client& c) {
  std::vector<const Row*> seen;
  std::vector<std::pair<std::string, std::string>> out;
  auto add = [&](const Row* o, std::string_view name) {
    if (std::find(seen.begin(), seen.end(), o) != seen.end()) return;
    seen.push_back(o);
    out.emplace_back(std::string(name), kTable.get(srv().cfg, *o));
  };
  for (size_t i = 2; i < c.argv.size(); i++) {
    std::string_view arg = c.argv[i];
    if (arg.find_first_of("[*?") == std::string_view::npos) {
      if (const Row* o = kTable.find(arg)) add(o, arg);
      continue;
    }
    for (auto& o : kTable.rows())
      if (!(o.flags & kOptHidden) && glob_match(arg, o.name, true)) add(&o, o.name);
  }
  c.reply().map(out.size());
  for (auto& [k, v] : out) {
    c.reply().bulk(k);
    c.reply().bulk(v);
  }
}

// CONFIG SET name value [name value ...], in Redis 7.0's three steps:
// 1. every name is checked (known, mutable, allowed, not given twice); the first bad one is
//    the error and nothing changes;
// 2. every value is stored; the first that does not parse puts all back;
// 3. what changed is applied (each kind of apply once); when one fails, e.g. a port already in
//    use, every setting of the command is put back and applied again, those whose apply had
//    succeeded included, so the server runs as before the command.
// A setting given its current value is stored but not applied.
static void config_set_command(Client& c) {
  if (c.argv.size() % 2 != 0) {
    reply_syntax_error(c);
    return;
  }
  auto refuse = [&](std::string_view arg, const char* why) {
    reply_error_fmt(c, "ERR CONFIG SET failed (possibly related to argument '%.*s') - %s",
                    int(arg.size()), arg.data(), why);
  };
  std::vector<const Row*> rows;
  for (size_t i = 2; i < c.argv.size(); i += 2) {
    const Row* o = kTable.find(c.argv[i]);
    if (!o) {
      reply_error_fmt(c, "ERR Unknown option or number of arguments for CONFIG SET - '%.*s'",
                      int(c.argv[i].size()), c.argv[i].data());
      return;
    }
    if (!(o->flags & kOptMutable)) return refuse(c.argv[i], "can't set immutable config");
    if ((o->flags & kOptProtected) &&
        !protected_action_allowed(srv().cfg.enable_protected_configs, c))
      return refuse(c.argv[i], "can't set protected config");
    for (const Row* prev : rows)
      if (prev == o) return refuse(c.argv[i], "duplicate parameter");
    rows.push_back(o);
  }

  Server& s = srv();
  const Config backup = s.cfg;
  struct Pending {
    Apply what;
    const Row* row;  // the first setting of the command that needs it
  };
  std::vector<Pending> applies;
  for (size_t k = 0; k < rows.size(); k++) {
    const Row& o = *rows[k];
    std::string err;
    std::string value(c.argv[2 + 2 * k + 1]);
    std::string before = kTable.get(s.cfg, o);
    if (!kTable.set(&s.cfg, o, std::span<const std::string>(&value, 1), &err)) {
      s.cfg = backup;
      return refuse(o.name, err.c_str());
    }
    Apply what = apply_of(o);
    if (what == Apply::None || kTable.get(s.cfg, o) == before) continue;
    bool listed = false;
    for (const Pending& p : applies) listed = listed || p.what == what;
    if (!listed) applies.push_back({what, &o});
  }
  for (const Pending& p : applies) {
    const char* err = "";
    if (apply(p.what, *p.row, &err)) continue;
    SC_LOG(Warning,
           "Failed applying new configuration. Possibly related to new %s setting. "
           "Restoring previous settings.",
           p.row->name);
    s.cfg = backup;
    const char* ignored;
    for (const Pending& q : applies) apply(q.what, *q.row, &ignored);
    return refuse(p.row->name, err);
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
  reply_help(c, {
      "GET <pattern>",
      "    Return parameters matching the glob-like <pattern> and their values.",
      "SET <directive> <value>",
      "    Set the configuration <directive> to <value>.",
      "RESETSTAT",
      "    Reset statistics reported by the INFO command.",
  });
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
