// Owning handles for libevent objects: std::unique_ptr with the library's free function.
// Use them for what a component owns; never for what libevent hands out borrowed.
// Contract: free every event before its event_base (reset them in that order at shutdown);
// new_event() is the only event_new in broker/, balancer/ and common/: no raw event to leak.
#pragma once
#include <event2/event.h>
#include <event2/listener.h>

#include <memory>

namespace sc {

struct EventBaseFree {
  void operator()(event_base* b) const { event_base_free(b); }
};
struct EventFree {
  void operator()(event* e) const { event_free(e); }
};
struct ListenerFree {
  void operator()(evconnlistener* l) const { evconnlistener_free(l); }
};

using EventBasePtr = std::unique_ptr<event_base, EventBaseFree>;
using EventPtr = std::unique_ptr<event, EventFree>;
using ListenerPtr = std::unique_ptr<evconnlistener, ListenerFree>;

// event_new, owned by the caller.  Null when libevent cannot make the event.
inline EventPtr new_event(event_base* base, evutil_socket_t fd, short what, event_callback_fn cb,
                          void* arg) {
  return EventPtr(event_new(base, fd, what, cb, arg));
}

}  // namespace sc
