// Choosing a backend for a new client connection.
//
// ip and session: a 64-bit key (the client address, or the session id) is mapped with jump
// consistent hash over the *configured* ordered backend list; a key whose backend is down is
// re-hashed onto the live ones (common/consistent_hash.h), so a death moves only the dead
// backend's keys and they return when it comes back.  Every instance with the same list and the
// same view of health maps alike, across restarts.
//
// none: the original SocketCluster balancer's "random with deterministic bad-luck correction",
// made local: at each health tick every live backend is owed quota = (max conns - its conns) /
// balancers; a new connection goes to the live backend owed the most (and pays one), else to
// the least loaded (ties rotate).
#pragma once
#include <sys/socket.h>

#include <cstdint>

#include "balancer.h"

namespace sc::bal {

struct Server;

// The hash key of a client address: hash64 of its 4 (IPv4, also when IPv4-mapped IPv6) or 16
// address bytes.  The port is ignored.
uint64_t affinity_ip_key(const sockaddr* peer);

// The backend for `key` under the configured affinity, or null when none is live.  `avoid` (the
// backend that just reset this connection, still live) is chosen only when no other is live.
Backend* affinity_pick(Server* s, uint64_t key, const Backend* avoid = nullptr);

// Recomputes the `none` mode quotas from the current connection counts.
void affinity_refresh_quotas(Server* s);

}  // namespace sc::bal
