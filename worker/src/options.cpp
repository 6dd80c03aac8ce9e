// sc::Options: one row per option in common/options.h's typed table gives the flags, the
// SCLUSTER_* variables, --help, the checks at start and docs/configuration.md's table.
#include "options.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "log.h"
#include "origins.h"
#include "scluster/worker.h"

namespace sc {
namespace {

using K = OptKind;
using Row = Option<Options>;
constexpr int kDay = 86400000;

const char* absolute_path(std::string_view v) {
  return v.empty() || v[0] != '/' ? "must start with '/'" : nullptr;
}

const char* cookie_name(std::string_view v) {
  if (v.empty()) return "must not be empty";
  for (char c : v)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.')
      return "wants letters, digits, '_', '-' or '.'";
  return nullptr;
}

// Every option, once; the variable of --ping-interval is SCLUSTER_PING_INTERVAL.  Defaults are
// the initialisers of sc::Options (scluster/worker.h).
// One row per option reads better than clang-format's one line per field.
// clang-format off
const Row kOptions[] = {
    {.name = "port", .kind = K::Int, .field = &Options::port, .min = 0, .max = 65535,
     .metavar = "PORT", .help = "TCP port of the WebSocket server"},
    {.name = "host", .kind = K::String, .field = &Options::host, .metavar = "ADDR",
     .help = "address to listen on (empty: every address)", .default_text = "every address"},
    {.name = "path", .kind = K::String, .field = &Options::path, .metavar = "PATH",
     .help = "WebSocket path (exact match before '?')",
     .doc = "WebSocket path, exact match before `?` (else HTTP 400)", .check = absolute_path},
    {.name = "protocol-version", .kind = K::Int, .field = &Options::protocol_version, .min = 1,
     .max = 2, .metavar = "1|2", .help = "SocketCluster protocol: 2 pings \"\", 1 pings #1/#2",
     .doc = "2 pings with `\"\"`; 1 (socketcluster-client ≤ 14) with `#1`/`#2`"},
    {.name = "ping-interval", .kind = K::Int, .field = &Options::ping_interval_ms, .min = 10,
     .max = kDay, .metavar = "MS", .help = "server ping period",
     .doc = "server ping period; must be below `--ping-timeout`"},
    {.name = "ping-timeout", .kind = K::Int, .field = &Options::ping_timeout_ms, .min = 10,
     .max = kDay, .metavar = "MS", .help = "close 4001 without a pong for this long",
     .doc = "close 4001 when nothing arrived for this long; sent in the handshake"},
    {.name = "handshake-timeout", .kind = K::Int, .field = &Options::handshake_timeout_ms,
     .min = 10, .max = kDay, .metavar = "MS", .help = "close 4005 without #handshake for this long",
     .doc = "close 4005 without `#handshake`"},
    {.name = "ack-timeout", .kind = K::Int, .field = &Options::ack_timeout_ms, .min = 10,
     .max = kDay, .metavar = "MS", .help = "server invokes fail with TimeoutError after this",
     .doc = "a server invoke fails with `TimeoutError` after this"},
    {.name = "auth-key-file", .kind = K::String, .field = &Options::auth_key_file,
     .metavar = "FILE", .help = "HS256 key shared by every worker (default: random)",
     .doc = "HS256 key (the file's content, trailing newline dropped); give every worker the same "
            "file so tokens survive restarts and work on any worker",
     .default_text = "random per process"},
    {.name = "auth-default-expiry", .kind = K::Int, .field = &Options::auth_default_expiry,
     .min = 0, .max = 100LL * 365 * 86400, .metavar = "SECONDS",
     .help = "exp of the tokens the server signs",
     .doc = "`exp` = `iat` + this for tokens the server signs (unless the payload has `exp`)"},
    {.name = "max-payload", .kind = K::Size, .field = &Options::max_payload, .min = 1,
     .max = 1LL << 40, .help = "largest inbound message; larger: close 1009",
     .doc = "largest inbound message (Node's `ws` default); larger → close 1009"},
    {.name = "rx-buffer-size", .kind = K::Size, .field = &Options::rx_buffer_size, .min = 128,
     .max = 1 << 20, .help = "read chunk per socket (sets idle memory)",
     .doc = "lws read chunk per socket; it sets most of the idle memory per connection "
            "(design.md §4), larger messages arrive in pieces the worker joins"},
    {.name = "brokers", .kind = K::AddressList, .field = &Options::brokers,
     .help = "brokers for pub/sub (sc-broker or Redis); channels spread by consistent hash",
     .doc = "brokers for pub/sub (sc-broker, Redis or Valkey); channel C lives on the one the "
            "jump hash of `sc:ch:<C>` picks in this order, so give every worker the same list in "
            "the same order"},
    {.name = "broker-password", .kind = K::String, .field = &Options::broker_password,
     .metavar = "PASSWORD", .help = "AUTH sent to every broker (prefer the variable)",
     .doc = "`AUTH` sent to every broker first (a command line is visible to `ps`: prefer "
            "`SCLUSTER_BROKER_PASSWORD`)",
     .default_text = "none"},
    {.name = "allow-client-publish", .kind = K::Bool, .field = &Options::allow_client_publish,
     .flags = kOptBoolWords, .help = "let clients #publish (no: InvalidActionError)",
     .doc = "`no`: a client `#publish` fails with `InvalidActionError` \"Client publish feature "
            "is disabled\" (server code still publishes)"},
    {.name = "socket-channel-limit", .kind = K::Int, .field = &Options::socket_channel_limit,
     .min = 0, .max = 1LL << 32, .help = "channels one socket may subscribe to (0: no limit)",
     .doc = "channels one socket may subscribe to; the next one fails with `BrokerError` (0: no "
            "limit; the Node v20 server has none by default, SocketCluster 4 had 1000)"},
    // HTTP on the WebSocket port (http.cpp).
    {.name = "public", .kind = K::String, .field = &Options::public_dir, .metavar = "DIR",
     .help = "directory served over HTTP at / (empty: none)",
     .doc = "directory served over HTTP on the WebSocket port (GET and HEAD; `/` and `/dir/` serve "
            "`index.html`; nothing outside it, no dotfiles); a directory that does not exist stops "
            "the start (exit 1)",
     .default_text = "none (sc-worker: `worker/app/public` of the checkout it was built from, "
                     "while it exists)"},
    {.name = "client-bundle", .kind = K::String, .field = &Options::client_bundle,
     .metavar = "FILE",
     .help = "served at /socketcluster-client.min.js (default: the build's, "
             "../share/scluster/ from the binary)",
     .doc = "the file served at `/socketcluster-client.min.js`; without it that path is 404 (a "
            "given FILE that cannot be read stops the start, exit 1)",
     .default_text = "`../share/scluster/socketcluster-client.min.js` from the binary (the "
                     "build's `npm ci`)"},
    {.name = "origins", .kind = K::String, .field = &Options::origins, .metavar = "PATTERNS",
     .help = "host:port patterns (* for any part) the Origin of an upgrade must match, else 403",
     .doc = "`host:port` patterns, separated by spaces or commas, `*` for any host or port; a "
            "WebSocket upgrade whose `Origin` matches none gets HTTP 403 (SocketCluster's "
            "`origins`; a request without `Origin` counts as host `*` port 80)"},
    {.name = "log-level", .kind = K::Enum, .field = &Options::log_level,
     .choices = "debug verbose notice warning", .metavar = "LEVEL",
     .help = "debug, verbose, notice or warning",
     .doc = "`debug` (logs each inbound frame), `verbose` (also broker connections), `notice`, "
            "`warning`"},
    {.name = "logfile", .kind = K::String, .field = &Options::logfile, .metavar = "FILE",
     .help = "log file (empty: stderr)", .default_text = "stderr"},
    // Limits (docs/worker.md, Limits).
    {.name = "address-socket-limit", .kind = K::Int, .field = &Options::address_socket_limit,
     .min = 0, .max = 1LL << 32,
     .help = "WebSockets per client address; more get HTTP 429 (0: no limit)",
     .doc = "WebSockets one client address may hold on this worker; more get HTTP 429 (0: no "
            "limit)"},
    {.name = "trust-proxy", .kind = K::Bool, .field = &Options::trust_proxy,
     .flags = kOptBoolWords,
     .help = "client address from a PROXY header or X-Forwarded-For (only behind your proxy)",
     .doc = "take the client address from a PROXY v1/v2 header, else the first "
            "`X-Forwarded-For` entry; only when every connection comes through your proxy "
            "([worker.md](worker.md#limits))"},
    {.name = "outbound-queue-limit", .kind = K::Size, .field = &Options::outbound_queue_limit,
     .min = 1024, .max = 1LL << 40,
     .help = "bytes waiting for a socket that does not read; more: close 1013",
     .doc = "bytes waiting for a socket that does not read; a frame that would take a non-empty "
            "queue past it closes the socket 1013"},
    {.name = "upgrade-timeout", .kind = K::Int, .field = &Options::upgrade_timeout_s, .min = 1,
     .max = 3600, .metavar = "SECONDS",
     .help = "an HTTP request or WebSocket upgrade (and a PROXY header) must arrive within this",
     .doc = "an HTTP request or WebSocket upgrade (and, with `--trust-proxy`, the PROXY header) "
            "must arrive within this, else the connection is closed"},
    // The master (master.cpp, docs/worker.md "Worker processes").
    {.name = "workers", .kind = K::Int, .field = &Options::workers, .min = 0, .max = 1024,
     .help = "worker processes under a master that respawns them (0: this process is the worker)",
     .doc = "`N` > 0: this process becomes a master that forks N workers on ports `--port` .. "
            "`--port`+N-1 and respawns them ([worker.md](worker.md#worker-processes-the-master)); "
            "`0`: no master, this process is the only worker"},
    {.name = "reuseport", .kind = K::Bool, .field = &Options::reuseport, .flags = kOptBoolWords,
     .help = "every worker listens on --port (SO_REUSEPORT) instead of --port + its id",
     .doc = "every worker listens on `--port` itself (SO_REUSEPORT: the kernel spreads "
            "connections over them); `--host` must then be numeric"},
    {.name = "shutdown-timeout", .kind = K::Int, .field = &Options::shutdown_timeout_ms, .min = 0,
     .max = 3600000, .metavar = "MS",
     .help = "on SIGTERM, wait this long for clients to take their 1001 close",
     .doc = "on SIGTERM/SIGINT a worker closes its clients with 1001 and waits up to this for them "
            "to go; a master SIGKILLs a worker still running 1 s after it"},
    // Sessions (sessions.cpp, docs/worker.md "Sessions").
    {.name = "session-cookie", .kind = K::String, .field = &Options::session_cookie,
     .metavar = "NAME", .help = "cookie (and upgrade query parameter) holding the session id",
     .doc = "the cookie holding the session id, and the upgrade's query parameter for clients "
            "without a cookie jar (letters, digits, `_`, `-`, `.`; matched exactly: `xsid` is not "
            "`sid`) ([worker.md](worker.md#sessions))",
     .check = cookie_name},
    {.name = "session-timeout", .kind = K::Int, .field = &Options::session_timeout_s, .min = 1,
     .max = 100LL * 365 * 86400, .metavar = "SECONDS",
     .help = "session data lives this long in the broker after its last socket left",
     .doc = "a session's data (`sc:sess:<sid>`) lives this long in the broker after its last "
            "socket left; while sockets are attached their workers refresh it every timeout/4"},
};
// clang-format on

const OptionTable<Options> kTable{kOptions};

}  // namespace

std::string Options::help(const char* program) {
  std::string usage = std::string(program) +
                      " [options]\n"
                      "Each option may also come from the environment variable SCLUSTER_<NAME>\n"
                      "(--ping-interval: SCLUSTER_PING_INTERVAL); flags win.\n"
                      "Under --workers N each worker finds its id (0..N-1) in SCLUSTER_WORKER_ID\n"
                      "and N in SCLUSTER_WORKER_COUNT; the master drains on SIGTERM/SIGINT and\n"
                      "restarts the workers one by one on SIGUSR2.";
  return kTable.help(usage.c_str());
}

Options::Status Options::load(int argc, char** argv, Options* out, std::string* error,
                              const char* program) {
  if (argc > 1 && !std::strcmp(argv[1], "--help-markdown")) {
    std::fputs(kTable.markdown(OptionTable<Options>::DocStyle::Flags).c_str(), stdout);
    return Status::Exit0;
  }
  // The flags first, kept aside: the variables come before them.
  struct Given {
    const Row* row;
    std::vector<std::string> words;
    std::string text;
  };
  std::vector<Given> flags;
  bool help_wanted = false;
  if (!kTable.parse_args(
          argc, argv, 1, false,
          [&](const Row* r, std::vector<std::string>& w, const std::string& text) {
            flags.push_back({r, w, text});
            return true;
          },
          nullptr, &help_wanted, error))
    return Status::Error;
  if (help_wanted) {
    std::fputs(help(program).c_str(), stdout);
    return Status::Exit0;
  }
  std::string why;
  for (auto& r : kTable.rows()) {
    bool flagged = false;  // a flag wins: its variable is not even read
    for (auto& f : flags) flagged = flagged || f.row == &r;
    if (flagged) continue;
    std::string var = opt::env_name("SCLUSTER_", r.name);
    const char* e = std::getenv(var.c_str());
    if (!e) continue;
    std::string value = e;
    if (!kTable.set(out, r, std::span<const std::string>(&value, 1), &why)) {
      *error = var + "=" + value + ": " + why;
      return Status::Error;
    }
  }
  for (auto& f : flags)
    if (!kTable.set(out, *f.row, f.words, &why)) {
      *error = "--" + f.text + ": " + why;
      return Status::Error;
    }
  if (out->workers > 0 && out->port == 0) {
    *error = "--workers needs a --port other than 0";
    return Status::Error;
  }
  if (out->workers > 0 && !out->reuseport && out->port + out->workers - 1 > 65535) {
    *error = "--port + --workers - 1 is above 65535";
    return Status::Error;
  }
  {
    http::Origins o;
    if (!http::parse_origins(out->origins, &o, error)) return Status::Error;
  }
  if (out->ping_interval_ms >= out->ping_timeout_ms) {
    *error =
        "--ping-interval must be shorter than --ping-timeout (the client's liveness timer "
        "is reset only by pings)";
    return Status::Error;
  }
  return Status::Ok;
}

std::optional<int> Options::from_main(int argc, char** argv, Options* out, const char* program) {
  std::string error;
  switch (load(argc, argv, out, &error, program)) {
    case Status::Exit0:
      return 0;
    case Status::Error:
      std::fprintf(stderr, "%s: %s (try --help)\n", program, error.c_str());
      return 2;
    case Status::Ok:
      break;
  }
  return std::nullopt;
}

}  // namespace sc
