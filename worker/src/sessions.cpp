// Sessions (design.md §4 Sessions, docs/worker.md "Sessions"): the sid of each WebSocket, the
// session's data in the broker as hash sc:sess:<sid>, its emits over broker channel
// sc:sess:<sid>, and broadcasts over sc:broadcast.  The key and the channel of a session share
// a name, so the consistent hash puts both on the same broker.
//
// TTL: every write restarts the hash's expiry at --session-timeout; while a worker holds a
// socket of a session it refreshes that expiry every timeout/4 (one timer for all its
// sessions, one EXPIRE per session per tick, pipelined on the command connection), and when
// its last socket of the session leaves it restarts it once more.  So the data lives
// --session-timeout after the last socket anywhere left (or its worker died), never forever:
// a crashed worker leaves no key without an expiry.
#include <openssl/rand.h>
#include <strings.h>

#include <algorithm>

#include "consistent_hash.h"
#include "json.h"
#include "log.h"
#include "session_id.h"
#include "worker_state.h"

namespace sc {
namespace {

constexpr std::string_view kSessPrefix = "sc:sess:";
constexpr std::string_view kBroadcast = "sc:broadcast";
constexpr std::string_view kExpired = "__keyevent@0__:expired";

std::string key_of(std::string_view sid) {
  std::string k(kSessPrefix);
  k.append(sid);
  return k;
}

// The payload of a session emit or broadcast: {"event":E[,"data":D]}.
std::string emit_payload(std::string_view event, std::string_view data) {
  std::string p = "{\"event\":";
  json::write_string(event, &p);
  if (!data.empty()) p.append(",\"data\":").append(data);
  p.push_back('}');
  return p;
}

bool parse_emit(std::string_view payload, std::string* event, std::string_view* data) {
  std::string_view lit;
  if (!proto::object_member(payload, "event", &lit) || lit.empty() || lit[0] != '"' ||
      !proto::decode_string(lit, event))
    return false;
  *data = std::string_view();
  proto::object_member(payload, "data", data);
  return true;
}

Error broker_error(const std::string& what, const std::string& why) {
  return Error{"BrokerError", what + " - " + why, ""};
}

}  // namespace

int WorkerState::broker_of_key(std::string_view key) const {
  if (brokers.size() <= 1) return 0;
  return jump_hash(hash64(key), int32_t(brokers.size()));
}

// TLS on this connection, or (--trust-proxy: the proxy in front terminated it) a request whose
// X-Forwarded-Proto is https.
bool WorkerState::secure_request(lws* wsi) {
  if (lws_is_ssl(wsi)) return true;
  if (!opt.trust_proxy) return false;
  static const char kName[] = "x-forwarded-proto:";
  char proto[16] = {0};
  if (lws_hdr_custom_copy(wsi, proto, sizeof proto, kName, int(sizeof kName - 1)) < 0) return false;
  return strcasecmp(proto, "https") == 0;
}

std::string WorkerState::pick_sid(lws* wsi, bool from_query, bool* set_cookie) {
  *set_cookie = false;
  int n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_COOKIE);
  if (n > 0) {
    std::string h(size_t(n) + 1, '\0');
    if (lws_hdr_copy(wsi, h.data(), n + 1, WSI_TOKEN_HTTP_COOKIE) > 0) {
      h.resize(size_t(n));
      std::string_view v;
      if (session::cookie_value(h, opt.session_cookie, &v) && session::well_formed(v))
        return std::string(v);
    }
  }
  // A query parameter is not turned into a cookie: a link carrying ?sid= must not fix the
  // session of the browser that follows it.  Clients that name their session this way send
  // it on every upgrade.
  // lws stops looking at the first parameter that does not fit the buffer: leave room for
  // ordinary ones (an over-long id is refused by well_formed()).
  char q[512];
  std::string name = opt.session_cookie + "=";
  if (from_query) {
    if (const char* v = lws_get_urlarg_by_name(wsi, name.c_str(), q, int(sizeof q)))
      if (session::well_formed(v)) return std::string(v);
  }
  *set_cookie = true;
  unsigned char raw[session::kSidRandomBytes];
  if (RAND_bytes(raw, sizeof raw) != 1) {
    // No entropy: never hand out a guessable id.  The caller refuses the request.
    SC_LOG(Warning, "RAND_bytes failed: no session id");
    return std::string();
  }
  return session::encode_sid(raw, sizeof raw);
}

void WorkerState::sessions_init() {
  broadcast_broker = broker_of_key(kBroadcast);
  double tick = std::max(0.25, opt.session_timeout_s / 4.0);
  ev_timer_init(&session_timer, &WorkerState::on_session_timer, tick, tick);
  session_timer.data = this;
  ev_timer_start(loop, &session_timer);
}

void WorkerState::sessions_stop() {
  if (loop) ev_timer_stop(loop, &session_timer);
}

void WorkerState::on_session_timer(struct ev_loop*, ev_timer* t, int) {
  auto* w = static_cast<WorkerState*>(t->data);
  std::string ttl = std::to_string(w->opt.session_timeout_s);
  for (auto& [sid, ls] : w->sessions)
    w->brokers[size_t(ls.broker)]->command({"EXPIRE", key_of(sid), ttl}, {});
}

void WorkerState::session_resubscribe(int broker) {
  for (auto& [sid, ls] : sessions)
    if (ls.broker == broker) {
      ls.confirmed = false;
      brokers[size_t(broker)]->subscribe(key_of(sid));
    }
  if (broker == broadcast_broker) brokers[size_t(broker)]->subscribe(kBroadcast);
  if (on_session_destroy) brokers[size_t(broker)]->subscribe(kExpired);
}

void WorkerState::session_ended(std::string_view sid) {
  if (!on_session_destroy) return;
  std::string id(sid);
  session_command(sid, {"SET", key_of(sid) + ":end", "1", "NX", "EX", "60"},
                  [this, id](const std::string& err, const BrokerLink::Reply& r) {
                    if (!err.empty() || r.nil) return;  // another worker won (or no broker)
                    if (on_session_destroy) on_session_destroy(id);
                  });
}

void WorkerState::session_attach(SocketState* s, std::function<void()> ready) {
  if (s->in_session || s->sid.empty() || brokers.empty()) return ready();
  s->in_session = true;
  auto [it, fresh] = sessions.try_emplace(std::string(s->sid));
  LocalSession& ls = it->second;
  s->next_in_session = ls.sockets;
  ls.sockets = s;
  if (fresh) {
    std::string key = key_of(s->sid);
    ls.broker = broker_of_key(key);
    BrokerLink& b = *brokers[size_t(ls.broker)];
    b.subscribe(key);  // ignored while down: session_resubscribe() does it when it is back
    b.command({"EXPIRE", key, std::to_string(opt.session_timeout_s)}, {});
  }
  if (ls.confirmed || !brokers[size_t(ls.broker)]->sub_up()) return ready();
  ls.waiters.push_back(std::move(ready));
}

void WorkerState::session_confirmed(int broker, std::string_view bchannel) {
  if (bchannel.substr(0, kSessPrefix.size()) != kSessPrefix) return;
  auto it = sessions.find(std::string(bchannel.substr(kSessPrefix.size())));
  if (it == sessions.end() || it->second.broker != broker) return;
  it->second.confirmed = true;
  auto waiters = std::move(it->second.waiters);
  it->second.waiters.clear();
  for (auto& w : waiters) w();  // may close sockets: `it` is not used after this
}

// The subscriptions went with the connection; handshakes waiting for them are answered now
// (the session's emits reach the sockets again once resubscribed).
void WorkerState::session_sub_down(int broker) {
  std::vector<std::function<void()>> waiters;
  for (auto& [sid, ls] : sessions) {
    if (ls.broker != broker) continue;
    ls.confirmed = false;
    for (auto& w : ls.waiters) waiters.push_back(std::move(w));
    ls.waiters.clear();
  }
  for (auto& w : waiters) w();
}

void WorkerState::session_detach(SocketState* s) {
  if (!s->in_session) return;
  s->in_session = false;
  auto it = sessions.find(std::string(s->sid));
  if (it == sessions.end()) return;
  for (SocketState** p = &it->second.sockets; *p; p = &(*p)->next_in_session)
    if (*p == s) {
      *p = s->next_in_session;
      break;
    }
  s->next_in_session = nullptr;
  if (it->second.sockets) return;
  std::string key = key_of(s->sid);
  BrokerLink& b = *brokers[size_t(it->second.broker)];
  b.unsubscribe(key);
  // The timeout runs from now (other workers holding sockets of it keep refreshing it).
  b.command({"EXPIRE", key, std::to_string(opt.session_timeout_s)}, {});
  sessions.erase(it);
}

// Called for every broker message; true when it was a session emit or a broadcast.
bool WorkerState::session_message(int broker, std::string_view bchannel, std::string_view payload) {
  std::string event;
  std::string_view data;
  if (bchannel == kExpired) {
    // Every worker hears it from every broker; session_ended() lets one of them run the hook.
    // sc:sess:<sid>:end expiring is not a session (':' is not in a well-formed sid).
    if (payload.substr(0, kSessPrefix.size()) == kSessPrefix &&
        session::well_formed(payload.substr(kSessPrefix.size())))
      session_ended(payload.substr(kSessPrefix.size()));
    return true;
  }
  if (bchannel == kBroadcast) {
    if (broker != broadcast_broker || !parse_emit(payload, &event, &data)) return true;
    for (auto& [serial, s] : sockets)
      if (s->handshaken) send_transmit(s, event, data);
    return true;
  }
  if (bchannel.substr(0, kSessPrefix.size()) != kSessPrefix) return false;
  auto it = sessions.find(std::string(bchannel.substr(kSessPrefix.size())));
  if (it == sessions.end() || it->second.broker != broker || !parse_emit(payload, &event, &data))
    return true;
  for (SocketState* s = it->second.sockets; s; s = s->next_in_session)
    if (s->handshaken) send_transmit(s, event, data);  // queues only: the list stays as it is
  return true;
}

void WorkerState::session_command(std::string_view sid, std::vector<std::string> argv,
                                  BrokerLink::ReplyFn done) {
  if (brokers.empty()) {
    if (done) done("the worker is not running", BrokerLink::Reply());
    return;
  }
  brokers[size_t(broker_of_key(key_of(sid)))]->command(argv, std::move(done));
}

void WorkerState::session_publish(std::string_view bchannel, std::string_view event,
                                  std::string_view data, Session::DoneFn done) {
  if (brokers.empty()) {
    Error e = broker_error("Failed to emit", "the worker is not running");
    if (done) done(&e);
    return;
  }
  int b = bchannel == kBroadcast ? broadcast_broker : broker_of_key(bchannel);
  std::string ch(bchannel);
  brokers[size_t(b)]->publish(ch, emit_payload(event, data),
                              [ch, done = std::move(done)](const std::string& err) {
                                if (!done) return;
                                if (err.empty()) return done(nullptr);
                                Error e = broker_error("Failed to emit on " + ch, err);
                                done(&e);
                              });
}

// ---- the app's handles ----

void Session::set(std::string_view name, const Json& value, DoneFn done) {
  std::string key = key_of(sid_);
  std::string v = value.absent() ? std::string("null") : std::string(value.text());
  w_->session_command(sid_, {"HSET", key, std::string(name), v},
                      [done, key](const std::string& err, const BrokerLink::Reply&) {
                        if (!done) return;
                        if (err.empty()) return done(nullptr);
                        Error e = broker_error("Failed to set in session", err);
                        done(&e);
                      });
  w_->session_command(sid_, {"EXPIRE", key, std::to_string(w_->opt.session_timeout_s)}, {});
}

void Session::get(std::string_view name, ValueFn cb) {
  w_->session_command(sid_, {"HGET", key_of(sid_), std::string(name)},
                      [cb](const std::string& err, const BrokerLink::Reply& r) {
                        if (!err.empty()) {
                          Error e = broker_error("Failed to get from session", err);
                          return cb(&e, Json());
                        }
                        if (r.nil) return cb(nullptr, Json());
                        if (proto::valid_json(r.str)) return cb(nullptr, Json::raw(r.str));
                        cb(nullptr, Json::string(r.str));  // set by someone else: a string
                      });
}

void Session::get_all(ValueFn cb) {
  w_->session_command(sid_, {"HGETALL", key_of(sid_)},
                      [cb](const std::string& err, const BrokerLink::Reply& r) {
                        if (!err.empty()) {
                          Error e = broker_error("Failed to read the session", err);
                          return cb(&e, Json());
                        }
                        std::string o = "{";
                        for (size_t i = 0; i + 1 < r.items.size(); i += 2) {
                          if (o.size() > 1) o.push_back(',');
                          json::write_string(r.items[i], &o);
                          o.push_back(':');
                          const std::string& v = r.items[i + 1];
                          if (proto::valid_json(v))
                            o.append(v);
                          else
                            json::write_string(v, &o);  // set by someone else, as a string
                        }
                        o.push_back('}');
                        cb(nullptr, Json::raw(std::move(o)));
                      });
}

void Session::remove(std::string_view name, DoneFn done) {
  w_->session_command(sid_, {"HDEL", key_of(sid_), std::string(name)},
                      [done](const std::string& err, const BrokerLink::Reply&) {
                        if (!done) return;
                        if (err.empty()) return done(nullptr);
                        Error e = broker_error("Failed to remove from session", err);
                        done(&e);
                      });
}

void Session::emit(std::string_view event, const Json& data, DoneFn done) {
  w_->session_publish(key_of(sid_), event, data.text(), std::move(done));
}

void Session::destroy(DoneFn done) {
  WorkerState* w = w_;
  std::string sid = sid_;
  w->session_command(
      sid, {"DEL", key_of(sid)}, [w, sid, done](const std::string& err, const BrokerLink::Reply&) {
        if (!err.empty()) {
          Error e = broker_error("Failed to destroy the session", err);
          if (done) done(&e);
          return;
        }
        w->session_publish(key_of(sid), "sessiondestroy", Json::string(sid).text(), {});
        w->session_ended(sid);
        if (done) done(nullptr);
      });
}

Session Socket::session() {
  Session s;
  s.w_ = st_->w;
  s.sid_ = std::string(st_->sid);
  return s;
}

Session Global::session(std::string_view sid) {
  Session s;
  s.w_ = w_;
  s.sid_ = std::string(sid);
  return s;
}

void Global::emit(std::string_view sid, std::string_view event, const Json& data,
                  Session::DoneFn done) {
  w_->session_publish(key_of(sid), event, data.text(), std::move(done));
}

void Global::broadcast(std::string_view event, const Json& data, Session::DoneFn done) {
  w_->session_publish(kBroadcast, event, data.text(), std::move(done));
}

Global& Worker::global() { return st_->global; }

}  // namespace sc
