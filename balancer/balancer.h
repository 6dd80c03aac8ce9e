// Types the balancer's files share: configuration, backends, counters, close reasons.
// Plain structs and enums only; the behaviour lives in the file named after each concern.
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sc::bal {

enum class Affinity : uint8_t { Ip, Session, None };
enum class ProxyProtocol : uint8_t { Off, V1, V2 };

struct Config {
  std::vector<std::string> listen;      // plain TCP listeners, HOST:PORT
  std::vector<std::string> tls_listen;  // TLS-terminating listeners, HOST:PORT
  std::vector<std::string> certs;       // PEM certificate chains (one per key; RSA and/or ECDSA)
  std::vector<std::string> keys;        // PEM private keys, same order as certs
  std::vector<std::string> backends;    // HOST:PORT, ordered: the order defines the hash mapping
  Affinity affinity = Affinity::Ip;
  std::string session_key = "sid";  // query parameter / cookie name in session mode
  ProxyProtocol proxy_protocol = ProxyProtocol::Off;
  std::string health_path;       // empty: TCP connect check, else HTTP GET
  double health_interval = 1.0;  // seconds between active checks of one backend
  double health_timeout = 1.0;   // seconds one check may take
  int health_rise = 1;           // successes that bring a down backend back
  int health_fall = 2;           // soft failures that take an up backend out
  int max_conns = 100000;        // client connections held at once; listeners pause above
  double timeout_head = 10;      // TLS handshake + first request head (session mode)
  double timeout_connect = 3;    // backend connect
  double timeout_idle = 600;     // no byte in either direction
  double grace = 10;             // SIGTERM: seconds open connections may still run
  size_t max_head = 64 * 1024;   // request head bytes peeked in session mode
  int balancers = 1;             // balancer count, divides the quota in `none` mode
  int backlog = 4096;            // listen(2) backlog
  bool reuseport = false;        // SO_REUSEPORT on the data listeners
  bool io_uring = true;          // batch backend connects and writes per loop turn (io_batch.h)
  std::string stats;             // HOST:PORT of the Prometheus endpoint, empty: off
  std::string config_file;       // re-read on SIGHUP for the backend list
  std::string log_level = "notice";  // debug | verbose | notice | warning
  std::string log_file;              // empty: stderr
};

// Why a client connection ended; the index into Counters::closes and the stats label.
enum class CloseReason : uint8_t {
  Done,              // both directions finished with FIN
  ClientError,       // reset or error on the client socket
  BackendError,      // reset or error on the backend socket
  BackendDown,       // its backend was marked down
  NoBackend,         // no live backend accepted the connection
  TimeoutHandshake,  // TLS handshake not finished within timeout-head
  TimeoutHead,       // request head not complete within timeout-head
  TimeoutIdle,       // nothing moved within timeout-idle
  TlsError,          // handshake failure, plaintext or garbage on the TLS port
  Shutdown,          // grace period after SIGTERM ran out
  Count
};
inline constexpr const char* kCloseReasonNames[] = {
    "done",       "client_error",      "backend_error", "backend_down",
    "no_backend", "timeout_handshake", "timeout_head",  "timeout_idle",
    "tls_error",  "shutdown"};
static_assert(sizeof(kCloseReasonNames) / sizeof(kCloseReasonNames[0]) ==
              size_t(CloseReason::Count));

struct Conn;
struct HealthCheck;

struct Backend {
  std::string name;         // "host:port" exactly as configured (the stats label)
  sockaddr_storage addr{};  // resolved once at (re)load
  socklen_t addr_len = 0;
  bool up = true;                // in the hash ring of live backends
  bool retired = false;          // dropped by a reload; the health tick frees it once unused
  HealthCheck* check = nullptr;  // the active check in flight, owned by health.cpp
  int rise = 0;                  // consecutive check successes while down
  int fall = 0;                  // consecutive soft failures while up
  int quota = 0;                 // `none` mode: connections still owed to this backend
  uint32_t conns = 0;            // client connections currently bound here
  uint64_t conns_total = 0;      // connections ever established here
  uint64_t connect_failures = 0;  // connects refused, unreachable or timed out (not completed)
  uint64_t resets = 0;  // connections it reset before answering, after the client's bytes left
  uint64_t downs = 0;   // times marked down
  Conn* conn_list = nullptr;  // intrusive list of the connections bound here
};

struct Counters {
  uint64_t accepted = 0;  // client connections accepted (plain + TLS)
  uint64_t accepted_tls = 0;
  uint64_t tls_handshakes = 0;   // completed
  uint64_t bytes_up = 0;         // client → backend
  uint64_t bytes_down = 0;       // backend → client
  uint64_t retries = 0;          // connects retried on another backend
  uint64_t replays = 0;          // requests already sent once, resent to another backend
  uint64_t listener_pauses = 0;  // times max-conns paused accepting
  uint64_t closes[size_t(CloseReason::Count)] = {};
};

}  // namespace sc::bal
