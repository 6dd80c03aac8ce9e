// Unit tests of common/jwt.h: base64url both ways (RFC 4648 §10 vectors), the jwt.io HS256
// vector signed and verified, every failure kind with jsonwebtoken's message, exp/nbf against
// the clock, and iat/exp added by with_times().
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <string>

#include "jwt.h"
extern "C" {
#include <cmocka.h>
}

namespace {

using sc::jwt::Status;

// jwt.io's example token: HS256, secret "your-256-bit-secret".
const char* kClaims = R"({"sub":"1234567890","name":"John Doe","iat":1516239022})";
const char* kKey = "your-256-bit-secret";
const char* kToken =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

void test_base64url(void**) {
  // RFC 4648 §10 vectors, without padding.
  const char* plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char* enc[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
  std::string out;
  for (int i = 0; i < 7; i++) {
    assert_string_equal(sc::jwt::base64url_encode(plain[i]).c_str(), enc[i]);
    assert_true(sc::jwt::base64url_decode(enc[i], &out));
    assert_string_equal(out.c_str(), plain[i]);
  }
  assert_string_equal(sc::jwt::base64url_encode("\xfb\xff").c_str(), "-_8");  // url alphabet
  assert_true(sc::jwt::base64url_decode("-_8", &out));
  assert_string_equal(out.c_str(), "\xfb\xff");
  assert_false(sc::jwt::base64url_decode("ab+c", &out));   // standard alphabet refused
  assert_false(sc::jwt::base64url_decode("abcde", &out));  // impossible length
}

void test_sign_known_vector(void**) {
  assert_string_equal(sc::jwt::sign(kClaims, kKey).c_str(), kToken);
  sc::jwt::Verified v;
  assert_int_equal(int(sc::jwt::verify(kToken, kKey, 1516239022, &v)), int(Status::Ok));
  assert_string_equal(v.claims.c_str(), kClaims);
  assert_int_equal(v.exp, -1);
}

void test_failures(void**) {
  sc::jwt::Verified v;
  auto check = [&](const std::string& token, const char* key, Status want) {
    Status got = sc::jwt::verify(token, key, 1516239022, &v);
    if (got != want) fail_msg("%s: got %s", token.c_str(), sc::jwt::message(got));
  };
  check(kToken, "another-key", Status::BadSignature);
  std::string t = kToken;
  t.back() = t.back() == 'c' ? 'd' : 'c';
  check(t, kKey, Status::BadSignature);
  check("a.b", kKey, Status::Malformed);
  check("a.b.c.d", kKey, Status::Malformed);
  check("bad.token.here", kKey, Status::Invalid);
  std::string no_sig = std::string(kToken).substr(0, std::string(kToken).rfind('.') + 1);
  check(no_sig, kKey, Status::MissingSignature);
  // alg none / HS512 headers are refused before the signature is looked at.
  std::string none = sc::jwt::base64url_encode(R"({"alg":"none"})") + "." +
                     sc::jwt::base64url_encode(kClaims) + ".x";
  check(none, kKey, Status::BadAlgorithm);
  assert_string_equal(sc::jwt::message(Status::BadSignature), "invalid signature");
  assert_string_equal(sc::jwt::message(Status::Expired), "jwt expired");
  assert_string_equal(sc::jwt::message(Status::NotBefore), "jwt not active");
  assert_string_equal(sc::jwt::message(Status::Invalid), "invalid token");
  assert_string_equal(sc::jwt::message(Status::Malformed), "jwt malformed");
}

void test_times(void**) {
  std::string claims = sc::jwt::with_times(R"({"username":"alice"})", 1000, 86400);
  assert_string_equal(claims.c_str(), R"({"username":"alice","iat":1000,"exp":87400})");
  // A payload's own exp is kept; a non-object payload becomes {}.
  assert_string_equal(sc::jwt::with_times(R"({"exp":5})", 1000, 86400).c_str(),
                      R"({"exp":5,"iat":1000})");
  assert_string_equal(sc::jwt::with_times("42", 7, 0).c_str(), R"({"iat":7})");

  std::string token = sc::jwt::sign(claims, "k");
  sc::jwt::Verified v;
  assert_int_equal(int(sc::jwt::verify(token, "k", 87399, &v)), int(Status::Ok));
  assert_int_equal(v.exp, 87400);
  assert_int_equal(int(sc::jwt::verify(token, "k", 87400, &v)), int(Status::Expired));
  assert_int_equal(v.exp, 87400);  // reported for the error's `expiry`
  std::string nbf = sc::jwt::sign(R"({"nbf":2000})", "k");
  assert_int_equal(int(sc::jwt::verify(nbf, "k", 1999, &v)), int(Status::NotBefore));
  assert_int_equal(int(sc::jwt::verify(nbf, "k", 2000, &v)), int(Status::Ok));
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_base64url),
      cmocka_unit_test(test_sign_known_vector),
      cmocka_unit_test(test_failures),
      cmocka_unit_test(test_times),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
