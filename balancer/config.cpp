// sc-balancer's options: one row each in common/options.h's typed table, which parses the flags
// and the config file, checks every value at start and prints --help and the docs' table.
#include "config.h"

#include <cstdio>
#include <cstring>

#include "log.h"
#include "options.h"

namespace sc::bal {

namespace {

using K = OptKind;
using Row = Option<Config>;
constexpr uint8_t kRep = kOptRepeatable;

const char* not_empty(std::string_view v) { return v.empty() ? "must not be empty" : nullptr; }
const char* empty_or_path(std::string_view v) {
  return !v.empty() && v[0] != '/' ? "must start with /" : nullptr;
}

// Every flag, once.  Defaults are Config's initialisers (balancer.h).
// One row per option reads better than clang-format's one line per field.
// clang-format off
const Row kOptions[] = {
    {.name = "config", .kind = K::String, .field = &Config::config_file, .metavar = "FILE",
     .help = "config file of `name value` lines (also the first argument)"},
    {.name = "listen", .kind = K::Address, .field = &Config::listen, .flags = kRep,
     .help = "plain TCP listener"},
    {.name = "tls-listen", .kind = K::Address, .field = &Config::tls_listen, .flags = kRep,
     .help = "TLS-terminating listener (needs --cert/--key)"},
    {.name = "cert", .kind = K::String, .field = &Config::certs, .flags = kRep, .metavar = "PEM",
     .help = "certificate chain; give one RSA and one ECDSA pair to serve both",
     .doc = "certificate chain; repeat the `--cert`/`--key` pair to serve an RSA and an ECDSA "
            "certificate side by side (OpenSSL picks per client)"},
    {.name = "key", .kind = K::String, .field = &Config::keys, .flags = kRep, .metavar = "PEM",
     .help = "private key matching the --cert of the same rank"},
    {.name = "backends", .kind = K::AddressList, .field = &Config::backends, .flags = kRep,
     .help = "ordered backend list (the order fixes the mapping)"},
    {.name = "affinity", .kind = K::Enum, .field = enum_index<&Config::affinity>(),
     .choices = "ip session none", .help = "how a connection picks its backend",
     .doc = "how a new connection picks its backend ([balancer.md](balancer.md#affinity))"},
    {.name = "session-key", .kind = K::String, .field = &Config::session_key, .metavar = "NAME",
     .help = "query parameter / cookie that carries the session id", .check = not_empty},
    {.name = "proxy-protocol", .kind = K::Enum, .field = enum_index<&Config::proxy_protocol>(),
     .choices = "off v1 v2", .help = "PROXY protocol header sent to backends"},
    {.name = "health-path", .kind = K::String, .field = &Config::health_path, .metavar = "PATH",
     .help = "active check: HTTP GET PATH expecting 2xx/3xx (else TCP connect)",
     .default_text = "(TCP check)", .check = empty_or_path},
    {.name = "health-interval", .kind = K::Number, .field = &Config::health_interval,
     .dmin = 0.05, .dmax = 3600, .help = "seconds between active checks"},
    {.name = "health-timeout", .kind = K::Number, .field = &Config::health_timeout, .dmin = 0.05,
     .dmax = 3600, .help = "seconds an active check may take"},
    {.name = "health-rise", .kind = K::Int, .field = &Config::health_rise, .min = 1, .max = 100,
     .help = "successful checks that bring a backend back"},
    {.name = "health-fall", .kind = K::Int, .field = &Config::health_fall, .min = 1, .max = 100,
     .help = "failed checks or resets before an answer that take a backend out (refused: at once)",
     .doc = "soft failures (check timeouts, bad status, connections reset before answering) that "
            "take a backend out; a refused, unreachable or timed-out connect takes it out at once"},
    {.name = "max-conns", .kind = K::Int, .field = &Config::max_conns, .min = 1, .max = 10000000,
     .help = "client connections held at once (accepting pauses above)",
     .doc = "client connections held at once; above it accepting pauses (the kernel backlog holds "
            "newcomers)"},
    {.name = "timeout-head", .kind = K::Number, .field = &Config::timeout_head, .dmin = 0.05,
     .dmax = 86400, .help = "TLS handshake and first request head must complete within S",
     .doc = "a TLS handshake, and in session mode the first request head, must complete within S"},
    {.name = "timeout-connect", .kind = K::Number, .field = &Config::timeout_connect,
     .dmin = 0.05, .dmax = 3600, .help = "backend connect timeout",
     .doc = "backend connect timeout (then the next backend is tried); only a connect that has not "
            "completed by then counts"},
    {.name = "timeout-idle", .kind = K::Number, .field = &Config::timeout_idle, .dmin = 0.05,
     .dmax = 864000, .help = "close a connection when no byte moved for S"},
    {.name = "grace", .kind = K::Number, .field = &Config::grace, .dmin = 0, .dmax = 86400,
     .help = "after SIGTERM, seconds open connections may still run"},
    {.name = "max-head", .kind = K::Size, .field = &Config::max_head, .min = 256,
     .max = 1 << 24, .help = "session mode: request head bytes peeked at most"},
    {.name = "balancers", .kind = K::Int, .field = &Config::balancers, .min = 1, .max = 1000,
     .help = "number of balancer instances (divides the `none` quota)"},
    {.name = "backlog", .kind = K::Int, .field = &Config::backlog, .min = 1, .max = 65535,
     .help = "listen backlog"},
    {.name = "reuseport", .kind = K::Switch, .field = &Config::reuseport,
     .help = "SO_REUSEPORT: several instances share the listen ports", .default_text = "off"},
    {.name = "io-uring", .kind = K::Enum, .field = &Config::io_uring, .choices = "off on",
     .help = "issue each loop turn's backend connects and writes with one io_uring submit",
     .doc = "issue each loop turn's backend connects and plain-socket writes with one io_uring "
            "submit (see balancer.md); `off`, or a kernel or container without io_uring, makes "
            "one `connect()`/`send()` each"},
    {.name = "stats", .kind = K::Address, .field = &Config::stats,
     .help = "serve Prometheus metrics here (never on a data port)", .default_text = "(off)"},
    {.name = "log-level", .kind = K::Enum, .field = &Config::log_level,
     .choices = "debug verbose notice warning", .metavar = "LEVEL",
     .help = "debug|verbose|notice|warning"},
    {.name = "log-file", .kind = K::String, .field = &Config::log_file, .metavar = "PATH",
     .help = "log file (empty: stderr)", .default_text = "stderr"},
};
// clang-format on

const OptionTable<Config> kTable{kOptions};

const char kUsage[] = "sc-balancer [CONFIG-FILE] [--option value ...]";

// A pending directive: applied once the file (if any) is known.
struct Directive {
  const Row* row;
  std::vector<std::string> words;
};

// Applies every directive of `file` to *out; *error names the file, line and option.
bool apply_file(const std::string& file, Config* out, std::string* error) {
  std::string name;
  opt::FileError fe;
  bool ok = opt::read_config_file(
      file, true,
      [&](std::vector<std::string>& w, std::string* why) {
        name = w[0].rfind("--", 0) == 0 ? w[0].substr(2) : w[0];
        const Row* r = kTable.find(name);
        if (!r) {
          *why = "unknown option " + name;
          return false;
        }
        // The rest of the line is the value (a switch alone means yes).
        std::string value;
        for (size_t i = 1; i < w.size(); i++) value += (i > 1 ? " " : "") + w[i];
        if (w.size() == 1 && !kTable.takes_value(*r)) value = "yes";
        if (w.size() == 1 && kTable.takes_value(*r)) {
          *why = "option " + name + " needs a value";
          return false;
        }
        if (kTable.set(out, *r, std::span<const std::string>(&value, 1), why)) return true;
        *why = name + " '" + value + "': " + *why;
        return false;
      },
      &fe);
  if (ok) return true;
  *error = fe.line ? file + ":" + std::to_string(fe.line) + ": " + fe.reason : fe.reason;
  return false;
}

// The checks that involve several options, and the log settings.
bool finish(Config* out, std::string* error) {
  if (out->listen.empty() && out->tls_listen.empty()) {
    *error = "nothing to listen on: give --listen and/or --tls-listen";
    return false;
  }
  if (out->backends.empty()) {
    *error = "no backend: give --backends HOST:PORT[,HOST:PORT...]";
    return false;
  }
  if (!out->tls_listen.empty() && (out->certs.empty() || out->certs.size() != out->keys.size())) {
    *error = "--tls-listen needs --cert and --key (as many keys as certificates)";
    return false;
  }
  LogLevel level;
  log_parse_level(out->log_level, &level);  // the table admits only the four names
  log_set_level(level);
  if (!out->log_file.empty() && !log_set_file(out->log_file)) {
    *error = "cannot open log file " + out->log_file;
    return false;
  }
  return true;
}

}  // namespace

ConfigStatus load_config(int argc, char** argv, Config* out, std::string* error) {
  if (argc > 1 && !strcmp(argv[1], "--help-markdown")) {
    std::fputs(kTable.markdown(OptionTable<Config>::DocStyle::Flags).c_str(), stdout);
    return ConfigStatus::Exit0;
  }
  // First the flags, kept aside: the file they may name is applied before them.
  std::vector<Directive> flags;
  std::vector<std::string> positional;
  bool help = false;
  Config scratch;  // each flag is checked here at once, so a bad one is reported before the file
  bool ok = kTable.parse_args(
      argc, argv, 1, false,
      [&](const Row* r, std::vector<std::string>& w, const std::string& text) {
        std::string why;
        if (!kTable.set(&scratch, *r, w, &why)) {
          *error = "--" + text + ": " + why;
          return false;
        }
        flags.push_back({r, w});
        return true;
      },
      &positional, &help, error);
  if (!ok) return ConfigStatus::Error;
  if (help) {
    std::fputs(kTable.help(kUsage).c_str(), stdout);
    return ConfigStatus::Exit0;
  }
  if (positional.size() > 1) {
    *error = "more than one config file given";
    return ConfigStatus::Error;
  }
  std::string file = !scratch.config_file.empty() ? scratch.config_file
                     : positional.empty()         ? ""
                                                  : positional[0];
  if (!file.empty() && !apply_file(file, out, error)) return ConfigStatus::Error;
  // Flags override the file; a repeatable option given as a flag replaces the file's list.
  for (auto& d : flags)
    if (d.row->flags & kOptRepeatable) kTable.clear(out, *d.row);
  for (auto& d : flags) kTable.set(out, *d.row, d.words, error);  // checked above
  out->config_file = file;
  return finish(out, error) ? ConfigStatus::Ok : ConfigStatus::Error;
}

bool reload_backend_list(const std::string& file, std::vector<std::string>* backends,
                         std::string* error) {
  Config c;
  if (!apply_file(file, &c, error)) return false;
  if (c.backends.empty()) {
    *error = file + " names no backend";
    return false;
  }
  *backends = std::move(c.backends);
  return true;
}

}  // namespace sc::bal
