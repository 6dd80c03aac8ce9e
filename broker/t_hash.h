// The hash type's public surface beyond its commands (hash_commands() in server.h,
// hash_free/hash_dup in object.h): read access for other parts of the broker (AOF rewrite,
// memory reporting, DEBUG-like tooling).
#pragma once
#include <cstddef>
#include <string_view>

#include "object.h"

namespace sc::broker {

// Number of fields of a Type::Hash value.
size_t hash_len(const Robj& v);
// Bytes owned by the value (its blocks and tables), for memory reporting.
size_t hash_mem(const Robj& v);
// Calls fn(ctx, field, value) for every field in the value's order.  The views are valid only
// during the call; fn must not modify the hash.
void hash_for_each_raw(const Robj& v,
                       void (*fn)(void* ctx, std::string_view field, std::string_view value),
                       void* ctx);
template <class F>
void hash_for_each(const Robj& v, F&& fn) {
  hash_for_each_raw(
      v,
      [](void* ctx, std::string_view f, std::string_view val) { (*static_cast<F*>(ctx))(f, val); },
      &fn);
}

}  // namespace sc::broker
