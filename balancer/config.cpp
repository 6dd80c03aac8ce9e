#include "config.h"

#include <cstdio>
#include <cstdlib>

#include "log.h"
#include "net.h"
#include "options.h"

namespace sc::bal {

static const std::vector<OptionSpec> kOptions = {
    {"config", "FILE", nullptr, "config file of `name value` lines (also the first argument)",
     false},
    {"listen", "HOST:PORT", nullptr, "plain TCP listener", true},
    {"tls-listen", "HOST:PORT", nullptr, "TLS-terminating listener (needs --cert/--key)", true},
    {"cert", "PEM", nullptr, "certificate chain; give one RSA and one ECDSA pair to serve both",
     true},
    {"key", "PEM", nullptr, "private key matching the --cert of the same rank", true},
    {"backends", "HOST:PORT,...", nullptr, "ordered backend list (the order fixes the mapping)",
     true},
    {"affinity", "ip|session|none", "ip", "how a connection picks its backend", false},
    {"session-key", "NAME", "sid", "query parameter / cookie that carries the session id", false},
    {"proxy-protocol", "off|v1|v2", "off", "PROXY protocol header sent to backends", false},
    {"health-path", "PATH", "", "active check: HTTP GET PATH expecting 2xx/3xx (else TCP connect)",
     false},
    {"health-interval", "S", "1", "seconds between active checks", false},
    {"health-timeout", "S", "1", "seconds an active check may take", false},
    {"health-rise", "N", "1", "successful checks that bring a backend back", false},
    {"health-fall", "N", "2",
     "failed checks or resets before an answer that take a backend out (refused: at once)", false},
    {"max-conns", "N", "100000", "client connections held at once (accepting pauses above)", false},
    {"timeout-head", "S", "10", "TLS handshake and first request head must complete within S",
     false},
    {"timeout-connect", "S", "3", "backend connect timeout", false},
    {"timeout-idle", "S", "600", "close a connection when no byte moved for S", false},
    {"grace", "S", "10", "after SIGTERM, seconds open connections may still run", false},
    {"max-head", "BYTES", "65536", "session mode: request head bytes peeked at most", false},
    {"balancers", "N", "1", "number of balancer instances (divides the `none` quota)", false},
    {"backlog", "N", "4096", "listen backlog", false},
    {"reuseport", nullptr, nullptr, "SO_REUSEPORT: several instances share the listen ports",
     false},
    {"io-uring", "on|off", "on",
     "issue each loop turn's backend connects and writes with one io_uring submit",
     false},
    {"stats", "HOST:PORT", "", "serve Prometheus metrics here (never on a data port)", false},
    {"log-level", "LEVEL", "notice", "debug|verbose|notice|warning", false},
    {"log-file", "PATH", "", "log file (default stderr)", false},
};

bool split_backends(const std::string& list, std::vector<std::string>* out) {
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    std::string item = list.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    net::HostPort hp;
    if (net::parse_host_port(item, &hp) != net::NetError::Ok) return false;
    out->push_back(item);
    start = comma + 1;
  }
  return true;
}

static bool parse_number(const std::string& s, double lo, double hi, double* out) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end || !(v >= lo && v <= hi)) return false;
  *out = v;
  return true;
}

// Converts the string values into *out; names the offending option in *error.
static bool apply(const OptionValues& v, Config* out, std::string* error) {
  struct Number {
    const char* name;
    double lo, hi;
    double* dst_d;
    int* dst_i;
  };
  double max_head = 0, max_conns = 0, rise = 0, fall = 0, balancers = 0, backlog = 0;
  const Number numbers[] = {
      {"health-interval", 0.05, 3600, &out->health_interval, nullptr},
      {"health-timeout", 0.05, 3600, &out->health_timeout, nullptr},
      {"timeout-head", 0.05, 86400, &out->timeout_head, nullptr},
      {"timeout-connect", 0.05, 3600, &out->timeout_connect, nullptr},
      {"timeout-idle", 0.05, 864000, &out->timeout_idle, nullptr},
      {"grace", 0, 86400, &out->grace, nullptr},
      {"max-head", 256, 1 << 24, &max_head, nullptr},
      {"max-conns", 1, 10000000, &max_conns, nullptr},
      {"health-rise", 1, 100, &rise, nullptr},
      {"health-fall", 1, 100, &fall, nullptr},
      {"balancers", 1, 1000, &balancers, nullptr},
      {"backlog", 1, 65535, &backlog, nullptr},
  };
  for (auto& n : numbers)
    if (!parse_number(v.get(n.name), n.lo, n.hi, n.dst_d)) {
      *error = std::string("--") + n.name + ": expected a number in [" + std::to_string(n.lo) +
               ", " + std::to_string(n.hi) + "], got '" + v.get(n.name) + "'";
      return false;
    }
  out->max_head = size_t(max_head);
  out->max_conns = int(max_conns);
  out->health_rise = int(rise);
  out->health_fall = int(fall);
  out->balancers = int(balancers);
  out->backlog = int(backlog);

  struct Choice {
    const char* word;
    int value;
  };
  static const Choice kAffinity[] = {{"ip", int(Affinity::Ip)},
                                     {"session", int(Affinity::Session)},
                                     {"none", int(Affinity::None)}};
  static const Choice kProxy[] = {{"off", int(ProxyProtocol::Off)},
                                  {"v1", int(ProxyProtocol::V1)},
                                  {"v2", int(ProxyProtocol::V2)}};
  auto choose = [&](const char* name, const Choice* table, size_t n, int* dst) {
    for (size_t i = 0; i < n; i++)
      if (v.get(name) == table[i].word) {
        *dst = table[i].value;
        return true;
      }
    *error = std::string("--") + name + ": unknown value '" + v.get(name) + "'";
    return false;
  };
  static const Choice kOnOff[] = {{"off", 0}, {"on", 1}};
  int aff = 0, pp = 0, uring = 0;
  if (!choose("affinity", kAffinity, 3, &aff) || !choose("proxy-protocol", kProxy, 3, &pp) ||
      !choose("io-uring", kOnOff, 2, &uring))
    return false;
  out->io_uring = uring != 0;
  out->affinity = Affinity(aff);
  out->proxy_protocol = ProxyProtocol(pp);

  out->session_key = v.get("session-key");
  if (out->session_key.empty()) {
    *error = "--session-key must not be empty";
    return false;
  }
  out->health_path = v.get("health-path");
  if (!out->health_path.empty() && out->health_path[0] != '/') {
    *error = "--health-path must start with /";
    return false;
  }
  out->stats = v.get("stats");
  out->reuseport = !v.get("reuseport").empty();
  out->listen = v.all("listen");
  out->tls_listen = v.all("tls-listen");
  out->certs = v.all("cert");
  out->keys = v.all("key");
  out->backends.clear();
  for (auto& list : v.all("backends"))
    if (!split_backends(list, &out->backends)) {
      *error = "--backends: malformed list '" + list + "' (want HOST:PORT,HOST:PORT...)";
      return false;
    }
  net::HostPort hp;
  for (auto* addrs : {&out->listen, &out->tls_listen})
    for (auto& a : *addrs)
      if (net::parse_host_port(a, &hp) != net::NetError::Ok) {
        *error = "malformed listen address '" + a + "'";
        return false;
      }
  if (!out->stats.empty() && net::parse_host_port(out->stats, &hp) != net::NetError::Ok) {
    *error = "--stats: malformed address '" + out->stats + "'";
    return false;
  }
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
  if (!log_parse_level(v.get("log-level"), &level)) {
    *error = "--log-level: unknown level '" + v.get("log-level") + "'";
    return false;
  }
  log_set_level(level);
  if (!v.get("log-file").empty() && !log_set_file(v.get("log-file"))) {
    *error = "cannot open log file " + v.get("log-file");
    return false;
  }
  return true;
}

ConfigStatus load_config(int argc, char** argv, Config* out, std::string* error) {
  OptionValues flags, merged;
  std::vector<std::string> positional;
  bool help = false;
  if (!parse_flags(kOptions, argc, argv, &flags, &positional, &help, error))
    return ConfigStatus::Error;
  if (help) {
    std::fputs(options_help(kOptions, "sc-balancer [CONFIG-FILE] [--option value ...]").c_str(),
               stdout);
    return ConfigStatus::Exit0;
  }
  if (positional.size() > 1) {
    *error = "more than one config file given";
    return ConfigStatus::Error;
  }
  std::string file =
      flags.given("config") ? flags.get("config") : (positional.empty() ? "" : positional[0]);
  if (!file.empty() && !parse_option_file(kOptions, file, &merged, error))
    return ConfigStatus::Error;
  // Flags override the file: re-parse them on top of the file's values.
  std::vector<std::string> ignored;
  for (auto& spec : kOptions)  // a repeatable option given as a flag replaces the file's list
    if (spec.repeatable && flags.given(spec.name)) merged.clear(spec.name);
  if (!parse_flags(kOptions, argc, argv, &merged, &ignored, &help, error))
    return ConfigStatus::Error;
  out->config_file = file;
  return apply(merged, out, error) ? ConfigStatus::Ok : ConfigStatus::Error;
}

bool reload_backend_list(const std::string& file, std::vector<std::string>* backends,
                         std::string* error) {
  OptionValues v;
  if (!parse_option_file(kOptions, file, &v, error)) return false;
  std::vector<std::string> list;
  for (auto& l : v.all("backends"))
    if (!split_backends(l, &list)) {
      *error = "backends: malformed list '" + l + "'";
      return false;
    }
  if (list.empty()) {
    *error = file + " names no backend";
    return false;
  }
  *backends = std::move(list);
  return true;
}

}  // namespace sc::bal
