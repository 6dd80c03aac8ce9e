#include "server.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>

#include <cstdint>
#include <cstring>

#include "config.h"
#include "health.h"
#include "log.h"
#include "net.h"
#include "proxy.h"
#include "stats.h"
#include "tls.h"

namespace sc::bal {

bool numeric_listen_addr(const std::string& addr, sockaddr_storage* ss, socklen_t* len) {
  net::HostPort hp;
  return net::parse_host_port(addr, &hp) == net::NetError::Ok &&
         net::numeric_sockaddr(hp.host, hp.port, ss, len) == net::NetError::Ok;
}

bool resolve_backend(const std::string& name, Backend* b) {
  net::HostPort hp;
  if (net::parse_host_port(name, &hp) != net::NetError::Ok) return false;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(hp.host.c_str(), std::to_string(hp.port).c_str(), &hints, &res) != 0 || !res)
    return false;
  std::memcpy(&b->addr, res->ai_addr, res->ai_addrlen);
  b->addr_len = socklen_t(res->ai_addrlen);
  freeaddrinfo(res);
  b->name = name;
  return true;
}

// Replaces the backend list, keeping the state of backends that stay (matched by name; a name
// listed twice gets a second backend).  Nothing changes when a new name does not resolve.
static bool set_backends(Server* s, const std::vector<std::string>& names, std::string* error) {
  std::vector<std::unique_ptr<Backend>> next(names.size());
  std::vector<bool> claimed(s->backends.size(), false);
  std::vector<size_t> from(names.size(), SIZE_MAX);  // index into s->backends, or SIZE_MAX: new
  for (size_t i = 0; i < names.size(); i++) {
    for (size_t j = 0; j < s->backends.size() && from[i] == SIZE_MAX; j++)
      if (!claimed[j] && s->backends[j]->name == names[i]) {
        claimed[j] = true;
        from[i] = j;
      }
    if (from[i] != SIZE_MAX) continue;
    next[i] = std::make_unique<Backend>();
    if (!resolve_backend(names[i], next[i].get())) {
      *error = "cannot resolve backend " + names[i];
      return false;
    }
  }
  for (size_t i = 0; i < names.size(); i++)
    if (from[i] != SIZE_MAX) next[i] = std::move(s->backends[from[i]]);
  for (auto& b : s->backends)
    if (b) {
      b->retired = true;
      b->up = false;
      SC_LOG(Notice, "backend %s removed; its %u connections continue", b->name.c_str(), b->conns);
      s->retired.push_back(std::move(b));
    }
  s->backends = std::move(next);
  return true;
}

static void set_accepting(Server* s, bool on) {
  for (auto& l : s->listeners)
    on ? evconnlistener_enable(l.get()) : evconnlistener_disable(l.get());
}

void server_pause_accept(Server* s) {
  if (s->paused) return;
  s->paused = true;
  s->counters.listener_pauses++;
  set_accepting(s, false);
  SC_LOG(Verbose, "max-conns %d reached: accepting paused", s->cfg.max_conns);
}

void server_conn_closed(Server* s) {
  if (s->draining) {
    if (s->nconns == 0) event_base_loopexit(s->base.get(), nullptr);
    return;
  }
  if (s->paused && s->nconns < uint32_t(s->cfg.max_conns) &&
      !event_pending(s->resume_timer.get(), EV_TIMEOUT, nullptr)) {
    s->paused = false;
    set_accepting(s, true);
  }
}

static void accept_cb(evconnlistener* l, evutil_socket_t fd, sockaddr* addr, int len, void* arg) {
  Server* s = static_cast<Server*>(arg);
  bool tls = false;
  for (size_t i = 0; i < s->listeners.size(); i++)
    if (s->listeners[i].get() == l) tls = i >= s->cfg.listen.size();
  proxy_accept(s, fd, addr, socklen_t(len), tls);
}

static void resume_cb(evutil_socket_t, short, void* arg) {
  Server* s = static_cast<Server*>(arg);
  if (s->draining || s->nconns >= uint32_t(s->cfg.max_conns)) return;
  s->paused = false;
  set_accepting(s, true);
}

// accept() failed (EMFILE, ENFILE, ENOBUFS...): pause for 100 ms instead of spinning.
static void accept_error_cb(evconnlistener*, void* arg) {
  Server* s = static_cast<Server*>(arg);
  int err = EVUTIL_SOCKET_ERROR();
  SC_LOG(Warning, "accept: %s; pausing 100 ms", strerror(err));
  s->paused = true;
  s->counters.listener_pauses++;
  set_accepting(s, false);
  timeval tv = {0, 100000};
  event_add(s->resume_timer.get(), &tv);
}

static void grace_cb(evutil_socket_t, short, void* arg) {
  Server* s = static_cast<Server*>(arg);
  SC_LOG(Notice, "grace period over: closing %u connections", s->nconns);
  proxy_close_all(s, CloseReason::Shutdown);
  event_base_loopexit(s->base.get(), nullptr);
}

static void sigterm_cb(evutil_socket_t sig, short, void* arg) {
  Server* s = static_cast<Server*>(arg);
  if (s->draining) return;
  s->draining = true;
  s->listeners.clear();  // closes the sockets: new connects are refused at once
  SC_LOG(Notice, "signal %d: not accepting; draining %u connections (grace %.1f s)", int(sig),
         s->nconns, s->cfg.grace);
  if (s->nconns == 0) {
    event_base_loopexit(s->base.get(), nullptr);
    return;
  }
  s->grace_timer.reset(evtimer_new(s->base.get(), grace_cb, s));
  timeval tv = net::seconds_to_timeval(s->cfg.grace);
  event_add(s->grace_timer.get(), &tv);
}

static void sighup_cb(evutil_socket_t, short, void* arg) {
  Server* s = static_cast<Server*>(arg);
  if (s->cfg.config_file.empty()) {
    SC_LOG(Warning, "SIGHUP: no config file to reload the backend list from");
    return;
  }
  std::vector<std::string> names;
  std::string error;
  if (!reload_backend_list(s->cfg.config_file, &names, &error) || !set_backends(s, names, &error)) {
    SC_LOG(Warning, "SIGHUP: keeping the current backends: %s", error.c_str());
    return;
  }
  std::string list;
  for (auto& n : names) list += (list.empty() ? "" : ",") + n;
  SC_LOG(Notice, "SIGHUP: backends now %s", list.c_str());
}

static bool add_listener(Server* s, const std::string& addr, std::string* error) {
  sockaddr_storage ss;
  socklen_t len;
  if (!numeric_listen_addr(addr, &ss, &len)) {
    *error = "not a numeric HOST:PORT: " + addr;
    return false;
  }
  evconnlistener* l = evconnlistener_new_bind(
      s->base.get(), accept_cb, s,
      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | (s->cfg.reuseport ? LEV_OPT_REUSEABLE_PORT : 0),
      s->cfg.backlog, reinterpret_cast<sockaddr*>(&ss), int(len));
  if (!l) {
    *error = "cannot listen on " + addr + ": " + strerror(errno);
    return false;
  }
  evconnlistener_set_error_cb(l, accept_error_cb);
  // Accepted sockets inherit TCP_NODELAY from the listener on Linux: one setsockopt saved per
  // connection (the proxy sets it again where inheritance does not hold).
  int one = 1;
  setsockopt(evconnlistener_get_fd(l), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  s->listeners.emplace_back(l);
  return true;
}

bool server_init(Server* s, std::string* error) {
  signal(SIGPIPE, SIG_IGN);
  event_config* ec = event_config_new();
  event_config_set_flag(ec, EVENT_BASE_FLAG_NOLOCK);
  // Coalesce the interest changes of one loop turn into one epoll_ctl per fd (a connect's
  // "writable" swapped for "readable" costs one MOD instead of DEL + ADD).  We never dup() fds.
  event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
  s->base.reset(event_base_new_with_config(ec));
  event_config_free(ec);
  if (!s->base) {
    *error = "event_base_new failed";
    return false;
  }
  if (!set_backends(s, s->cfg.backends, error)) return false;
  if (s->cfg.io_uring && !s->batch.init())
    SC_LOG(Notice, "io_uring unavailable (%s): one send() per write", strerror(errno));
  if (!s->cfg.tls_listen.empty()) {
    s->ssl_ctx = tls_make_context(s->cfg, error);
    if (!s->ssl_ctx) return false;
  }
  timeval head = net::seconds_to_timeval(s->cfg.timeout_head),
          conn = net::seconds_to_timeval(s->cfg.timeout_connect),
          idle = net::seconds_to_timeval(s->cfg.timeout_idle);
  s->tv_head = event_base_init_common_timeout(s->base.get(), &head);
  s->tv_connect = event_base_init_common_timeout(s->base.get(), &conn);
  s->tv_idle = event_base_init_common_timeout(s->base.get(), &idle);
  for (auto& a : s->cfg.listen)
    if (!add_listener(s, a, error)) return false;
  for (auto& a : s->cfg.tls_listen)
    if (!add_listener(s, a, error)) return false;
  if (!stats_start(s, error)) return false;
  s->resume_timer.reset(evtimer_new(s->base.get(), resume_cb, s));
  s->fin_timer.reset(evtimer_new(
      s->base.get(),
      [](evutil_socket_t, short, void* arg) { proxy_run_deferred_fins(static_cast<Server*>(arg)); },
      s));
  struct {
    int sig;
    event_callback_fn fn;
  } const kSignals[] = {{SIGTERM, sigterm_cb}, {SIGINT, sigterm_cb}, {SIGHUP, sighup_cb}};
  for (auto& sg : kSignals) {
    event* ev = evsignal_new(s->base.get(), sg.sig, sg.fn, s);
    event_add(ev, nullptr);
    s->events.emplace_back(ev);
  }
  health_start(s);
  std::string where;
  for (auto& a : s->cfg.listen) where += " " + a;
  for (auto& a : s->cfg.tls_listen) where += " tls:" + a;
  static const char* kAffinity[] = {"ip", "session", "none"};
  SC_LOG(Notice, "sc-balancer listening on%s, %zu backends, affinity %s", where.c_str(),
         s->backends.size(), kAffinity[int(s->cfg.affinity)]);
  return true;
}

int server_run(Server* s) {
  // One loop turn = one epoll_wait and its callbacks; the writes they batched go out after it.
  while (!event_base_got_exit(s->base.get()) && !event_base_got_break(s->base.get())) {
    if (event_base_loop(s->base.get(), EVLOOP_ONCE) != 0) break;
    proxy_end_turn(s);
  }
  proxy_close_all(s, CloseReason::Shutdown);
  health_stop(s);
  SC_LOG(Notice, "sc-balancer exiting");
  return 0;
}

}  // namespace sc::bal
