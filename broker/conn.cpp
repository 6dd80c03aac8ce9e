// Connection commands: PING ECHO HELLO AUTH SELECT QUIT RESET.
#include "server.h"

namespace sc::broker {

static bool valid_client_name(std::string_view s) {
  for (char ch : s)
    if (ch < '!' || ch > '~') return false;
  return true;
}

static void ping_command(Client& c) {
  if (c.argv.size() > 2) {
    reply_wrong_arity(c);
    return;
  }
  if (c.proto == resp::Proto::Resp2 && (c.flags & kClientPubsub)) {
    c.reply().array(2);
    c.reply().bulk("pong");
    c.reply().bulk(c.argv.size() == 2 ? c.argv[1] : std::string_view());
    return;
  }
  if (c.argv.size() == 2)
    c.reply().bulk(c.argv[1]);
  else
    c.reply().simple("PONG");
}

static void echo_command(Client& c) { c.reply().bulk(c.argv[1]); }

// Checks a password for the default user (the only user).  Replies the error on failure.
static bool check_password(Client& c, std::string_view user, std::string_view pass) {
  const std::string& want = srv().cfg.requirepass;
  if (user == "default" && (want.empty() || pass == want)) {
    c.authenticated = true;
    return true;
  }
  reply_error(c, "WRONGPASS invalid username-password pair or user is disabled.");
  return false;
}

static void auth_command(Client& c) {
  if (c.argv.size() > 3) {
    reply_syntax_error(c);
    return;
  }
  if (c.argv.size() == 2 && srv().cfg.requirepass.empty()) {
    reply_error(c,
                "ERR AUTH <password> called without any password configured for the default "
                "user. Are you sure your configuration is correct?");
    return;
  }
  std::string_view user = c.argv.size() == 3 ? c.argv[1] : "default";
  if (check_password(c, user, c.argv.back())) c.reply().ok();
}

static void hello_command(Client& c) {
  long long ver = 0;
  size_t next = 1;
  if (c.argv.size() >= 2) {
    if (!resp::parse_ll(c.argv[1], &ver)) {
      reply_error(c, "ERR Protocol version is not an integer or out of range");
      return;
    }
    next = 2;
    if (ver < 2 || ver > 3) {
      reply_error(c, "NOPROTO unsupported protocol version");
      return;
    }
  }
  std::string_view user, pass, name;
  bool has_auth = false, has_name = false;
  for (size_t j = next; j < c.argv.size(); j++) {
    size_t left = c.argv.size() - j - 1;
    if (eq_nocase(c.argv[j], "auth") && left >= 2) {
      has_auth = true;
      user = c.argv[j + 1];
      pass = c.argv[j + 2];
      j += 2;
    } else if (eq_nocase(c.argv[j], "setname") && left >= 1) {
      has_name = true;
      name = c.argv[j + 1];
      j += 1;
    } else {
      reply_error_fmt(c, "ERR Syntax error in HELLO option '%.*s'", int(c.argv[j].size()),
                      c.argv[j].data());
      return;
    }
  }
  if (has_auth && !check_password(c, user, pass)) return;
  if (!c.authenticated) {
    reply_error(c,
                "NOAUTH HELLO must be called with the client already authenticated, otherwise "
                "the HELLO AUTH <user> <pass> option can be used to authenticate the "
                "client and select the RESP protocol version at the same time");
    return;
  }
  if (has_name) {
    if (!valid_client_name(name)) {
      reply_error(c,
                  "ERR Client names cannot contain spaces, newlines or special characters.");
      return;
    }
    c.name = std::string(name);
  }
  if (ver) {
    c.proto = ver == 3 ? resp::Proto::Resp3 : resp::Proto::Resp2;
    c.reply().set_proto(c.proto);
  }
  resp::Writer& w = c.reply();
  w.map(7);
  w.bulk("server");
  w.bulk("redis");
  w.bulk("version");
  w.bulk("7.0.15");
  w.bulk("proto");
  w.integer(c.proto == resp::Proto::Resp3 ? 3 : 2);
  w.bulk("id");
  w.integer((long long)c.id);
  w.bulk("mode");
  w.bulk("standalone");
  w.bulk("role");
  w.bulk("master");
  w.bulk("modules");
  w.array(0);
}

static void select_command(Client& c) {
  int id;
  if (!arg_int(c, c.argv[1], &id)) return;
  if (id < 0 || id >= int(srv().dbs.size())) {
    reply_error(c, "ERR DB index is out of range");
    return;
  }
  select_db(c, int(id));
  c.reply().ok();
}

static void quit_command(Client& c) {
  c.reply().ok();
  c.flags |= kClientCloseAfterReply;
}

static void reset_command(Client& c) {
  // Like Redis, RESET always discards the transaction state, in MULTI or not.
  c.mstate.clear();
  c.flags &= ~(kClientMulti | kClientDirtyCas | kClientDirtyExec);
  if (!c.watched.empty()) unwatch_all(c);
  if (c.flags & kClientMonitor) monitor_remove(c);
  if (c.subscription_count()) pubsub_unsubscribe_all(c, false);
  c.flags &= ~(kClientReplyOff | kClientReplySkip | kClientReplySkipNext | kClientPubsub |
               kClientMonitor);
  select_db(c, 0);
  c.proto = resp::Proto::Resp2;
  c.w = resp::Writer(&c.out, c.proto);
  c.name.clear();
  c.authenticated = srv().cfg.requirepass.empty();
  c.reply().simple("RESET");
}

static Command kCommands[] = {
    {.name = "ping", .arity = -1, .flags = kCmdFast | kCmdSubCtx, .proc = ping_command},
    {.name = "echo", .arity = 2, .flags = kCmdFast, .proc = echo_command},
    {.name = "auth", .arity = -2, .flags = kCmdNoAuth | kCmdNoMonitor | kCmdFast,
     .proc = auth_command},
    {.name = "hello", .arity = -1, .flags = kCmdNoAuth | kCmdNoMonitor | kCmdFast,
     .proc = hello_command},
    {.name = "select", .arity = 2, .flags = kCmdFast | kCmdLoading, .proc = select_command},
    {.name = "quit", .arity = -1, .flags = kCmdNoAuth | kCmdFast | kCmdSubCtx | kCmdMultiCtl,
     .proc = quit_command},
    {.name = "reset", .arity = 1, .flags = kCmdNoAuth | kCmdFast | kCmdSubCtx | kCmdMultiCtl,
     .proc = reset_command},
};

std::span<Command> connection_commands() { return kCommands; }

}  // namespace sc::broker
