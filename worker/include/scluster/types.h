// Plain types of the worker toolkit: JSON values as text, error objects, close codes and the
// middleware points.  No heavy includes: an app that only names these types pulls in nothing
// of libwebsockets, libev or the JSON DOM.
//
// Contract:
// - A Json holds one JSON value as its compact text, or nothing ("absent": JavaScript's
//   undefined, a key the protocol leaves out).  Json::raw() trusts its caller; every other
//   constructor produces valid JSON.  Data received from a client is kept byte for byte.
// - An Error is SocketCluster's error object {message, name, ...extra members}; `extra` is the
//   text of the extra members without braces ("\"statusCode\":4501").
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace sc {

namespace json {
class Value;
}

class Json {
 public:
  Json() = default;                                                    // absent
  static Json raw(std::string text) { return Json(std::move(text)); }  // caller: valid JSON
  static Json parse(std::string_view text);  // absent when `text` is not JSON
  static Json of(const json::Value& v);
  static Json string(std::string_view s);
  static Json number(int64_t n) { return Json(std::to_string(n)); }
  static Json null() { return Json("null"); }

  bool absent() const { return text_.empty(); }
  std::string_view text() const { return text_; }
  // Parses into a DOM (false when absent).
  bool to_value(json::Value* out) const;
  // For objects: the member `key` as a Json (absent when missing or not an object).
  Json get(std::string_view key) const;
  // A string value's contents (false when this is not a JSON string).
  bool as_string(std::string* out) const;

 private:
  explicit Json(std::string text) : text_(std::move(text)) {}
  std::string text_;
};

struct Error {
  std::string name;  // the client rebuilds an Error with this name
  std::string message;
  std::string extra;  // more members, JSON text without braces, may be empty
  // The wire form {"message":..,"name":..,extra}.
  std::string to_json() const;
};

// Close codes SocketCluster uses (sc-errors' socketProtocolErrorStatuses).
namespace close_code {
constexpr int kNormal = 1000;  // no auto-reconnect
constexpr int kGoingAway = 1001;
constexpr int kMessageTooBig = 1009;
constexpr int kTryAgainLater = 1013;  // the socket's outbound queue passed its limit
constexpr int kPongTimeout = 4001;  // client pong timed out
constexpr int kAuthSignFailed = 4002;
constexpr int kHandshakeTimeout = 4005;   // no #handshake within handshakeTimeout
constexpr int kHandshakeRejected = 4008;  // middleware, malformed #handshake / #authenticate
constexpr int kBeforeHandshake = 4009;    // a packet before #handshake
constexpr int kPermanent = 4500;          // codes >= this: the client does not reconnect
}  // namespace close_code

// Middleware points (SocketCluster v4's names; INVOKE/TRANSMIT are the seed's EVENT/EMIT).
enum class Middleware : uint8_t {
  HandshakeWS,  // the HTTP upgrade: block → HTTP 401, body = the error message
  HandshakeSC,  // the #handshake packet: block → error response, close with statusCode (4008)
  Invoke,       // block → error response to the caller
  Transmit,     // block → dropped silently
  Subscribe,   // #subscribe: block → error response (subscribeFail); allow(data) rewrites it
  PublishIn,   // client #publish: block → error response (invoke) or dropped (transmit)
  PublishOut,  // one delivery to one socket: block → not sent; allow(data) rewrites it
  Authenticate,  // a signature-valid token: block → not authenticated, authError reported
  Count_,
};

}  // namespace sc
