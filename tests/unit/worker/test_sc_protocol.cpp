// Unit tests of the SocketCluster codec (worker/src/sc_protocol.h): frame classification
// (pings, pongs, packets, raw), the packet kinds the client's transport.js distinguishes,
// spans that keep data byte for byte, escaped keys, duplicate keys, batches, every prefix of a
// valid frame, seeded garbage checked against common/json.h's parser, and the encoders.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "json.h"
#include "sc_protocol.h"
extern "C" {
#include <cmocka.h>
}

namespace {

using sc::proto::FrameKind;
using sc::proto::Packet;
using sc::proto::PacketKind;

// Packets point into their frame: the frames parsed here are kept until the test ends.
FrameKind parse(const std::string& f, std::vector<Packet>* out, int version = 2) {
  static std::vector<std::unique_ptr<std::string>> kept;
  kept.push_back(std::make_unique<std::string>(f));
  return sc::proto::parse_frame(*kept.back(), version, out);
}

void test_pings(void**) {
  std::vector<Packet> p;
  assert_int_equal(int(parse("", &p)), int(FrameKind::Pong));
  assert_int_equal(int(parse("#2", &p, 1)), int(FrameKind::Pong));
  assert_int_equal(int(parse("#2", &p, 2)), int(FrameKind::Pong));  // accepted cheaply
  assert_int_equal(int(parse("#1", &p, 1)), int(FrameKind::Ping));
  assert_int_equal(int(parse("#3", &p)), int(FrameKind::NotJson));
  assert_int_equal(int(parse("hello not json", &p)), int(FrameKind::NotJson));
  assert_int_equal(int(parse("42", &p)), int(FrameKind::NotJson));  // sc-formatter: raw
  assert_int_equal(int(parse("\"str\"", &p)), int(FrameKind::NotJson));
  assert_int_equal(int(parse("{\"a\":", &p)), int(FrameKind::NotJson));  // malformed
  assert_true(p.empty());
}

void test_kinds(void**) {
  std::vector<Packet> p;
  assert_int_equal(int(parse(R"({"event":"echo","data":{"a":[1,2.50]},"cid":7})", &p)),
                   int(FrameKind::Packets));
  assert_int_equal(p.size(), 1);
  assert_int_equal(int(p[0].kind), int(PacketKind::Invoke));
  assert_string_equal(p[0].event.c_str(), "echo");
  assert_true(p[0].cid == "7");
  assert_true(p[0].data == R"({"a":[1,2.50]})");

  parse(R"( {"cid":"7","event":"e"} )", &p);  // string cid: a transmit
  assert_int_equal(int(p[0].kind), int(PacketKind::Transmit));
  assert_true(p[0].data.empty());
  parse(R"({"event":"e","cid":1.5e0})", &p);  // any JSON number; echoed verbatim
  assert_int_equal(int(p[0].kind), int(PacketKind::Invoke));
  assert_true(p[0].cid == "1.5e0");
  parse(R"({"rid":12,"data":null})", &p);
  assert_int_equal(int(p[0].kind), int(PacketKind::Response));
  assert_true(p[0].rid_integral);
  assert_int_equal(p[0].rid, 12);
  assert_true(p[0].data == "null");
  parse(R"({"rid":2,"error":{"name":"X","message":"m"}})", &p);
  assert_true(p[0].error == R"({"name":"X","message":"m"})");
  parse(R"({"rid":2.5})", &p);
  assert_int_equal(int(p[0].kind), int(PacketKind::Response));
  assert_false(p[0].rid_integral);
  parse(R"({"rid":"2","data":1})", &p);  // string rid: ignored
  assert_int_equal(int(p[0].kind), int(PacketKind::Other));
  parse(R"({"event":5,"cid":1})", &p);
  assert_int_equal(int(p[0].kind), int(PacketKind::Other));
  parse(R"({})", &p);
  assert_int_equal(int(p[0].kind), int(PacketKind::Other));
}

void test_keys(void**) {
  std::vector<Packet> p;
  parse(R"({"ev\u0065nt":"a\"b\u00e9\ud83d\ude00","cid":1})", &p);  // escaped key and name
  assert_int_equal(int(p[0].kind), int(PacketKind::Invoke));
  assert_string_equal(p[0].event.c_str(), "a\"b\xc3\xa9\xf0\x9f\x98\x80");
  parse(R"({"event":"a","event":"b","data":1,"data":2})", &p);  // last duplicate wins
  assert_string_equal(p[0].event.c_str(), "b");
  assert_true(p[0].data == "2");
  // Invalid UTF-8 (binary frames reach the scanner unchecked by lws) is not JSON.
  assert_int_equal(int(parse("{\"event\":\"\xff\"}", &p)), int(FrameKind::NotJson));
  assert_int_equal(int(parse("{\"event\":\"\xed\xa0\x80\"}", &p)), int(FrameKind::NotJson));
  assert_int_equal(int(parse("{\"event\":\"\xc0\xaf\"}", &p)), int(FrameKind::NotJson));
  assert_int_equal(int(parse("{\"event\":\"\xf0\x9f\x98\x80\"}", &p)), int(FrameKind::Packets));
  parse(R"({"data":{"event":"inner","cid":9},"event":"outer"})", &p);  // nested keys ignored
  assert_string_equal(p[0].event.c_str(), "outer");
  assert_int_equal(int(p[0].kind), int(PacketKind::Transmit));
}

void test_batch(void**) {
  std::vector<Packet> p;
  assert_int_equal(
      int(parse(R"([{"event":"echo","data":1,"cid":18},{"event":"echo","data":2,"cid":19},)"
                R"({"event":"ping","data":3}, 7, "x", {"rid":1}])",
                &p)),
      int(FrameKind::Packets));
  assert_int_equal(p.size(), 6);
  assert_int_equal(int(p[0].kind), int(PacketKind::Invoke));
  assert_true(p[1].cid == "19");
  assert_int_equal(int(p[2].kind), int(PacketKind::Transmit));
  assert_int_equal(int(p[3].kind), int(PacketKind::Other));
  assert_int_equal(int(p[4].kind), int(PacketKind::Other));
  assert_int_equal(int(p[5].kind), int(PacketKind::Response));
  assert_int_equal(int(parse("[]", &p)), int(FrameKind::Packets));
  assert_true(p.empty());
  assert_int_equal(int(parse("[1,]", &p)), int(FrameKind::NotJson));
}

void test_prefixes(void**) {
  const std::string full =
      R"({"event":"echo","data":{"s":"h\u00e9 \"q\"","n":[-1.5e+3,0,true,false,null]},"cid":42})";
  std::vector<Packet> p;
  for (size_t i = 0; i < full.size(); i++) {
    std::string pre = full.substr(0, i);
    FrameKind k = parse(pre, &p);
    assert_true(k == FrameKind::NotJson || (i == 0 && k == FrameKind::Pong));
  }
  assert_int_equal(int(parse(full, &p)), int(FrameKind::Packets));
  assert_true(p[0].cid == "42");
}

void test_depth(void**) {
  std::vector<Packet> p;
  std::string deep =
      "{\"event\":\"e\",\"data\":" + std::string(200, '[') + std::string(200, ']') + "}";
  assert_int_equal(int(parse(deep, &p)), int(FrameKind::NotJson));
  std::string ok =
      "{\"event\":\"e\",\"data\":" + std::string(100, '[') + std::string(100, ']') + "}";
  assert_int_equal(int(parse(ok, &p)), int(FrameKind::Packets));
}

// Random mutations of valid frames: the scanner's verdict agrees with common/json.h's parser.
void test_garbage_against_dom(void**) {
  const char* seeds[] = {
      R"({"event":"echo","data":{"a":[1,2,{"b":"c"}]},"cid":1})",
      R"([{"rid":1,"data":"x"},{"event":"t","data":-0.5e-3}])",
      R"({"s":"\u0041\n\t\\","n":null,"t":true,"f":false})",
  };
  const char alphabet[] = "{}[]\":,\\u0123456789eE+-.truefalsn \t\n";
  std::mt19937 rng(1234);
  std::vector<Packet> p;
  for (int iter = 0; iter < 20000; iter++) {
    std::string s = seeds[iter % 3];
    int edits = 1 + int(rng() % 4);
    for (int e = 0; e < edits; e++) {
      size_t at = rng() % (s.size() + 1);
      switch (rng() % 3) {
        case 0:
          s.insert(at, 1, alphabet[rng() % (sizeof alphabet - 1)]);
          break;
        case 1:
          if (at < s.size()) s.erase(at, 1);
          break;
        default:
          if (at < s.size()) s[at] = alphabet[rng() % (sizeof alphabet - 1)];
          break;
      }
    }
    sc::json::Value v;
    std::string err;
    bool dom = sc::json::parse(s, &v, &err);
    bool scan = sc::proto::valid_json(s);
    if (dom != scan)
      fail_msg("disagree on %s: dom %d scan %d (%s)", s.c_str(), dom, scan, err.c_str());
    sc::proto::parse_frame(s, 2, &p);  // must not crash; spans must lie inside s
    for (auto& pk : p) {
      for (std::string_view sv : {std::string_view(pk.cid), pk.data, pk.error}) {
        if (sv.empty()) continue;
        assert_true(sv.data() >= s.data() && sv.data() + sv.size() <= s.data() + s.size());
        assert_true(sc::proto::valid_json(sv));
      }
    }
  }
}

void test_encoders(void**) {
  std::string o;
  sc::proto::encode_response("3", "", &o);
  assert_string_equal(o.c_str(), R"({"rid":3})");
  o.clear();
  sc::proto::encode_response("2", R"({"a":1})", &o);
  assert_string_equal(o.c_str(), R"({"rid":2,"data":{"a":1}})");
  o.clear();
  sc::proto::encode_error_response("4", R"({"message":"boom","name":"ConformanceError"})", &o);
  assert_string_equal(o.c_str(),
                      R"({"rid":4,"error":{"message":"boom","name":"ConformanceError"}})");
  o.clear();
  sc::proto::encode_transmit("#removeAuthToken", "", &o);
  assert_string_equal(o.c_str(), R"({"event":"#removeAuthToken"})");
  o.clear();
  sc::proto::encode_transmit("pong", "{\"n\":1}", &o);
  assert_string_equal(o.c_str(), R"({"event":"pong","data":{"n":1}})");
  o.clear();
  sc::proto::encode_invoke("clientProc", 1, "42", &o);  // cid before data, as captured
  assert_string_equal(o.c_str(), R"({"event":"clientProc","cid":1,"data":42})");
  o.clear();
  sc::proto::encode_error("AuthTokenInvalidError", "invalid \"sig\"", "\"isBadToken\":true", &o);
  assert_string_equal(
      o.c_str(),
      R"({"message":"invalid \"sig\"","name":"AuthTokenInvalidError","isBadToken":true})");
  std::string d;
  assert_true(sc::proto::decode_string(R"("a\/b\u00e9")", &d));
  assert_string_equal(d.c_str(), "a/b\xc3\xa9");
  assert_string_equal(std::string(sc::proto::ping_text(1)).c_str(), "#1");
  assert_string_equal(std::string(sc::proto::ping_text(2)).c_str(), "");
}

// object_member: the span of a member's value in an object's text, as the publish path uses it
// to forward a publication's data byte for byte.
void test_object_member(void**) {
  std::string_view v;
  assert_true(sc::proto::object_member(R"({"channel":"a","data":{"n":1.50}})", "data", &v));
  assert_string_equal(std::string(v).c_str(), R"({"n":1.50})");
  assert_true(sc::proto::object_member(R"( { "d\u0061ta" : [1, "x"] , "z":0} )", "data", &v));
  assert_string_equal(std::string(v).c_str(), R"([1, "x"])");
  assert_true(sc::proto::object_member(R"({"data":1,"data":"last"})", "data", &v));
  assert_string_equal(std::string(v).c_str(), R"("last")");
  assert_false(sc::proto::object_member(R"({"channel":"a"})", "data", &v));
  assert_false(sc::proto::object_member(R"("notanobject")", "channel", &v));
  assert_false(sc::proto::object_member(R"([{"data":1}])", "data", &v));
  assert_true(sc::proto::object_member(R"({"a":{"data":1},"data":2})", "data", &v));
  assert_string_equal(std::string(v).c_str(), "2");  // only top-level members
  std::string o;
  sc::proto::encode_publish("news", R"({"n":1.50})", &o);
  assert_string_equal(o.c_str(),
                      R"({"event":"#publish","data":{"channel":"news","data":{"n":1.50}}})");
  o.clear();
  sc::proto::encode_publish("q\"", "", &o);
  assert_string_equal(o.c_str(), R"({"event":"#publish","data":{"channel":"q\""}})");
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pings),
      cmocka_unit_test(test_kinds),
      cmocka_unit_test(test_keys),
      cmocka_unit_test(test_batch),
      cmocka_unit_test(test_prefixes),
      cmocka_unit_test(test_depth),
      cmocka_unit_test(test_garbage_against_dom),
      cmocka_unit_test(test_encoders),
      cmocka_unit_test(test_object_member),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
