// The worker's client of one broker (sc-broker, Redis or Valkey): two hiredis async connections
// on the worker's libev loop (hiredis's libev adapter), one for SUBSCRIBE / UNSUBSCRIBE and the
// messages they bring, one for commands (PUBLISH).  Why two: in RESP2 a subscribed connection
// accepts only subscription commands.  Only commands stock Redis 7 has are sent (AUTH, PING,
// SUBSCRIBE, UNSUBSCRIBE, PUBLISH), so --brokers may name a real Redis.
//
// Contract:
// - A connection is "up" once the broker answered PING with PONG (after AUTH when a password is
//   set), so a refused AUTH counts as down.  A connection that fails or drops is retried with
//   exponential back-off (100 ms doubling to 2 s, with jitter); failures are logged once per
//   outage, recovery once.
// - The owner (the pub/sub table, pubsub.cpp) is told through Events: sub_up() each time the
//   subscription connection comes up (it must SUBSCRIBE everything it wants again: a new
//   connection has no subscriptions), sub_down(), confirmed(channel) when the broker confirmed
//   the last SUBSCRIBE sent for that channel on this connection, message(channel, payload).
// - publish() calls done exactly once: with an empty string once the broker answered, else with
//   the reason (not connected, a broker error reply, the connection lost, too much in flight).
// - hiredis owns its contexts (we never wrap them); a context pointer is forgotten in the
//   callback that tells it is going away, and every reply callback checks that the context it
//   came from is still the current one.  The destructor frees both contexts; their pending
//   publish callbacks then run with "the worker is stopping".
#pragma once
#include <ev.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct redisAsyncContext;

namespace sc {

class BrokerLink {
 public:
  struct Events {
    std::function<void()> sub_up;
    std::function<void()> sub_down;
    std::function<void(std::string_view channel)> confirmed;
    std::function<void(std::string_view channel, std::string_view payload)> message;
  };
  using DoneFn = std::function<void(const std::string& error)>;

  BrokerLink(struct ev_loop* loop, std::string host, int port, std::string password, Events ev);
  ~BrokerLink();
  BrokerLink(const BrokerLink&) = delete;
  BrokerLink& operator=(const BrokerLink&) = delete;

  void start();  // connects both (asynchronously)

  // Subscription commands; ignored while the subscription connection is not up (sub_up()
  // is the moment to send them).
  void subscribe(std::string_view channel);
  void unsubscribe(std::string_view channel);
  bool sub_up() const { return sub_.state == State::Up; }
  bool cmd_up() const { return cmd_.state == State::Up; }

  void publish(std::string_view channel, std::string_view payload, DoneFn done);

  // Any other command on the command connection (sessions: HSET, HGET, HGETALL, HDEL, EXPIRE,
  // DEL), pipelined: hiredis writes every queued command in one go.  done (may be empty) runs
  // exactly once: an empty error and the reply, or the reason (not connected, the broker's
  // error reply, the connection lost).
  struct Reply {
    bool nil = true;                 // nil bulk or array (HGET of a missing field)
    long long integer = 0;           // integer replies
    std::string str;                 // bulk or status replies
    std::vector<std::string> items;  // arrays of bulk strings (HGETALL: field, value, ...)
  };
  using ReplyFn = std::function<void(const std::string& error, const Reply& reply)>;
  void command(const std::vector<std::string>& argv, ReplyFn done);

  const std::string& name() const { return name_; }  // "host:port"

  // Bytes of PUBLISH payloads sent and not yet answered, and the bound past which publish()
  // fails at once (a broker that stops reading must not grow the worker's memory).
  size_t inflight_bytes() const { return inflight_bytes_; }
  static constexpr size_t kMaxInflightBytes = 64u << 20;

 private:
  enum class State { Down, Connecting, Up };
  struct Conn {
    BrokerLink* link = nullptr;
    bool is_sub = false;
    redisAsyncContext* ac = nullptr;  // owned by hiredis
    State state = State::Down;
    ev_timer retry;
    double backoff = 0;     // seconds of the next wait
    bool reported = false;  // the current outage was logged
    uint64_t attempts = 0;  // connects tried (seeds the jitter)
  };
  struct PublishOp {
    BrokerLink* link;
    redisAsyncContext* ac;
    size_t bytes;
    DoneFn done;
  };

  void connect(Conn* c);
  void lost(Conn* c, const char* why);
  static void on_retry(struct ev_loop* loop, ev_timer* t, int revents);
  static void on_connect(const redisAsyncContext* ac, int status);
  static void on_disconnect(const redisAsyncContext* ac, int status);
  static void on_ping(redisAsyncContext* ac, void* reply, void* priv);
  static void on_auth(redisAsyncContext* ac, void* reply, void* priv);
  static void on_sub_reply(redisAsyncContext* ac, void* reply, void* priv);
  static void on_publish(redisAsyncContext* ac, void* reply, void* priv);
  static void on_command(redisAsyncContext* ac, void* reply, void* priv);
  struct CommandOp {
    BrokerLink* link;
    ReplyFn done;
  };
  static Conn* conn_of(const redisAsyncContext* ac);

  struct ev_loop* loop_;
  std::string host_;
  int port_;
  std::string password_;
  std::string name_;
  Events ev_;
  Conn sub_, cmd_;
  bool stopping_ = false;
  size_t inflight_bytes_ = 0;
  // SUBSCRIBEs sent on the current subscription connection and not yet confirmed, per channel.
  std::unordered_map<std::string, int> pending_subs_;
};

}  // namespace sc
