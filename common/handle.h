// Owning handles for C library objects: std::unique_ptr whose deleter is the library's free
// function, named once in the alias (`Handle<event_base, event_base_free>`).  For what a
// component owns; never for what a library hands out borrowed (struct lws*, a connected
// redisAsyncContext).
#pragma once
#include <memory>

namespace sc {

// Calls Free(p): a stateless deleter, so the handle stays one pointer wide.
template <auto Free>
struct FreeWith {
  template <class T>
  void operator()(T* p) const {
    Free(p);
  }
};

template <class T, auto Free>
using Handle = std::unique_ptr<T, FreeWith<Free>>;

}  // namespace sc
