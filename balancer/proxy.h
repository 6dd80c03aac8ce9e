// The proxy pipe: one client connection bound to one backend connection, bytes copied unchanged
// both ways.
//
// Phases: [TLS handshake] → [request head peek, session mode] → backend connect (retried on the
// next live backend when refused) → piping.  Each phase has its own timeout.  Piping reads a chunk
// from one side and writes it at once to the other; what the other side cannot take stays in a
// per-direction pending buffer (at most one chunk) and reading from the first side stops until it
// drains: a stalled reader stops its writer and memory stays flat.  A FIN is passed on with
// shutdown(SHUT_WR) once the pending bytes are out; the connection ends when both directions
// have ended or either side fails.
#pragma once
#include <sys/socket.h>

#include "balancer.h"

namespace sc::bal {

struct Server;

// Takes ownership of the accepted, non-blocking socket `fd`.
void proxy_accept(Server* s, int fd, const sockaddr* peer, socklen_t peer_len, bool tls);
// Closes every connection bound to `b` (it was marked down).
void proxy_close_backend_conns(Server* s, Backend* b, CloseReason why);
// Sends the FINs deferred during this loop turn (the server's zero-timeout timer calls it).
void proxy_run_deferred_fins(Server* s);
// Issues the connects and writes batched during this loop turn (the server's loop calls it
// after each turn).
void proxy_end_turn(Server* s);
// Takes in the results of batched connects that finished (no system call).
void proxy_reap_connects(Server* s);
// Closes every open connection (end of the SIGTERM grace period).
void proxy_close_all(Server* s, CloseReason why);

}  // namespace sc::bal
