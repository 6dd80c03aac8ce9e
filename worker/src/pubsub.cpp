// Pub/sub through the brokers (sc-protocol.md §9, design.md §4 Channels): #subscribe,
// #unsubscribe, #publish, #kickOut, and sc::Exchange.  Channel C is broker channel sc:ch:<C> on
// the broker the jump hash of "sc:ch:<C>" picks in --brokers order, the same in every worker.
// The mapping does not move when a broker is down: its channels wait for it (publishes fail
// with a BrokerError meanwhile), so every worker keeps agreeing on where a channel lives.
#include "consistent_hash.h"
#include "json.h"
#include "log.h"
#include "net.h"
#include "worker_state.h"

namespace sc {
namespace {

constexpr std::string_view kPrefix = "sc:ch:";

std::string broker_channel(std::string_view channel) {
  std::string b(kPrefix);
  b.append(channel);
  return b;
}

// The channel name of a #subscribe / #publish packet's data ({"channel": string, ...}).
bool channel_of(std::string_view data, std::string* channel) {
  std::string_view lit;
  if (data.empty() || !proto::object_member(data, "channel", &lit) || lit.empty() || lit[0] != '"')
    return false;
  return proto::decode_string(lit, channel);
}

Json span_json(std::string_view v) { return v.empty() ? Json() : Json::raw(std::string(v)); }

}  // namespace

bool WorkerState::pubsub_init(std::string* error) {
  for (size_t i = 0; i < opt.brokers.size(); i++) {
    sc::net::HostPort hp;
    if (sc::net::NetError e = sc::net::parse_host_port(opt.brokers[i], &hp);
        e != sc::net::NetError::Ok) {
      *error = "--brokers: bad address '" + opt.brokers[i] + "' (want host:port: " +
               sc::net::net_error_text(e) + ")";
      return false;
    }
    const std::string& host = hp.host;
    int port = hp.port;
    int idx = int(i);
    BrokerLink::Events ev;
    ev.sub_up = [this, idx] { on_sub_up(idx); };
    ev.sub_down = [this, idx] { on_sub_down(idx); };
    ev.confirmed = [this, idx](std::string_view ch) { on_broker_confirmed(idx, ch); };
    ev.message = [this, idx](std::string_view ch, std::string_view payload) {
      on_broker_message(idx, ch, payload);
    };
    brokers.push_back(
        std::make_unique<BrokerLink>(loop, host, port, opt.broker_password, std::move(ev)));
  }
  // Channels that server code subscribed to before run(): place them on their broker now.
  for (auto& [name, ch] : channels) ch.broker = broker_of(name);
  for (auto& b : brokers) b->start();
  return true;
}

int WorkerState::broker_of(std::string_view channel) const {
  if (brokers.size() <= 1) return 0;
  return jump_hash(hash64(broker_channel(channel)), int32_t(brokers.size()));
}

Channel& WorkerState::want_channel(const std::string& channel) {
  auto [it, fresh] = channels.try_emplace(channel);
  if (fresh && !brokers.empty()) {
    it->second.broker = broker_of(channel);
    BrokerLink& b = *brokers[size_t(it->second.broker)];
    if (b.sub_up()) b.subscribe(broker_channel(channel));
  }
  return it->second;
}

void WorkerState::maybe_release(const std::string& channel) {
  auto it = channels.find(channel);
  if (it == channels.end() || !it->second.sockets.empty() || !it->second.handlers.empty()) return;
  if (!brokers.empty()) {
    BrokerLink& b = *brokers[size_t(it->second.broker)];
    if (b.sub_up()) b.unsubscribe(broker_channel(channel));
  }
  channels.erase(it);
}

// ---- broker events ----

void WorkerState::on_sub_up(int broker) {
  session_resubscribe(broker);
  // A new connection has no subscriptions: subscribe every channel of this broker again.
  for (auto& [name, ch] : channels) {
    if (ch.broker != broker) continue;
    ch.confirmed = false;
    brokers[size_t(broker)]->subscribe(broker_channel(name));
  }
}

void WorkerState::on_sub_down(int broker) {
  session_sub_down(broker);
  for (auto& [name, ch] : channels)
    if (ch.broker == broker) ch.confirmed = false;
}

void WorkerState::on_broker_confirmed(int broker, std::string_view bchannel) {
  session_confirmed(broker, bchannel);
  if (bchannel.substr(0, kPrefix.size()) != kPrefix) return;
  auto it = channels.find(std::string(bchannel.substr(kPrefix.size())));
  if (it == channels.end() || it->second.broker != broker) return;
  Channel& ch = it->second;
  ch.confirmed = true;
  std::vector<SubWaiter> waiters;
  waiters.swap(ch.waiters);
  for (auto& w : waiters) respond(w.serial, w.cid, "", false);
}

void WorkerState::on_broker_message(int broker, std::string_view bchannel,
                                    std::string_view payload) {
  if (session_message(broker, bchannel, payload)) return;  // sessions.cpp
  if (bchannel.substr(0, kPrefix.size()) != kPrefix) return;
  std::string name(bchannel.substr(kPrefix.size()));
  auto it = channels.find(name);
  if (it == channels.end() || it->second.broker != broker) return;
  // The payload is the data's JSON text as the publisher sent it; empty = no data.  Text that is
  // not JSON (redis-cli publish sc:ch:news hi) is delivered as a JSON string.
  std::string as_string;
  std::string_view data = payload;
  if (!payload.empty() && !proto::valid_json(payload)) {
    json::write_string(payload, &as_string);
    data = as_string;
  }
  metrics.publications_received++;
  auto frame = std::make_shared<std::string>(frame_buffer());
  proto::encode_publish(name, data, frame.get());

  Channel& ch = it->second;
  auto& out_mw = middleware[size_t(Middleware::PublishOut)];
  if (!out_mw) {
    for (SocketState* s : ch.sockets) queue_shared(s, frame);
  } else {
    // Middleware may unsubscribe or kick sockets while we go: walk a copy, check each.
    std::vector<uint64_t> serials;
    serials.reserve(ch.sockets.size());
    for (SocketState* s : ch.sockets) serials.push_back(s->serial);
    Json djson = span_json(data);
    for (uint64_t serial : serials) {
      auto sit = sockets.find(serial);
      if (sit == sockets.end()) continue;
      SocketState* s = sit->second;
      if (!s->channels || !s->channels->count(name)) continue;
      Action a = socket_action(Middleware::PublishOut, s);
      a.channel_ = name;
      a.data_ = djson;
      Error err;
      if (!run_middleware(a, &err)) continue;
      if (a.data_.text() == djson.text()) {
        queue_shared(s, frame);
      } else {
        std::string f = frame_buffer();
        proto::encode_publish(name, a.data_.text(), &f);
        queue(s, std::move(f));
      }
    }
  }
  // Server-side handlers (a copy: a handler may subscribe or unsubscribe).
  it = channels.find(name);
  if (it == channels.end() || it->second.handlers.empty()) return;
  auto handlers = it->second.handlers;
  Json djson = span_json(data);
  for (auto& [id, fn] : handlers)
    if (handler_channel.count(id)) fn(name, djson);
}

void WorkerState::queue_shared(SocketState* s, std::shared_ptr<std::string> frame) {
  if (s->close_code || outbound_over(s, frame->size() - LWS_PRE)) return;
  s->out.push_back(std::move(frame));
  lws_callback_on_writable(s->wsi);
}

void WorkerState::error_response(SocketState* s, std::string_view cid, const Error& e) {
  std::string f = frame_buffer();
  proto::encode_error_response(cid, e.to_json(), &f);
  queue(s, std::move(f));
}

// ---- client packets ----

void WorkerState::client_subscribe(SocketState* s, proto::Packet& p, bool invoke) {
  std::string name;
  if (!channel_of(p.data, &name)) {
    return refuse_action(s, p, invoke, "Subscribe channel name was malformatted");
  }
  if (middleware[size_t(Middleware::Subscribe)]) {
    std::string_view sub_data;
    proto::object_member(p.data, "data", &sub_data);
    if (!channel_middleware(Middleware::Subscribe, s, p, invoke, name, sub_data, nullptr)) return;
  }
  size_t have = s->channels ? s->channels->size() : 0;
  if (opt.socket_channel_limit && have >= opt.socket_channel_limit) {
    // The v20 server's wording: the InvalidActionError wrapped into a BrokerError.
    if (invoke)
      error_response(s, p.cid,
                     Error{"BrokerError",
                           "Failed to subscribe socket to the " + name +
                               " channel - InvalidActionError: Socket " + s->id +
                               " tried to exceed the channel subscription limit of " +
                               std::to_string(opt.socket_channel_limit),
                           ""});
    return;
  }
  if (!s->channels) s->channels = std::make_unique<std::unordered_set<std::string>>();
  s->channels->insert(name);
  Channel& ch = want_channel(name);
  ch.sockets.insert(s);
  if (!invoke) return;
  if (ch.confirmed) {
    respond(s->serial, p.cid, "", false);
  } else {
    // Answered when the broker confirms: a publication sent after the client saw the answer
    // then reaches it.  While the broker is down the client waits (#subscribe has no timeout).
    ch.waiters.push_back(SubWaiter{s->serial, std::string(p.cid)});
  }
}

bool WorkerState::unsubscribe_socket(SocketState* s, const std::string& name) {
  if (!s->channels || !s->channels->erase(name)) return false;
  auto it = channels.find(name);
  if (it != channels.end()) {
    Channel& ch = it->second;
    ch.sockets.erase(s);
    // A #subscribe still waiting for the broker is answered: it did take effect, then ended.
    for (size_t i = 0; i < ch.waiters.size();) {
      if (ch.waiters[i].serial == s->serial) {
        respond(s->serial, ch.waiters[i].cid, "", false);
        ch.waiters.erase(ch.waiters.begin() + long(i));
      } else {
        i++;
      }
    }
    maybe_release(name);
  }
  return true;
}

bool WorkerState::channel_middleware(Middleware type, SocketState* s, proto::Packet& p, bool invoke,
                                     const std::string& channel, std::string_view data,
                                     Json* rewritten) {
  Action a = socket_action(type, s);
  a.channel_ = channel;
  a.data_ = span_json(data);
  Error err;
  if (!run_middleware(a, &err)) {
    if (invoke) error_response(s, p.cid, err);
    return false;
  }
  if (rewritten) *rewritten = std::move(a.data_);
  return true;
}

void WorkerState::refuse_action(SocketState* s, proto::Packet& p, bool invoke,
                                const char* message) {
  if (invoke) error_response(s, p.cid, Error{"InvalidActionError", message, ""});
}

void WorkerState::client_unsubscribe(SocketState* s, proto::Packet& p, bool invoke) {
  std::string name;
  if (p.data.empty() || p.data[0] != '"' || !proto::decode_string(p.data, &name)) {
    return refuse_action(s, p, invoke, "Unsubscribe channel name was malformatted");
  }
  if (!unsubscribe_socket(s, name)) {
    // The transmit form is ignored silently (the Node server only logs it).
    if (invoke)
      error_response(s, p.cid,
                     Error{"BrokerError",
                           "Failed to unsubscribe socket from the " + name +
                               " channel - InvalidActionError: Socket " + s->id +
                               " tried to unsubscribe from a channel which it is not subscribed to",
                           ""});
    return;
  }
  if (invoke) respond(s->serial, p.cid, "", false);
}

void WorkerState::client_publish(SocketState* s, proto::Packet& p, bool invoke) {
  if (!opt.allow_client_publish) {
    return refuse_action(s, p, invoke, "Client publish feature is disabled");
  }
  std::string name;
  if (!channel_of(p.data, &name)) {
    return refuse_action(s, p, invoke, "Publish channel name was malformatted");
  }
  std::string_view data;
  proto::object_member(p.data, "data", &data);
  Json rewritten;
  if (middleware[size_t(Middleware::PublishIn)]) {
    if (!channel_middleware(Middleware::PublishIn, s, p, invoke, name, data, &rewritten)) return;
    data = rewritten.text();
  }
  uint64_t serial = s->serial;
  std::string cid(invoke ? p.cid : std::string_view());
  publish(name, data, [this, serial, cid, name](const Error* e) {
    if (cid.empty()) {
      if (e) SC_LOG(Verbose, "publish to %s failed: %s", name.c_str(), e->message.c_str());
      return;
    }
    if (e)
      respond(serial, cid, e->to_json(), true);
    else
      respond(serial, cid, "", false);
  });
}

void WorkerState::release_socket_channels(SocketState* s) {
  if (!s->channels) return;
  auto names = std::move(*s->channels);
  s->channels.reset();
  for (const std::string& name : names) {
    auto it = channels.find(name);
    if (it == channels.end()) continue;
    it->second.sockets.erase(s);
    auto& w = it->second.waiters;
    for (size_t i = 0; i < w.size();) {
      if (w[i].serial == s->serial)
        w.erase(w.begin() + long(i));
      else
        i++;
    }
    maybe_release(name);
  }
}

void WorkerState::kick_out(SocketState* s, std::string_view channel, const Json& message) {
  std::vector<std::string> names;
  if (!channel.empty())
    names.emplace_back(channel);
  else if (s->channels)
    names.assign(s->channels->begin(), s->channels->end());
  for (const std::string& name : names) {
    std::string d = "{\"channel\":";
    json::write_string(name, &d);
    if (!message.absent()) d.append(",\"message\":").append(message.text());
    d.push_back('}');
    send_transmit(s, "#kickOut", d);
    unsubscribe_socket(s, name);
  }
}

void WorkerState::publish(std::string_view channel, std::string_view data, Exchange::DoneFn done) {
  std::string name(channel);
  if (brokers.empty()) {
    Error err{"BrokerError",
              "Failed to publish to the " + name + " channel - the worker is not running", ""};
    if (done) done(&err);
    return;
  }
  BrokerLink& b = *brokers[size_t(broker_of(channel))];
  metrics.publications_sent++;
  b.publish(broker_channel(channel), data, [name, done = std::move(done)](const std::string& e) {
    if (!done) return;
    if (e.empty()) {
      done(nullptr);
      return;
    }
    Error err{"BrokerError", "Failed to publish to the " + name + " channel - " + e, ""};
    done(&err);
  });
}

// ---- the app's handles ----

void Exchange::publish(std::string_view channel, const Json& data, DoneFn done) {
  w_->publish(channel, data.text(), std::move(done));
}

uint64_t Exchange::subscribe(std::string_view channel, HandlerFn handler) {
  uint64_t id = w_->next_handler_id++;
  std::string name(channel);
  w_->want_channel(name).handlers.emplace_back(id, std::move(handler));
  w_->handler_channel[id] = name;
  return id;
}

void Exchange::unsubscribe(uint64_t id) {
  auto it = w_->handler_channel.find(id);
  if (it == w_->handler_channel.end()) return;
  std::string name = std::move(it->second);
  w_->handler_channel.erase(it);
  auto cit = w_->channels.find(name);
  if (cit == w_->channels.end()) return;
  auto& hs = cit->second.handlers;
  for (size_t i = 0; i < hs.size(); i++)
    if (hs[i].first == id) {
      hs.erase(hs.begin() + long(i));
      break;
    }
  w_->maybe_release(name);
}

bool Exchange::broker_up(std::string_view channel) const {
  if (w_->brokers.empty()) return false;
  const BrokerLink& b = *w_->brokers[size_t(w_->broker_of(channel))];
  return b.sub_up() && b.cmd_up();
}

std::vector<std::string> Socket::subscriptions() const {
  if (!st_->channels) return {};
  return std::vector<std::string>(st_->channels->begin(), st_->channels->end());
}

bool Socket::is_subscribed(std::string_view channel) const {
  return st_->channels && st_->channels->count(std::string(channel));
}

void Socket::kick_out(std::string_view channel, const Json& message) {
  st_->w->kick_out(st_, channel, message);
}

Exchange& Socket::exchange() { return st_->w->exchange; }
Exchange& Worker::exchange() { return st_->exchange; }

}  // namespace sc
