// MONITOR: clients that receive every command the broker executes, one line each, in Redis's
// format (`+1700000000.123456 [0 127.0.0.1:12345] "set" "k" "v"`).
#pragma once
#include <string>
#include <string_view>

#include "server.h"

namespace sc::broker {

// MONITOR (monitor_commands() in server.h) flags a client kClientMonitor and adds it to
// srv().monitors.
// Removes `c` from srv().monitors (no-op if it is not there).  Call when a monitor is freed
// or RESET.
void monitor_remove(Client& c);
// Appends `s` quoted the way Redis's sdscatrepr does: "..." with \" \\ \n \r \t \a \b escapes
// and \xHH for other non-printable bytes.
void append_repr(std::string* out, std::string_view s);

// monitor_feed(Client&) is declared in server.h.

}  // namespace sc::broker
