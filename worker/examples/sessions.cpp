// Example: a session shared by a user's tabs on any worker.  Each tab that connects counts a
// visit in the session (the broker's hash sc:sess:<sid>, field "visits") and every tab of the
// session, on every worker, is told the new count.  Built as build/bin/sc-example-sessions;
// tests/integration/worker_sessions.sh drives it.
//   transmit visits  (server → every tab of the session) the count after a tab connected
//   invoke visits    responds with the count
//   invoke forget    destroys the session (every tab gets sessiondestroy)
#include <cstdio>
#include <cstdlib>
#include <string>

#include "scluster/worker.h"

int main(int argc, char** argv) {
  sc::Options opt;
  if (auto rc = sc::Options::from_main(argc, argv, &opt, "sc-example-sessions")) return *rc;
  sc::Worker w(opt);
  // Read, add one, write: two tabs connecting at the same instant may count once (a real app
  // would keep a counter with the broker's HINCRBY; this shows get and set).
  w.on_connection([](sc::Socket& s) {
    sc::Session sess = s.session();
    sess.get("visits", [sess](const sc::Error* e, const sc::Json& v) mutable {
      if (e) return;  // broker unavailable: no count this time
      long long n = v.absent() ? 0 : std::atoll(std::string(v.text()).c_str());
      sess.set("visits", sc::Json::number(n + 1), [sess, n](const sc::Error* e) mutable {
        if (!e) sess.emit("visits", sc::Json::number(n + 1));
      });
    });
  });
  w.procedure("visits", [](sc::Socket& s, sc::Request& r) {
    s.session().get("visits", [r](const sc::Error* e, const sc::Json& v) mutable {
      if (e) return r.error(*e);
      r.end(v.absent() ? sc::Json::number(0) : v);
    });
  });
  w.procedure("forget", [](sc::Socket& s, sc::Request& r) {
    s.session().destroy([r](const sc::Error* e) mutable { e ? r.error(*e) : r.end(); });
  });
  w.on_session_destroy([](std::string_view sid) {
    std::fprintf(stderr, "session %.*s ended\n", int(sid.size()), sid.data());
  });
  return w.run();
}
