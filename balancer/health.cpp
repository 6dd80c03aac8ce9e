#include "health.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "affinity.h"
#include "log.h"
#include "net.h"
#include "proxy.h"
#include "server.h"

namespace sc::bal {

constexpr size_t kMaxStatusLine = 1024;

// One active check in flight.  Owns its bufferevent; freed by finish() or health_stop().
struct HealthCheck {
  Server* srv;
  Backend* b;
  bufferevent* bev;
};
using Check = HealthCheck;

// `close_conns`: the evidence is about the backend as a whole (its connects or checks fail), so
// its open connections would only time out; resets concern single connections and leave them.
static void mark_down(Server* s, Backend* b, const char* why, bool close_conns = true) {
  if (!b->up) return;
  b->up = false;
  b->downs++;
  b->rise = b->fall = 0;
  if (!close_conns) {
    SC_LOG(Warning, "backend %s is down (%s); its %u connections continue", b->name.c_str(), why,
           b->conns);
    return;
  }
  SC_LOG(Warning, "backend %s is down (%s); closing its %u connections", b->name.c_str(), why,
         b->conns);
  proxy_close_backend_conns(s, b, CloseReason::BackendDown);
}

static void mark_up(Backend* b) {
  b->up = true;
  b->rise = b->fall = 0;
  SC_LOG(Notice, "backend %s is up", b->name.c_str());
}

void health_connect_failed(Server* s, Backend* b, int err) {
  b->connect_failures++;
  mark_down(s, b, strerror(err));
}

void health_backend_reset(Server* s, Backend* b) {
  b->resets++;
  if (b->up && !b->retired && ++b->fall >= s->cfg.health_fall)
    mark_down(s, b, "connections reset before answering", false);
}

// ok: the backend answered; hard: refused/reset (out at once).
static void finish(Check* c, bool ok, bool hard, const char* why) {
  Server* s = c->srv;
  Backend* b = c->b;
  bufferevent_free(c->bev);
  delete c;
  b->check = nullptr;
  if (b->retired) return;
  if (ok) {
    b->fall = 0;
    if (!b->up && ++b->rise >= s->cfg.health_rise) mark_up(b);
  } else {
    b->rise = 0;
    if (b->up && (hard || ++b->fall >= s->cfg.health_fall)) mark_down(s, b, why);
  }
}

static void check_read_cb(bufferevent* bev, void* arg) {
  Check* c = static_cast<Check*>(arg);
  evbuffer* in = bufferevent_get_input(bev);
  size_t len = evbuffer_get_length(in);
  evbuffer_ptr eol = evbuffer_search_eol(in, nullptr, nullptr, EVBUFFER_EOL_CRLF);
  if (eol.pos < 0) {
    if (len > kMaxStatusLine) finish(c, false, false, "health check: status line too long");
    return;
  }
  char line[kMaxStatusLine + 1];
  size_t n = std::min(size_t(eol.pos), kMaxStatusLine);
  evbuffer_copyout(in, line, n);
  line[n] = 0;
  // "HTTP/1.x NNN reason"
  bool ok = n >= 12 && std::strncmp(line, "HTTP/1.", 7) == 0 && (line[9] == '2' || line[9] == '3');
  finish(c, ok, false, "health check: bad HTTP status");
}

static void check_event_cb(bufferevent* bev, short what, void* arg) {
  Check* c = static_cast<Check*>(arg);
  Server* s = c->srv;
  if (what & BEV_EVENT_CONNECTED) {
    if (s->cfg.health_path.empty()) return finish(c, true, false, "");
    std::string req = "GET " + s->cfg.health_path + " HTTP/1.0\r\nHost: " + c->b->name +
                      "\r\nUser-Agent: sc-balancer-health\r\nConnection: close\r\n\r\n";
    bufferevent_write(bev, req.data(), req.size());
    bufferevent_enable(bev, EV_READ);
    return;
  }
  if (what & BEV_EVENT_TIMEOUT) return finish(c, false, false, "health check timed out");
  int err = EVUTIL_SOCKET_ERROR();
  bool hard = (what & BEV_EVENT_ERROR) && (err == ECONNREFUSED || err == ECONNRESET);
  finish(c, false, hard, (what & BEV_EVENT_EOF) ? "health check: closed early" : strerror(err));
}

static void start_check(Server* s, Backend* b) {
  bufferevent* bev = bufferevent_socket_new(s->base.get(), -1, BEV_OPT_CLOSE_ON_FREE);
  if (!bev) return;
  Check* c = new Check{s, b, bev};
  b->check = c;
  timeval tv = net::seconds_to_timeval(s->cfg.health_timeout);
  bufferevent_set_timeouts(bev, &tv, &tv);
  bufferevent_setcb(bev, check_read_cb, nullptr, check_event_cb, c);
  if (bufferevent_socket_connect(bev, reinterpret_cast<sockaddr*>(&b->addr), int(b->addr_len)) <
      0) {
    // An immediate refusal comes later through the event callback; this is a local failure.
    finish(c, false, false, "health check: connect failed");
  }
}

static void tick_cb(evutil_socket_t, short, void* arg) {
  Server* s = static_cast<Server*>(arg);
  for (auto& b : s->backends)
    if (!b->check) start_check(s, b.get());
  affinity_refresh_quotas(s);
  // Free retired backends nobody uses any more.
  auto& r = s->retired;
  r.erase(
      std::remove_if(r.begin(), r.end(),
                     [](const std::unique_ptr<Backend>& b) { return b->conns == 0 && !b->check; }),
      r.end());
}

void health_start(Server* s) {
  EventPtr ev = new_event(s->base.get(), -1, EV_PERSIST, tick_cb, s);
  timeval tv = net::seconds_to_timeval(s->cfg.health_interval);
  event_add(ev.get(), &tv);
  s->events.push_back(std::move(ev));
  tick_cb(-1, 0, s);  // first round at once
}

}  // namespace sc::bal

namespace sc::bal {

void health_stop(Server* s) {
  for (auto* list : {&s->backends, &s->retired})
    for (auto& b : *list)
      if (b->check) {
        bufferevent_free(b->check->bev);
        delete b->check;
        b->check = nullptr;
      }
}

}  // namespace sc::bal
