// HS256 JSON Web Tokens (RFC 7519) signed and checked with OpenSSL's HMAC-SHA256.
//
// Why here: the worker issues and verifies SocketCluster auth tokens, and every worker of a
// cluster (and a restarted one) must accept the tokens of the others, so the code is shared and
// the key comes from outside (a file).  Only HS256 is spoken: it is SocketCluster's default.
//
// Contract:
// - sign() takes the claims as JSON text (an object) and returns
//   base64url(header).base64url(claims).base64url(signature), no padding, header
//   {"alg":"HS256","typ":"JWT"} as jsonwebtoken writes it.  It adds nothing to the claims:
//   callers put `iat` / `exp` in themselves (see with_times()).
// - verify() checks the form, the algorithm, the signature (constant-time compare), then `nbf`
//   and `exp` against `now` (Unix seconds) the way jsonwebtoken 9 does (expired when
//   now >= exp; not active when now < nbf).  On success *claims holds the payload JSON text.
//   Each failure has jsonwebtoken's message (message()), which SocketCluster clients see.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace sc::jwt {

enum class Status : uint8_t {
  Ok,
  Malformed,         // "jwt malformed": not three dot-separated parts
  Invalid,           // "invalid token": header or payload is not base64url JSON objects
  BadAlgorithm,      // "invalid algorithm": header alg is not HS256
  MissingSignature,  // "jwt signature is required"
  BadSignature,      // "invalid signature"
  Expired,           // "jwt expired"
  NotBefore,         // "jwt not active"
};

const char* message(Status s);

std::string base64url_encode(std::string_view bytes);
// False on characters outside the base64url alphabet or an impossible length.
bool base64url_decode(std::string_view text, std::string* out);

std::string sign(std::string_view claims_json, std::string_view key);

struct Verified {
  std::string claims;  // payload JSON text (Ok, Expired, NotBefore)
  int64_t exp = -1;    // the exp claim, -1 when absent
  int64_t nbf = -1;    // the nbf claim, -1 when absent
};
Status verify(std::string_view token, std::string_view key, int64_t now, Verified* out);

// The claims of `payload_json` (an object; anything else becomes {}) with `iat` = now and, when
// the payload has no `exp` of its own and expiry > 0, `exp` = now + expiry.
std::string with_times(std::string_view payload_json, int64_t now, int64_t expiry);

}  // namespace sc::jwt
