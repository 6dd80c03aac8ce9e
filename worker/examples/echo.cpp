// Example: the smallest app — an echo procedure, a per-socket procedure registered when the
// socket connects, and connect/disconnect hooks.  Built as build/bin/sc-example-echo;
// tests/integration/worker_middleware.sh drives it too.
//   invoke echo      responds with its data
//   invoke myId      (per socket) responds with the socket's id, as the client saw it
//   invoke stats     {"connected":N,"disconnected":M,"lastCode":C,"lastReason":R}
#include <cstdio>
#include <string>

#include "json.h"
#include "scluster/worker.h"

int main(int argc, char** argv) {
  sc::Options opt;
  if (auto rc = sc::Options::from_main(argc, argv, &opt, "sc-example-echo")) return *rc;
  sc::Worker w(opt);
  int connected = 0, disconnected = 0, last_code = 0;
  std::string last_reason;

  w.procedure("echo", [](sc::Socket&, sc::Request& r) { r.end(r.data()); });
  w.on_connection([&](sc::Socket& s) {
    connected++;
    s.on("myId", [](sc::Socket& self, sc::Request& r) { r.end(sc::Json::string(self.id())); });
  });
  w.on_disconnect([&](sc::Socket&, int code, std::string_view reason) {
    disconnected++;
    last_code = code;
    last_reason = reason;
  });
  w.procedure("stats", [&](sc::Socket&, sc::Request& r) {
    std::string out = "{\"connected\":" + std::to_string(connected) +
                      ",\"disconnected\":" + std::to_string(disconnected) +
                      ",\"lastCode\":" + std::to_string(last_code) + ",\"lastReason\":";
    sc::json::write_string(last_reason, &out);
    out += "}";
    r.end(sc::Json::raw(out));
  });
  return w.run();
}
