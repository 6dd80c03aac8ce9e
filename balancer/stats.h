// The --stats endpoint: any HTTP GET there answers the Prometheus text exposition of the
// counters (connections, bytes, backend states, closes by reason).  Separate from data ports.
#pragma once
#include <string>

namespace sc::bal {

struct Server;

bool stats_start(Server* s, std::string* error);
std::string stats_render(const Server& s);

}  // namespace sc::bal
