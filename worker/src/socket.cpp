// One SocketCluster socket: handshake, pings, invoke/transmit/response routing, auth, closes
// (sc-protocol.md §5-§8, §11).  Called from the lws glue in worker.cpp.
#include <cstring>
#include <ctime>

#include "json.h"
#include "jwt.h"
#include "log.h"
#include "worker_state.h"

namespace sc {
namespace {

int64_t unix_now() { return int64_t(std::time(nullptr)); }

std::string iso_date(int64_t t) {  // "2026-11-23T00:42:36.000Z", as JSON.stringify(Date)
  std::time_t tt = std::time_t(t);
  std::tm tm;
  gmtime_r(&tt, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
  return buf;
}

// The ag-auth error of a failed verification, and whether it is a bad token.
Error auth_error(jwt::Status st, const jwt::Verified& v, bool* bad) {
  Error e;
  e.message = jwt::message(st);
  switch (st) {
    case jwt::Status::Expired:
      e.name = "AuthTokenExpiredError";
      e.extra = "\"expiry\":\"" + iso_date(v.exp) + "\",\"isBadToken\":true";
      *bad = true;
      break;
    case jwt::Status::NotBefore:
      e.name = "AuthTokenNotBeforeError";
      e.extra = "\"date\":\"" + iso_date(v.nbf) + "\",\"isBadToken\":false";
      *bad = false;
      break;
    default:
      e.name = "AuthTokenInvalidError";
      e.extra = "\"isBadToken\":true";
      *bad = true;
      break;
  }
  return e;
}

std::string make_id(uint64_t seed, uint64_t serial) {
  // 15 bytes → 20 base64url characters, like the Node server's base64id: two splitmix64
  // outputs of (seed, serial), unique per process because serial is.
  auto mix = [](uint64_t x) {
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
  };
  uint64_t a = mix(seed + serial * 0x9E3779B97F4A7C15ull), b = mix(a ^ seed);
  unsigned char bytes[15];
  for (int i = 0; i < 8; i++) bytes[i] = uint8_t(a >> (8 * i));
  for (int i = 0; i < 7; i++) bytes[8 + i] = uint8_t(b >> (8 * i));
  return jwt::base64url_encode(std::string_view(reinterpret_cast<char*>(bytes), sizeof bytes));
}

// The handler a socket registered for `ev` (Socket::on), else the worker-wide one, else null.
template <class Fn>
Fn* find_handler(std::unordered_map<std::string, Fn>* own,
                 std::unordered_map<std::string, Fn>& shared, const std::string& ev) {
  if (own) {
    auto it = own->find(ev);
    if (it != own->end()) return &it->second;
  }
  auto it = shared.find(ev);
  return it != shared.end() ? &it->second : nullptr;
}

}  // namespace

// ---- lifecycle ----

SocketState* WorkerState::open_socket(lws* wsi, WsSlot* slot) {
  auto* s = new (slot->state) SocketState;
  slot->open = true;
  s->sid = slot->sid;
  s->w = this;
  s->wsi = wsi;
  s->handle = Socket(s);
  s->serial = next_serial++;
  s->id = make_id(id_seed, s->serial);
  s->remote = client_address(wsi);
  count_address(s, +1);
  s->opened = s->last_alive = ev_now(loop);
  ev_init(&s->timer, &WorkerState::on_timer);
  s->timer.data = s;
  sockets[s->serial] = s;
  schedule(s);
  return s;
}

void WorkerState::close_socket(SocketState* s) {
  ev_timer_stop(loop, &s->timer);
  sockets.erase(s->serial);  // Requests and find() see it gone from here on
  // From here the socket counts as closed: what callbacks send to it is dropped and their
  // invokes fail at once (the wsi is going away).
  if (!s->close_code) {  // close_reason holds the peer's reason, if any
    s->close_code = s->peer_close_code ? s->peer_close_code : 1006;
  }
  metrics.closes[s->close_code]++;
  s->out.clear();
  count_address(s, -1);
  release_socket_channels(s);
  session_detach(s);
  auto pending = std::move(s->pending);
  s->pending.clear();
  Error e{"BadConnectionError", "Socket connection closed", ""};
  for (auto& [cid, p] : pending)
    if (p.cb) p.cb(&e, Json());
  if (s->handshaken && on_disconnect) on_disconnect(s->handle, s->close_code, s->close_reason);
  s->~SocketState();  // the storage is lws's user space (WsSlot), freed by lws
}

void WorkerState::queue(SocketState* s, std::string frame) {
  if (s->close_code || outbound_over(s, frame.size() - LWS_PRE)) return;
  s->out.push_back(std::move(frame));
  lws_callback_on_writable(s->wsi);
}

void WorkerState::request_close(SocketState* s, int code, std::string_view reason) {
  if (s->close_code) return;
  s->close_code = code;
  s->close_reason.assign(reason.substr(0, 123));  // a close frame's reason fits 123 bytes
  lws_callback_on_writable(s->wsi);
  // A peer that never lets us write still goes: lws drops it after 5 s.
  lws_set_timeout(s->wsi, PENDING_TIMEOUT_CLOSE_SEND, 5);
}

namespace {
// The header of an unmasked, final text frame of `len` payload bytes (RFC 6455 §5.2: what lws
// writes for LWS_WRITE_TEXT on a server connection without extensions), into `h`; its size.
size_t text_frame_header(size_t len, unsigned char h[10]) {
  h[0] = 0x81;
  if (len < 126) {
    h[1] = uint8_t(len);
    return 2;
  }
  if (len < 65536) {
    h[1] = 126;
    h[2] = uint8_t(len >> 8);
    h[3] = uint8_t(len);
    return 4;
  }
  h[1] = 127;
  for (int i = 0; i < 8; i++) h[2 + i] = uint8_t(uint64_t(len) >> (56 - 8 * i));
  return 10;
}
}  // namespace

void WorkerState::on_writeable(SocketState* s) {
  // Every queued frame, up to kWriteBatch bytes, leaves in one send: the worker writes each
  // frame's header itself and hands the frames to lws as raw bytes (LWS_WRITE_RAW), so a burst
  // of answers or publications costs one system call instead of one per frame (and one poll per
  // frame to ask whether the socket is choked).  A lone frame goes from its own buffer, its
  // header in the LWS_PRE bytes; several are copied into `wbuf` first.  What the kernel does not
  // take lws keeps (its buflist) and sends before it calls the writeable callback again.
  if (s->out.empty()) return;
  unsigned char h[10];
  unsigned char* start;
  size_t len, frames = 0;
  std::string& first = s->out.front();
  size_t first_len = first.size() - LWS_PRE;
  if (s->out.size() == 1 || first_len >= kWriteBatch) {
    size_t hl = text_frame_header(first_len, h);
    start = reinterpret_cast<unsigned char*>(first.data()) + LWS_PRE - hl;
    std::memcpy(start, h, hl);
    len = hl + first_len;
    frames = 1;
  } else {
    wbuf.clear();
    for (size_t i = 0; i < s->out.size(); i++) {
      std::string& f = s->out.at(i);
      size_t n = f.size() - LWS_PRE;
      if (i > 0 && wbuf.size() + n + 10 > kWriteBatch) break;
      wbuf.append(reinterpret_cast<char*>(h), text_frame_header(n, h));
      wbuf.append(f, LWS_PRE, n);
      frames++;
    }
    start = reinterpret_cast<unsigned char*>(wbuf.data());
    len = wbuf.size();
  }
  int r = lws_write(s->wsi, start, len, LWS_WRITE_RAW);
  if (r < int(len)) {  // the connection failed: close it without a close frame
    s->out.clear();
    request_close(s, kCloseAbnormal, "");
    return;
  }
  for (size_t i = 0; i < frames; i++) s->out.pop_front();
  metrics.messages_out += frames;
  if (!s->out.empty()) lws_callback_on_writable(s->wsi);
}

// ---- timers ----

void WorkerState::schedule(SocketState* s) {
  double now = ev_now(loop);
  double next;
  if (!s->handshaken) {
    next = s->opened + opt.handshake_timeout_ms / 1000.0;
  } else {
    next = std::min(s->last_ping + opt.ping_interval_ms / 1000.0,
                    s->last_alive + opt.ping_timeout_ms / 1000.0);
  }
  if (!s->pending.empty()) {
    for (auto& [cid, p] : s->pending) next = std::min(next, p.deadline);
  }
  if (s->draining) next = std::min(next, s->drain_until);
  double after = next - now;
  if (after < 0.001) after = 0.001;
  ev_timer_stop(loop, &s->timer);
  ev_timer_set(&s->timer, after, 0.);
  ev_timer_start(loop, &s->timer);
}

void WorkerState::on_timer(struct ev_loop*, ev_timer* t, int) {
  auto* s = static_cast<SocketState*>(t->data);
  WorkerState* w = s->w;
  double now = ev_now(w->loop);
  if (s->close_code) return;
  if (s->draining && now >= s->drain_until) {
    w->request_close(s, close_code::kMessageTooBig, "");
    return;
  }
  if (!s->handshaken) {
    if (now >= s->opened + w->opt.handshake_timeout_ms / 1000.0) {
      w->request_close(s, close_code::kHandshakeTimeout, "");
      return;
    }
  } else {
    if (now >= s->last_alive + w->opt.ping_timeout_ms / 1000.0) {
      w->request_close(s, close_code::kPongTimeout, "");
      return;
    }
    if (now >= s->last_ping + w->opt.ping_interval_ms / 1000.0) {
      std::string f = frame_buffer();
      f += proto::ping_text(w->opt.protocol_version);
      w->queue(s, std::move(f));
      s->last_ping = now;
    }
  }
  // Invokes past their ackTimeout, each callback once.
  for (auto it = s->pending.begin(); it != s->pending.end();) {
    if (it->second.deadline <= now) {
      PendingInvoke p = std::move(it->second);
      it = s->pending.erase(it);
      Error e{"TimeoutError", "Event response for '" + p.event + "' timed out", ""};
      uint64_t serial = s->serial;
      if (p.cb) p.cb(&e, Json());
      if (!w->sockets.count(serial)) return;  // cannot happen today: closes are deferred
    } else {
      ++it;
    }
  }
  w->schedule(s);
}

// ---- inbound ----

void WorkerState::on_frame(SocketState* s, std::string_view frame) {
  SC_LOG(Debug, "socket %s <- %.*s", s->id.c_str(), int(frame.size() > 200 ? 200 : frame.size()),
         frame.data());
  metrics.messages_in++;
  proto::FrameKind kind = proto::parse_frame(frame, opt.protocol_version, &packets);
  s->last_alive = ev_now(loop);
  if (!s->handshaken) {
    // Strict handshake: the first packet must be #handshake with a cid.
    if (kind != proto::FrameKind::Packets || packets.empty() ||
        packets[0].kind == proto::PacketKind::Other ||
        packets[0].kind == proto::PacketKind::Response || packets[0].event != "#handshake") {
      request_close(s, close_code::kBeforeHandshake, "");
      return;
    }
  }
  switch (kind) {
    case proto::FrameKind::Pong:
      if (s->handshaken) check_expiry(s);
      return;
    case proto::FrameKind::Ping:
    case proto::FrameKind::NotJson:
      return;  // raw text after the handshake is ignored, as by the Node server
    case proto::FrameKind::Packets:
      break;
  }
  // Packets may be appended to the reused vector by nested handling: take it.
  std::vector<proto::Packet> batch;
  batch.swap(packets);
  for (auto& p : batch) {
    if (s->close_code) break;
    on_packet(s, p);
  }
  batch.clear();
  if (packets.capacity() < batch.capacity()) packets.swap(batch);
}

void WorkerState::fill_request(Request* r, SocketState* s, std::string_view cid,
                               std::string procedure, std::string_view data) {
  r->w_ = this;
  r->serial_ = s->serial;
  r->cid_.assign(cid);
  r->procedure_ = std::move(procedure);
  r->data_ = data.empty() ? Json() : Json::raw(std::string(data));
}

void WorkerState::on_packet(SocketState* s, proto::Packet& p) {
  using proto::PacketKind;
  if (p.kind == PacketKind::Other) return;
  if (p.kind == PacketKind::Response) {
    if (!p.rid_integral) return;
    auto it = s->pending.find(uint64_t(p.rid));
    if (it == s->pending.end()) return;  // unknown rid: ignored
    PendingInvoke inv = std::move(it->second);
    s->pending.erase(it);
    if (!p.error.empty() && p.error != "null") {
      Error e;
      json::Value v;
      std::string err;
      if (json::parse(p.error, &v, &err) && v.is_object()) {
        const json::Value* n = v.find("name");
        const json::Value* m = v.find("message");
        if (n && n->is_string()) e.name = n->str();
        if (m && m->is_string()) e.message = m->str();
      } else {
        e.message = std::string(p.error);
      }
      if (inv.cb) inv.cb(&e, Json());
    } else if (inv.cb) {
      inv.cb(nullptr, p.data.empty() ? Json() : Json::raw(std::string(p.data)));
    }
    return;
  }
  const std::string& ev = p.event;
  bool invoke = p.kind == PacketKind::Invoke;
  if (ev == "#handshake") {
    if (!invoke) {
      request_close(s, close_code::kHandshakeRejected, "");
      return;
    }
    if (!s->handshaken) handshake(s, p);
    return;  // a second #handshake is not answered
  }
  if (ev == "#authenticate") {
    if (!invoke) {
      request_close(s, close_code::kHandshakeRejected, "");
      return;
    }
    authenticate(s, p);
    return;
  }
  if (ev == "#removeAuthToken") {
    deauthenticate(s, false);
    return;
  }
  check_expiry(s);
  if (ev == "#subscribe") {
    client_subscribe(s, p, invoke);
    return;
  }
  if (ev == "#publish") {
    client_publish(s, p, invoke);
    return;
  }
  if (ev == "#unsubscribe") {  // not subject to middleware, as in the Node server
    client_unsubscribe(s, p, invoke);
    return;
  }
  if (ev == "#disconnect") return;  // v1 clients announce their close; nothing to do
  Action a = socket_action(invoke ? Middleware::Invoke : Middleware::Transmit, s);
  a.name_ = ev;
  bool has_mw = bool(middleware[size_t(a.type_)]);
  if (has_mw) a.data_ = p.data.empty() ? Json() : Json::raw(std::string(p.data));
  Error err;
  if (has_mw && !run_middleware(a, &err)) {
    if (invoke) {
      std::string f = frame_buffer();
      proto::encode_error_response(p.cid, err.to_json(), &f);
      queue(s, std::move(f));
    }
    return;
  }
  if (invoke) {
    ProcedureFn* fn = find_handler(s->procs.get(), procs, ev);
    if (!fn) return;  // nobody handles it: never answered, as with the Node server
    Request r;
    fill_request(&r, s, p.cid, ev, p.data);
    if (has_mw) r.data_ = std::move(a.data_);
    ProcedureFn call = *fn;  // the handler may replace itself
    call(s->handle, r);
  } else {
    ReceiverFn* fn = find_handler(s->receivers.get(), receivers, ev);
    if (!fn) return;
    Json data =
        has_mw ? std::move(a.data_) : (p.data.empty() ? Json() : Json::raw(std::string(p.data)));
    ReceiverFn call = *fn;
    call(s->handle, data);
  }
}

bool WorkerState::run_middleware(Action& a, Error* err) {
  auto& fn = middleware[size_t(a.type_)];
  if (!fn) return true;
  fn(a);
  switch (a.state_) {
    case Action::State::Pending:
    case Action::State::Allowed:
      return true;
    case Action::State::Blocked:
      *err = std::move(a.error_);
      if (err->name.empty()) err->name = "Error";
      return false;
    case Action::State::BlockedSilent: {
      // The v20 server's text: "The <action.type> AGAction was blocked by <stream> middleware".
      const char* type = "transmit";
      const char* stream = "inbound";
      switch (a.type_) {
        case Middleware::Invoke:
          type = "invoke";
          break;
        case Middleware::Subscribe:
          type = "subscribe";
          break;
        case Middleware::PublishIn:
          type = "publishIn";
          break;
        case Middleware::PublishOut:
          type = "publishOut";
          stream = "outbound";
          break;
        default:
          break;
      }
      *err =
          Error{"SilentMiddlewareBlockedError",
                std::string("The ") + type + " AGAction was blocked by " + stream + " middleware",
                std::string("\"type\":\"") + stream + "\""};
      return false;
    }
  }
  return true;
}

// ---- handshake and auth ----

void WorkerState::handshake(SocketState* s, proto::Packet& p) {
  std::string token;
  Json data = p.data.empty() ? Json() : Json::raw(std::string(p.data));
  data.get("authToken").as_string(&token);
  bool authenticated = false, bad = false;
  std::string auth_error_text;
  if (!token.empty()) {
    jwt::Verified v;
    jwt::Status st = jwt::verify(token, auth_key, unix_now(), &v);
    if (st == jwt::Status::Ok) {
      Error err;
      if (allow_token(s, v.claims, &err)) {
        s->auth = std::make_unique<AuthState>(
            AuthState{Json::raw(std::move(v.claims)), std::move(token), v.exp});
        authenticated = true;
      } else {
        auth_error_text = err.to_json();
      }
    } else {
      auth_error_text = auth_error(st, v, &bad).to_json();
    }
  }
  Action a = socket_action(Middleware::HandshakeSC, s);
  a.data_ = data;
  Error err;
  if (!run_middleware(a, &err)) {
    // statusCode decides the close code (default 4008), and travels in the error object.
    int code = close_code::kHandshakeRejected;
    Json extra = Json::parse("{" + err.extra + "}");
    json::Value v;
    if (extra.to_value(&v)) {
      const json::Value* sc = v.find("statusCode");
      if (sc && sc->is_int())
        code = int(sc->as_int());
      else
        err.extra += std::string(err.extra.empty() ? "" : ",") + "\"statusCode\":4008";
    }
    std::string f = frame_buffer();
    proto::encode_error_response(p.cid, err.to_json(), &f);
    queue(s, std::move(f));
    request_close(s, code, "");
    return;
  }
  std::string reply =
      "{\"id\":\"" + s->id + "\",\"pingTimeout\":" + std::to_string(opt.ping_timeout_ms);
  if (!auth_error_text.empty()) reply += ",\"authError\":" + auth_error_text;
  reply += authenticated ? ",\"isAuthenticated\":true}" : ",\"isAuthenticated\":false}";
  // The answer waits until the worker's subscription to the socket's session channel is
  // confirmed (sessions.cpp), so a session emit made after the client saw it connected reaches
  // it.  Meanwhile the client sends nothing else (it queues until connected).
  uint64_t serial = s->serial;
  session_attach(s, [this, serial, cid = std::string(p.cid), reply = std::move(reply), bad] {
    auto it = sockets.find(serial);
    if (it == sockets.end() || it->second->close_code) return;
    SocketState* s = it->second;
    s->handshaken = true;
    s->last_ping = s->last_alive = ev_now(loop);
    std::string f = frame_buffer();
    proto::encode_response(cid, reply, &f);
    queue(s, std::move(f));
    if (bad) send_transmit(s, "#removeAuthToken", "");
    schedule(s);
    if (on_connection) on_connection(s->handle);
  });
}

bool WorkerState::allow_token(SocketState* s, const std::string& claims, Error* err) {
  Action a = socket_action(Middleware::Authenticate, s);
  a.data_ = Json::raw(claims);
  return run_middleware(a, err);
}

Action WorkerState::socket_action(Middleware type, SocketState* s) {
  Action a;
  a.type_ = type;
  a.socket_ = &s->handle;
  a.remote_ = s->remote;
  return a;
}

void WorkerState::authenticate(SocketState* s, proto::Packet& p) {
  std::string token;
  Json::raw(std::string(p.data.empty() ? "null" : p.data)).as_string(&token);
  jwt::Verified v;
  jwt::Status st = jwt::verify(token, auth_key, unix_now(), &v);
  std::string f = frame_buffer();
  if (st == jwt::Status::Ok) {
    Error err;
    if (!allow_token(s, v.claims, &err)) {
      proto::encode_response(p.cid,
                             "{\"isAuthenticated\":false,\"authError\":" + err.to_json() + "}", &f);
      queue(s, std::move(f));
      return;
    }
    s->auth = std::make_unique<AuthState>(
        AuthState{Json::raw(std::move(v.claims)), std::move(token), v.exp});
    proto::encode_response(p.cid, "{\"isAuthenticated\":true,\"authError\":null}", &f);
    queue(s, std::move(f));
    return;
  }
  bool bad = false;
  Error e = auth_error(st, v, &bad);
  s->auth.reset();
  if (bad) {
    proto::encode_error_response(p.cid, e.to_json(), &f);
    queue(s, std::move(f));
    send_transmit(s, "#removeAuthToken", "");
  } else {
    proto::encode_response(p.cid, "{\"isAuthenticated\":false,\"authError\":" + e.to_json() + "}",
                           &f);
    queue(s, std::move(f));
  }
}

void WorkerState::deauthenticate(SocketState* s, bool tell_client) {
  s->auth.reset();
  if (tell_client) send_transmit(s, "#removeAuthToken", "");
}

void WorkerState::check_expiry(SocketState* s) {
  if (s->auth && s->auth->exp >= 0 && unix_now() >= s->auth->exp) deauthenticate(s, true);
}

void WorkerState::send_transmit(SocketState* s, std::string_view event, std::string_view data) {
  std::string f = frame_buffer();
  proto::encode_transmit(event, data, &f);
  queue(s, std::move(f));
}

void WorkerState::respond(uint64_t serial, std::string_view cid, std::string_view data,
                          bool is_error) {
  auto it = sockets.find(serial);
  if (it == sockets.end()) return;
  std::string f = frame_buffer();
  if (is_error)
    proto::encode_error_response(cid, data, &f);
  else
    proto::encode_response(cid, data, &f);
  queue(it->second, std::move(f));
}

// ---- the app's handles ----

void Request::end(const Json& data) {
  if (*answered_ || !w_) return;
  *answered_ = true;
  w_->respond(serial_, cid_, data.text(), false);
}

void Request::error(const Error& e) {
  if (*answered_ || !w_) return;
  *answered_ = true;
  w_->respond(serial_, cid_, e.to_json(), true);
}

const std::string& Socket::id() const { return st_->id; }
const std::string& Socket::remote_address() const { return st_->remote; }
uint64_t Socket::serial() const { return st_->serial; }
Worker& Socket::worker() { return *st_->w->owner; }

void Socket::transmit(std::string_view event, const Json& data) {
  st_->w->send_transmit(st_, event, data.text());
}

void Socket::invoke(std::string_view event, const Json& data, InvokeCallback cb) {
  WorkerState* w = st_->w;
  if (st_->close_code) {
    Error e{"BadConnectionError", "Socket connection closed", ""};
    if (cb) cb(&e, Json());
    return;
  }
  uint64_t cid = st_->next_cid++;
  std::string f = frame_buffer();
  proto::encode_invoke(event, cid, data.text(), &f);
  st_->pending[cid] = PendingInvoke{
      std::string(event), ev_now(w->loop) + w->opt.ack_timeout_ms / 1000.0, std::move(cb)};
  w->queue(st_, std::move(f));
  w->schedule(st_);
}

bool Socket::set_auth_token(const Json& payload) {
  json::Value v;
  if (!payload.to_value(&v) || !v.is_object()) return false;
  WorkerState* w = st_->w;
  int64_t now = unix_now();
  std::string claims = jwt::with_times(payload.text(), now, w->opt.auth_default_expiry);
  std::string token = jwt::sign(claims, w->auth_key);
  jwt::Verified ver;
  jwt::verify(token, w->auth_key, now, &ver);
  st_->auth = std::make_unique<AuthState>(AuthState{Json::raw(claims), token, ver.exp});
  std::string data = "{\"token\":";
  json::write_string(token, &data);
  data += "}";
  w->send_transmit(st_, "#setAuthToken", data);
  return true;
}

const Json& Socket::auth_token() const {
  static const Json kNone;
  return st_->auth ? st_->auth->payload : kNone;
}
bool Socket::authenticated() const { return st_->auth && !st_->auth->payload.absent(); }
void Socket::deauthenticate() { st_->w->deauthenticate(st_, true); }

void Socket::disconnect(int code, std::string_view reason) {
  st_->w->request_close(st_, code, reason);
}

void Socket::on(std::string_view name, ProcedureFn fn) {
  if (!st_->procs) st_->procs = std::make_unique<std::unordered_map<std::string, ProcedureFn>>();
  (*st_->procs)[std::string(name)] = std::move(fn);
}

void Socket::on(std::string_view name, ReceiverFn fn) {
  if (!st_->receivers)
    st_->receivers = std::make_unique<std::unordered_map<std::string, ReceiverFn>>();
  (*st_->receivers)[std::string(name)] = std::move(fn);
}

}  // namespace sc
