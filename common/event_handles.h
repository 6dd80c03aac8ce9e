// Owning handles for libevent objects: std::unique_ptr with the library's free function.
// Use them for what a component owns; never for what libevent hands out borrowed.
#pragma once
#include <event2/bufferevent.h>
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
struct BuffereventFree {
  void operator()(bufferevent* b) const { bufferevent_free(b); }
};

using EventBasePtr = std::unique_ptr<event_base, EventBaseFree>;
using EventPtr = std::unique_ptr<event, EventFree>;
using ListenerPtr = std::unique_ptr<evconnlistener, ListenerFree>;
using BuffereventPtr = std::unique_ptr<bufferevent, BuffereventFree>;

}  // namespace sc
