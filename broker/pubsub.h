// Pub/Sub internals other broker files use (the public API is in server.h).
#pragma once

namespace sc::broker {

// True when no client is subscribed to any channel or pattern: publishing would reach nobody,
// so callers (keyspace notifications) may skip building the message.
bool pubsub_idle();

}  // namespace sc::broker
