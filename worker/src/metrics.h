// The worker's counters, exposed by GET /metrics (http.cpp renders them; docs/worker.md lists
// each).  Plain data: the code that counts includes this and nothing else of HTTP.
#pragma once
#include <cstdint>
#include <map>

namespace sc {

struct Metrics {
  uint64_t messages_in = 0;        // complete WebSocket messages read (a batch counts once)
  uint64_t messages_out = 0;       // WebSocket messages written (each recipient of a publication)
  uint64_t publications_sent = 0;  // PUBLISHes to the brokers (client #publish, Exchange)
  uint64_t publications_received = 0;  // publications the brokers delivered on a held channel
  uint64_t origin_refused = 0;         // upgrades refused by --origins (403)
  uint64_t address_refused = 0;        // upgrades refused by --address-socket-limit (429)
  uint64_t http_requests = 0;          // plain HTTP requests answered (any status)
  std::map<int, uint64_t> closes;      // WebSocket closes by code (1006: no close frame)
};

}  // namespace sc
