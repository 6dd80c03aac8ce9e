// The Worker facade and the libwebsockets glue: one libev loop (ev_default_loop) handed to lws
// as a foreign loop, one protocol entry that takes every WebSocket on the configured path.
#include <openssl/rand.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>

#include "log.h"
#include "master.h"
#include "session_id.h"
#include "worker_state.h"

namespace sc {
namespace {

void lws_log_emit(int level, const char* line) {
  size_t n = std::strlen(line);
  while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
  if (level & LLL_ERR)
    SC_LOG(Warning, "lws: %.*s", int(n), line);
  else
    SC_LOG(Verbose, "lws: %.*s", int(n), line);
}

// Puts s's close code and reason into the close frame lws sends when the callback returns -1.
void send_close_reason(lws* wsi, SocketState* s) {
  lws_close_reason(wsi, lws_close_status(s->close_code),
                   reinterpret_cast<unsigned char*>(s->close_reason.data()),
                   s->close_reason.size());
}

void on_signal(struct ev_loop* loop, ev_signal* w, int) {
  auto* st = static_cast<WorkerState*>(w->data);
  if (st->stopping) {
    // Under a master the same Ctrl-C reaches us twice (from the terminal and from the
    // master): the drain goes on, bounded by --shutdown-timeout and the master's SIGKILL.
    if (st->opt.workers > 0) return;
    SC_LOG(Notice, "signal %d again: stopping now", w->signum);
    ev_break(loop, EVBREAK_ALL);
    return;
  }
  SC_LOG(Notice, "signal %d: closing %zu socket(s) with 1001, then stopping", w->signum,
         st->sockets.size());
  st->begin_drain();
}

void on_drain_timer(struct ev_loop* loop, ev_timer* t, int) {
  auto* st = static_cast<WorkerState*>(t->data);
  if (st->sockets.empty() || ev_now(loop) >= st->drain_deadline) ev_break(loop, EVBREAK_ALL);
}

bool read_key_file(const std::string& path, std::string* key, std::string* error) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    *error = "cannot read --auth-key-file " + path + ": " + std::strerror(errno);
    return false;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  *key = ss.str();
  while (!key->empty() && (key->back() == '\n' || key->back() == '\r')) key->pop_back();
  if (key->empty()) {
    *error = "--auth-key-file " + path + " is empty";
    return false;
  }
  return true;
}

// The path part of a request URI must be exactly the configured path.
bool path_matches(std::string_view uri, std::string_view path) {
  size_t q = uri.find('?');
  return uri.substr(0, q) == path;
}

}  // namespace

bool WorkerState::init(std::string* error) {
  if (!opt.auth_key_file.empty()) {
    if (!read_key_file(opt.auth_key_file, &auth_key, error)) return false;
  } else {
    unsigned char raw[32];
    if (RAND_bytes(raw, sizeof raw) != 1) {
      *error = "RAND_bytes failed";
      return false;
    }
    static const char* hexd = "0123456789abcdef";
    for (unsigned char c : raw) {
      auth_key.push_back(hexd[c >> 4]);
      auth_key.push_back(hexd[c & 15]);
    }
  }
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&id_seed), sizeof id_seed) != 1) {
    *error = "RAND_bytes failed";
    return false;
  }

  loop = ev_default_loop(0);
  if (!loop) {
    *error = "libev: no default loop";
    return false;
  }
  lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_emit);

  std::memset(protocols, 0, sizeof protocols);  // lws 4.1: the table ends with a zeroed entry
  protocols[0].name = "socketcluster";
  protocols[0].callback = &WorkerState::lws_callback;
  protocols[0].per_session_data_size = sizeof(WsSlot);
  protocols[0].rx_buffer_size = opt.rx_buffer_size;
  protocols[0].tx_packet_size = kWriteBatch;  // on_writeable's one send per callback
  protocols[0].user = this;

  if (!http_init(error)) return false;

  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  info.port = opt.reuseport ? CONTEXT_PORT_NO_LISTEN_SERVER : opt.port;  // shared_listener.h
  info.iface = opt.host.empty() ? nullptr : opt.host.c_str();
  info.protocols = protocols;
  info.user = this;
  info.options =
      LWS_SERVER_OPTION_LIBEV | LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_DISABLE_IPV6;
  void* foreign[1] = {loop};
  info.foreign_loops = foreign;
  info.pt_serv_buf_size = 4096;
  info.timeout_secs = unsigned(opt.upgrade_timeout_s);  // slow upgrades (and slow closes)
  info.timeout_secs_ah_idle = unsigned(opt.upgrade_timeout_s);
  if (opt.trust_proxy) info.port = CONTEXT_PORT_NO_LISTEN_SERVER;  // proxy_accept.cpp listens
  ctx.reset(lws_create_context(&info));
  if (!ctx) {
    *error = "cannot listen on port " + std::to_string(opt.port) +
             " (lws_create_context failed; is the port in use?)";
    return false;
  }
  if (opt.reuseport && !opt.trust_proxy) {  // with --trust-proxy proxy_accept.cpp listens
    shared_listener = std::make_unique<SharedListener>();
    if (!shared_listener->open(loop, ctx.get(), opt.host, opt.port, error)) return false;
  }
  // A peer that vanishes while we write must not kill the process (lws does not ignore
  // SIGPIPE when it runs on the app's loop).
  std::signal(SIGPIPE, SIG_IGN);
  ev_signal_init(&sigint, on_signal, SIGINT);
  ev_signal_init(&sigterm, on_signal, SIGTERM);
  sigint.data = sigterm.data = this;
  ev_timer_init(&drain_timer, on_drain_timer, 0.01, 0.01);
  drain_timer.data = this;
  ev_signal_start(loop, &sigint);
  ev_signal_start(loop, &sigterm);
  if (opt.trust_proxy && !proxy_listen(error)) return false;
  if (!pubsub_init(error)) return false;
  sessions_init();
  return true;
}

// Every socket gets 1001 (going away: the client reconnects, elsewhere behind a balancer);
// sockets still opening get it as soon as they are established.
void WorkerState::begin_drain() {
  stopping = true;
  shared_listener.reset();  // with --reuseport the kernel gives new connections to the others
  if (opt.reuseport) proxy_stop();  // the same for --trust-proxy's listener
  drain_deadline = ev_now(loop) + opt.shutdown_timeout_ms / 1000.0;
  for (auto& [serial, s] : sockets) request_close(s, close_code::kGoingAway, "");
  ev_timer_start(loop, &drain_timer);
}

void WorkerState::stop() {
  if (loop) ev_break(loop, EVBREAK_ALL);
}

int WorkerState::lws_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in,
                              size_t len) {
  auto* w =
      static_cast<WorkerState*>(lws_get_protocol(wsi) ? lws_get_protocol(wsi)->user : nullptr);
  auto* slot = static_cast<WsSlot*>(user);
  switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
      char uri[1024] = {0};
      if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) < 0) return 1;
      // lws splits the query string off the URI; the check also cuts at '?' in case.
      if (!path_matches(uri, w->opt.path)) {
        lws_return_http_status(wsi, HTTP_STATUS_BAD_REQUEST, nullptr);
        return 1;
      }
      if (!w->origin_ok(wsi)) return 1;  // 403 sent
      if (w->opt.address_socket_limit && w->address_full(w->client_address(wsi))) {
        w->metrics.address_refused++;  // --address-socket-limit: HTTP 429, no WebSocket
        lws_return_http_status(wsi, 429, "Too many WebSockets from this address");
        return 1;
      }
      if (w->middleware[size_t(Middleware::HandshakeWS)]) {
        char origin[256] = {0};
        lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN);
        Action a;
        a.type_ = Middleware::HandshakeWS;
        a.path_ = uri;
        a.origin_ = origin;
        a.remote_ = w->client_address(wsi);
        Error err;
        if (!w->run_middleware(a, &err)) {
          lws_return_http_status(wsi, HTTP_STATUS_UNAUTHORIZED, err.message.c_str());
          return 1;
        }
      }
      if (slot) {  // the session: the cookie, else ?sid=, else a new id (sessions.cpp)
        bool set_cookie = false;
        std::string sid = w->pick_sid(wsi, true, &set_cookie);
        if (sid.empty()) {
          lws_return_http_status(wsi, HTTP_STATUS_INTERNAL_SERVER_ERROR, nullptr);
          return 1;
        }
        std::memcpy(slot->sid, sid.c_str(), sid.size() + 1);
        slot->set_cookie = set_cookie;
      }
      return 0;
    }
    case LWS_CALLBACK_ADD_HEADERS: {  // the upgrade's 101: Set-Cookie for a new session
      if (!slot || !slot->set_cookie || !slot->sid[0]) return 0;
      slot->set_cookie = false;
      auto* args = static_cast<lws_process_html_args*>(in);
      std::string c = session::set_cookie(w->opt.session_cookie, slot->sid, w->secure_request(wsi));
      if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>("set-cookie:"),
                                      reinterpret_cast<const unsigned char*>(c.data()),
                                      int(c.size()), reinterpret_cast<unsigned char**>(&args->p),
                                      reinterpret_cast<unsigned char*>(args->p) + args->max_len))
        return 1;
      return 0;
    }
    case LWS_CALLBACK_ESTABLISHED: {
      if (!slot) return -1;
      SocketState* s = w->open_socket(wsi, slot);
      if (w->stopping) w->request_close(s, close_code::kGoingAway, "");
      return 0;
    }
    case LWS_CALLBACK_RECEIVE: {
      SocketState* s = slot ? slot->socket() : nullptr;
      if (!s) return -1;
      if (s->close_code) return 0;  // closing: the rest is not read
      bool final = lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0;
      if (s->draining || s->rx.size() + len > w->opt.max_payload) {
        // Too big (1009).  The rest of the message is read and dropped, and the close waits
        // for its end or for a pause of 100 ms: closing while the peer still sends leaves
        // unread bytes, and the kernel's reset then reaches the client before our close frame
        // (seen as 1006).  A peer that never pauses meets the pong timeout (4001).
        std::string().swap(s->rx);
        s->draining = true;
        if (final) {
          w->request_close(s, close_code::kMessageTooBig, "");
          return 0;
        }
        s->drain_until = ev_now(w->loop) + 0.1;
        w->schedule(s);
        return 0;
      }
      if (final && s->rx.empty()) {
        w->on_frame(s, std::string_view(static_cast<const char*>(in), len));
      } else {
        s->rx.append(static_cast<const char*>(in), len);
        if (final) {
          std::string frame;
          frame.swap(s->rx);
          w->on_frame(s, frame);
        }
      }
      if (s->close_code && s->out.empty()) {
        // Closed by the protocol while reading (4008, 4009...): nothing left to send.
        send_close_reason(wsi, s);
        return -1;
      }
      return 0;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE: {
      SocketState* s = slot ? slot->socket() : nullptr;
      if (!s) return -1;
      w->on_writeable(s);
      if (s->close_code && s->out.empty()) {
        if (s->close_code != kCloseAbnormal) send_close_reason(wsi, s);
        return -1;
      }
      return 0;
    }
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
      SocketState* s = slot ? slot->socket() : nullptr;
      if (s && !s->close_code) {  // our own close's code and reason win
        auto* b = static_cast<const unsigned char*>(in);
        s->peer_close_code = len >= 2 ? (b[0] << 8 | b[1]) : 1005;
        if (len > 2) s->close_reason.assign(reinterpret_cast<const char*>(b + 2), len - 2);
      }
      return 0;
    }
    case LWS_CALLBACK_CLOSED: {
      SocketState* s = slot ? slot->socket() : nullptr;
      if (s) w->close_socket(s);
      if (slot) slot->open = false;
      return 0;
    }
    case LWS_CALLBACK_HTTP:  // plain HTTP on the WebSocket port (http.cpp)
      return w->on_http(wsi, std::string_view(static_cast<const char*>(in), in ? len : 0));
    case LWS_CALLBACK_HTTP_FILE_COMPLETION:
      return lws_http_transaction_completed(wsi) ? -1 : 0;
    default:
      return 0;
  }
}

// ---- Worker facade ----

Worker::Worker(const Options& options) : st_(std::make_unique<WorkerState>()) {
  st_->owner = this;
  st_->exchange.w_ = st_.get();
  st_->global.w_ = st_.get();
  st_->opt = options;
}

Worker::~Worker() {
  if (!st_->loop) return;
  ev_signal_stop(st_->loop, &st_->sigint);
  ev_signal_stop(st_->loop, &st_->sigterm);
  ev_timer_stop(st_->loop, &st_->drain_timer);
  st_->sessions_stop();
  st_->shared_listener.reset();
  st_->proxy_stop();
  st_->ctx.reset();  // closes every socket (CLOSED callbacks free their state)
  st_->brokers.clear();
}

void Worker::procedure(std::string_view name, ProcedureFn fn) {
  st_->procs[std::string(name)] = std::move(fn);
}
void Worker::receiver(std::string_view name, ReceiverFn fn) {
  st_->receivers[std::string(name)] = std::move(fn);
}
void Worker::set_middleware(Middleware point, std::function<void(Action&)> fn) {
  st_->middleware[size_t(point)] = std::move(fn);
}
void Worker::on_session_destroy(std::function<void(std::string_view)> fn) {
  st_->on_session_destroy = std::move(fn);
}
void Worker::on_connection(std::function<void(Socket&)> fn) { st_->on_connection = std::move(fn); }
void Worker::on_disconnect(std::function<void(Socket&, int, std::string_view)> fn) {
  st_->on_disconnect = std::move(fn);
}

int Worker::run() {
  LogLevel lvl;
  if (log_parse_level(st_->opt.log_level, &lvl)) log_set_level(lvl);
  if (st_->opt.workers > 0) {
    log_set_role('M');
    if (!st_->opt.logfile.empty() && !log_set_file(st_->opt.logfile)) {
      SC_LOG(Warning, "cannot open --logfile %s", st_->opt.logfile.c_str());
      return 1;
    }
    MasterChild child;
    int code = 0;
    if (!master_run(st_->opt, &child, &code)) return code;
    // A worker: the master writes the log (our stderr is its pipe).  An ev loop the app
    // created before run() is the master's copy: libev must renew its kernel state.
    ev_loop_fork(ev_default_loop(0));
    log_set_file("");
    st_->opt.logfile.clear();
    st_->worker_id = child.id;
    st_->ready_fd = child.ready_fd;
    if (!st_->opt.reuseport) st_->opt.port += child.id;
  }
  log_set_role('W');
  if (!st_->opt.logfile.empty()) log_set_file(st_->opt.logfile);
  std::string error;
  if (!st_->init(&error)) {
    SC_LOG(Warning, "worker: %s", error.c_str());
    return 1;
  }
  if (st_->ready_fd >= 0) {  // tell the master we listen
    ssize_t r = write(st_->ready_fd, "R", 1);
    (void)r;
    close(st_->ready_fd);
    st_->ready_fd = -1;
  }
  std::string brokers;
  for (auto& b : st_->opt.brokers) brokers += (brokers.empty() ? "" : ",") + b;
  SC_LOG(Notice, "worker %d listening on port %d, path %s, protocol v%d, brokers %s",
         st_->worker_id, st_->opt.port, st_->opt.path.c_str(), st_->opt.protocol_version,
         brokers.c_str());
  ev_run(st_->loop, 0);
  // Close every socket while the app's objects are still alive: on_disconnect and pending
  // invoke callbacks run here, not from ~Worker.
  st_->shared_listener.reset();
  st_->proxy_stop();
  st_->ctx.reset();
  st_->brokers.clear();  // pending publishes fail ("the worker is stopping")
  return 0;
}

void Worker::stop() { st_->stop(); }
int Worker::id() const { return st_->worker_id; }
Socket* Worker::find(uint64_t serial) {
  auto it = st_->sockets.find(serial);
  return it == st_->sockets.end() ? nullptr : &it->second->handle;
}
const Options& Worker::options() const { return st_->opt; }
struct ev_loop* Worker::loop() {
  return st_->loop;
}

}  // namespace sc
