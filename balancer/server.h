// The balancer process: one event loop owning the listeners, the backend list, the counters and
// every client connection.  Single-threaded; every callback runs on `base`.
#pragma once
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "balancer.h"
#include "event_handles.h"
#include "io_batch.h"
#include "ssl_handles.h"

namespace sc::bal {

struct Server {
  Config cfg;
  EventBasePtr base;
  std::vector<std::unique_ptr<Backend>> backends;  // live list, in configured order
  std::vector<std::unique_ptr<Backend>> retired;   // dropped by a reload, still in use
  std::vector<ListenerPtr> listeners;              // data listeners (plain and TLS)
  ListenerPtr stats_listener;
  SslCtxPtr ssl_ctx;  // null when there is no TLS listener
  Counters counters;
  Conn* conns = nullptr;     // every open client connection
  Conn* fin_list = nullptr;  // connections with a deferred FIN
  EventPtr fin_timer;        // zero timeout: runs the deferred FINs
  IoBatch batch;             // connects and sends of one loop turn (unused without io_uring)
  std::unordered_map<uint64_t, Conn*> ring_connects;  // batched connects awaiting their result
  uint64_t next_connect_token = 1;
  uint32_t nconns = 0;
  uint32_t rr = 0;                   // `none` mode tie-break rotation
  bool paused = false;               // listeners disabled (max-conns or EMFILE)
  bool draining = false;             // SIGTERM received
  const timeval* tv_head = nullptr;  // libevent common timeouts (O(1) queues)
  const timeval* tv_connect = nullptr;
  const timeval* tv_idle = nullptr;
  std::vector<EventPtr> events;  // signals and timers owned by the server
  EventPtr resume_timer;         // re-enables listeners after EMFILE
  EventPtr grace_timer;
};

// Builds listeners, TLS context, backends, signals, health checks and stats.  False + *error when
// any of them cannot be set up.
bool server_init(Server* s, std::string* error);
// Runs the loop until SIGTERM's drain ends.  Returns the process exit code.
int server_run(Server* s);

// Called by the proxy after a client connection is freed: resumes paused listeners, finishes a
// drain.  (Retired backends are freed by the health tick once no connection uses them.)
void server_conn_closed(Server* s);
// Disables accepting (max-conns reached).
void server_pause_accept(Server* s);

// "HOST:PORT" with a numeric IPv4 or IPv6 host ("[::1]:80") → *ss, *len.  False otherwise.
bool numeric_listen_addr(const std::string& addr, sockaddr_storage* ss, socklen_t* len);
// Resolves "host:port" (numeric or by name) into b->addr.  False when it does not resolve.
bool resolve_backend(const std::string& name, Backend* b);

}  // namespace sc::bal
