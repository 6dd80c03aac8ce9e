// maxmemory-clients: when the clients' buffers together take more than the limit, the biggest
// clients are closed first until they fit again (Redis 7.0's client eviction).
//
// Why: one client that sends a huge unfinished command or never reads its replies can make the
// broker hold gigabytes; client-query-buffer-limit and client-output-buffer-limit bound each
// client alone, this bounds them all together, so many medium clients cannot either.
//
// Contract:
// - The limit is maxmemory-clients bytes, or its percentage of maxmemory ("10%"; no limit while
//   maxmemory is 0); never below 128 KB, as in Redis, so a tiny value cannot close every client.
// - Only evictable clients count and are closed: not those with CLIENT NO-EVICT on, nor those
//   already closing.  A client's memory is client_memory() (struct, query and output buffers,
//   MULTI queue), the figure CLIENT LIST's tot-mem shows.
// - evict_clients() runs once per event-loop turn, after the replies were written (what is
//   left is what clients did not read) and before closed clients are freed.  With the default
//   maxmemory-clients 0 it returns at its first test; otherwise it walks the clients once.
// - Each closed client counts in INFO stats' evicted_clients.
#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "log.h"
#include "networking.h"
#include "server.h"

namespace sc::broker {

size_t client_eviction_limit() {
  const Config& cfg = srv().cfg;
  unsigned long long limit = 0;
  if (cfg.maxmemory_clients > 0) {
    limit = (unsigned long long)cfg.maxmemory_clients;
  } else if (cfg.maxmemory_clients < 0 && cfg.maxmemory > 0) {
    limit = (unsigned long long)(double(cfg.maxmemory) * double(-cfg.maxmemory_clients) / 100);
  } else {
    return 0;
  }
  constexpr unsigned long long kFloor = 128 * 1024;
  if (limit < kFloor) limit = kFloor;
  return limit > SIZE_MAX ? SIZE_MAX : size_t(limit);
}

static bool evictable(const Client& c) { return !(c.flags & (kClientNoEvict | kClientCloseAsap)); }

void evict_clients() {
  if (srv().cfg.maxmemory_clients == 0) return;
  size_t limit = client_eviction_limit();
  if (!limit) return;  // a percentage while maxmemory is 0
  Server& s = srv();
  size_t total = 0;
  for (const auto& [id, c] : s.clients)
    if (evictable(*c)) total += client_memory(*c);
  if (total <= limit) return;
  std::vector<std::pair<size_t, Client*>> by_size;
  by_size.reserve(s.clients.size());
  for (const auto& [id, c] : s.clients)
    if (evictable(*c)) by_size.emplace_back(client_memory(*c), c);
  std::sort(by_size.begin(), by_size.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  for (auto& [mem, c] : by_size) {
    if (total <= limit) break;
    SC_LOG(Verbose, "Evicting client: id=%llu addr=%s tot-mem=%zu (maxmemory-clients %zu)",
           (unsigned long long)c->id, c->addr.c_str(), mem, limit);
    total -= mem;
    s.stats.evicted_clients++;
    client_close_async(*c);
  }
}

}  // namespace sc::broker
