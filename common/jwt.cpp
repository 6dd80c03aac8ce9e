// HS256 JWT (see jwt.h).
#include "jwt.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <iterator>

#include "json.h"

namespace sc::jwt {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view kHeader = R"({"alg":"HS256","typ":"JWT"})";

int decode_char(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

std::string hmac(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), int(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len);
  return std::string(reinterpret_cast<char*>(md), len);
}

// An integer claim (an integral number; jsonwebtoken also accepts fractional seconds: floor).
int64_t number_claim(const json::Value& obj, std::string_view name) {
  const json::Value* v = obj.find(name);
  if (!v) return -1;
  if (v->is_int()) return v->as_int();
  if (v->is_double()) return int64_t(v->as_double());
  return -1;
}

}  // namespace

const char* message(Status s) {
  // In the order of Status's values (jsonwebtoken's messages).
  static constexpr const char* kMessages[] = {"ok",
                                              "jwt malformed",
                                              "invalid token",
                                              "invalid algorithm",
                                              "jwt signature is required",
                                              "invalid signature",
                                              "jwt expired",
                                              "jwt not active"};
  static_assert(sizeof(kMessages) / sizeof(kMessages[0]) == size_t(Status::NotBefore) + 1);
  return size_t(s) < std::size(kMessages) ? kMessages[size_t(s)] : "invalid token";
}

std::string base64url_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v =
        uint32_t(uint8_t(in[i])) << 16 | uint32_t(uint8_t(in[i + 1])) << 8 | uint8_t(in[i + 2]);
    out.push_back(kAlphabet[v >> 18]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  if (in.size() - i == 1) {
    uint32_t v = uint32_t(uint8_t(in[i])) << 16;
    out.push_back(kAlphabet[v >> 18]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
  } else if (in.size() - i == 2) {
    uint32_t v = uint32_t(uint8_t(in[i])) << 16 | uint32_t(uint8_t(in[i + 1])) << 8;
    out.push_back(kAlphabet[v >> 18]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

bool base64url_decode(std::string_view in, std::string* out) {
  out->clear();
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);  // tolerate padding
  if (in.size() % 4 == 1) return false;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int d = decode_char(c);
    if (d < 0) return false;
    acc = (acc << 6) | uint32_t(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(char((acc >> bits) & 0xFF));
    }
  }
  return true;
}

std::string sign(std::string_view claims_json, std::string_view key) {
  std::string token = base64url_encode(kHeader);
  token.push_back('.');
  token += base64url_encode(claims_json);
  std::string sig = hmac(key, token);
  token.push_back('.');
  token += base64url_encode(sig);
  return token;
}

Status verify(std::string_view token, std::string_view key, int64_t now, Verified* out) {
  size_t d1 = token.find('.');
  size_t d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos)
    return Status::Malformed;
  std::string header_text, claims_text;
  json::Value header, claims;
  std::string err;
  if (!base64url_decode(token.substr(0, d1), &header_text) ||
      !base64url_decode(token.substr(d1 + 1, d2 - d1 - 1), &claims_text) ||
      !json::parse(header_text, &header, &err) || !header.is_object() ||
      !json::parse(claims_text, &claims, &err) || !claims.is_object())
    return Status::Invalid;
  const json::Value* alg = header.find("alg");
  if (!alg || !alg->is_string() || alg->str() != "HS256") return Status::BadAlgorithm;
  std::string_view sig_text = token.substr(d2 + 1);
  if (sig_text.empty()) return Status::MissingSignature;
  // Compared as text, like jws: two encodings that differ only in the last character's unused
  // bits decode alike but are not the signature.
  std::string want = base64url_encode(hmac(key, token.substr(0, d2)));
  if (sig_text.size() != want.size() ||
      CRYPTO_memcmp(sig_text.data(), want.data(), want.size()) != 0)
    return Status::BadSignature;
  out->claims = std::move(claims_text);
  out->exp = number_claim(claims, "exp");
  out->nbf = number_claim(claims, "nbf");
  if (out->nbf >= 0 && now < out->nbf) return Status::NotBefore;
  if (out->exp >= 0 && now >= out->exp) return Status::Expired;
  return Status::Ok;
}

std::string with_times(std::string_view payload_json, int64_t now, int64_t expiry) {
  json::Value v;
  std::string err;
  if (!json::parse(payload_json, &v, &err) || !v.is_object()) v = json::Value::object();
  v.set("iat", json::Value::integer(now));
  if (expiry > 0 && !v.find("exp")) v.set("exp", json::Value::integer(now + expiry));
  return json::to_string(v);
}

}  // namespace sc::jwt
