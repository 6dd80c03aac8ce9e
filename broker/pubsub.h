// Pub/Sub internals other broker files use (the public API is in server.h).
#pragma once
#include <string_view>

#include "server.h"

namespace sc::broker {

// True when no client is subscribed to any channel or pattern: publishing would reach nobody,
// so callers (keyspace notifications) may skip building the message.
bool pubsub_idle();

// Subscription changes that write no reply (the nData protocol answers in its own format).
// True if the client's subscription set changed.
bool pubsub_subscribe_quiet(Client& c, std::string_view channel);
bool pubsub_unsubscribe_quiet(Client& c, std::string_view channel);

}  // namespace sc::broker
