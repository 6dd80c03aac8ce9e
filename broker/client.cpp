// CLIENT and its subcommands (SETNAME GETNAME ID INFO LIST KILL REPLY NO-EVICT GETREDIR
// UNBLOCK HELP), and client_info_string(), the CLIENT LIST line in Redis 7.0's format.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "blocked.h"
#include "server.h"

namespace sc::broker {

namespace {

enum class ClientType { Normal, Replica, Pubsub, Master, Invalid };

// CLIENT LIST/KILL TYPE names.  A monitor is a "normal" client, as in Redis.
ClientType client_type_by_name(std::string_view s) {
  if (eq_nocase(s, "normal")) return ClientType::Normal;
  if (eq_nocase(s, "slave") || eq_nocase(s, "replica")) return ClientType::Replica;
  if (eq_nocase(s, "pubsub")) return ClientType::Pubsub;
  if (eq_nocase(s, "master")) return ClientType::Master;
  return ClientType::Invalid;
}

ClientType client_type(const Client& c) {
  return (c.flags & kClientPubsub) || c.subscription_count() ? ClientType::Pubsub
                                                             : ClientType::Normal;
}

// Clients in creation order (Redis keeps them in a list; ids grow with creation).
std::vector<Client*> clients_in_order() {
  std::vector<Client*> v;
  v.reserve(srv().clients.size());
  for (auto& [id, c] : srv().clients) v.push_back(c);
  std::sort(v.begin(), v.end(), [](Client* a, Client* b) { return a->id < b->id; });
  return v;
}

}  // namespace

std::string client_info_string(const Client& c) {
  char flags[16];
  char* p = flags;
  if (c.flags & kClientMonitor) *p++ = 'O';
  if (c.flags & kClientPubsub) *p++ = 'P';
  if (c.flags & kClientMulti) *p++ = 'x';
  if (c.flags & kClientBlocked) *p++ = 'b';
  if (c.flags & kClientDirtyCas) *p++ = 'd';
  if (c.flags & kClientCloseAfterReply) *p++ = 'c';
  if (c.flags & kClientCloseAsap) *p++ = 'A';
  if (c.flags & kClientNoEvict) *p++ = 'e';
  if (p == flags) *p++ = 'N';
  *p = 0;

  int64_t now = now_ms();
  size_t argv_mem = 0;
  if (c.flags & kClientExecuting)
    for (auto a : c.argv) argv_mem += a.size();
  size_t multi_mem = 0;
  for (const auto& q : c.mstate) {
    multi_mem += sizeof(QueuedCommand);
    for (const auto& a : q.argv) multi_mem += a.size();
  }
  size_t tot_mem = sizeof(Client) + c.in.capacity() + c.out.capacity() + argv_mem + multi_mem;
  const Command* cmd = c.cmd ? c.cmd : c.lastcmd;
  long long multi = (c.flags & kClientMulti) ? (long long)c.mstate.size() : -1;

  // The strings of unbounded length (addresses, name) are appended as they are; the numeric
  // parts are formatted into fixed buffers that always fit.
  std::string s;
  s.reserve(384 + c.name.size());
  char buf[512];
  int n = std::snprintf(buf, sizeof buf, "id=%llu addr=", (unsigned long long)c.id);
  s.append(buf, size_t(n));
  s += c.addr;
  s += " laddr=";
  s += c.laddr;
  n = std::snprintf(buf, sizeof buf, " fd=%d name=", c.fd);
  s.append(buf, size_t(n));
  s += c.name;
  n = std::snprintf(
      buf, sizeof buf,
      " age=%lld idle=%lld flags=%s db=%d sub=%zu psub=%zu ssub=0 multi=%lld qbuf=%zu "
      "qbuf-free=%zu argv-mem=%zu multi-mem=%zu rbs=%zu rbp=%zu obl=%zu oll=0 omem=0 "
      "tot-mem=%zu events=r%s cmd=",
      (long long)((now - c.ctime_ms) / 1000), (long long)((now - c.last_interaction_ms) / 1000),
      flags, c.db ? c.db->id : c.db_index, c.channels.size(), c.patterns.size(), multi, c.in.size(),
      c.in.capacity() - std::min(c.in.capacity(), c.in.size()), argv_mem, multi_mem,
      c.out.capacity(), c.out.capacity(), c.out.size(), tot_mem, c.write_armed ? "w" : "");
  s.append(buf, size_t(n));
  s += cmd ? cmd->fullname : std::string("NULL");
  n = std::snprintf(buf, sizeof buf, " user=default redir=-1 resp=%d", int(c.proto));
  s.append(buf, size_t(n));
  return s;
}

namespace {

void client_id_command(Client& c) { c.reply().integer((long long)c.id); }

void client_getname_command(Client& c) {
  if (c.name.empty())
    c.reply().null();
  else
    c.reply().bulk(c.name);
}

// CLIENT SETNAME name: printable ASCII without spaces; an empty name removes the name.
void client_setname_command(Client& c) {
  std::string_view name = c.argv[2];
  for (unsigned char ch : name) {
    if (ch < '!' || ch > '~') {
      reply_error(c, "ERR Client names cannot contain spaces, newlines or special characters.");
      return;
    }
  }
  c.name.assign(name);
  c.reply().ok();
}

void client_info_command(Client& c) { c.reply().verbatim(client_info_string(c) + "\n"); }

// CLIENT LIST [TYPE type] | [ID id [id ...]]
void client_list_command(Client& c) {
  std::string out;
  if (c.argv.size() == 4 && eq_nocase(c.argv[2], "type")) {
    ClientType t = client_type_by_name(c.argv[3]);
    if (t == ClientType::Invalid) {
      reply_error_fmt(c, "ERR Unknown client type '%s'", std::string(c.argv[3]).c_str());
      return;
    }
    for (Client* cl : clients_in_order()) {
      if (client_type(*cl) != t) continue;
      out += client_info_string(*cl);
      out += '\n';
    }
  } else if (c.argv.size() > 3 && eq_nocase(c.argv[2], "id")) {
    for (size_t i = 3; i < c.argv.size(); i++) {
      long long id;
      if (!resp::parse_ll(c.argv[i], &id)) {
        reply_error(c, "ERR Invalid client ID");
        return;
      }
      if (id <= 0) continue;
      if (Client* cl = client_by_id(uint64_t(id))) {
        out += client_info_string(*cl);
        out += '\n';
      }
    }
  } else if (c.argv.size() != 2) {
    reply_syntax_error(c);
    return;
  } else {
    for (Client* cl : clients_in_order()) {
      out += client_info_string(*cl);
      out += '\n';
    }
  }
  c.reply().verbatim(out);
}

// CLIENT KILL addr (old form: +OK or "No such client", may kill the caller) or
// CLIENT KILL [ID id] [TYPE type] [ADDR addr] [LADDR addr] [USER name] [SKIPME yes|no]
// (new form: the number of clients killed).  Other clients are closed after this loop turn;
// the caller, if it matched, after its reply is written.
void client_kill_command(Client& c) {
  std::string_view addr, laddr;
  bool has_addr = false, has_laddr = false;
  ClientType type = ClientType::Invalid;
  bool has_type = false;
  uint64_t id = 0;
  bool skipme = true;
  bool old_form = c.argv.size() == 3;
  if (old_form) {
    addr = c.argv[2];
    has_addr = true;
    skipme = false;
  } else {
    for (size_t i = 2; i < c.argv.size(); i += 2) {
      std::string_view opt = c.argv[i];
      // An option without its value is a syntax error, as in Redis's option loop.
      if (i + 1 >= c.argv.size()) return reply_syntax_error(c);
      std::string_view val = c.argv[i + 1];
      if (eq_nocase(opt, "id")) {
        long long v;
        if (!resp::parse_ll(val, &v) || v < 1) {
          reply_error(c, "ERR client-id should be greater than 0");
          return;
        }
        id = uint64_t(v);
      } else if (eq_nocase(opt, "type")) {
        type = client_type_by_name(val);
        if (type == ClientType::Invalid) {
          reply_error_fmt(c, "ERR Unknown client type '%s'", std::string(val).c_str());
          return;
        }
        has_type = true;
      } else if (eq_nocase(opt, "addr")) {
        addr = val;
        has_addr = true;
      } else if (eq_nocase(opt, "laddr")) {
        laddr = val;
        has_laddr = true;
      } else if (eq_nocase(opt, "user")) {
        // There is one user, "default", and every connection is authenticated as it.
        if (val != "default") {
          reply_error_fmt(c, "ERR No such user '%s'", std::string(val).c_str());
          return;
        }
      } else if (eq_nocase(opt, "skipme")) {
        if (eq_nocase(val, "yes"))
          skipme = true;
        else if (eq_nocase(val, "no"))
          skipme = false;
        else
          return reply_syntax_error(c);
      } else {
        return reply_syntax_error(c);
      }
    }
  }
  long long killed = 0;
  bool close_self = false;
  for (Client* cl : clients_in_order()) {
    if (has_addr && cl->addr != addr) continue;
    if (has_laddr && cl->laddr != laddr) continue;
    if (has_type && client_type(*cl) != type) continue;
    if (id != 0 && cl->id != id) continue;
    if (cl == &c && skipme) continue;
    if (cl == &c)
      close_self = true;
    else
      client_close_async(*cl);
    killed++;
  }
  if (old_form) {
    if (killed == 0)
      reply_error(c, "ERR No such client");
    else
      c.reply().ok();
  } else {
    c.reply().integer(killed);
  }
  if (close_self) c.flags |= kClientCloseAfterReply;
}

// CLIENT REPLY ON|OFF|SKIP.  The dispatcher chose this command's writer before we ran, so ON
// points it back at the client's buffer to send its +OK; OFF and SKIP reply nothing.
void client_reply_command(Client& c) {
  std::string_view v = c.argv[2];
  if (eq_nocase(v, "on")) {
    c.flags &= ~(kClientReplyOff | kClientReplySkip | kClientReplySkipNext);
    c.w = resp::Writer(&c.out, c.proto);
    c.reply().ok();
  } else if (eq_nocase(v, "off")) {
    c.flags |= kClientReplyOff;
  } else if (eq_nocase(v, "skip")) {
    // process_command() silences a command that starts with kClientReplySkip set and clears
    // the flag when no kClientReplySkipNext is pending, so setting kClientReplySkip here
    // silences exactly the next command, as Redis does.
    if (!(c.flags & kClientReplyOff)) c.flags |= kClientReplySkip;
  } else {
    reply_syntax_error(c);
  }
}

void client_no_evict_command(Client& c) {
  std::string_view v = c.argv[2];
  if (eq_nocase(v, "on"))
    c.flags |= kClientNoEvict;
  else if (eq_nocase(v, "off"))
    c.flags &= ~kClientNoEvict;
  else
    return reply_syntax_error(c);
  c.reply().ok();
}

// No client tracking: nobody is redirected to.
void client_getredir_command(Client& c) { c.reply().integer(-1); }

// CLIENT UNBLOCK id [TIMEOUT|ERROR]: ends the wait of a client blocked on keys as if it timed
// out (a null array), or with the error "UNBLOCKED client unblocked via CLIENT UNBLOCK".
// Replies 1, or 0 when no such client is blocked.  Redis checks the reason before the id.
void client_unblock_command(Client& c) {
  if (c.argv.size() > 4) {  // Redis's addReplySubcommandSyntaxError
    std::string sub(c.argv[1].substr(0, 128));
    return reply_error_fmt(
        c, "ERR unknown subcommand or wrong number of arguments for '%s'. Try CLIENT HELP.",
        sub.c_str());
  }
  bool as_error = false;
  if (c.argv.size() == 4) {
    if (eq_nocase(c.argv[3], "error")) {
      as_error = true;
    } else if (!eq_nocase(c.argv[3], "timeout")) {
      reply_error(c, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
      return;
    }
  }
  long long id;
  if (!arg_ll(c, c.argv[2], &id)) return;
  Client* target = client_by_id(uint64_t(id));
  c.reply().integer(target && unblock_client_by_request(*target, as_error) ? 1 : 0);
}

void client_help_command(Client& c) {
  reply_help(c, {
      "CACHING (YES|NO)",
      "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
      "GETREDIR",
      "    Return the client ID we are redirecting to when tracking is enabled.",
      "GETNAME",
      "    Return the name of the current connection.",
      "ID",
      "    Return the ID of the current connection.",
      "INFO",
      "    Return information about the current client connection.",
      "KILL <ip:port>",
      "    Kill connection made from <ip:port>.",
      "KILL <option> <value> [<option> <value> [...]]",
      "    Kill connections. Options are:",
      "    * ADDR (<ip:port>|<unixsocket>:0)",
      "      Kill connections made from the specified address",
      "    * LADDR (<ip:port>|<unixsocket>:0)",
      "      Kill connections made to specified local address",
      "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
      "      Kill connections by type.",
      "    * USER <username>",
      "      Kill connections authenticated by <username>.",
      "    * SKIPME (YES|NO)",
      "      Skip killing current connection (default: yes).",
      "LIST [options ...]",
      "    Return information about client connections. Options:",
      "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
      "      Return clients of specified type.",
      "UNPAUSE",
      "    Stop the current client pause, resuming traffic.",
      "PAUSE <timeout> [WRITE|ALL]",
      "    Suspend all, or just write, clients for <timeout> milliseconds.",
      "REPLY (ON|OFF|SKIP)",
      "    Control the replies sent to the current connection.",
      "SETNAME <name>",
      "    Assign the name <name> to the current connection.",
      "UNBLOCK <clientid> [TIMEOUT|ERROR]",
      "    Unblock the specified blocked client.",
      "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
      "         [OPTIN] [OPTOUT] [NOLOOP]",
      "    Control server assisted client side caching.",
      "TRACKINGINFO",
      "    Report tracking status for the current connection.",
      "NO-EVICT (ON|OFF)",
      "    Protect current client connection from eviction.",
  });
}

// Arities count "CLIENT".
Command kSubcommands[] = {
    {.name = "help", .arity = 2, .flags = kCmdLoading, .proc = client_help_command},
    {.name = "id", .arity = 2, .flags = kCmdLoading, .proc = client_id_command},
    {.name = "info", .arity = 2, .flags = kCmdLoading, .proc = client_info_command},
    {.name = "setname", .arity = 3, .flags = kCmdLoading, .proc = client_setname_command},
    {.name = "getname", .arity = 2, .flags = kCmdLoading, .proc = client_getname_command},
    {.name = "reply", .arity = 3, .flags = kCmdLoading, .proc = client_reply_command},
    {.name = "list", .arity = -2, .flags = kCmdAdmin | kCmdLoading, .proc = client_list_command},
    {.name = "kill", .arity = -3, .flags = kCmdAdmin | kCmdLoading, .proc = client_kill_command},
    {.name = "no-evict", .arity = 3, .flags = kCmdAdmin | kCmdLoading,
     .proc = client_no_evict_command},
    {.name = "getredir", .arity = 2, .flags = kCmdLoading, .proc = client_getredir_command},
    {.name = "unblock", .arity = -3, .flags = kCmdAdmin | kCmdLoading,
     .proc = client_unblock_command},
    {},
};

Command kCommands[] = {
    {.name = "client", .arity = -2, .proc = container_command, .subcommands = kSubcommands},
};

}  // namespace

std::span<Command> client_commands() { return kCommands; }

}  // namespace sc::broker
