// PROXY protocol v1/v2 headers and X-Forwarded-For (see proxy_header.h).
#include "proxy_header.h"

#include <arpa/inet.h>

#include <cstring>

namespace sc {
namespace {

constexpr char kV1Prefix[] = "PROXY ";
constexpr unsigned char kV2Sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                      0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

bool is_ip(const std::string& s, int* family) {
  unsigned char buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) {
    *family = AF_INET;
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
    *family = AF_INET6;
    return true;
  }
  return false;
}

bool is_port(std::string_view p) {
  if (p.empty() || p.size() > 5 || (p.size() > 1 && p[0] == '0')) return false;
  unsigned v = 0;
  for (char c : p) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + unsigned(c - '0');
  }
  return v <= 65535;
}

// "PROXY TCP4 1.2.3.4 5.6.7.8 1111 2222\r\n" or "PROXY UNKNOWN[ anything]\r\n".
ProxyParse parse_v1(std::string_view in, size_t* consumed, std::string* addr) {
  size_t crlf = in.find("\r\n");
  if (crlf == std::string_view::npos) {
    // Only a CR may end the part we have; anything past the maximum is an error.
    return in.size() < kProxyV1Max ? ProxyParse::NeedMore : ProxyParse::Error;
  }
  if (crlf + 2 > kProxyV1Max) return ProxyParse::Error;
  std::string_view line = in.substr(6, crlf - 6);
  if (line == "UNKNOWN" || line.substr(0, 8) == "UNKNOWN ") {  // the receiver ignores the rest
    addr->clear();
    *consumed = crlf + 2;
    return ProxyParse::Ok;
  }
  std::string_view fields[5];
  size_t n = 0, start = 0;
  while (start <= line.size()) {
    size_t sp = line.find(' ', start);
    if (sp == std::string_view::npos) sp = line.size();
    if (n == 5) return ProxyParse::Error;
    fields[n++] = line.substr(start, sp - start);
    start = sp + 1;
  }
  if (n != 5 || (fields[0] != "TCP4" && fields[0] != "TCP6")) return ProxyParse::Error;
  std::string src(fields[1]), dst(fields[2]);
  int fs = 0, fd = 0;
  int want = fields[0] == "TCP4" ? AF_INET : AF_INET6;
  if (!is_ip(src, &fs) || !is_ip(dst, &fd) || fs != want || fd != want) return ProxyParse::Error;
  if (!is_port(fields[3]) || !is_port(fields[4])) return ProxyParse::Error;
  *addr = src;
  *consumed = crlf + 2;
  return ProxyParse::Ok;
}

ProxyParse parse_v2(std::string_view in, size_t* consumed, std::string* addr) {
  if (in.size() < 16) return ProxyParse::NeedMore;
  auto b = reinterpret_cast<const unsigned char*>(in.data());
  if ((b[12] >> 4) != 2) return ProxyParse::Error;
  unsigned cmd = b[12] & 0x0F;
  if (cmd > 1) return ProxyParse::Error;
  size_t len = size_t(b[14]) << 8 | b[15];
  if (len > kProxyV2MaxBody) return ProxyParse::Error;
  if (in.size() < 16 + len) return ProxyParse::NeedMore;
  unsigned family = b[13] >> 4;   // 1 INET, 2 INET6
  unsigned proto = b[13] & 0x0F;  // 1 STREAM, 2 DGRAM
  addr->clear();
  if (cmd == 1 && (proto == 1 || proto == 2)) {
    char text[INET6_ADDRSTRLEN];
    if (family == 1) {
      if (len < 12) return ProxyParse::Error;
      inet_ntop(AF_INET, b + 16, text, sizeof text);
      *addr = text;
    } else if (family == 2) {
      if (len < 36) return ProxyParse::Error;
      inet_ntop(AF_INET6, b + 16, text, sizeof text);
      *addr = text;
    }
  }
  *consumed = 16 + len;
  return ProxyParse::Ok;
}

}  // namespace

ProxyParse parse_proxy_header(std::string_view in, size_t* consumed, std::string* addr) {
  size_t n1 = in.size() < 6 ? in.size() : 6;
  if (std::memcmp(in.data(), kV1Prefix, n1) == 0) {
    if (in.size() < 6) return ProxyParse::NeedMore;
    return parse_v1(in, consumed, addr);
  }
  size_t n2 = in.size() < 12 ? in.size() : 12;
  if (std::memcmp(in.data(), kV2Sig, n2) == 0) {
    if (in.size() < 12) return ProxyParse::NeedMore;
    return parse_v2(in, consumed, addr);
  }
  return ProxyParse::NotProxy;
}

std::string first_forwarded_for(std::string_view value) {
  size_t comma = value.find(',');
  std::string_view v = value.substr(0, comma);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  std::string s(v);
  int family = 0;
  return is_ip(s, &family) ? s : std::string();
}

}  // namespace sc
