// libFuzzer harness for the worker's SocketCluster codec (worker/src/sc_protocol.h).  Built by
// `make fuzz` into build-fuzz/; tests/integration/fuzz_harnesses.sh runs it for a bounded time:
//   build-fuzz/fuzz_sc_protocol -max_len=4096 -max_total_time=300
//
// The first byte picks the protocol version; the rest is one frame.  Checked: the scanner's
// verdict equals common/json.h's parser on the whole frame, every span a packet holds lies in
// the frame and is itself valid JSON, and a decoded event re-encodes to a valid packet.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "json.h"
#include "sc_protocol.h"

static void check(bool ok) {
  if (!ok) std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  int version = (data[0] & 1) ? 1 : 2;
  std::string frame(reinterpret_cast<const char*>(data + 1), size - 1);
  std::vector<sc::proto::Packet> packets;
  sc::proto::FrameKind kind = sc::proto::parse_frame(frame, version, &packets);
  size_t lead = frame.find_first_not_of(" \t\r\n");
  if (lead != std::string::npos && (frame[lead] == '{' || frame[lead] == '[') && frame.size() > 2) {
    sc::json::Value v;
    std::string err;
    bool dom = sc::json::parse(frame, &v, &err);
    // Two known differences, both where the DOM is stricter (serde_json) and the scanner takes
    // what JSON.parse takes: numbers out of double range (Infinity) and escaped lone surrogates
    // (kept as they are by JS; the worker decodes them to U+FFFD).
    bool scan = kind == sc::proto::FrameKind::Packets;
    check(dom == scan || (scan && (err.find("out of range") != std::string::npos ||
                                   err.find("surrogate") != std::string::npos ||
                                   err.find("end of hex escape") != std::string::npos)));
  }
  for (auto& p : packets) {
    for (std::string_view sv : {p.cid, p.data, p.error}) {
      if (sv.empty()) continue;
      check(sv.data() >= frame.data() && sv.data() + sv.size() <= frame.data() + frame.size());
      check(sc::proto::valid_json(sv));
    }
    if (p.kind == sc::proto::PacketKind::Invoke || p.kind == sc::proto::PacketKind::Transmit) {
      std::string out;
      sc::proto::encode_transmit(p.event, p.data, &out);
      check(sc::proto::valid_json(out));
    }
  }
  return 0;
}
