#include "affinity.h"

#include <netinet/in.h>

#include <cmath>
#include <string_view>

#include "consistent_hash.h"
#include "server.h"

namespace sc::bal {

uint64_t affinity_ip_key(const sockaddr* peer) {
  if (peer->sa_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(peer);
    return hash64(std::string_view(reinterpret_cast<const char*>(&in->sin_addr), 4));
  }
  if (peer->sa_family == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(peer);
    const char* a = reinterpret_cast<const char*>(&in6->sin6_addr);
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) return hash64(std::string_view(a + 12, 4));
    return hash64(std::string_view(a, 16));
  }
  return 0;
}

static Backend* pick_none(Server* s, const Backend* avoid) {
  Backend* owed = nullptr;
  for (auto& b : s->backends)
    if (b->up && b.get() != avoid && b->quota > 0 && (!owed || b->quota > owed->quota))
      owed = b.get();
  if (owed) {
    owed->quota--;
    return owed;
  }
  Backend* best = nullptr;
  size_t n = s->backends.size();
  uint32_t start = s->rr++;
  for (size_t i = 0; i < n; i++) {
    Backend* b = s->backends[(start + i) % n].get();
    if (b->up && b != avoid && (!best || b->conns < best->conns)) best = b;
  }
  return best;
}

static Backend* pick(Server* s, uint64_t key, const Backend* avoid) {
  if (s->cfg.affinity == Affinity::None) return pick_none(s, avoid);
  auto& list = s->backends;
  int slot = pick_live(key, int(list.size()), [&](int i) {
    return list[size_t(i)]->up && list[size_t(i)].get() != avoid;
  });
  return slot < 0 ? nullptr : list[size_t(slot)].get();
}

Backend* affinity_pick(Server* s, uint64_t key, const Backend* avoid) {
  Backend* b = pick(s, key, avoid);
  return b || !avoid ? b : pick(s, key, nullptr);
}

void affinity_refresh_quotas(Server* s) {
  if (s->cfg.affinity != Affinity::None) return;
  uint32_t max = 0;
  for (auto& b : s->backends)
    if (b->up && b->conns > max) max = b->conns;
  for (auto& b : s->backends)
    b->quota = b->up ? int(std::lround(double(max - b->conns) / s->cfg.balancers)) : 0;
}

}  // namespace sc::bal
