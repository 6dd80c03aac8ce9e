// Session ids (design.md §4 Sessions): the cookie or query parameter that names a session, and
// the check that keeps a hostile id from ever becoming a broker key.  Pure functions, no I/O,
// so the unit test feeds them garbage directly.
//
// Contract:
// - An id is well-formed when it is 22 to 64 characters of the URL-safe base64 alphabet
//   [A-Za-z0-9_-] (22 characters carry 132 bits).  Anything else is replaced by a new id, never
//   used as a key: no ':', '*', spaces, quotes or control bytes reach a broker command.
// - cookie_value() matches the cookie name exactly (`xsid=` is not `sid=`), over a Cookie header
//   of `name=value` pairs separated by ';' and optional spaces; the first match wins.  Values in
//   double quotes (RFC 6265 allows them) are unquoted.
// - query_value() reads `name=value` out of a query string (without the '?'), pairs separated
//   by '&', exact name; no %-decoding (a well-formed id needs none).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace sc::session {

constexpr size_t kSidRandomBytes = 24;  // 192 bits → 32 characters
constexpr size_t kSidMinLength = 22;
constexpr size_t kSidMaxLength = 64;

bool well_formed(std::string_view sid);
// URL-safe base64 without padding of n bytes (the caller draws them from a CSPRNG).
std::string encode_sid(const unsigned char* bytes, size_t n);
bool cookie_value(std::string_view header, std::string_view name, std::string_view* value);
bool query_value(std::string_view query, std::string_view name, std::string_view* value);
// "NAME=SID; Path=/; HttpOnly; SameSite=Lax[; Secure]" for a Set-Cookie header.
std::string set_cookie(std::string_view name, std::string_view sid, bool secure);

}  // namespace sc::session
