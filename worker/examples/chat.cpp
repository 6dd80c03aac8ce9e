// Example: a chat room across workers with sc::Exchange.  Built as build/bin/sc-example-chat;
// run two of them on the same broker and clients on either see every message.
//   transmit "say" {text}   the server publishes {from, text} on channel "room" (from = the
//                           token's username, else the socket id); clients subscribe to "room"
//   invoke "history"        the last 20 messages of "room", as this worker's server-side
//                           subscription saw them (from every worker, through the broker)
// Clients may subscribe to "room" but not publish to it themselves (PublishIn middleware):
// every message goes through "say", so "from" cannot be forged.
#include <cstdio>
#include <deque>
#include <string>

#include "json.h"
#include "scluster/worker.h"

int main(int argc, char** argv) {
  sc::Options opt;
  if (auto rc = sc::Options::from_main(argc, argv, &opt, "sc-example-chat")) return *rc;
  sc::Worker w(opt);
  std::deque<sc::Json> history;  // the last 20 publications on "room"

  w.exchange().subscribe("room", [&history](std::string_view, const sc::Json& d) {
    history.push_back(d);
    if (history.size() > 20) history.pop_front();
  });

  w.receiver("say", [](sc::Socket& s, const sc::Json& d) {
    std::string text, from;
    if (!d.get("text").as_string(&text)) return;
    if (!s.authenticated() || !s.auth_token().get("username").as_string(&from)) from = s.id();
    std::string msg = "{\"from\":";
    sc::json::write_string(from, &msg);
    msg += ",\"text\":";
    sc::json::write_string(text, &msg);
    msg += "}";
    s.exchange().publish("room", sc::Json::raw(msg));
  });

  w.procedure("history", [&history](sc::Socket&, sc::Request& r) {
    std::string out = "[";
    for (const sc::Json& m : history) {
      if (out.size() > 1) out += ",";
      out += m.absent() ? "null" : std::string(m.text());
    }
    r.end(sc::Json::raw(out + "]"));
  });

  w.set_middleware(sc::Middleware::PublishIn, [](sc::Action& a) {
    if (a.channel() == "room")
      a.block(sc::Error{"ForbiddenError", "use the say event to talk in room", ""});
    else
      a.allow();
  });
  return w.run();
}
