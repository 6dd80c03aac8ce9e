// A SocketCluster app on the scluster worker toolkit, made by scluster's create-app.sh.  The
// API is docs/api.md of the scluster source; every flag is in `--help`.
//   make && ./@NAME@ --port 8000 --brokers 127.0.0.1:6380     then open http://127.0.0.1:8000/
// What it answers (public/index.html uses each):
//   on connect       transmit "welcome" {worker, session}: this worker's id and the session id
//   invoke hello     {name} → "hello <name>"
//   channel board    clients subscribe and publish {text} (1-500 bytes, else BoardError);
//                    invoke "posts" → how many board posts this worker has seen (its own
//                    server-side subscription, so posts made through any worker count)
//   invoke setNote   {note} → kept in the session (in the broker); every tab of the session,
//                    on any worker, gets transmit "note" with it
//   invoke getNote   → the session's note (null when none)
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <scluster/json.h>
#include <scluster/worker.h>

// The Makefile sets these; flags and SCLUSTER_* variables still win.
#ifndef APP_NAME
#define APP_NAME "app"
#endif
#ifndef APP_PUBLIC  // this app's public/ (served at /)
#define APP_PUBLIC ""
#endif
#ifndef APP_CLIENT_BUNDLE  // the installed socketcluster-client.min.js (pkg-config scluster)
#define APP_CLIENT_BUNDLE ""
#endif

int main(int argc, char** argv) {
  // Without these the toolkit serves no files and looks for the bundle beside its own binaries.
  if (access(APP_PUBLIC, R_OK | X_OK) == 0) setenv("SCLUSTER_PUBLIC", APP_PUBLIC, 0);
  if (access(APP_CLIENT_BUNDLE, R_OK) == 0) setenv("SCLUSTER_CLIENT_BUNDLE", APP_CLIENT_BUNDLE, 0);
  sc::Options opt;
  if (auto rc = sc::Options::from_main(argc, argv, &opt, APP_NAME)) return *rc;
  sc::Worker w(opt);

  w.on_connection([&w](sc::Socket& s) {
    std::string welcome = "{\"worker\":" + std::to_string(w.id()) + ",\"session\":";
    sc::json::write_string(s.session().id(), &welcome);
    s.transmit("welcome", sc::Json::raw(welcome + "}"));
  });

  w.procedure("hello", [](sc::Socket&, sc::Request& r) {
    std::string name;
    if (!r.data().get("name").as_string(&name) || name.empty()) name = "world";
    r.end(sc::Json::string("hello " + name));
  });

  // The board channel: clients publish to it themselves; the middleware checks each post.
  w.set_middleware(sc::Middleware::PublishIn, [](sc::Action& a) {
    std::string text;
    if (a.channel() == "board" &&
        (!a.data().get("text").as_string(&text) || text.empty() || text.size() > 500))
      a.block(sc::Error{"BoardError", "a board post is {text} with 1-500 bytes of text", ""});
    else
      a.allow();
  });
  uint64_t posts = 0;  // publications on board this worker received (from every worker)
  w.exchange().subscribe("board", [&posts](std::string_view, const sc::Json&) { ++posts; });
  w.procedure("posts", [&posts](sc::Socket&, sc::Request& r) {
    r.end(sc::Json::number(int64_t(posts)));
  });

  // The session: shared by the tabs that carry the same sid cookie, whichever worker they
  // reach; its data lives in the broker (redis-cli -p 6380 hgetall sc:sess:<sid>).
  w.procedure("setNote", [](sc::Socket& s, sc::Request& r) {
    std::string note;
    if (!r.data().get("note").as_string(&note) || note.size() > 1000)
      return r.error(sc::Error{"NoteError", "a note is {note} with at most 1000 bytes", ""});
    sc::Session sess = s.session();
    sc::Json value = sc::Json::string(note);
    sess.set("note", value, [sess, value, r](const sc::Error* e) mutable {
      if (e) return r.error(*e);
      sess.emit("note", value);
      r.end();
    });
  });
  w.procedure("getNote", [](sc::Socket& s, sc::Request& r) {
    s.session().get("note", [r](const sc::Error* e, const sc::Json& v) mutable {
      if (e) return r.error(*e);
      r.end(v.absent() ? sc::Json::null() : v);
    });
  });

  // Once in the cluster when a session ends (expired in the broker, or Session::destroy()).
  w.on_session_destroy([](std::string_view sid) {
    std::fprintf(stderr, "session %.*s ended\n", int(sid.size()), sid.data());
  });
  return w.run();
}
