// The worker's internal state: one WorkerState per process (the lws context, the libev loop,
// the app's tables) and one SocketState per WebSocket.  Only worker/src/ includes this.
//
// Contract:
// - SocketState is constructed at LWS_CALLBACK_ESTABLISHED in the connection's lws user space
//   (WsSlot) and destroyed at LWS_CALLBACK_CLOSED (after its pending invokes failed and
//   on_disconnect ran); lws owns the `struct lws*` and the user space.
// - Outbound packets wait in `out` (each string starts with LWS_PRE spare bytes) and are written
//   only from LWS_CALLBACK_SERVER_WRITEABLE, all of them in one send (on_writeable writes the
//   WebSocket headers itself).  A requested close is done once `out` is empty.
// - One ev_timer per socket covers every deadline: the handshake timeout, the next ping, the
//   pong timeout and the earliest pending invoke's ackTimeout.
// - Pub/sub (pubsub.cpp): `channels` holds an entry per channel that a local socket or a
//   server-side handler wants, and the worker holds one broker subscription per entry.  A
//   publication from the broker is encoded once into a shared frame that every subscribed
//   socket's queue points to.  Sharing is safe because on_writeable only writes the frame
//   header into the LWS_PRE bytes, the same header for every socket (server frames are not
//   masked and no extension is negotiated), and lws copies what the kernel does not take.
#pragma once
#include <ev.h>
#include <libwebsockets.h>

#include <map>
#include <new>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "broker_link.h"
#include "handle.h"
#include "metrics.h"
#include "origins.h"
#include "sc_protocol.h"
#include "scluster/worker.h"
#include "shared_listener.h"

namespace sc {

using LwsContextPtr = Handle<lws_context, lws_context_destroy>;

// One queued frame: the socket's own, or one shared by every recipient of a publication.
struct OutFrame {
  std::string own;
  std::shared_ptr<std::string> shared;
  std::string& text() { return shared ? *shared : own; }
};

// Frames waiting for the writeable callback, oldest first: a vector and a read index.  (A
// std::deque allocates some 600 bytes when constructed, idle socket or not.)
// `bytes` counts the frames' text (LWS_PRE excluded) for --outbound-queue-limit; a shared
// frame counts in full for every socket that waits for it.
struct OutQueue {
  std::vector<OutFrame> frames;
  size_t head = 0;
  size_t bytes = 0;  // queued frame bytes
  bool empty() const { return head == frames.size(); }
  size_t size() const { return frames.size() - head; }
  std::string& front() { return frames[head].text(); }
  std::string& at(size_t i) { return frames[head + i].text(); }  // i < size()
  void push_back(std::string f) {
    bytes += f.size() - LWS_PRE;
    frames.push_back(OutFrame{std::move(f), nullptr});
  }
  void push_back(std::shared_ptr<std::string> f) {
    bytes += f->size() - LWS_PRE;
    frames.push_back(OutFrame{{}, std::move(f)});
  }
  void pop_front() {
    bytes -= frames[head].text().size() - LWS_PRE;
    frames[head] = OutFrame();
    if (++head == frames.size()) clear();
  }
  void clear() {
    frames.clear();
    if (frames.capacity() > 64) frames.shrink_to_fit();  // a burst does not stay allocated
    head = 0;
    bytes = 0;
  }
};

struct PendingInvoke {
  std::string event;  // for the TimeoutError message
  double deadline;    // ev_now() seconds
  InvokeCallback cb;
};

// What an authenticated socket holds (SocketState::auth, null while it has no token).
struct AuthState {
  Json payload;       // the verified token's payload
  std::string token;  // the token itself
  int64_t exp = -1;   // its exp (-1: none)
};

// Kept small: 10,000 idle sockets hold 10,000 of these (docs/benchmarks.md, idle memory).
// What few sockets need (auth, own handlers, channels) hangs off pointers.
struct SocketState {
  WorkerState* w = nullptr;
  lws* wsi = nullptr;      // borrowed from lws
  Socket handle{nullptr};  // what the app sees (points back here)
  uint64_t serial = 0;
  std::string id;
  std::string remote;
  bool handshaken = false;
  bool draining = false;    // an oversize message is being dropped (then 1009)
  bool in_session = false;  // attached to WorkerState::sessions (after #handshake)
  int close_code = 0;       // != 0: close requested (after `out` drains)
  int peer_close_code = 0;  // what the client's close frame said (1005: none)
  // Our close's reason, or (close_code still 0) the one the client's close frame gave.
  std::string close_reason;
  double drain_until = 0;  // draining: close when nothing arrived by then
  std::string rx;          // fragments of the message being received
  OutQueue out;            // LWS_PRE + frame text
  ev_timer timer;          // every deadline of this socket
  double opened = 0;       // ev_now at ESTABLISHED
  double last_ping = 0, last_alive = 0;
  uint64_t next_cid = 1;
  std::map<uint64_t, PendingInvoke> pending;
  std::unique_ptr<AuthState> auth;
  std::unique_ptr<std::unordered_map<std::string, ProcedureFn>> procs;  // Socket::on
  std::unique_ptr<std::unordered_map<std::string, ReceiverFn>> receivers;
  std::unique_ptr<std::unordered_set<std::string>> channels;  // subscribed (null: none yet)
  std::string_view sid;  // the session (session_id.h: always well-formed), in WsSlot::sid
  SocketState* next_in_session = nullptr;  // LocalSession::sockets' list
};

// lws's per-connection user space, from the upgrade's filter (which picks the sid and whether
// the response sets the cookie, LWS_CALLBACK_ADD_HEADERS) to the socket's close.  The socket's
// state lives in it too (constructed at ESTABLISHED, destroyed at CLOSED): one allocation per
// connection instead of three (slot, SocketState, sid string).
struct WsSlot {
  bool set_cookie;
  bool open;     // `state` holds a live SocketState
  char sid[65];  // session::kSidMaxLength + 1
  alignas(SocketState) unsigned char state[sizeof(SocketState)];
  SocketState* socket() {
    return open ? std::launder(reinterpret_cast<SocketState*>(state)) : nullptr;
  }
};

// A session with sockets on this worker (sessions.cpp): subscribed to sc:sess:<sid> and
// refreshed by the keep-alive timer while it has any.
struct LocalSession {
  int broker = 0;
  bool confirmed = false;  // the broker confirmed SUBSCRIBE sc:sess:<sid> on this connection
  // A session has a few sockets per worker: a list through SocketState::next_in_session
  // costs no allocation.
  SocketState* sockets = nullptr;
  std::vector<std::function<void()>> waiters;  // handshakes answered once confirmed
};

// A #subscribe answered once the broker confirmed the channel's subscription.
struct SubWaiter {
  uint64_t serial;
  std::string cid;
};

// A channel some local socket or server-side handler wants.
struct Channel {
  int broker = 0;          // index in WorkerState::brokers
  bool confirmed = false;  // the broker confirmed our SUBSCRIBE on its current connection
  std::unordered_set<SocketState*> sockets;
  std::vector<std::pair<uint64_t, Exchange::HandlerFn>> handlers;
  std::vector<SubWaiter> waiters;
};

// --trust-proxy: the worker's own listener (proxy_accept.cpp), which reads the PROXY header a
// connection may begin with and hands the socket to lws.  ProxyConns are owned here.
struct ProxyConn;
struct ProxyAcceptor {
  int fd = -1;  // listening socket (-1: none)
  ev_io io;
  ev_timer pause;                        // after EMFILE/ENFILE accepting resumes in 100 ms
  std::unordered_set<ProxyConn*> conns;  // accepted, header not read yet
};

struct WorkerState {
  Worker* owner = nullptr;
  Options opt;
  std::string auth_key;
  struct ev_loop* loop = nullptr;
  LwsContextPtr ctx;
  ev_signal sigint, sigterm;
  // Stopping (SIGTERM/SIGINT): every socket was asked to close with 1001; the loop ends when
  // none is left or at drain_deadline.  Under a master: our id, and the fd that tells it we
  // listen (master.h).
  bool stopping = false;
  double drain_deadline = 0;
  ev_timer drain_timer;
  int worker_id = 0;
  int ready_fd = -1;
  std::unique_ptr<SharedListener> shared_listener;  // --reuseport only (shared_listener.h)
  void begin_drain();
  lws_protocols protocols[2];
  std::unordered_map<std::string, ProcedureFn> procs;
  std::unordered_map<std::string, ReceiverFn> receivers;
  std::function<void(Action&)> middleware[size_t(Middleware::Count_)];
  std::function<void(Socket&)> on_connection;
  std::function<void(Socket&, int, std::string_view)> on_disconnect;
  std::unordered_map<uint64_t, SocketState*> sockets;
  // Limits (limits.cpp, proxy_accept.cpp).
  std::unordered_map<std::string, uint32_t> address_sockets;  // open WebSockets per address
  std::vector<std::string> proxied_address;  // by fd: the PROXY header's source ("" none)
  ProxyAcceptor acceptor;                    // --trust-proxy: our own listener
  uint64_t next_serial = 1;
  uint64_t id_seed = 0;
  std::vector<proto::Packet> packets;  // reused for each frame

  // pub/sub (pubsub.cpp)
  Exchange exchange;
  std::vector<std::unique_ptr<BrokerLink>> brokers;
  std::unordered_map<std::string, Channel> channels;
  std::unordered_map<uint64_t, std::string> handler_channel;  // Exchange::subscribe ids
  uint64_t next_handler_id = 1;
  bool pubsub_init(std::string* error);
  int broker_of(std::string_view channel) const;
  Channel& want_channel(const std::string& channel);
  void maybe_release(const std::string& channel);
  void on_broker_message(int broker, std::string_view bchannel, std::string_view payload);
  void on_broker_confirmed(int broker, std::string_view bchannel);
  void on_sub_up(int broker);
  void on_sub_down(int broker);
  void client_subscribe(SocketState* s, proto::Packet& p, bool invoke);
  void client_unsubscribe(SocketState* s, proto::Packet& p, bool invoke);
  void client_publish(SocketState* s, proto::Packet& p, bool invoke);
  bool unsubscribe_socket(SocketState* s, const std::string& channel);  // false: not subscribed
  void release_socket_channels(SocketState* s);
  void kick_out(SocketState* s, std::string_view channel, const Json& message);
  void publish(std::string_view channel, std::string_view data, Exchange::DoneFn done);
  void queue_shared(SocketState* s, std::shared_ptr<std::string> frame);
  void error_response(SocketState* s, std::string_view cid, const Error& e);
  // Answers an invoke (not a transmit) of s with InvalidActionError `message`.
  void refuse_action(SocketState* s, proto::Packet& p, bool invoke, const char* message);
  // The Subscribe or PublishIn middleware on `data` for `channel`, from packet p of s.  Allowed:
  // true, *rewritten (when not null) the data handed on.  Blocked: an invoke is answered, false.
  bool channel_middleware(Middleware type, SocketState* s, proto::Packet& p, bool invoke,
                          const std::string& channel, std::string_view data, Json* rewritten);

  // sessions (sessions.cpp)
  Global global;
  std::unordered_map<std::string, LocalSession> sessions;
  ev_timer session_timer;  // one keep-alive tick for every local session
  int broadcast_broker = 0;
  std::function<void(std::string_view)> on_session_destroy;  // subscribes to expired events
  void session_ended(std::string_view sid);                  // the SET NX race, then the hook
  void sessions_init();
  void sessions_stop();
  // The request's sid: its cookie, else (upgrades: from_query) the query parameter, else a new
  // one; *set_cookie when the response must set the cookie (a new id).  Empty: no entropy.
  std::string pick_sid(lws* wsi, bool from_query, bool* set_cookie);
  bool secure_request(lws* wsi);
  int broker_of_key(std::string_view key) const;
  // Adds s to its session; `ready` runs once the session channel's subscription is confirmed
  // (at once when it is, or when the broker is down: it is resubscribed when back).
  void session_attach(SocketState* s, std::function<void()> ready);
  void session_confirmed(int broker, std::string_view bchannel);
  void session_sub_down(int broker);
  void session_detach(SocketState* s);
  void session_resubscribe(int broker);
  bool session_message(int broker, std::string_view bchannel, std::string_view payload);
  void session_command(std::string_view sid, std::vector<std::string> argv,
                       BrokerLink::ReplyFn done);
  void session_publish(std::string_view bchannel, std::string_view event, std::string_view data,
                       Session::DoneFn done);
  static void on_session_timer(struct ev_loop* loop, ev_timer* t, int revents);

  // limits (limits.cpp, proxy_accept.cpp)
  std::string client_address(lws* wsi);  // see --trust-proxy
  bool address_full(const std::string& address) const;
  void count_address(SocketState* s, int delta);
  bool outbound_over(SocketState* s, size_t add);  // true: closed 1013, do not queue
  bool proxy_listen(std::string* error);
  void proxy_stop();
  // HTTP on the WebSocket port and the --origins check (http.cpp)
  Metrics metrics;
  http::Origins origins;
  std::string public_root;  // realpath of --public (empty: no files served)
  std::string bundle_file;  // realpath of the socketcluster-client bundle (empty: 404)
  double started = 0;       // ev_time() at start, for /health's uptime
  bool http_init(std::string* error);
  bool origin_ok(lws* wsi);  // false: refused, 403 sent
  int on_http(lws* wsi, std::string_view uri);
  std::string health_json() const;
  std::string metrics_text() const;

  // lws glue (worker.cpp)
  static int lws_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);
  bool init(std::string* error);
  void stop();

  // socket lifecycle and protocol (socket.cpp)
  SocketState* open_socket(lws* wsi, WsSlot* slot);  // constructs it in slot->state
  void close_socket(SocketState* s);
  void on_frame(SocketState* s, std::string_view frame);
  void on_packet(SocketState* s, proto::Packet& p);
  void handshake(SocketState* s, proto::Packet& p);
  void authenticate(SocketState* s, proto::Packet& p);
  void on_writeable(SocketState* s);
  // Bytes of frames one writeable callback hands to lws at most (one send), and the buffer
  // it gathers several frames in.  protocols[0].tx_packet_size is set to it too: lws sends
  // at most that much in one call (by default rx_buffer_size, which would cut a batch up).
  static constexpr size_t kWriteBatch = 64 * 1024;
  std::string wbuf;
  void schedule(SocketState* s);
  static void on_timer(struct ev_loop* loop, ev_timer* t, int revents);

  void queue(SocketState* s, std::string frame);  // frame starts with LWS_PRE spare bytes
  void request_close(SocketState* s, int code, std::string_view reason);
  void send_transmit(SocketState* s, std::string_view event, std::string_view data);
  void respond(uint64_t serial, std::string_view cid, std::string_view data, bool is_error);
  void deauthenticate(SocketState* s, bool tell_client);
  void check_expiry(SocketState* s);
  // Runs a middleware point; true when allowed.  Blocked: *err is the error to report.
  bool run_middleware(Action& a, Error* err);
  // An Action of `type` for socket s (its handle and remote address set).
  Action socket_action(Middleware type, SocketState* s);
  // The Authenticate middleware on a token verified for s (its claims); true when allowed.
  bool allow_token(SocketState* s, const std::string& claims, Error* err);
  void fill_request(Request* r, SocketState* s, std::string_view cid, std::string procedure,
                    std::string_view data);
};

// close_code of a connection that failed (RFC 6455 forbids sending 1006): closed with no frame.
constexpr int kCloseAbnormal = 1006;

// A frame buffer with the LWS_PRE bytes lws writes its header into.
inline std::string frame_buffer() { return std::string(LWS_PRE, '\0'); }

}  // namespace sc
