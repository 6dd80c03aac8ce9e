#include "stats.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include <cstdio>

#include "log.h"
#include "server.h"

namespace sc::bal {

static constexpr size_t kMaxRequest = 8192;

static void metric(std::string* out, const char* name, const char* type, const char* help) {
  *out += "# HELP ";
  *out += name;
  *out += ' ';
  *out += help;
  *out += "\n# TYPE ";
  *out += name;
  *out += ' ';
  *out += type;
  *out += '\n';
}

static void sample(std::string* out, const char* name, const std::string& labels, uint64_t v) {
  char num[32];
  std::snprintf(num, sizeof num, " %llu\n", (unsigned long long)v);
  *out += name;
  if (!labels.empty()) *out += "{" + labels + "}";
  *out += num;
}

std::string stats_render(const Server& s) {
  const Counters& c = s.counters;
  std::string o;
  o.reserve(4096);
  metric(&o, "sc_balancer_connections", "gauge", "Client connections open now.");
  sample(&o, "sc_balancer_connections", "", s.nconns);
  metric(&o, "sc_balancer_connections_accepted_total", "counter", "Client connections accepted.");
  sample(&o, "sc_balancer_connections_accepted_total", "listener=\"plain\"",
         c.accepted - c.accepted_tls);
  sample(&o, "sc_balancer_connections_accepted_total", "listener=\"tls\"", c.accepted_tls);
  metric(&o, "sc_balancer_tls_handshakes_total", "counter", "TLS handshakes completed.");
  sample(&o, "sc_balancer_tls_handshakes_total", "", c.tls_handshakes);
  metric(&o, "sc_balancer_bytes_total", "counter", "Bytes proxied (up: client to backend).");
  sample(&o, "sc_balancer_bytes_total", "direction=\"up\"", c.bytes_up);
  sample(&o, "sc_balancer_bytes_total", "direction=\"down\"", c.bytes_down);
  metric(&o, "sc_balancer_closes_total", "counter", "Client connections closed, by reason.");
  for (size_t i = 0; i < size_t(CloseReason::Count); i++)
    sample(&o, "sc_balancer_closes_total", std::string("reason=\"") + kCloseReasonNames[i] + "\"",
           c.closes[i]);
  metric(&o, "sc_balancer_retries_total", "counter", "Backend connects retried elsewhere.");
  sample(&o, "sc_balancer_retries_total", "", c.retries);
  metric(&o, "sc_balancer_replays_total", "counter",
         "Requests resent to another backend after a reset before the answer (GET/HEAD only).");
  sample(&o, "sc_balancer_replays_total", "", c.replays);
  metric(&o, "sc_balancer_accept_pauses_total", "counter", "Times accepting paused (max-conns).");
  sample(&o, "sc_balancer_accept_pauses_total", "", c.listener_pauses);
  metric(&o, "sc_balancer_batched_ops_total", "counter",
         "Connects and writes issued through the per-turn io_uring batch (0: --io-uring "
         "off or unavailable).");
  sample(&o, "sc_balancer_batched_ops_total", "", s.batch.ops_total());
  metric(&o, "sc_balancer_batch_submits_total", "counter", "io_uring submits of batched operations.");
  sample(&o, "sc_balancer_batch_submits_total", "", s.batch.submits_total());
  metric(&o, "sc_balancer_draining", "gauge", "1 after SIGTERM.");
  sample(&o, "sc_balancer_draining", "", s.draining ? 1 : 0);
  struct PerBackend {
    const char* name;
    const char* type;
    const char* help;
    uint64_t (*get)(const Backend&);
  };
  static const PerBackend kPer[] = {
      {"sc_balancer_backend_up", "gauge", "1 when the backend is in the ring.",
       [](const Backend& b) -> uint64_t { return b.up ? 1 : 0; }},
      {"sc_balancer_backend_connections", "gauge", "Client connections bound to the backend.",
       [](const Backend& b) -> uint64_t { return b.conns; }},
      {"sc_balancer_backend_connections_total", "counter", "Connections established.",
       [](const Backend& b) -> uint64_t { return b.conns_total; }},
      {"sc_balancer_backend_connect_failures_total", "counter", "Failed backend connects.",
       [](const Backend& b) -> uint64_t { return b.connect_failures; }},
      {"sc_balancer_backend_resets_total", "counter",
       "Connections the backend reset before answering, after the client's bytes reached it.",
       [](const Backend& b) -> uint64_t { return b.resets; }},
      {"sc_balancer_backend_downs_total", "counter", "Times marked down.",
       [](const Backend& b) -> uint64_t { return b.downs; }},
  };
  for (auto& m : kPer) {
    metric(&o, m.name, m.type, m.help);
    for (auto& b : s.backends) sample(&o, m.name, "backend=\"" + b->name + "\"", m.get(*b));
  }
  return o;
}

static void stats_write_cb(bufferevent* bev, void*) {
  if (evbuffer_get_length(bufferevent_get_output(bev)) == 0) bufferevent_free(bev);
}

static void stats_event_cb(bufferevent* bev, short, void*) { bufferevent_free(bev); }

static void stats_read_cb(bufferevent* bev, void* arg) {
  Server* s = static_cast<Server*>(arg);
  evbuffer* in = bufferevent_get_input(bev);
  evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, nullptr);
  if (end.pos < 0) end = evbuffer_search(in, "\n\n", 2, nullptr);
  if (end.pos < 0) {
    if (evbuffer_get_length(in) > kMaxRequest) bufferevent_free(bev);
    return;
  }
  std::string body = stats_render(*s);
  char head[160];
  int n = std::snprintf(head, sizeof head,
                        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
                        "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                        body.size());
  bufferevent_disable(bev, EV_READ);
  bufferevent_setcb(bev, nullptr, stats_write_cb, stats_event_cb, s);  // free once written
  bufferevent_write(bev, head, size_t(n));
  bufferevent_write(bev, body.data(), body.size());
}

static void stats_accept_cb(evconnlistener*, evutil_socket_t fd, sockaddr*, int, void* arg) {
  Server* s = static_cast<Server*>(arg);
  bufferevent* bev = bufferevent_socket_new(s->base.get(), fd, BEV_OPT_CLOSE_ON_FREE);
  if (!bev) {
    evutil_closesocket(fd);
    return;
  }
  timeval tv = {5, 0};
  bufferevent_set_timeouts(bev, &tv, &tv);
  bufferevent_setcb(bev, stats_read_cb, nullptr, stats_event_cb, s);
  bufferevent_enable(bev, EV_READ | EV_WRITE);
}

bool stats_start(Server* s, std::string* error) {
  if (s->cfg.stats.empty()) return true;
  sockaddr_storage ss;
  socklen_t len;
  if (!numeric_listen_addr(s->cfg.stats, &ss, &len)) {
    *error = "--stats: not a numeric HOST:PORT: " + s->cfg.stats;
    return false;
  }
  s->stats_listener.reset(evconnlistener_new_bind(s->base.get(), stats_accept_cb, s,
                                                  LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 64,
                                                  reinterpret_cast<sockaddr*>(&ss), int(len)));
  if (!s->stats_listener) {
    *error = "cannot listen on " + s->cfg.stats + " (stats)";
    return false;
  }
  SC_LOG(Notice, "stats on http://%s/metrics", s->cfg.stats.c_str());
  return true;
}

}  // namespace sc::bal
