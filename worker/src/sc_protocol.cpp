// The SocketCluster codec (see sc_protocol.h).
#include "sc_protocol.h"

#include <charconv>
#include <cmath>

#include "json.h"

namespace sc::proto {
namespace {

// A validating cursor over one JSON text.  Each skip_* moves p past one token or value and
// returns false on malformed input.
struct Scanner {
  const char* p;
  const char* end;
  size_t max_depth;

  void ws() {
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
  }
  static bool hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }
  bool skip_string() {  // at '"'
    p++;
    while (p < end) {
      unsigned char c = static_cast<unsigned char>(*p);
      if (c == '"') {
        p++;
        return true;
      }
      if (c < 0x20) return false;
      if (c >= 0x80) {
        if (!skip_utf8()) return false;
        continue;
      }
      if (c == '\\') {
        if (++p >= end) return false;
        switch (*p) {
          case '"':
          case '\\':
          case '/':
          case 'b':
          case 'f':
          case 'n':
          case 'r':
          case 't':
            p++;
            break;
          case 'u':
            if (end - p < 5 || !hex(p[1]) || !hex(p[2]) || !hex(p[3]) || !hex(p[4])) return false;
            p += 5;
            break;
          default:
            return false;
        }
        continue;
      }
      p++;
    }
    return false;
  }
  // One UTF-8 sequence (RFC 3629: no overlongs, no surrogates, at most U+10FFFF).  Binary
  // frames are not checked by lws, and what we echo must be valid text.
  bool skip_utf8() {
    auto b = [&](ptrdiff_t i) { return static_cast<unsigned char>(p[i]); };
    auto cont = [&](ptrdiff_t i) { return p + i < end && (b(i) & 0xC0) == 0x80; };
    unsigned char c = b(0);
    if (c >= 0xC2 && c <= 0xDF) {
      if (!cont(1)) return false;
      p += 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      if (!cont(1) || !cont(2)) return false;
      if (c == 0xE0 && b(1) < 0xA0) return false;   // overlong
      if (c == 0xED && b(1) >= 0xA0) return false;  // surrogate
      p += 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      if (!cont(1) || !cont(2) || !cont(3)) return false;
      if (c == 0xF0 && b(1) < 0x90) return false;
      if (c == 0xF4 && b(1) >= 0x90) return false;
      p += 4;
    } else {
      return false;
    }
    return true;
  }
  bool digits() {
    const char* s = p;
    while (p < end && *p >= '0' && *p <= '9') p++;
    return p > s;
  }
  bool skip_number() {
    if (p < end && *p == '-') p++;
    if (p < end && *p == '0') {
      p++;
    } else if (!digits()) {
      return false;
    }
    if (p < end && *p == '.') {
      p++;
      if (!digits()) return false;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
      p++;
      if (p < end && (*p == '+' || *p == '-')) p++;
      if (!digits()) return false;
    }
    return true;
  }
  bool literal(std::string_view word) {
    if (size_t(end - p) < word.size() || std::string_view(p, word.size()) != word) return false;
    p += word.size();
    return true;
  }
  bool skip_value(size_t depth) {
    ws();
    if (p >= end) return false;
    switch (*p) {
      case '"':
        return skip_string();
      case '{':
      case '[': {
        if (depth >= max_depth) return false;
        char close = *p == '{' ? '}' : ']';
        bool obj = *p == '{';
        p++;
        ws();
        if (p < end && *p == close) {
          p++;
          return true;
        }
        for (;;) {
          if (obj) {
            ws();
            if (p >= end || *p != '"' || !skip_string()) return false;
            ws();
            if (p >= end || *p != ':') return false;
            p++;
          }
          if (!skip_value(depth + 1)) return false;
          ws();
          if (p >= end) return false;
          if (*p == ',') {
            p++;
            continue;
          }
          if (*p == close) {
            p++;
            return true;
          }
          return false;
        }
      }
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        return skip_number();
    }
  }
};

// Reads one object (the scanner at '{', already validated) into a packet.
void read_packet(std::string_view obj, Packet* pk, size_t max_depth) {
  Scanner s{obj.data(), obj.data() + obj.size(), max_depth};
  s.p++;  // '{'
  std::string key;
  std::string_view event_lit, cid_text, rid_text;
  bool event_is_string = false, cid_is_number = false, rid_is_number = false;
  for (;;) {
    s.ws();
    if (*s.p == '}') break;
    const char* ks = s.p;
    s.skip_string();
    std::string_view klit(ks, size_t(s.p - ks));
    s.ws();
    s.p++;  // ':'
    s.ws();
    const char* vs = s.p;
    s.skip_value(1);
    std::string_view val(vs, size_t(s.p - vs));
    std::string_view k = klit.substr(1, klit.size() - 2);
    if (k.find('\\') != std::string_view::npos) {
      decode_string(klit, &key);
      k = key;
    }
    // The last duplicate wins, as with JSON.parse.
    if (k == "event") {
      event_is_string = val[0] == '"';
      event_lit = val;
    } else if (k == "cid") {
      cid_is_number = val[0] == '-' || (val[0] >= '0' && val[0] <= '9');
      cid_text = val;
    } else if (k == "rid") {
      rid_is_number = val[0] == '-' || (val[0] >= '0' && val[0] <= '9');
      rid_text = val;
    } else if (k == "data") {
      pk->data = val;
    } else if (k == "error") {
      pk->error = val;
    }
    s.ws();
    if (*s.p == ',') s.p++;
  }
  if (event_is_string) {
    decode_string(event_lit, &pk->event);
    if (cid_is_number) {
      pk->kind = PacketKind::Invoke;
      pk->cid = cid_text;
    } else {
      pk->kind = PacketKind::Transmit;
    }
    return;
  }
  if (rid_is_number) {
    pk->kind = PacketKind::Response;
    int64_t v = 0;
    auto r = std::from_chars(rid_text.data(), rid_text.data() + rid_text.size(), v);
    pk->rid_integral = r.ec == std::errc() && r.ptr == rid_text.data() + rid_text.size();
    pk->rid = v;
  }
}

uint32_t hex4(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    v = v * 16 + uint32_t(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
  }
  return v;
}

}  // namespace

bool valid_json(std::string_view text, size_t max_depth) {
  Scanner s{text.data(), text.data() + text.size(), max_depth};
  if (!s.skip_value(0)) return false;
  s.ws();
  return s.p == s.end;
}

bool decode_string(std::string_view lit, std::string* out) {
  out->clear();
  if (lit.size() < 2 || lit.front() != '"' || lit.back() != '"') return false;
  const char* p = lit.data() + 1;
  const char* end = lit.data() + lit.size() - 1;
  while (p < end) {
    if (*p != '\\') {
      out->push_back(*p++);
      continue;
    }
    if (++p >= end) return false;
    if (char c = json::unescape_char(*p)) {
      out->push_back(c);
      p++;
      continue;
    }
    switch (*p) {
      case 'u': {
        if (end - p < 5) return false;
        uint32_t cp = hex4(p + 1);
        p += 4;
        if (cp >= 0xD800 && cp < 0xDC00 && end - p >= 7 && p[1] == '\\' && p[2] == 'u') {
          uint32_t lo = hex4(p + 3);
          if (lo >= 0xDC00 && lo < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            p += 6;
          }
        }
        if (cp >= 0xD800 && cp < 0xE000) cp = 0xFFFD;  // lone surrogate, as JS would keep it
        json::append_utf8(cp, out);
        break;
      }
      default:
        return false;
    }
    p++;
  }
  return true;
}

bool object_member(std::string_view value, std::string_view key, std::string_view* out) {
  Scanner s{value.data(), value.data() + value.size(), 1 << 20};
  s.ws();
  if (s.p >= s.end || *s.p != '{') return false;
  s.p++;
  bool found = false;
  std::string decoded;
  for (;;) {
    s.ws();
    if (s.p >= s.end || *s.p == '}') break;
    const char* ks = s.p;
    if (!s.skip_string()) return false;
    std::string_view klit(ks, size_t(s.p - ks));
    s.ws();
    if (s.p >= s.end || *s.p != ':') return false;
    s.p++;
    s.ws();
    const char* vs = s.p;
    if (!s.skip_value(1)) return false;
    std::string_view k = klit.substr(1, klit.size() - 2);
    if (k.find('\\') != std::string_view::npos) {
      decode_string(klit, &decoded);
      k = decoded;
    }
    if (k == key) {  // the last duplicate wins, as with JSON.parse
      *out = std::string_view(vs, size_t(s.p - vs));
      found = true;
    }
    s.ws();
    if (s.p < s.end && *s.p == ',') s.p++;
  }
  return found;
}

FrameKind parse_frame(std::string_view frame, int version, std::vector<Packet>* packets,
                      const Limits& limits) {
  packets->clear();
  if (frame.empty()) return FrameKind::Pong;  // v2 pong (a v1 server takes it cheaply too)
  if (frame.size() == 2 && frame[0] == '#') {
    if (frame[1] == '2') return FrameKind::Pong;
    if (frame[1] == '1') return FrameKind::Ping;
  }
  (void)version;
  // sc-formatter decodes only texts that start (after whitespace) with '{' or '['.
  Scanner s{frame.data(), frame.data() + frame.size(), limits.max_depth};
  s.ws();
  if (s.p >= s.end || (*s.p != '{' && *s.p != '[')) return FrameKind::NotJson;
  if (!valid_json(frame, limits.max_depth)) return FrameKind::NotJson;
  if (*s.p == '{') {
    packets->emplace_back();
    read_packet(std::string_view(s.p, size_t(s.end - s.p)), &packets->back(), limits.max_depth);
    return FrameKind::Packets;
  }
  // An array: each element that is an object is a packet, in order.
  s.p++;
  for (;;) {
    s.ws();
    if (*s.p == ']') break;
    const char* vs = s.p;
    s.skip_value(1);
    if (*vs == '{') {
      packets->emplace_back();
      read_packet(std::string_view(vs, size_t(s.p - vs)), &packets->back(), limits.max_depth);
    } else {
      packets->emplace_back();  // kind Other: a raw element
    }
    s.ws();
    if (*s.p == ',') s.p++;
  }
  return FrameKind::Packets;
}

void encode_response(std::string_view cid, std::string_view data, std::string* out) {
  out->append("{\"rid\":").append(cid);
  if (!data.empty()) out->append(",\"data\":").append(data);
  out->push_back('}');
}

void encode_error_response(std::string_view cid, std::string_view error, std::string* out) {
  out->append("{\"rid\":").append(cid).append(",\"error\":").append(error).push_back('}');
}

void encode_transmit(std::string_view event, std::string_view data, std::string* out) {
  out->append("{\"event\":");
  json::write_string(event, out);
  if (!data.empty()) out->append(",\"data\":").append(data);
  out->push_back('}');
}

void encode_publish(std::string_view channel, std::string_view data, std::string* out) {
  out->append("{\"event\":\"#publish\",\"data\":{\"channel\":");
  json::write_string(channel, out);
  if (!data.empty()) out->append(",\"data\":").append(data);
  out->append("}}");
}

void encode_invoke(std::string_view event, uint64_t cid, std::string_view data, std::string* out) {
  out->append("{\"event\":");
  json::write_string(event, out);
  out->append(",\"cid\":").append(std::to_string(cid));
  if (!data.empty()) out->append(",\"data\":").append(data);
  out->push_back('}');
}

void encode_error(std::string_view name, std::string_view message, std::string_view extra_members,
                  std::string* out) {
  out->append("{\"message\":");
  json::write_string(message, out);
  out->append(",\"name\":");
  json::write_string(name, out);
  if (!extra_members.empty()) out->append(",").append(extra_members);
  out->push_back('}');
}

}  // namespace sc::proto
