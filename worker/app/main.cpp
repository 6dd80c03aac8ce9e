// sc-worker: the stock app.  The SocketCluster seed's example on the toolkit, plus a chat
// channel and the session calls of the demo page, serving worker/app/public/ (the demo: see
// docs/worker.md "The demo") unless --public says otherwise:
//   transmit "greet" "hello world"   sent to every socket when it connects (as the seed)
//   invoke "greet" {name}            responds "hello <name>" ("hello world" without a name)
//   transmit "rand" N                every second, one random 0-99 to every socket
//   channel "chat"                   clients subscribe and publish {name, text}: text a
//                                    string of 1-1000 bytes, else ChatError
//   invoke "whoServes"               responds {id, pid, sid}: this worker (Worker::id(), its
//                                    process id) and the caller's session id
//   invoke "sessionSet" {name, value}  stores the field in the caller's session (the broker's
//                                    hash sc:sess:<sid>), then every tab of the session on
//                                    every worker gets transmit "sessionValue" {name, value};
//                                    responds once both reached the broker
//   invoke "sessionGet" {name}       responds with the field's value, or null
// A session call with a bad name fails with SessionError, one the broker cannot serve with
// BrokerError.
#include <ev.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <unordered_set>

#include "json.h"
#include "scluster/worker.h"

#ifndef SC_APP_PUBLIC
#define SC_APP_PUBLIC ""
#endif

namespace {

struct Rand {
  sc::Worker* w = nullptr;
  std::unordered_set<uint64_t> sockets;  // serials of the connected sockets
  std::mt19937 rng{std::random_device{}()};
  ev_timer timer;
};

void on_rand(struct ev_loop*, ev_timer* t, int) {
  auto* r = static_cast<Rand*>(t->data);
  sc::Json n = sc::Json::number(int64_t(r->rng() % 100));
  for (uint64_t serial : r->sockets)
    if (sc::Socket* s = r->w->find(serial)) s->transmit("rand", n);
}

// The page to serve when neither --public nor SCLUSTER_PUBLIC says: beside an installed binary
// (make install puts PREFIX/bin/sc-worker and PREFIX/share/scluster/public), else the
// checkout's worker/app/public/ while it exists, else none (a copied binary serves no files
// rather than failing).
std::string default_public() {
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    std::string dir(exe, size_t(n));
    dir = dir.substr(0, dir.rfind('/')) + "/../share/scluster/public";
    if (access(dir.c_str(), R_OK | X_OK) == 0) return dir;
  }
  return access(SC_APP_PUBLIC, R_OK | X_OK) == 0 ? SC_APP_PUBLIC : "";
}

}  // namespace

int main(int argc, char** argv) {
  std::string pub = default_public();  // flags and SCLUSTER_PUBLIC still win
  if (!pub.empty()) setenv("SCLUSTER_PUBLIC", pub.c_str(), 0);
  sc::Options opt;
  if (auto rc = sc::Options::from_main(argc, argv, &opt, "sc-worker")) return *rc;
  sc::Worker w(opt);
  Rand rand;  // (aggregate braces would replace the seeded rng by a default-seeded one)
  rand.w = &w;

  w.on_connection([&rand](sc::Socket& s) {
    rand.sockets.insert(s.serial());
    s.transmit("greet", sc::Json::string("hello world"));
  });
  w.on_disconnect(
      [&rand](sc::Socket& s, int, std::string_view) { rand.sockets.erase(s.serial()); });

  w.procedure("greet", [](sc::Socket&, sc::Request& r) {
    std::string name;
    if (!r.data().get("name").as_string(&name) || name.empty()) name = "world";
    r.end(sc::Json::string("hello " + name));
  });

  w.procedure("whoServes", [&w](sc::Socket& s, sc::Request& r) {
    r.end(
        sc::Json::raw("{\"id\":" + std::to_string(w.id()) + ",\"pid\":" + std::to_string(getpid()) +
                      ",\"sid\":" + std::string(sc::Json::string(s.session().id()).text()) + "}"));
  });

  // Session fields: a name of 1-64 bytes; the value is any JSON (bounded by --max-payload).
  auto field_name = [](sc::Request& r, std::string* name) {
    if (r.data().get("name").as_string(name) && !name->empty() && name->size() <= 64) return true;
    r.error(sc::Error{"SessionError", "a session field name is a string of 1-64 bytes", ""});
    return false;
  };
  w.procedure("sessionSet", [field_name](sc::Socket& s, sc::Request& r) {
    std::string name;
    if (!field_name(r, &name)) return;
    sc::Json value = r.data().get("value");
    if (value.absent()) value = sc::Json::null();
    sc::Session sess = s.session();
    sess.set(name, value, [sess, r, name, value](const sc::Error* e) mutable {
      if (e) return r.error(*e);
      std::string both = "{\"name\":" + std::string(sc::Json::string(name).text()) +
                         ",\"value\":" + std::string(value.text()) + "}";
      sess.emit("sessionValue", sc::Json::raw(both), [r](const sc::Error* emit_error) mutable {
        emit_error ? r.error(*emit_error) : r.end();
      });
    });
  });
  w.procedure("sessionGet", [field_name](sc::Socket& s, sc::Request& r) {
    std::string name;
    if (!field_name(r, &name)) return;
    s.session().get(name, [r](const sc::Error* e, const sc::Json& v) mutable {
      if (e) return r.error(*e);
      r.end(v.absent() ? sc::Json::null() : v);
    });
  });

  w.set_middleware(sc::Middleware::PublishIn, [](sc::Action& a) {
    std::string text;
    if (a.channel() == "chat" &&
        (!a.data().get("text").as_string(&text) || text.empty() || text.size() > 1000))
      a.block(
          sc::Error{"ChatError", "a chat message is {name, text} with 1-1000 bytes of text", ""});
    else
      a.allow();
  });

  // The worker runs on libev's default loop: the timer shares it.
  struct ev_loop* loop = ev_default_loop(0);
  ev_timer_init(&rand.timer, on_rand, 1.0, 1.0);
  rand.timer.data = &rand;
  ev_timer_start(loop, &rand.timer);
  int rc = w.run();
  ev_timer_stop(loop, &rand.timer);
  return rc;
}
