// The set type's public surface beyond its commands (set_commands() in server.h,
// set_free/set_dup in object.h): read access for other parts of the broker (AOF rewrite,
// memory reporting).
#pragma once
#include <cstddef>
#include <string_view>

#include "object.h"

namespace sc::broker {

// Number of members of a Type::Set value.
size_t set_len(const Robj& v);
// Bytes owned by the value, for memory reporting.
size_t set_mem(const Robj& v);
// Calls fn(ctx, member) for every member (intsets: ascending).  The view is valid only during
// the call; fn must not modify the set.
void set_for_each_raw(const Robj& v, void (*fn)(void* ctx, std::string_view member), void* ctx);
template <class F>
void set_for_each(const Robj& v, F&& fn) {
  set_for_each_raw(
      v, [](void* ctx, std::string_view m) { (*static_cast<F*>(ctx))(m); }, &fn);
}

}  // namespace sc::broker
