// JSON documents in the keyspace (Type::Json): shared by the RESP commands (t_json.cpp) and the
// nData-like protocol (ndata.cpp).  A Json Robj owns a heap json::Value (Robj::ptr).
#pragma once
#include <string_view>

#include "json.h"  // common/: the DOM
#include "server.h"

namespace sc::broker {

// Wraps a document as a keyspace value (takes ownership).
Robj json_value(json::Value doc);
// The document of a Json value.
inline json::Value* json_doc(const Robj& v) { return static_cast<json::Value*>(v.ptr); }
// Bytes owned by a Json value (for MEMORY USAGE-like reporting).
size_t json_mem(const Robj& v);
// Parser limits from the configuration (json-max-depth, json-max-size).
json::ParseLimits json_parse_limits();

}  // namespace sc::broker
