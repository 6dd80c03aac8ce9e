// The worker toolkit: an app registers procedures, receivers and middleware on an sc::Worker,
// and the worker speaks the SocketCluster protocol (v2, or v1 with --protocol-version 1) to the
// unchanged socketcluster-client over libwebsockets, on one libev loop, with no thread.
//
//   sc::Options opt;  std::string err;
//   switch (sc::Options::load(argc, argv, &opt, &err)) { ... }          // flags + SCLUSTER_* env
//   sc::Worker w(opt);
//   w.procedure("echo", [](sc::Socket&, sc::Request& r) { r.end(r.data()); });
//   w.receiver("ping", [](sc::Socket& s, const sc::Json& d) { s.transmit("pong", d); });
//   w.set_middleware(sc::Middleware::Invoke, [](sc::Action& a) { a.allow(); });
//   return w.run();                                                      // exit code
//
// Contract:
// - Everything runs on the worker's loop thread; no call is safe from another thread.
// - A Socket is owned by the worker and lives from its #handshake to its close: callbacks get
//   it by reference and must not keep the reference past their return.  To answer later, keep
//   the Request (a copyable handle) or the socket's serial() and look it up with
//   Worker::find(); both become no-ops once the socket is gone.
// - A callback the app hands to a socket (Socket::invoke, Socket::on) is destroyed with the
//   socket; a pending invoke's callback is called exactly once (response, error, TimeoutError
//   after ackTimeout, or BadConnectionError when the socket closes).
// - Middleware is synchronous: the function calls allow() or block() before it returns; an
//   action left undecided is allowed.
// - Packets of one socket are handled in order, one frame parsed once.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scluster/types.h"

struct ev_loop;

namespace sc {

class Worker;
class Socket;
class Exchange;
class Session;
class Global;
struct WorkerState;
struct SocketState;

// Settings of a worker, from flags and SCLUSTER_* environment variables (one table; --help).
struct Options {
  int port = 8000;
  std::string host;  // empty: every address
  std::string path = "/socketcluster/";
  int protocol_version = 2;
  int ping_interval_ms = 8000;
  int ping_timeout_ms = 30000;
  int handshake_timeout_ms = 10000;
  int ack_timeout_ms = 10000;
  std::string auth_key_file;            // empty: a random key per process
  int64_t auth_default_expiry = 86400;  // seconds
  size_t max_payload = 100u << 20;      // bytes of one message; over it: close 1009
  size_t rx_buffer_size = 512;          // lws read chunk per socket (idle memory)
  // Pub/sub through the brokers (sc-broker, Redis or Valkey): channel C is broker channel
  // sc:ch:<C> on the broker that the consistent hash of "sc:ch:<C>" picks in this list.
  std::vector<std::string> brokers = {"127.0.0.1:6380"};  // host:port, in order
  std::string broker_password;                            // AUTH before anything else (empty: none)
  bool allow_client_publish = true;    // false: client #publish → InvalidActionError
  size_t socket_channel_limit = 1000;  // channels per socket (0: no limit)
  // HTTP on the WebSocket port (docs/worker.md, HTTP).
  std::string public_dir;       // served at / (empty: no files)
  std::string client_bundle;    // empty: share/scluster/socketcluster-client.min.js by the binary
  std::string origins = "*:*";  // host:port patterns the upgrade's Origin must match (else 403)
  std::string log_level = "notice";
  std::string logfile;
  // Limits (docs/worker.md, Limits).
  size_t address_socket_limit = 0;          // WebSockets per client address (0: no limit)
  bool trust_proxy = false;                 // client address from PROXY header / X-Forwarded-For
  size_t outbound_queue_limit = 16u << 20;  // bytes queued for one socket; over it: close 1013
  int upgrade_timeout_s = 10;               // an HTTP request / upgrade must complete within this
  // The master (docs/worker.md "Worker processes").
  int workers = 0;                 // > 0: a master forks this many workers (ports port+id)
  bool reuseport = false;          // every worker on `port` (SO_REUSEPORT)
  int shutdown_timeout_ms = 5000;  // SIGTERM: how long clients get to take their 1001 close
  // Sessions (docs/worker.md "Sessions"): the cookie (and query parameter) naming a session,
  // and how long its data lives in the broker after the last socket of it left.
  std::string session_cookie = "sid";
  int session_timeout_s = 1200;

  enum class Status { Ok, Exit0, Error };
  // Defaults, then SCLUSTER_<NAME> variables, then flags.  Exit0 after --help (printed).
  static Status load(int argc, char** argv, Options* out, std::string* error,
                     const char* program = "sc-worker");
  static std::string help(const char* program);
  // For main(): load(), with an error printed to stderr as "<program>: <error> (try --help)".
  // Returns the exit code to leave main() with (0 after --help, 2 for a bad option), or
  // nothing when the app should go on:  if (auto rc = sc::Options::from_main(...)) return *rc;
  static std::optional<int> from_main(int argc, char** argv, Options* out, const char* program);
};

// An invoke being answered.  Copyable; answering twice, or after the socket closed, does
// nothing.
class Request {
 public:
  const std::string& procedure() const { return procedure_; }
  const Json& data() const { return data_; }
  uint64_t socket_serial() const { return serial_; }
  void end(const Json& data = Json());  // {"rid":cid,"data":data}
  void error(const Error& e);           // {"rid":cid,"error":{...}}
  bool answered() const { return *answered_; }

 private:
  friend struct WorkerState;
  WorkerState* w_ = nullptr;
  uint64_t serial_ = 0;
  std::string cid_;
  std::string procedure_;
  Json data_;
  std::shared_ptr<bool> answered_ = std::make_shared<bool>(false);
};

using InvokeCallback = std::function<void(const Error* error, const Json& data)>;
using ProcedureFn = std::function<void(Socket&, Request&)>;
using ReceiverFn = std::function<void(Socket&, const Json&)>;

class Socket {
 public:
  const std::string& id() const;  // the handshake's id (20 characters)
  const std::string& remote_address() const;
  uint64_t serial() const;  // unique in this process, never reused

  // Server → client packets.  After disconnect() they are dropped.
  void transmit(std::string_view event, const Json& data = Json());
  void invoke(std::string_view event, const Json& data, InvokeCallback cb);

  // Auth: the token's payload (an object) is signed with iat and exp added and sent to the
  // client as #setAuthToken.  False when the payload is not an object.
  bool set_auth_token(const Json& payload);
  const Json& auth_token() const;  // the verified payload, absent when none
  bool authenticated() const;
  void deauthenticate();  // forget it and tell the client (#removeAuthToken)

  // Sends what is queued, then closes with `code` and `reason` (SocketCluster's socket.disconnect).
  void disconnect(int code = close_code::kNormal, std::string_view reason = "");

  // Per-socket procedures and receivers; they take precedence over the worker's.
  void on(std::string_view name, ProcedureFn fn);
  void on(std::string_view name, ReceiverFn fn);

  // Channels this socket is subscribed to (through #subscribe).
  std::vector<std::string> subscriptions() const;
  bool is_subscribed(std::string_view channel) const;
  // Sends #kickOut {channel, message} and unsubscribes the socket from `channel` (an empty
  // channel: from every channel it has), as SocketCluster's socket.kickOut.
  void kick_out(std::string_view channel, const Json& message = Json());

  Worker& worker();
  Exchange& exchange();
  // The session this socket belongs to (its sid: the cookie, the query parameter, or new).
  Session session();

 private:
  friend struct WorkerState;
  friend struct SocketState;
  explicit Socket(SocketState* st) : st_(st) {}
  SocketState* st_;
};

// A middleware action: the app inspects it and calls allow() or block().
class Action {
 public:
  Middleware type() const { return type_; }
  Socket* socket() const { return socket_; }       // null in HandshakeWS
  std::string_view name() const { return name_; }  // procedure / receiver name
  // Subscribe / PublishIn / PublishOut: the channel.  data() is then the subscription data
  // (Subscribe) or the publication's data (PublishIn, PublishOut: once per recipient).
  std::string_view channel() const { return channel_; }
  const Json& data() const { return data_; }  // Invoke/Transmit data, auth payload
  std::string_view remote_address() const { return remote_; }
  std::string_view path() const { return path_; }      // HandshakeWS: the request URI
  std::string_view origin() const { return origin_; }  // HandshakeWS: the Origin header

  void allow() { state_ = State::Allowed; }
  void allow(Json data) {  // rewrite the data handed on
    data_ = std::move(data);
    state_ = State::Allowed;
  }
  void block() { state_ = State::BlockedSilent; }  // SilentMiddlewareBlockedError
  void block(Error e) {
    error_ = std::move(e);
    state_ = State::Blocked;
  }

 private:
  friend struct WorkerState;
  enum class State { Pending, Allowed, Blocked, BlockedSilent };
  Middleware type_ = Middleware::Invoke;
  Socket* socket_ = nullptr;
  std::string_view name_, remote_, path_, origin_, channel_;
  Json data_;
  State state_ = State::Pending;
  Error error_;
};

// Publish and subscribe from server code, across every worker sharing the brokers.
// Publications reach the sockets subscribed to the channel on every worker (PublishOut
// middleware applies) and the server-side handlers of every worker.
class Exchange {
 public:
  using DoneFn = std::function<void(const Error* error)>;  // null: the broker took it
  using HandlerFn = std::function<void(std::string_view channel, const Json& data)>;

  // Publishes `data` (absent allowed) on `channel`.  done runs once, on the loop: with null
  // once the broker accepted the publication, or with a BrokerError (broker unavailable,
  // connection lost, too much in flight).
  void publish(std::string_view channel, const Json& data, DoneFn done = {});
  // Calls handler for every publication on `channel` until unsubscribe(id).  Returns the id.
  uint64_t subscribe(std::string_view channel, HandlerFn handler);
  void unsubscribe(uint64_t id);
  // True when the broker that holds `channel` is connected (both of its connections).
  bool broker_up(std::string_view channel) const;

 private:
  friend struct WorkerState;
  friend class Worker;
  WorkerState* w_ = nullptr;
};

// A session's data in the broker (hash sc:sess:<sid>, one field per name, values JSON text)
// and its emits (broker channel sc:sess:<sid>).  A copyable handle; it stays usable after the
// socket it came from closed.  Every callback runs once, on the loop; an error is a
// BrokerError (broker unavailable, connection lost).
class Session {
 public:
  using DoneFn = std::function<void(const Error* error)>;
  using ValueFn = std::function<void(const Error* error, const Json& value)>;

  const std::string& id() const { return sid_; }
  // done once the broker has it.  The TTL restarts at --session-timeout.
  void set(std::string_view name, const Json& value, DoneFn done = {});
  void get(std::string_view name, ValueFn cb);  // value absent when the name is not set
  void get_all(ValueFn cb);                     // an object of every name (empty: {})
  void remove(std::string_view name, DoneFn done = {});
  // Transmits `event` with `data` to every socket of this session on every worker, in the
  // order emitted.  done once the broker took the publication.
  void emit(std::string_view event, const Json& data = Json(), DoneFn done = {});
  // Deletes the hash (done once the broker did), transmits `sessiondestroy` (data: the sid) to
  // every socket of the session still attached on any worker, and runs the cluster's
  // on_session_destroy once.
  void destroy(DoneFn done = {});

 private:
  friend struct WorkerState;
  friend class Socket;
  friend class Global;
  WorkerState* w_ = nullptr;
  std::string sid_;
};

// Server code outside a socket: any session by id, and every socket of the cluster.
class Global {
 public:
  Session session(std::string_view sid);  // sid is not checked: the app's own ids
  void emit(std::string_view sid, std::string_view event, const Json& data = Json(),
            Session::DoneFn done = {});
  // Every socket of every worker sharing the brokers gets `event` once (channel sc:broadcast).
  void broadcast(std::string_view event, const Json& data = Json(), Session::DoneFn done = {});

 private:
  friend class Worker;
  friend struct WorkerState;
  WorkerState* w_ = nullptr;
};

class Worker {
 public:
  explicit Worker(const Options& options);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void procedure(std::string_view name, ProcedureFn fn);
  void receiver(std::string_view name, ReceiverFn fn);
  void set_middleware(Middleware point, std::function<void(Action&)> fn);
  void on_connection(std::function<void(Socket&)> fn);  // after a successful #handshake
  void on_disconnect(std::function<void(Socket&, int code, std::string_view reason)> fn);
  // Runs once in the cluster (on one worker) when a session ends: its hash expired (the
  // broker's keyspace event, `notify-keyspace-events Ex` on Redis) or Session::destroy().
  // The worker that wins SET sc:sess:<sid>:end 1 NX EX 60 runs it.  Register before run().
  void on_session_destroy(std::function<void(std::string_view sid)> fn);

  // Listens and runs the loop until SIGINT/SIGTERM or stop(), then closes every socket
  // (on_disconnect and pending invoke callbacks run before it returns).  The process exit
  // code: 0 stopped, 1 could not listen / set up (logged).  SIGTERM/SIGINT first close every
  // client with 1001 (going away), waiting up to --shutdown-timeout for them to go.
  // With --workers N > 0 the calling process becomes the master (master.h): run() forks the
  // workers, each of which returns from run() as a worker would; the master returns once
  // every worker is gone, with the master's exit code.  Register everything before run().
  int run();
  void stop();

  Socket* find(uint64_t serial);
  Exchange& exchange();
  Global& global();
  const Options& options() const;
  struct ev_loop* loop();
  // This worker's id under a master, 0..workers-1 (0 without one); also in the environment
  // as SCLUSTER_WORKER_ID, with SCLUSTER_WORKER_COUNT.  Valid from inside run().
  int id() const;

 private:
  std::unique_ptr<WorkerState> st_;
};

}  // namespace sc
