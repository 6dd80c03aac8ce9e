// Backend health: passive (a connect that is refused, unreachable or not complete within
// --timeout-connect takes a backend out at once; a connection it resets before answering is one
// soft failure) and active (every --health-interval a TCP connect, or `GET --health-path`
// expecting 2xx/3xx; --health-rise successes bring a backend back, --health-fall soft failures
// take it out; a refused check takes it out at once).  Marking a backend down closes its open
// connections, except when resets took it out: they concern single connections, and the
// backend's others may be working.
#pragma once

#include "balancer.h"

namespace sc::bal {

struct Server;

// Starts the periodic checks (also recomputes `none` quotas and frees retired backends).
void health_start(Server* s);
// Frees the checks in flight (at exit).
void health_stop(Server* s);
// The data path could not connect to `b` (errno `err`): the connect did not complete.
void health_connect_failed(Server* s, Backend* b, int err);
// `b` reset a connection before its first answer byte, after the client's bytes had reached it.
void health_backend_reset(Server* s, Backend* b);

}  // namespace sc::bal
