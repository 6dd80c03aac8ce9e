// Per-socket and per-address limits: the client address a socket is charged to
// (--trust-proxy), the WebSockets per address (--address-socket-limit, the seed's
// addressSocketLimit) and the outbound queue of a socket that does not read
// (--outbound-queue-limit).  --max-payload lives with the reads in worker.cpp.
//
// Contract:
// - client_address(wsi): without --trust-proxy the TCP peer; with it, the source of the PROXY
//   header the connection began with, else the first X-Forwarded-For entry when it is an IP
//   address, else the peer.  Valid from LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION to
//   LWS_CALLBACK_ESTABLISHED (the headers are gone afterwards).
// - A WebSocket counts against its address from ESTABLISHED to CLOSED; an upgrade that would
//   pass the limit is refused in FILTER_PROTOCOL_CONNECTION with HTTP 429 (no WebSocket, so the
//   client sees a failed connection and backs off).  The count is per worker process: behind a
//   balancer with IP affinity every socket of an address reaches the same worker.
// - outbound_over(s, add): a frame of `add` bytes may always enter an empty queue (one answer
//   as big as --max-payload still goes); one that would take a non-empty queue past the limit
//   drops the queue and closes the socket 1013 ("Try Again Later").  Only that socket pays:
//   delivery to the others goes on, and the dropped frames free their memory at once.
#include <libwebsockets.h>

#include "log.h"
#include "proxy_header.h"
#include "worker_state.h"

namespace sc {

std::string WorkerState::client_address(lws* wsi) {
  char peer[64] = {0};
  lws_get_peer_simple(wsi, peer, sizeof peer);
  if (!opt.trust_proxy) return peer;
  int fd = int(lws_get_socket_fd(wsi));
  if (fd >= 0 && size_t(fd) < proxied_address.size() && !proxied_address[fd].empty())
    return proxied_address[fd];
  char xff[256] = {0};
  if (lws_hdr_copy(wsi, xff, sizeof xff, WSI_TOKEN_X_FORWARDED_FOR) > 0) {
    std::string a = first_forwarded_for(xff);
    if (!a.empty()) return a;
  }
  return peer;
}

bool WorkerState::address_full(const std::string& address) const {
  if (!opt.address_socket_limit) return false;
  auto it = address_sockets.find(address);
  return it != address_sockets.end() && it->second >= opt.address_socket_limit;
}

void WorkerState::count_address(SocketState* s, int delta) {
  if (!opt.address_socket_limit) return;
  if (delta > 0) {
    address_sockets[s->remote]++;
    return;
  }
  auto it = address_sockets.find(s->remote);
  if (it != address_sockets.end() && --it->second == 0) address_sockets.erase(it);
}

bool WorkerState::outbound_over(SocketState* s, size_t add) {
  if (s->out.empty() || s->out.bytes + add <= opt.outbound_queue_limit) return false;
  SC_LOG(Verbose, "socket %s: %zu bytes queued, over --outbound-queue-limit: close 1013",
         s->id.c_str(), s->out.bytes + add);
  s->out.clear();
  request_close(s, close_code::kTryAgainLater, "Outbound queue limit reached");
  return true;
}

}  // namespace sc
