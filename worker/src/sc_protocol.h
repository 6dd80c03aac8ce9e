// The SocketCluster wire codec: one inbound text frame → pings/pongs or a list of packets, and
// the outbound packets encoded as JSON text.  Pure functions: no socket, no loop, no app.
//
// Why a scanner and not a DOM: a frame is parsed once, and the parts the worker only forwards
// (`data`, `cid`, an `error` object) are kept as spans of the frame's own text, so an echo or a
// publication re-emits the exact bytes it received (numbers keep their digits) without building
// and re-printing a tree.  The whole frame is still validated as JSON (RFC 8259 grammar, depth
// limit), so a span is always one well-formed JSON value.
//
// Contract:
// - parse_frame() never throws and never reads past `frame`.  The spans in the packets point
//   into `frame`: they are valid while the caller keeps the frame's bytes.
// - Classification follows the client's transport.js / the v20 server (sc-protocol.md §4):
//   the ping string of the configured version, else a JSON object or array of objects, else
//   `Kind::NotJson` (raw).  In a packet, `event` must be a JSON string and `cid` / `rid` JSON
//   numbers: a string `cid` makes an invoke a transmit, a string `rid` is ignored.
// - Encoders append to *out and never fail; `data` spans given to them must be JSON text
//   (empty = absent: the key is left out, as JSON.stringify drops undefined).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sc::proto {

enum class FrameKind : uint8_t {
  Ping,     // "#1" (v1) — a client never pings, but it is not an error
  Pong,     // "" (v2) or "#2" (either version: accepted cheaply)
  Packets,  // a JSON object or an array: see packets (non-object elements are dropped)
  NotJson,  // anything else: raw text, malformed JSON included
};

enum class PacketKind : uint8_t {
  Invoke,    // string event + numeric cid
  Transmit,  // string event, no numeric cid
  Response,  // numeric rid (data or error)
  Other,     // an object that is none of the above
};

struct Packet {
  PacketKind kind = PacketKind::Other;
  std::string event;          // decoded (escapes resolved)
  std::string_view cid;       // the cid's JSON number text (Invoke)
  int64_t rid = 0;            // Response: the rid as an integer (non-integers never match)
  bool rid_integral = false;  // the rid is an integer that fits int64
  std::string_view data;      // JSON text of `data`; empty when absent
  std::string_view error;     // JSON text of `error`; empty when absent
};

struct Limits {
  size_t max_depth = 128;  // nesting of arrays/objects inside a frame
};

// Classifies and splits one frame.  `version` 1 or 2 says which strings are pings.
FrameKind parse_frame(std::string_view frame, int version, std::vector<Packet>* packets,
                      const Limits& limits = {});

// True when `text` is exactly one JSON value (surrounding whitespace allowed).
bool valid_json(std::string_view text, size_t max_depth = 128);

// For `value`, one valid JSON value: when it is an object holding `key` (the last duplicate
// wins, as with JSON.parse), *out is the span of that member's value and the result true.
bool object_member(std::string_view value, std::string_view key, std::string_view* out);

// Decodes a JSON string literal (with quotes) into UTF-8.  False when it is not one.
bool decode_string(std::string_view literal, std::string* out);

// ---- encoders (append to *out) ----

// {"rid":<cid>,"data":<data>} ; data empty → {"rid":<cid>}
void encode_response(std::string_view cid, std::string_view data, std::string* out);
// {"rid":<cid>,"error":<error>}
void encode_error_response(std::string_view cid, std::string_view error, std::string* out);
// {"event":"<event>","data":<data>}
void encode_transmit(std::string_view event, std::string_view data, std::string* out);
// {"event":"#publish","data":{"channel":"<channel>","data":<data>}} (data empty → left out)
void encode_publish(std::string_view channel, std::string_view data, std::string* out);
// {"event":"<event>","cid":<cid>,"data":<data>}
void encode_invoke(std::string_view event, uint64_t cid, std::string_view data, std::string* out);
// An error object {"message":"..","name":"..",<extra members>}; `extra_members` is either
// empty or the text of members without braces ("\"isBadToken\":true").
void encode_error(std::string_view name, std::string_view message, std::string_view extra_members,
                  std::string* out);

// The ping string of a protocol version: "" (v2) or "#1" (v1).
inline std::string_view ping_text(int version) { return version == 1 ? "#1" : ""; }

}  // namespace sc::proto
