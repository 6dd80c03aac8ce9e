// The list type's surface for other files (AOF rewrite, MEMORY-like reporting, tests).
// Commands live in t_list.cpp and are exported through list_commands() (server.h).
#pragma once
#include <cstddef>
#include <functional>
#include <string_view>

#include "object.h"

namespace sc::broker {

// An empty list value (Type::List, Enc::Quicklist) owned by the caller.
Robj list_new_value();
// Appends `s` at the tail of the list value `v`.
void list_push_back(Robj& v, std::string_view s);
size_t list_length(const Robj& v);
// Calls `fn` for every element from head to tail.  The views are valid during the call only;
// `fn` must not modify the list.
void list_for_each(const Robj& v, const std::function<void(std::string_view)>& fn);
// Bytes owned by the list (nodes, their slack and the node index).
size_t list_mem(const Robj& v);

}  // namespace sc::broker
