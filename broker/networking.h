// The connection layer's entry points, used by the server loop (server.cpp).
#pragma once
#include "server.h"

namespace sc::broker {

bool listen_all();                // opens cfg.bind listeners on cfg.port
void close_listeners();
// Listens on the configured port/bind again (CONFIG SET port/bind); keeps the old sockets and
// returns false if the new ones cannot be opened.
bool rebind_listeners();
void flush_pending_writes();      // one write per client with new output (end of a loop turn)
void free_closed_clients();       // frees clients flagged kClientCloseAsap
void close_timedout_clients();    // `timeout` config
void resize_query_buffers();      // gives back query buffers that are idle or oversized
void free_client(Client* c);
// Runs the commands waiting in c's query buffer (a client that was blocked and is not now).
void client_process_pending_input(Client& c);

}  // namespace sc::broker
