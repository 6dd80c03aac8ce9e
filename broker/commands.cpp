// The command table and the dispatcher: lookup, arity, auth, pub/sub context, MULTI
// queueing, then the call with its statistics and MONITOR feed.
#include <strings.h>

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "aof.h"
#include "blocked.h"
#include "info.h"
#include "log.h"
#include "server.h"

namespace sc::broker {

namespace {

struct NoCaseHash {
  size_t operator()(std::string_view s) const {
    uint64_t h = 1469598103934665603ULL;
    for (char ch : s) h = (h ^ uint8_t(ch | 0x20)) * 1099511628211ULL;
    return size_t(h);
  }
};
struct NoCaseEq {
  bool operator()(std::string_view a, std::string_view b) const { return eq_nocase(a, b); }
};

std::unordered_map<std::string_view, Command*, NoCaseHash, NoCaseEq>& table() {
  static std::unordered_map<std::string_view, Command*, NoCaseHash, NoCaseEq> t;
  return t;
}

}  // namespace

std::vector<Command*>& all_commands() {
  static std::vector<Command*> v;
  return v;
}

// Every family, in the order COMMAND lists their commands.  The groups are Redis 7.0's, but for
// CLIENT and COMMAND, which report "server" here (Redis: "connection").
constexpr CommandFamily kFamilies[] = {
    {connection_commands, "connection", "@connection"},
    {keys_commands, "generic", "@keyspace"},
    {string_commands, "string", "@string"},
    {hash_commands, "hash", "@hash"},
    {set_commands, "set", "@set"},
    {list_commands, "list", "@list"},
    {pubsub_commands, "pubsub", nullptr},
    {multi_commands, "transactions", "@transaction"},
    {info_commands, "server", nullptr},
    {client_commands, "server", "@connection"},
    {command_commands, "server", "@connection"},
    {monitor_commands, "server", nullptr},
    {server_commands, "server", nullptr},
    {debug_commands, "server", nullptr},
    {memory_commands, "server", nullptr},
    {config_commands, "server", nullptr},
    {json_commands, "json", nullptr},
    {aof_commands, "server", nullptr},
    {ndata_commands, "server", nullptr},
    {bitmap_commands, "bitmap", "@bitmap"},
};

std::span<const CommandFamily> command_families() { return kFamilies; }

void container_command(Client& c) { reply_wrong_arity(c); }

void commands_init() {
  for (const CommandFamily& fam : kFamilies) {
    for (Command& c : fam.table()) {
      c.fullname = c.name;
      table()[c.name] = &c;
      all_commands().push_back(&c);
      if (c.subcommands) {
        for (Command* sub = const_cast<Command*>(c.subcommands); sub->name; sub++) {
          sub->parent = &c;
          sub->fullname = std::string(c.name) + "|" + sub->name;
        }
      }
    }
  }
}

const Command* lookup_command(std::string_view name) {
  auto it = table().find(name);
  return it == table().end() ? nullptr : it->second;
}

size_t command_count() { return all_commands().size(); }

const Command* lookup_command_argv(const std::vector<std::string_view>& argv,
                                   const Command** container) {
  *container = nullptr;
  const Command* c = lookup_command(argv[0]);
  if (!c || !c->subcommands || argv.size() < 2) return c;
  for (const Command* sub = c->subcommands; sub->name; sub++)
    if (eq_nocase(sub->name, argv[1])) return sub;
  *container = c;
  return nullptr;
}

// ---- Dispatch ----

// A refused command: inside MULTI it dooms the transaction; a refused EXEC ends it at once
// with EXECABORT and the reason (Redis's rejectCommand).
static void reject(Client& c, std::string_view err) {
  static const Command* const exec_cmd = lookup_command("exec");
  if (c.cmd) c.cmd->rejected_calls++;
  if (c.cmd == exec_cmd && (c.flags & kClientMulti)) return exec_abort(c, err);
  if (c.flags & kClientMulti) c.flags |= kClientDirtyExec;
  reply_error(c, err);
}

// The peer may use what a `no|yes|local` option (enable-debug-command, ...) guards.
bool protected_action_allowed(const std::string& setting, const Client& c) {
  return setting == "yes" || (setting == "local" && c.loopback);
}

void call_command(Client& c) {
  const Command* cmd = c.cmd;
  Server& s = srv();
  int64_t t0 = now_us();
  // Nested calls (EXEC running its queue) keep the time of the outer command.
  bool outer = s.cmd_time_ms == 0;
  if (outer) s.cmd_time_ms = t0 / 1000;
  long long dirty_before = s.dirty;
  static const Command* const exec_cmd = lookup_command("exec");
  bool is_exec = cmd == exec_cmd;
  if (is_exec) aof_exec_begin();
  c.prop.clear();
  cmd->proc(c);
  if (is_exec)
    aof_exec_end();
  else if (s.dirty != dirty_before)
    aof_feed_command(c);
  c.prop.clear();
  // Like Redis, MONITOR shows a command after it ran (SELECT shows its new db).
  if (!s.monitors.empty()) monitor_feed(c);
  int64_t t1 = now_us();
  if (outer) s.cmd_time_ms = 0;
  cmd->calls++;
  cmd->usec += t1 - t0;
  s.stats.commands_processed++;
}

void process_command(Client& c) {
  Server& s = srv();
  c.cmd = nullptr;
  // CLIENT REPLY OFF / SKIP: replies of this command go to the scratch buffer.
  bool skip = (c.flags & (kClientReplyOff | kClientReplySkip)) != 0;
  if (c.flags & kClientReplySkipNext) {
    c.flags = (c.flags & ~kClientReplySkipNext) | kClientReplySkip;
  } else {
    c.flags &= ~kClientReplySkip;
  }
  c.w = resp::Writer(skip ? &s.discard : &c.out, c.proto);

  if (eq_nocase(c.argv[0], "quit")) {
    c.reply().ok();
    c.flags |= kClientCloseAfterReply;
    return;
  }
  const Command* container = nullptr;
  const Command* cmd = lookup_command_argv(c.argv, &container);
  if (!cmd) {
    std::string err;
    if (container) {
      std::string up(c.argv[0]);
      for (char& ch : up) ch = char(toupper((unsigned char)ch));
      err = "ERR unknown subcommand '" + std::string(c.argv[1].substr(0, 128)) + "'. Try " + up +
            " HELP.";
    } else {
      std::string args;
      for (size_t i = 1; i < c.argv.size() && args.size() < 128; i++) {
        size_t room = 128 - args.size();
        args += "'" + std::string(c.argv[i].substr(0, room)) + "' ";
      }
      err = "ERR unknown command '" + std::string(c.argv[0].substr(0, 128)) +
            "', with args beginning with: " + args;
    }
    reject(c, err);
    return;
  }
  c.cmd = cmd;
  if ((cmd->arity > 0 && int(c.argv.size()) != cmd->arity) ||
      (int(c.argv.size()) < -cmd->arity)) {
    std::string err = "ERR wrong number of arguments for '" + cmd->fullname + "' command";
    reject(c, err);
    return;
  }
  uint32_t flags = cmd->flags | (cmd->parent ? cmd->parent->flags : 0);
  if ((flags & kCmdProtected) && !protected_action_allowed(s.cfg.enable_debug_command, c)) {
    reject(c,
           "ERR DEBUG command not allowed. If the enable-debug-command option is set to "
           "\"local\", you can run it from a local connection, otherwise you need to set this "
           "option in the configuration file, and then restart the server.");
    return;
  }
  if (!c.authenticated && !(flags & kCmdNoAuth)) {
    reject(c, kErrNoAuth);
    return;
  }
  const bool in_multi = (c.flags & kClientMulti) != 0;
  if (in_multi && (flags & kCmdNoMulti)) {
    reject(c, "ERR Command not allowed inside a transaction");
    return;
  }
  // Like Redis, EXEC is a write (deny-oom) command when its queue holds one.
  static const Command* const exec_cmd = lookup_command("exec");
  static const Command* const ping_cmd = lookup_command("ping");
  if (cmd == exec_cmd && in_multi)
    for (const QueuedCommand& q : c.mstate)
      flags |= (q.cmd->flags | (q.cmd->parent ? q.cmd->parent->flags : 0)) &
               (kCmdWrite | kCmdDenyOom);
  if (s.cfg.maxmemory) {
    // Queueing costs memory too, so at the limit MULTI queues nothing (Redis refuses all but
    // EXEC DISCARD QUIT RESET); an EXEC of reads only still runs.
    static const Command* const discard_cmd = lookup_command("discard");
    static const Command* const reset_cmd = lookup_command("reset");
    bool deny = (flags & kCmdDenyOom) ||
                (in_multi && cmd != exec_cmd && cmd != discard_cmd && cmd != reset_cmd);
    if (deny && used_memory() > s.cfg.maxmemory) {
      reject(c, kErrOom);
      return;
    }
  }
  if (c.proto == resp::Proto::Resp2 && (c.flags & kClientPubsub) && !(flags & kCmdSubCtx)) {
    cmd->rejected_calls++;
    reply_error_fmt(c,
                    "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / "
                    "QUIT / RESET are allowed in this context",
                    cmd->fullname.c_str());
    return;
  }
  if ((flags & kCmdWrite) || cmd == ping_cmd) {  // Redis 7.0 refuses PING too
    std::string err = aof_write_error();
    if (!err.empty()) {
      reject(c, err);
      return;
    }
  }
  if (in_multi && !(flags & kCmdMultiCtl)) {
    QueuedCommand q;
    q.cmd = cmd;
    q.argv.reserve(c.argv.size());
    for (auto a : c.argv) q.argv.emplace_back(a);
    c.mstate.push_back(std::move(q));
    c.reply().simple("QUEUED");
    return;
  }
  call_command(c);
  c.lastcmd = cmd;
  // Keys this command (or EXEC, as a whole) gave to blocked clients are served now.
  if (ready_keys_pending()) serve_ready_keys();
}

}  // namespace sc::broker
