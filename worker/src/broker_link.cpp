// BrokerLink (see broker_link.h): hiredis 0.14 async contexts on the worker's libev loop.
#include "broker_link.h"

extern "C" {
#include <hiredis/adapters/libev.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
}

#include <unistd.h>

#include <cstring>

#include "consistent_hash.h"
#include "log.h"

namespace sc {

BrokerLink::BrokerLink(struct ev_loop* loop, std::string host, int port, std::string password,
                       Events ev)
    : loop_(loop),
      host_(std::move(host)),
      port_(port),
      password_(std::move(password)),
      ev_(std::move(ev)) {
  name_ = host_ + ":" + std::to_string(port_);
  for (Conn* c : {&sub_, &cmd_}) {
    c->link = this;
    ev_init(&c->retry, &BrokerLink::on_retry);
    c->retry.data = c;
  }
  sub_.is_sub = true;
}

BrokerLink::~BrokerLink() {
  stopping_ = true;
  for (Conn* c : {&sub_, &cmd_}) {
    ev_timer_stop(loop_, &c->retry);
    if (redisAsyncContext* ac = c->ac) {
      c->ac = nullptr;
      redisAsyncFree(ac);  // pending callbacks run now, with no reply
    }
  }
}

void BrokerLink::start() {
  connect(&sub_);
  connect(&cmd_);
}

BrokerLink::Conn* BrokerLink::conn_of(const redisAsyncContext* ac) {
  return static_cast<Conn*>(ac->data);
}

void BrokerLink::connect(Conn* c) {
  if (stopping_) return;
  redisAsyncContext* ac = redisAsyncConnect(host_.c_str(), port_);
  if (!ac) {
    lost(c, "out of memory");
    return;
  }
  if (ac->err) {
    std::string why = ac->errstr;
    redisAsyncFree(ac);
    lost(c, why.c_str());
    return;
  }
  ac->data = c;
  redisLibevAttach(loop_, ac);
  redisAsyncSetConnectCallback(ac, &BrokerLink::on_connect);
  redisAsyncSetDisconnectCallback(ac, &BrokerLink::on_disconnect);
  c->ac = ac;
  c->state = State::Connecting;
  // A command must be queued for hiredis to watch the socket and notice the connect.
  if (!password_.empty()) {
    const char* argv[2] = {"AUTH", password_.data()};
    size_t lens[2] = {4, password_.size()};
    redisAsyncCommandArgv(ac, &BrokerLink::on_auth, c, 2, argv, lens);
  }
  redisAsyncCommand(ac, &BrokerLink::on_ping, c, "PING");
}

void BrokerLink::lost(Conn* c, const char* why) {
  bool was_up = c->state == State::Up;
  c->state = State::Down;
  if (stopping_) return;
  if (!c->reported) {
    SC_LOG(Warning, "broker %s: %s connection %s: %s; retrying", name_.c_str(),
           c->is_sub ? "subscription" : "command", was_up ? "lost" : "failed", why);
    c->reported = true;
  } else {
    SC_LOG(Verbose, "broker %s: %s connection failed: %s", name_.c_str(),
           c->is_sub ? "subscription" : "command", why);
  }
  if (c->is_sub) {
    pending_subs_.clear();
    if (was_up && ev_.sub_down) ev_.sub_down();
  }
  c->backoff = c->backoff <= 0 ? 0.1 : std::min(c->backoff * 2, 2.0);
  // Jitter of +-20 %, different in every process, so workers do not retry in step.
  uint64_t r = mix64((uint64_t(getpid()) << 32) ^ ++c->attempts ^ reinterpret_cast<uintptr_t>(c));
  double wait = c->backoff * (0.8 + 0.4 * double(r >> 11) / double(1ull << 53));
  ev_timer_stop(loop_, &c->retry);
  ev_timer_set(&c->retry, wait, 0.);
  ev_timer_start(loop_, &c->retry);
}

void BrokerLink::on_retry(struct ev_loop*, ev_timer* t, int) {
  auto* c = static_cast<Conn*>(t->data);
  if (!c->ac) c->link->connect(c);
}

void BrokerLink::on_connect(const redisAsyncContext* ac, int status) {
  Conn* c = conn_of(ac);
  if (!c || c->ac != ac) return;
  if (status != REDIS_OK) {
    c->ac = nullptr;  // hiredis frees it after this callback
    c->link->lost(c, ac->errstr[0] ? ac->errstr : "connect failed");
    return;
  }
  redisEnableKeepAlive(const_cast<redisContext*>(&ac->c));
}

void BrokerLink::on_disconnect(const redisAsyncContext* ac, int) {
  Conn* c = conn_of(ac);
  if (!c || c->ac != ac) return;
  c->ac = nullptr;  // hiredis frees it after this callback
  c->link->lost(c, ac->errstr[0] ? ac->errstr : "connection closed");
}

void BrokerLink::on_auth(redisAsyncContext* ac, void* r, void* priv) {
  auto* c = static_cast<Conn*>(priv);
  auto* reply = static_cast<redisReply*>(r);
  if (!reply || c->ac != ac) return;
  // A refusal is logged; the PING after it decides whether the connection is usable (a broker
  // without a password answers AUTH with an error and PING with PONG).
  if (reply->type == REDIS_REPLY_ERROR && !c->reported)
    SC_LOG(Warning, "broker %s: AUTH refused: %s", c->link->name_.c_str(), reply->str);
}

void BrokerLink::on_ping(redisAsyncContext* ac, void* r, void* priv) {
  auto* c = static_cast<Conn*>(priv);
  auto* reply = static_cast<redisReply*>(r);
  if (!reply || c->ac != ac) return;
  BrokerLink* l = c->link;
  if (reply->type != REDIS_REPLY_STATUS || std::strcmp(reply->str, "PONG") != 0) {
    if (!c->reported) {
      SC_LOG(Warning, "broker %s: PING answered %s; retrying", l->name_.c_str(),
             reply->type == REDIS_REPLY_ERROR ? reply->str : "something else than PONG");
      c->reported = true;
    }
    redisAsyncDisconnect(ac);  // on_disconnect retries
    return;
  }
  c->state = State::Up;
  c->backoff = 0;
  if (c->reported) {
    SC_LOG(Notice, "broker %s: %s connection is back", l->name_.c_str(),
           c->is_sub ? "subscription" : "command");
    c->reported = false;
  } else {
    SC_LOG(Verbose, "broker %s: %s connection up", l->name_.c_str(),
           c->is_sub ? "subscription" : "command");
  }
  if (c->is_sub && l->ev_.sub_up) l->ev_.sub_up();
}

void BrokerLink::subscribe(std::string_view channel) {
  if (sub_.state != State::Up) return;
  const char* argv[2] = {"SUBSCRIBE", channel.data()};
  size_t lens[2] = {9, channel.size()};
  if (redisAsyncCommandArgv(sub_.ac, &BrokerLink::on_sub_reply, &sub_, 2, argv, lens) == REDIS_OK)
    pending_subs_[std::string(channel)]++;
}

void BrokerLink::unsubscribe(std::string_view channel) {
  if (sub_.state != State::Up) return;
  const char* argv[2] = {"UNSUBSCRIBE", channel.data()};
  size_t lens[2] = {11, channel.size()};
  redisAsyncCommandArgv(sub_.ac, &BrokerLink::on_sub_reply, &sub_, 2, argv, lens);
}

void BrokerLink::on_sub_reply(redisAsyncContext* ac, void* r, void* priv) {
  auto* c = static_cast<Conn*>(priv);
  auto* reply = static_cast<redisReply*>(r);
  if (!reply || c->ac != ac) return;
  BrokerLink* l = c->link;
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3 ||
      reply->element[0]->type != REDIS_REPLY_STRING ||
      reply->element[1]->type != REDIS_REPLY_STRING)
    return;
  std::string_view kind(reply->element[0]->str, reply->element[0]->len);
  std::string_view channel(reply->element[1]->str, reply->element[1]->len);
  if (kind == "message") {
    const redisReply* p = reply->element[2];
    if (p->type == REDIS_REPLY_STRING && l->ev_.message)
      l->ev_.message(channel, std::string_view(p->str, p->len));
  } else if (kind == "subscribe") {
    auto it = l->pending_subs_.find(std::string(channel));
    if (it == l->pending_subs_.end()) return;
    if (--it->second > 0) return;
    l->pending_subs_.erase(it);
    if (l->ev_.confirmed) l->ev_.confirmed(channel);
  }
}

void BrokerLink::publish(std::string_view channel, std::string_view payload, DoneFn done) {
  if (cmd_.state != State::Up) {
    done("broker " + name_ + " is unavailable");
    return;
  }
  if (inflight_bytes_ + payload.size() > kMaxInflightBytes) {
    done("broker " + name_ + " has too many publications in flight");
    return;
  }
  auto* op = new PublishOp{this, cmd_.ac, payload.size(), std::move(done)};
  const char* argv[3] = {"PUBLISH", channel.data(), payload.data()};
  size_t lens[3] = {7, channel.size(), payload.size()};
  if (redisAsyncCommandArgv(cmd_.ac, &BrokerLink::on_publish, op, 3, argv, lens) != REDIS_OK) {
    DoneFn d = std::move(op->done);
    delete op;
    d("broker " + name_ + " refused the command");
    return;
  }
  inflight_bytes_ += payload.size();
}

void BrokerLink::on_publish(redisAsyncContext*, void* r, void* priv) {
  auto* op = static_cast<PublishOp*>(priv);
  auto* reply = static_cast<redisReply*>(r);
  BrokerLink* l = op->link;
  l->inflight_bytes_ -= op->bytes;
  DoneFn done = std::move(op->done);
  delete op;
  if (!reply)
    done(l->stopping_ ? "the worker is stopping" : "connection to broker " + l->name_ + " lost");
  else if (reply->type == REDIS_REPLY_ERROR)
    done("broker " + l->name_ + ": " + std::string(reply->str, reply->len));
  else
    done(std::string());
}

void BrokerLink::command(const std::vector<std::string>& argv, ReplyFn done) {
  if (cmd_.state != State::Up) {
    if (done) done("broker " + name_ + " is unavailable", Reply());
    return;
  }
  std::vector<const char*> args;
  std::vector<size_t> lens;
  for (auto& a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* op = new CommandOp{this, std::move(done)};
  if (redisAsyncCommandArgv(cmd_.ac, &BrokerLink::on_command, op, int(args.size()), args.data(),
                            lens.data()) != REDIS_OK) {
    ReplyFn d = std::move(op->done);
    delete op;
    if (d) d("broker " + name_ + " refused the command", Reply());
  }
}

void BrokerLink::on_command(redisAsyncContext*, void* r, void* priv) {
  auto* op = static_cast<CommandOp*>(priv);
  auto* reply = static_cast<redisReply*>(r);
  BrokerLink* l = op->link;
  ReplyFn done = std::move(op->done);
  delete op;
  if (!done) return;
  Reply out;
  if (!reply) {
    done(l->stopping_ ? "the worker is stopping" : "connection to broker " + l->name_ + " lost",
         out);
    return;
  }
  switch (reply->type) {
    case REDIS_REPLY_ERROR:
      done("broker " + l->name_ + ": " + std::string(reply->str, reply->len), out);
      return;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      out.nil = false;
      out.str.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.nil = false;
      out.integer = reply->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.nil = false;
      for (size_t i = 0; i < reply->elements; i++) {
        const redisReply* e = reply->element[i];
        out.items.emplace_back(e->type == REDIS_REPLY_STRING ? std::string(e->str, e->len)
                                                             : std::string());
      }
      break;
    default:
      break;
  }
  done(std::string(), out);
}

}  // namespace sc
