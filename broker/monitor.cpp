// MONITOR and the feed of executed commands to monitors (Redis's replicationFeedMonitors).
#include "monitor.h"

#include <sys/time.h>

#include <algorithm>
#include <cstdio>

namespace sc::broker {

void append_repr(std::string* out, std::string_view s) {
  // The bytes written as a backslash and a letter, and their letters.
  static constexpr std::string_view kEscaped = "\\\"\n\r\t\a\b", kLetters = "\\\"nrtab";
  out->push_back('"');
  for (unsigned char ch : s) {
    size_t i = kEscaped.find(char(ch));
    if (i != std::string_view::npos) {
      out->push_back('\\');
      out->push_back(kLetters[i]);
    } else if (ch >= 0x20 && ch < 0x7f) {  // isprint() in the C locale
      out->push_back(char(ch));
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", ch);
      out->append(hex, 4);
    }
  }
  out->push_back('"');
}

namespace {

void monitor_command(Client& c) {
  // Like Redis: a client inside a transaction expects one reply per command, so it cannot
  // become a monitor; a client that already is one gets no second reply.
  if (c.flags & kClientMulti) {
    reply_error(c, "ERR MONITOR isn't allowed for DENY BLOCKING client");
    return;
  }
  if (c.flags & kClientMonitor) return;
  c.flags |= kClientMonitor;
  srv().monitors.push_back(&c);
  c.reply().ok();
}

Command kCommands[] = {
    {.name = "monitor", .arity = 1, .flags = kCmdAdmin | kCmdLoading, .proc = monitor_command},
};

}  // namespace

std::span<Command> monitor_commands() { return kCommands; }

void monitor_remove(Client& c) {
  auto& m = srv().monitors;
  m.erase(std::remove(m.begin(), m.end(), &c), m.end());
  c.flags &= ~kClientMonitor;
}

void monitor_feed(Client& c) {
  Server& s = srv();
  if (s.monitors.empty() || c.argv.empty()) return;
  // Redis 7.0 hides administrative commands (CONFIG, DEBUG, MONITOR, CLIENT KILL...) and
  // shows AUTH and HELLO with their secrets replaced by "(redacted)".
  bool is_auth = eq_nocase(c.argv[0], "auth"), is_hello = eq_nocase(c.argv[0], "hello");
  if (c.cmd) {
    uint32_t flags = c.cmd->flags | (c.cmd->parent ? c.cmd->parent->flags : 0);
    if (flags & kCmdAdmin) return;
    if ((flags & kCmdNoMonitor) && !is_auth && !is_hello) return;
  }
  timeval tv;
  gettimeofday(&tv, nullptr);
  std::string line;
  line.reserve(64 + c.addr.size() + c.argv.size() * 8);
  char head[64];
  int n = std::snprintf(head, sizeof head, "+%ld.%06ld [%d ", long(tv.tv_sec), long(tv.tv_usec),
                        c.db ? c.db->id : c.db_index);
  line.append(head, size_t(n));
  line.append(c.addr);
  line.append("] ");
  size_t redact_from = c.argv.size(), redact_to = c.argv.size();
  if (is_auth) {
    redact_from = 1;
  } else if (is_hello) {
    // HELLO [protover [AUTH username password] [SETNAME name]]
    for (size_t i = 2; i + 2 < c.argv.size(); i++) {
      if (eq_nocase(c.argv[i], "auth")) {
        redact_from = i + 1;
        redact_to = i + 3;
        break;
      }
    }
  }
  for (size_t i = 0; i < c.argv.size(); i++) {
    if (i) line.push_back(' ');
    if (i >= redact_from && i < redact_to)
      line.append("\"(redacted)\"");
    else
      append_repr(&line, c.argv[i]);
  }
  line.append("\r\n");
  for (Client* m : s.monitors) {
    if (m->flags & (kClientCloseAsap | kClientCloseAfterReply)) continue;
    m->out.append(line);
    client_output_changed(*m);
  }
}

}  // namespace sc::broker
