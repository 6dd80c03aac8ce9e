// JSON documents in the keyspace (Type::Json): shared by the RESP commands (json.cpp) and the
// nData-like protocol (ndata.cpp).  A Json Value owns a heap json::Value (Value::ptr).
#pragma once
#include <string_view>

#include "../common/json.h"  // the DOM (the broker has its own json.h: this file)
#include "server.h"

namespace sc::broker {

// Wraps a document as a keyspace value (takes ownership).
Value json_value(json::Value doc);
// The document of a Json value.
inline json::Value* json_doc(const Value& v) { return static_cast<json::Value*>(v.ptr); }
// Bytes owned by a Json value (for MEMORY USAGE-like reporting).
size_t json_mem(const Value& v);
// Parser limits from the configuration (json-max-depth, json-max-size).
json::ParseLimits json_parse_limits();

}  // namespace sc::broker
