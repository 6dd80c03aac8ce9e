// sc::Options: one table gives the flags, the SCLUSTER_* variables, --help and the checks.
#include "options.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <functional>

#include "log.h"
#include "net.h"
#include "origins.h"
#include "scluster/worker.h"

namespace sc {
namespace {

// {name, metavar, default, help}; the variable of --ping-interval is SCLUSTER_PING_INTERVAL.
const std::vector<OptionSpec>& specs() {
  static const std::vector<OptionSpec> s = {
      {"port", "PORT", "8000", "TCP port of the WebSocket server", false},
      {"host", "ADDR", "", "address to listen on (default: every address)", false},
      {"path", "PATH", "/socketcluster/", "WebSocket path (exact match before '?')", false},
      {"protocol-version", "1|2", "2", "SocketCluster protocol: 2 pings \"\", 1 pings #1/#2",
       false},
      {"ping-interval", "MS", "8000", "server ping period", false},
      {"ping-timeout", "MS", "30000", "close 4001 without a pong for this long", false},
      {"handshake-timeout", "MS", "10000", "close 4005 without #handshake for this long", false},
      {"ack-timeout", "MS", "10000", "server invokes fail with TimeoutError after this", false},
      {"auth-key-file", "FILE", "", "HS256 key shared by every worker (default: random)", false},
      {"auth-default-expiry", "SECONDS", "86400", "exp of the tokens the server signs", false},
      {"max-payload", "BYTES", "104857600", "largest inbound message; larger: close 1009", false},
      {"rx-buffer-size", "BYTES", "1024", "read chunk per socket (sets idle memory)", false},
      {"brokers", "HOST:PORT,...", "127.0.0.1:6380",
       "brokers for pub/sub (sc-broker or Redis); channels spread by consistent hash", false},
      {"broker-password", "PASSWORD", "", "AUTH sent to every broker (prefer the variable)", false},
      {"allow-client-publish", "yes|no", "yes", "let clients #publish (no: InvalidActionError)",
       false},
      {"socket-channel-limit", "N", "1000", "channels one socket may subscribe to (0: no limit)",
       false},
      // HTTP on the WebSocket port (http.cpp)
      {"public", "DIR", "", "directory served over HTTP at / (empty: none)", false},
      {"client-bundle", "FILE", "",
       "served at /socketcluster-client.min.js (default: the build's, ../share/scluster/ "
       "from the binary)",
       false},
      {"origins", "PATTERNS", "*:*",
       "host:port patterns (* for any part) the Origin of an upgrade must match, else 403", false},
      {"log-level", "LEVEL", "notice", "debug, verbose, notice or warning", false},
      {"logfile", "FILE", "", "log file (default: stderr)", false},
      // The master (worker/src/master.cpp, docs/worker.md "Worker processes").
      {"workers", "N", "0",
       "worker processes under a master that respawns them (0: this process is the worker)", false},
      {"reuseport", "yes|no", "no",
       "every worker listens on --port (SO_REUSEPORT) instead of --port + its id", false},
      {"shutdown-timeout", "MS", "5000",
       "on SIGTERM, wait this long for clients to take their 1001 close", false},
      // Sessions (worker/src/sessions.cpp, docs/worker.md "Sessions").
      {"session-cookie", "NAME", "sid",
       "cookie (and upgrade query parameter) holding the session id", false},
      {"session-timeout", "SECONDS", "1200",
       "session data lives this long in the broker after its last socket left", false},
  };
  return s;
}

std::string env_name(const char* opt) {
  std::string n = "SCLUSTER_";
  for (const char* p = opt; *p; p++) n.push_back(*p == '-' ? '_' : char(std::toupper(*p)));
  return n;
}

bool to_int(const std::string& v, long long lo, long long hi, long long* out) {
  if (v.empty()) return false;
  char* end = nullptr;
  long long x = std::strtoll(v.c_str(), &end, 10);
  if (*end || x < lo || x > hi) return false;
  *out = x;
  return true;
}

bool yes_no(const char* name, const std::string& v, bool* out, std::string* error) {
  if (v == "yes" || v == "true" || v == "1") {
    *out = true;
  } else if (v == "no" || v == "false" || v == "0") {
    *out = false;
  } else {
    *error = std::string("--") + name + " wants yes or no, got '" + v + "'";
    return false;
  }
  return true;
}

}  // namespace

std::string Options::help(const char* program) {
  std::string usage = std::string(program) +
                      " [options]\n"
                      "Each option may also come from the environment variable SCLUSTER_<NAME>\n"
                      "(--ping-interval: SCLUSTER_PING_INTERVAL); flags win.\n"
                      "Under --workers N each worker finds its id (0..N-1) in SCLUSTER_WORKER_ID\n"
                      "and N in SCLUSTER_WORKER_COUNT; the master drains on SIGTERM/SIGINT and\n"
                      "restarts the workers one by one on SIGUSR2.";
  return options_help(specs(), usage.c_str());
}

Options::Status Options::load(int argc, char** argv, Options* out, std::string* error,
                              const char* program) {
  OptionValues v;
  std::vector<std::string> positional;
  bool help_wanted = false;
  if (!parse_flags(specs(), argc, argv, &v, &positional, &help_wanted, error)) return Status::Error;
  if (help_wanted) {
    std::fputs(help(program).c_str(), stdout);
    return Status::Exit0;
  }
  if (!positional.empty()) {
    *error = "unexpected argument " + positional[0];
    return Status::Error;
  }
  for (auto& s : specs()) {
    if (v.given(s.name)) continue;
    if (const char* e = std::getenv(env_name(s.name).c_str())) v.set(s.name, e, false);
  }
  long long n = 0;
  struct IntOpt {
    const char* name;
    long long lo, hi;
    std::function<void(long long)> set;
  };
  const IntOpt ints[] = {
      {"port", 0, 65535, [&](long long x) { out->port = int(x); }},
      {"protocol-version", 1, 2, [&](long long x) { out->protocol_version = int(x); }},
      {"ping-interval", 10, 86400000, [&](long long x) { out->ping_interval_ms = int(x); }},
      {"ping-timeout", 10, 86400000, [&](long long x) { out->ping_timeout_ms = int(x); }},
      {"handshake-timeout", 10, 86400000, [&](long long x) { out->handshake_timeout_ms = int(x); }},
      {"ack-timeout", 10, 86400000, [&](long long x) { out->ack_timeout_ms = int(x); }},
      {"auth-default-expiry", 0, 100LL * 365 * 86400,
       [&](long long x) { out->auth_default_expiry = x; }},
      {"max-payload", 1, 1LL << 40, [&](long long x) { out->max_payload = size_t(x); }},
      {"rx-buffer-size", 128, 1 << 20, [&](long long x) { out->rx_buffer_size = size_t(x); }},
      {"socket-channel-limit", 0, 1LL << 32,
       [&](long long x) { out->socket_channel_limit = size_t(x); }},
      // The master.
      {"workers", 0, 1024, [&](long long x) { out->workers = int(x); }},
      {"shutdown-timeout", 0, 3600000, [&](long long x) { out->shutdown_timeout_ms = int(x); }},
      // Sessions.
      {"session-timeout", 1, 100LL * 365 * 86400,
       [&](long long x) { out->session_timeout_s = int(x); }},
  };
  for (auto& o : ints) {
    if (!to_int(v.get(o.name), o.lo, o.hi, &n)) {
      *error = std::string("--") + o.name + " wants an integer in [" + std::to_string(o.lo) + ", " +
               std::to_string(o.hi) + "], got '" + v.get(o.name) + "'";
      return Status::Error;
    }
    o.set(n);
  }
  out->brokers.clear();
  {
    const std::string& list = v.get("brokers");
    size_t start = 0;
    while (start <= list.size()) {
      size_t comma = list.find(',', start);
      if (comma == std::string::npos) comma = list.size();
      std::string item = list.substr(start, comma - start);
      sc::net::HostPort hp;
      if (sc::net::NetError e = sc::net::parse_host_port(item, &hp); e != sc::net::NetError::Ok) {
        *error = "--brokers wants host:port[,host:port...], got '" + list + "' (" +
                 sc::net::net_error_text(e) + ")";
        return Status::Error;
      }
      out->brokers.push_back(item);
      start = comma + 1;
    }
  }
  out->broker_password = v.get("broker-password");
  {
    const std::string& a = v.get("allow-client-publish");
    if (a == "yes" || a == "true" || a == "1")
      out->allow_client_publish = true;
    else if (a == "no" || a == "false" || a == "0")
      out->allow_client_publish = false;
    else {
      *error = "--allow-client-publish wants yes or no, got '" + a + "'";
      return Status::Error;
    }
  }
  if (!yes_no("reuseport", v.get("reuseport"), &out->reuseport, error)) return Status::Error;
  if (out->workers > 0 && out->port == 0) {
    *error = "--workers needs a --port other than 0";
    return Status::Error;
  }
  if (out->workers > 0 && !out->reuseport && out->port + out->workers - 1 > 65535) {
    *error = "--port + --workers - 1 is above 65535";
    return Status::Error;
  }
  out->host = v.get("host");
  out->path = v.get("path");
  out->auth_key_file = v.get("auth-key-file");
  out->public_dir = v.get("public");
  out->client_bundle = v.get("client-bundle");
  out->origins = v.get("origins");
  {
    http::Origins o;
    if (!http::parse_origins(out->origins, &o, error)) return Status::Error;
  }
  out->session_cookie = v.get("session-cookie");
  for (char c : out->session_cookie)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') {
      out->session_cookie.clear();
      break;
    }
  if (out->session_cookie.empty()) {
    *error = "--session-cookie wants a name of letters, digits, '_', '-' or '.'";
    return Status::Error;
  }
  out->log_level = v.get("log-level");
  out->logfile = v.get("logfile");
  LogLevel lvl;
  if (!log_parse_level(out->log_level, &lvl)) {
    *error = "--log-level wants debug, verbose, notice or warning";
    return Status::Error;
  }
  if (out->path.empty() || out->path[0] != '/') {
    *error = "--path must start with '/'";
    return Status::Error;
  }
  if (out->ping_interval_ms >= out->ping_timeout_ms) {
    *error =
        "--ping-interval must be shorter than --ping-timeout (the client's liveness timer "
        "is reset only by pings)";
    return Status::Error;
  }
  return Status::Ok;
}

}  // namespace sc
