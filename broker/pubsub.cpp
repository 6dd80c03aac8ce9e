// Pub/Sub (Redis 7.0's pubsub.c semantics): SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE
// PUBLISH and the PUBSUB container (CHANNELS NUMSUB NUMPAT SHARDCHANNELS SHARDNUMSUB HELP).
//
// The server keeps channel -> subscribers (in subscription order) and pattern -> subscribers;
// each client keeps its own channel set and pattern list (server.h).  A message goes to the
// channel's subscribers first, then to every matching pattern's subscribers, as in Redis.
// Messages to other clients are appended to their output buffers and queued for writing with
// client_output_changed(), which also disconnects a subscriber over its output-buffer limit.
#include "pubsub.h"

#include <algorithm>
#include <string>
#include <vector>

#include "hash.h"
#include "server.h"

namespace sc::broker {

namespace {

struct ViewHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return size_t(hash_bytes(s)); }
};
struct ViewEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};

struct PatternSubs {
  std::string pattern;
  std::vector<Client*> clients;  // in subscription order
};

}  // namespace

struct PubsubState {
  std::unordered_map<std::string, std::vector<Client*>, ViewHash, ViewEq> channels;
  std::vector<PatternSubs> patterns;  // unique patterns, in first-subscription order
  Buffer frame;                       // scratch: a message encoded once for many subscribers
};

void pubsub_init() {
  if (!srv().pubsub) srv().pubsub = new PubsubState;
}

namespace {

PubsubState& state() {
  if (!srv().pubsub) pubsub_init();
  return *srv().pubsub;
}

void erase_client(std::vector<Client*>& v, Client* c) {
  auto it = std::find(v.begin(), v.end(), c);
  if (it != v.end()) v.erase(it);
}

// ---- Delivery ----

// Whether messages to `sub` are dropped: only for a client being closed.  CLIENT REPLY OFF and
// SKIP do not silence pub/sub: Redis 7.0 writes messages and (un)subscribe confirmations with
// CLIENT_PUSHING set, which bypasses them (in RESP2 and RESP3 alike).
inline bool drops_messages(const Client& sub) { return (sub.flags & kClientCloseAsap) != 0; }

// A message's elements after its header: "message", or "pmessage" and the pattern (`pattern` is
// a null view for a channel message), then the channel and the payload.
inline size_t message_len(std::string_view pattern) { return pattern.data() ? 4 : 3; }
inline void message_fields(resp::Writer& w, std::string_view pattern, std::string_view channel,
                           std::string_view message) {
  if (pattern.data()) {
    w.bulk("pmessage");
    w.bulk(pattern);
  } else {
    w.bulk("message");
  }
  w.bulk(channel);
  w.bulk(message);
}

// Encodes the message once (RESP2 array form; a RESP3 push differs only in the first byte).
void encode_frame(Buffer* out, std::string_view pattern, std::string_view channel,
                  std::string_view message) {
  resp::Writer w(out, resp::Proto::Resp2);
  w.array(message_len(pattern));
  message_fields(w, pattern, channel, message);
}

void write_message(Client& sub, std::string_view pattern, std::string_view channel,
                   std::string_view message) {
  resp::Writer w(&sub.out, sub.proto);
  w.push(message_len(pattern));
  message_fields(w, pattern, channel, message);
  client_output_changed(sub);
}

// Sends one message to every client of `subs`; `pattern` is a null view for channel messages.
// A single subscriber gets the reply written directly; several share one encoded frame.
void deliver(const std::vector<Client*>& subs, std::string_view pattern, std::string_view channel,
             std::string_view message) {
  // nData subscribers get the message as a JSON line, the others as RESP.
  bool any_ndata = false;
  for (Client* s : subs) any_ndata |= s->ndata;
  if (any_ndata) {
    for (Client* sub : subs) {
      if (drops_messages(*sub)) continue;
      if (sub->ndata)
        ndata_deliver(*sub, channel, message);
      else
        write_message(*sub, pattern, channel, message);
    }
    return;
  }
  if (subs.size() == 1) {
    if (!drops_messages(*subs[0])) write_message(*subs[0], pattern, channel, message);
    return;
  }
  Buffer& frame = state().frame;
  frame.clear();
  encode_frame(&frame, pattern, channel, message);
  std::string_view f = frame.view();
  for (Client* sub : subs) {
    if (drops_messages(*sub)) continue;
    if (sub->proto == resp::Proto::Resp2) {
      sub->out.append(f);
    } else {
      sub->out.push_back('>');
      sub->out.append(f.substr(1));
    }
    client_output_changed(*sub);
  }
  frame.clear();
  frame.shrink_if_idle(64 * 1024);
}

// ---- Subscription bookkeeping ----

// Replies [kind, name, count] (name null when `name` is a null view), even under CLIENT REPLY
// OFF/SKIP, as Redis 7.0 does.
void reply_subscription(Client& c, const char* kind, std::string_view name) {
  resp::Writer w(&c.out, c.proto);
  w.push(3);
  w.bulk(kind);
  if (name.data())
    w.bulk(name);
  else
    w.null();
  w.integer((long long)c.subscription_count());
  client_output_changed(c);
}

void subscribe_channel(Client& c, std::string_view ch) {
  if (c.channels.emplace(ch).second) {
    PubsubState& ps = state();
    auto it = ps.channels.find(ch);
    if (it == ps.channels.end()) it = ps.channels.emplace(std::string(ch), 0).first;
    it->second.push_back(&c);
  }
  reply_subscription(c, "subscribe", ch);
}

// Unsubscribes `c` from `ch`; replies when `notify`.  Returns true if it was subscribed.
bool unsubscribe_channel(Client& c, std::string_view ch, bool notify) {
  std::string name(ch);  // `ch` may alias the client's own copy, erased below
  bool removed = false;
  auto cit = c.channels.find(name);
  if (cit != c.channels.end()) {
    removed = true;
    c.channels.erase(cit);
    PubsubState& ps = state();
    auto it = ps.channels.find(name);
    if (it != ps.channels.end()) {
      erase_client(it->second, &c);
      if (it->second.empty()) ps.channels.erase(it);
    }
  }
  if (notify) reply_subscription(c, "unsubscribe", name);
  return removed;
}

void subscribe_pattern(Client& c, std::string_view pat) {
  if (std::find(c.patterns.begin(), c.patterns.end(), pat) == c.patterns.end()) {
    c.patterns.emplace_back(pat);
    PubsubState& ps = state();
    auto it = std::find_if(ps.patterns.begin(), ps.patterns.end(),
                           [&](const PatternSubs& p) { return p.pattern == pat; });
    if (it == ps.patterns.end()) {
      ps.patterns.push_back(PatternSubs{std::string(pat), {}});
      it = ps.patterns.end() - 1;
    }
    it->clients.push_back(&c);
  }
  reply_subscription(c, "psubscribe", pat);
}

bool unsubscribe_pattern(Client& c, std::string_view pat, bool notify) {
  std::string name(pat);  // `pat` may alias the client's own copy
  bool removed = false;
  auto cit = std::find(c.patterns.begin(), c.patterns.end(), name);
  if (cit != c.patterns.end()) {
    removed = true;
    c.patterns.erase(cit);
    PubsubState& ps = state();
    auto it = std::find_if(ps.patterns.begin(), ps.patterns.end(),
                           [&](const PatternSubs& p) { return p.pattern == name; });
    if (it != ps.patterns.end()) {
      erase_client(it->clients, &c);
      if (it->clients.empty()) ps.patterns.erase(it);
    }
  }
  if (notify) reply_subscription(c, "punsubscribe", name);
  return removed;
}

size_t unsubscribe_all_channels(Client& c, bool notify) {
  std::vector<std::string> names(c.channels.begin(), c.channels.end());
  for (const std::string& ch : names) unsubscribe_channel(c, ch, notify);
  if (notify && names.empty()) reply_subscription(c, "unsubscribe", {});
  return names.size();
}

size_t unsubscribe_all_patterns(Client& c, bool notify) {
  std::vector<std::string> names = c.patterns;
  for (const std::string& p : names) unsubscribe_pattern(c, p, notify);
  if (notify && names.empty()) reply_subscription(c, "punsubscribe", {});
  return names.size();
}

void update_pubsub_flag(Client& c) {
  if (c.subscription_count() == 0)
    c.flags &= ~kClientPubsub;
  else
    c.flags |= kClientPubsub;
}

// ---- Commands ----

// SUBSCRIBE and PSUBSCRIBE, UNSUBSCRIBE and PUNSUBSCRIBE: each pair differs only in what one
// name is (a channel or a pattern).  Template arguments, so the call is direct.
template <void (*subscribe_one)(Client&, std::string_view)>
void subscribe_each(Client& c) {
  for (size_t j = 1; j < c.argv.size(); j++) subscribe_one(c, c.argv[j]);
  c.flags |= kClientPubsub;
}

// No name: all of the client's channels (patterns).
template <bool (*unsubscribe_one)(Client&, std::string_view, bool),
          size_t (*unsubscribe_all)(Client&, bool)>
void unsubscribe_each(Client& c) {
  if (c.argv.size() == 1) {
    unsubscribe_all(c, true);
  } else {
    for (size_t j = 1; j < c.argv.size(); j++) unsubscribe_one(c, c.argv[j], true);
  }
  update_pubsub_flag(c);
}

constexpr CmdProc subscribe_command = subscribe_each<subscribe_channel>;
constexpr CmdProc psubscribe_command = subscribe_each<subscribe_pattern>;
constexpr CmdProc unsubscribe_command =
    unsubscribe_each<unsubscribe_channel, unsubscribe_all_channels>;
constexpr CmdProc punsubscribe_command =
    unsubscribe_each<unsubscribe_pattern, unsubscribe_all_patterns>;

void publish_command(Client& c) {
  long long receivers = pubsub_publish(c.argv[1], c.argv[2]);
  c.reply().integer(receivers);
}

// Redis's addReplySubcommandSyntaxError (the subcommand as the client typed it).
void reply_subcommand_syntax(Client& c) {
  std::string sub(c.argv[1].substr(0, 128));
  reply_error_fmt(c,
                  "ERR unknown subcommand or wrong number of arguments for '%s'. Try PUBSUB "
                  "HELP.",
                  sub.c_str());
}

void pubsub_help_command(Client& c) {
  reply_help(c, {
      "CHANNELS [<pattern>]",
      "    Return the currently active channels matching a <pattern> (default: '*').",
      "NUMPAT",
      "    Return number of subscriptions to patterns.",
      "NUMSUB [<channel> ...]",
      "    Return the number of subscribers for the specified channels, excluding",
      "    pattern subscriptions(default: no channels).",
      "SHARDCHANNELS [<pattern>]",
      "    Return the currently active shard level channels matching a <pattern> (default: "
      "'*').",
      "SHARDNUMSUB [<shardchannel> ...]",
      "    Return the number of subscribers for the specified shard level channel(s)",
  });
}

void pubsub_channels_command(Client& c) {
  std::string_view pat = c.argv.size() == 2 ? std::string_view() : c.argv[2];
  if (c.argv.size() > 3) {
    reply_subcommand_syntax(c);
    return;
  }
  std::vector<std::string_view> out;
  for (const auto& [name, subs] : state().channels)
    if (!pat.data() || glob_match(pat, name)) out.push_back(name);
  c.reply().array(out.size());
  for (auto name : out) c.reply().bulk(name);
}

void pubsub_numsub_command(Client& c) {
  PubsubState& ps = state();
  c.reply().array((c.argv.size() - 2) * 2);
  for (size_t j = 2; j < c.argv.size(); j++) {
    auto it = ps.channels.find(c.argv[j]);
    c.reply().bulk(c.argv[j]);
    c.reply().integer(it == ps.channels.end() ? 0 : (long long)it->second.size());
  }
}

void pubsub_numpat_command(Client& c) { c.reply().integer((long long)state().patterns.size()); }

// Shard channels (SSUBSCRIBE) are not implemented: nothing is ever subscribed to one.
void pubsub_shardchannels_command(Client& c) {
  if (c.argv.size() > 3) {
    reply_subcommand_syntax(c);
    return;
  }
  c.reply().array(0);
}

void pubsub_shardnumsub_command(Client& c) {
  c.reply().array((c.argv.size() - 2) * 2);
  for (size_t j = 2; j < c.argv.size(); j++) {
    c.reply().bulk(c.argv[j]);
    c.reply().integer(0);
  }
}

Command kSubcommands[] = {
    {.name = "channels", .arity = -2, .flags = kCmdPubsub, .proc = pubsub_channels_command},
    {.name = "numsub", .arity = -2, .flags = kCmdPubsub, .proc = pubsub_numsub_command},
    {.name = "numpat", .arity = 2, .flags = kCmdPubsub, .proc = pubsub_numpat_command},
    {.name = "shardchannels", .arity = -2, .flags = kCmdPubsub,
     .proc = pubsub_shardchannels_command},
    {.name = "shardnumsub", .arity = -2, .flags = kCmdPubsub, .proc = pubsub_shardnumsub_command},
    {.name = "help", .arity = 2, .flags = kCmdLoading, .proc = pubsub_help_command},
    {},
};

Command kCommands[] = {
    {.name = "subscribe", .arity = -2, .flags = kCmdPubsub | kCmdSubCtx, .proc = subscribe_command},
    {.name = "unsubscribe", .arity = -1, .flags = kCmdPubsub | kCmdSubCtx,
     .proc = unsubscribe_command},
    {.name = "psubscribe", .arity = -2, .flags = kCmdPubsub | kCmdSubCtx,
     .proc = psubscribe_command},
    {.name = "punsubscribe", .arity = -1, .flags = kCmdPubsub | kCmdSubCtx,
     .proc = punsubscribe_command},
    {.name = "publish", .arity = 3, .flags = kCmdPubsub | kCmdFast, .proc = publish_command},
    {.name = "pubsub", .arity = -2, .proc = container_command,
     .subcommands = kSubcommands},
};

}  // namespace

std::span<Command> pubsub_commands() { return kCommands; }

long long pubsub_publish(std::string_view channel, std::string_view message) {
  PubsubState& ps = state();
  long long receivers = 0;
  srv().stats.pubsub_messages++;
  if (!ps.channels.empty()) {
    auto it = ps.channels.find(channel);
    if (it != ps.channels.end()) {
      // Delivery never frees a client (closing is deferred), so the list stays valid.
      deliver(it->second, {}, channel, message);
      receivers += (long long)it->second.size();
    }
  }
  for (const PatternSubs& p : ps.patterns) {
    if (!glob_match(p.pattern, channel)) continue;
    deliver(p.clients, p.pattern, channel, message);
    receivers += (long long)p.clients.size();
  }
  return receivers;
}

void pubsub_unsubscribe_all(Client& c, bool notify) {
  unsubscribe_all_channels(c, notify);
  unsubscribe_all_patterns(c, notify);
  update_pubsub_flag(c);
}

size_t pubsub_channel_count() { return srv().pubsub ? srv().pubsub->channels.size() : 0; }
size_t pubsub_pattern_count() { return srv().pubsub ? srv().pubsub->patterns.size() : 0; }

// True when nobody is subscribed to anything (notify.cpp skips building channel names).
bool pubsub_idle() {
  return !srv().pubsub || (srv().pubsub->channels.empty() && srv().pubsub->patterns.empty());
}

bool pubsub_subscribe_quiet(Client& c, std::string_view ch) {
  if (!c.channels.emplace(ch).second) return false;
  PubsubState& ps = state();
  auto it = ps.channels.find(ch);
  if (it == ps.channels.end()) it = ps.channels.emplace(std::string(ch), 0).first;
  it->second.push_back(&c);
  update_pubsub_flag(c);
  return true;
}

bool pubsub_unsubscribe_quiet(Client& c, std::string_view ch) {
  bool r = unsubscribe_channel(c, ch, false);
  update_pubsub_flag(c);
  return r;
}

}  // namespace sc::broker
