// Owning handles for libevent objects: std::unique_ptr with the library's free function.
// Use them for what a component owns; never for what libevent hands out borrowed.
// Contract: free every event before its event_base (reset them in that order at shutdown);
// new_event() is the only event_new in broker/, balancer/ and common/: no raw event to leak.
#pragma once
#include <event2/event.h>
#include <event2/listener.h>

#include "handle.h"

namespace sc {

using EventBasePtr = Handle<event_base, event_base_free>;
using EventPtr = Handle<event, event_free>;
using ListenerPtr = Handle<evconnlistener, evconnlistener_free>;

// event_new, owned by the caller.  Null when libevent cannot make the event.
inline EventPtr new_event(event_base* base, evutil_socket_t fd, short what, event_callback_fn cb,
                          void* arg) {
  return EventPtr(event_new(base, fd, what, cb, arg));
}

}  // namespace sc
