// sc-worker: the stock app.  The SocketCluster seed's example on the toolkit, plus a chat
// channel, serving worker/app/public/ (a page that loads the client bundle and connects) unless
// --public says otherwise:
//   transmit "greet" "hello world"   sent to every socket when it connects (as the seed)
//   invoke "greet" {name}            responds "hello <name>" ("hello world" without a name)
//   transmit "rand" N                every second, one random 0-99 to every socket
//   channel "chat"                   clients subscribe and publish {name, text}: text a
//                                    string of 1-1000 bytes, else ChatError
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
