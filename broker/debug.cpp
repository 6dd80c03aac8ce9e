// DEBUG, reduced to what the tests use (SLEEP, SET-ACTIVE-EXPIRE, HELP).
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "server.h"

namespace sc::broker {

namespace {

// DEBUG, reduced to what tests use.  Refused by the dispatcher unless enable-debug-command
// allows it (kCmdProtected), as in Redis 7: DEBUG SLEEP stops the whole server.
void debug_command(Client& c) {
  std::string_view sub = c.argv[1];
  if (eq_nocase(sub, "help")) {
    return reply_help(c, {
        "SLEEP <seconds>",
        "    Stop the server for <seconds>. Decimals allowed.",
        "SET-ACTIVE-EXPIRE <0|1>",
        "    Setting it to 0 disables expiring keys in background when they are not",
        "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
        "    default.",
    });
  }
  if (eq_nocase(sub, "sleep") && c.argv.size() == 3) {
    double secs;
    if (!arg_double(c, c.argv[2], &secs)) return;
    if (secs > 0)
      std::this_thread::sleep_for(std::chrono::microseconds(static_cast<long long>(secs * 1e6)));
    return c.reply().ok();
  }
  if (eq_nocase(sub, "set-active-expire") && c.argv.size() == 3) {
    // Redis takes atoi() of the argument: anything but a non-zero number turns it off.
    srv().active_expire = std::atoi(std::string(c.argv[2]).c_str()) != 0;
    return c.reply().ok();
  }
  std::string up(sub.substr(0, 128));
  reply_error_fmt(c, "ERR unknown subcommand '%s'. Try DEBUG HELP.", up.c_str());
}

Command kCommands[] = {
    {.name = "debug", .arity = -2, .flags = kCmdAdmin | kCmdLoading | kCmdProtected,
     .proc = debug_command},
};

}  // namespace

std::span<Command> debug_commands() { return kCommands; }

}  // namespace sc::broker
