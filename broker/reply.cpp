// Error and help replies (reply.h).
#include "reply.h"

#include <algorithm>
#include <cctype>
#include <cstdarg>
#include <cstdio>
#include <string>

#include "info.h"
#include "server.h"

namespace sc::broker {

void reply_error(Client& c, std::string_view err) {
  srv().stats.total_error_replies++;
  errorstat_incr(err);
  if (c.cmd) c.cmd->failed_calls++;
  c.reply().error(err);
}

void reply_error_fmt(Client& c, const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  reply_error(c, std::string_view(buf, std::min(size_t(n), sizeof buf - 1)));
}

void reply_wrong_arity(Client& c) {
  std::string name = c.cmd ? c.cmd->fullname : std::string(c.argv[0]);
  reply_error_fmt(c, "ERR wrong number of arguments for '%s' command", name.c_str());
}
void reply_syntax_error(Client& c) { reply_error(c, kErrSyntax); }
void reply_not_integer(Client& c) { reply_error(c, kErrNotInteger); }
void reply_wrongtype(Client& c) { reply_error(c, kErrWrongType); }

void reply_help(Client& c, std::initializer_list<const char*> lines) {
  std::string head(c.argv[0]);
  for (char& ch : head) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  head += " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:";
  c.reply().array(lines.size() + 3);
  c.reply().simple(head);
  for (const char* line : lines) c.reply().simple(line);
  c.reply().simple("HELP");
  c.reply().simple("    Prints this help.");
}

}  // namespace sc::broker
