// Example: every middleware point of the toolkit, on top of an echo procedure.  Built as
// build/bin/sc-example-middleware; tests/integration/worker_middleware.sh drives it.
//   HandshakeWS   refuses upgrades from Origin http://evil.example (HTTP 401)
//   HandshakeSC   refuses a socket whose token says {"username":"banned"} (close 4501: final)
//   Authenticate  refuses tokens of {"username":"blocked"} (the socket stays a guest)
//   Invoke        "secret" needs a token (ForbiddenError); "silent" is blocked without an
//                 error; echo's data "rewrite-me" is rewritten to "rewritten"
//   Transmit      drops "ping" whose data is "drop"
//   Subscribe     refuses channel "closed" (ForbiddenError), silently blocks "hidden"
//   PublishIn     refuses publications to "readonly" (ForbiddenError); data "shout" → "SHOUT"
//   PublishOut    drops deliveries on "censored"; rewrites those on "rewritten" to
//                 "rewritten-by-outbound" (the captured v20 behaviour, sc-protocol.md §12)
#include <cstdio>
#include <string>

#include "scluster/worker.h"

int main(int argc, char** argv) {
  sc::Options opt;
  if (auto rc = sc::Options::from_main(argc, argv, &opt, "sc-example-middleware")) return *rc;
  sc::Worker w(opt);
  w.procedure("echo", [](sc::Socket&, sc::Request& r) { r.end(r.data()); });
  w.procedure("secret", [](sc::Socket&, sc::Request& r) { r.end(sc::Json::string("42")); });
  w.procedure("silent", [](sc::Socket&, sc::Request& r) { r.end(); });
  w.receiver("ping", [](sc::Socket& s, const sc::Json& d) { s.transmit("pong", d); });

  auto username = [](const sc::Json& payload) {
    std::string u;
    payload.get("username").as_string(&u);
    return u;
  };
  w.set_middleware(sc::Middleware::HandshakeWS, [](sc::Action& a) {
    if (a.origin() == "http://evil.example")
      a.block(sc::Error{"Error", "WS handshake refused by middleware", ""});
    else
      a.allow();
  });
  w.set_middleware(sc::Middleware::HandshakeSC, [&](sc::Action& a) {
    if (a.socket()->authenticated() && username(a.socket()->auth_token()) == "banned")
      a.block(sc::Error{"HandshakeRefusedError", "SC handshake refused by middleware",
                        "\"statusCode\":4501"});
    else
      a.allow();
  });
  w.set_middleware(sc::Middleware::Authenticate, [&](sc::Action& a) {
    if (username(a.data()) == "blocked")
      a.block(sc::Error{"AuthBlockedError", "this user may not sign in", ""});
    else
      a.allow();
  });
  w.set_middleware(sc::Middleware::Invoke, [](sc::Action& a) {
    if (a.name() == "secret" && !a.socket()->authenticated())
      a.block(sc::Error{"ForbiddenError", "secret needs a token", ""});
    else if (a.name() == "silent")
      a.block();
    else if (a.name() == "echo" && a.data().text() == "\"rewrite-me\"")
      a.allow(sc::Json::string("rewritten"));
    else
      a.allow();
  });
  w.set_middleware(sc::Middleware::Transmit, [](sc::Action& a) {
    if (a.name() == "ping" && a.data().text() == "\"drop\"")
      a.block();
    else
      a.allow();
  });
  w.set_middleware(sc::Middleware::Subscribe, [](sc::Action& a) {
    if (a.channel() == "closed")
      a.block(sc::Error{"ForbiddenError", "channel closed is closed", ""});
    else if (a.channel() == "hidden")
      a.block();
    else
      a.allow();
  });
  w.set_middleware(sc::Middleware::PublishIn, [](sc::Action& a) {
    if (a.channel() == "readonly")
      a.block(sc::Error{"ForbiddenError", "channel readonly is read-only", ""});
    else if (a.data().text() == "\"shout\"")
      a.allow(sc::Json::string("SHOUT"));
    else
      a.allow();
  });
  w.set_middleware(sc::Middleware::PublishOut, [](sc::Action& a) {
    if (a.channel() == "censored")
      a.block();
    else if (a.channel() == "rewritten")
      a.allow(sc::Json::string("rewritten-by-outbound"));
    else
      a.allow();
  });
  return w.run();
}
