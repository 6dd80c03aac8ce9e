// Backend health: passive (a refused, reset or timed-out connect takes a backend out at once)
// and active (every --health-interval a TCP connect, or `GET --health-path` expecting 2xx/3xx;
// --health-rise successes bring a backend back, --health-fall soft failures take it out; a
// refused check takes it out at once).  Marking a backend down closes its open connections.
#pragma once

#include "balancer.h"

namespace sc::bal {

struct Server;

// Starts the periodic checks (also recomputes `none` quotas and frees retired backends).
void health_start(Server* s);
// Frees the checks in flight (at exit).
void health_stop(Server* s);
// The data path could not connect to `b` (errno `err`).
void health_connect_failed(Server* s, Backend* b, int err);

}  // namespace sc::bal
