// sc-conformance: an app on the worker toolkit that lets any socketcluster-client check the
// protocol (docs/worker.md lists what each procedure does).  Exit codes: 0 stopped by a
// signal, 1 could not listen, 2 bad options (with --workers N: the master's, same meaning).
#include <unistd.h>

#include <cstdio>
#include <string>

#include "json.h"
#include "scluster/worker.h"

namespace {

// data.<key> when data is an object holding a string there.
bool string_member(const sc::Json& data, const char* key, std::string* out) {
  return data.get(key).as_string(out);
}

}  // namespace

int main(int argc, char** argv) {
  sc::Options opt;
  if (auto rc = sc::Options::from_main(argc, argv, &opt, "sc-conformance")) return *rc;
  sc::Worker w(opt);

  // echo: the data unchanged (absent stays absent).
  w.procedure("echo", [](sc::Socket&, sc::Request& r) { r.end(r.data()); });

  // worker: {id, pid} of the worker process serving the caller (Worker::id(); --workers).
  w.procedure("worker", [&w](sc::Socket&, sc::Request& r) {
    r.end(sc::Json::raw("{\"id\":" + std::to_string(w.id()) +
                        ",\"pid\":" + std::to_string(getpid()) + "}"));
  });

  // error: ConformanceError with data.message (default "Conformance error").
  w.procedure("error", [](sc::Socket&, sc::Request& r) {
    std::string msg;
    if (!string_member(r.data(), "message", &msg)) msg = "Conformance error";
    r.error(sc::Error{"ConformanceError", msg, ""});
  });

  // login {username}: sets the auth token {username}, then responds.
  w.procedure("login", [](sc::Socket& s, sc::Request& r) {
    std::string user;
    if (!string_member(r.data(), "username", &user) || user.empty()) {
      r.error(sc::Error{"LoginError", "username is missing or empty", ""});
      return;
    }
    std::string payload = "{\"username\":";
    sc::json::write_string(user, &payload);
    payload += "}";
    s.set_auth_token(sc::Json::raw(payload));
    r.end();
  });

  // whoami: {username} from the verified token, or null.
  w.procedure("whoami", [](sc::Socket& s, sc::Request& r) {
    if (!s.authenticated()) {
      r.end(sc::Json::null());
      return;
    }
    sc::Json user = s.auth_token().get("username");
    r.end(
        sc::Json::raw("{\"username\":" + std::string(user.absent() ? "null" : user.text()) + "}"));
  });

  // invokeBack {procedure,data}: invokes that procedure on the caller and relays the result.
  w.procedure("invokeBack", [](sc::Socket& s, sc::Request& r) {
    std::string proc;
    if (!string_member(r.data(), "procedure", &proc)) {
      r.error(sc::Error{"ConformanceError", "invokeBack wants {procedure, data}", ""});
      return;
    }
    s.invoke(proc, r.data().get("data"), [r](const sc::Error* err, const sc::Json& data) mutable {
      if (err)
        r.error(*err);
      else
        r.end(data);
    });
  });

  // disconnectMe {code,reason}: responds, then closes with that code and reason.
  w.procedure("disconnectMe", [](sc::Socket& s, sc::Request& r) {
    sc::json::Value v;
    int code = sc::close_code::kNormal;
    std::string reason;
    if (r.data().to_value(&v) && v.is_object()) {
      if (const sc::json::Value* c = v.find("code"); c && c->is_int()) code = int(c->as_int());
      if (const sc::json::Value* m = v.find("reason"); m && m->is_string()) reason = m->str();
    }
    r.end();
    s.disconnect(code, reason);
  });

  // publishTo {channel,data}: publishes server-side, then responds with no data (or the
  // BrokerError when the broker did not take it).
  w.procedure("publishTo", [&w](sc::Socket&, sc::Request& r) {
    std::string channel;
    if (!string_member(r.data(), "channel", &channel)) {
      r.error(sc::Error{"ConformanceError", "publishTo wants {channel, data}", ""});
      return;
    }
    w.exchange().publish(channel, r.data().get("data"), [r](const sc::Error* e) mutable {
      if (e)
        r.error(*e);
      else
        r.end();
    });
  });

  // kickMe {channel,message}: kicks the caller out of the channel, then responds.
  w.procedure("kickMe", [](sc::Socket& s, sc::Request& r) {
    std::string channel;
    if (!string_member(r.data(), "channel", &channel)) {
      r.error(sc::Error{"ConformanceError", "kickMe wants {channel, message}", ""});
      return;
    }
    s.kick_out(channel, r.data().get("message"));
    r.end();
  });

  // Sessions (docs/worker.md "Sessions").  Each responds once the broker answered, or with
  // its BrokerError.
  auto done_of = [](sc::Request r) {
    return [r](const sc::Error* e) mutable {
      if (e)
        r.error(*e);
      else
        r.end();
    };
  };
  w.procedure("sessionDestroy",
              [done_of](sc::Socket& s, sc::Request& r) { s.session().destroy(done_of(r)); });
  // The tests count this line in every worker's log: once in the cluster per session.
  w.on_session_destroy([](std::string_view sid) {
    std::fprintf(stderr, "session destroyed %.*s\n", int(sid.size()), sid.data());
  });
  w.procedure("sessionId",
              [](sc::Socket& s, sc::Request& r) { r.end(sc::Json::string(s.session().id())); });
  w.procedure("sessionSet", [done_of](sc::Socket& s, sc::Request& r) {
    std::string name;
    if (!string_member(r.data(), "name", &name)) {
      r.error(sc::Error{"ConformanceError", "sessionSet wants {name, value}", ""});
      return;
    }
    s.session().set(name, r.data().get("value"), done_of(r));
  });
  w.procedure("sessionGet", [](sc::Socket& s, sc::Request& r) {
    std::string name;
    if (!string_member(r.data(), "name", &name)) {
      r.error(sc::Error{"ConformanceError", "sessionGet wants {name}", ""});
      return;
    }
    s.session().get(name, [r](const sc::Error* e, const sc::Json& v) mutable {
      if (e)
        r.error(*e);
      else
        r.end(v.absent() ? sc::Json::null() : v);
    });
  });
  w.procedure("sessionEmit", [done_of](sc::Socket& s, sc::Request& r) {
    std::string event;
    if (!string_member(r.data(), "event", &event)) {
      r.error(sc::Error{"ConformanceError", "sessionEmit wants {event, data}", ""});
      return;
    }
    s.session().emit(event, r.data().get("data"), done_of(r));
  });
  w.procedure("globalEmit", [&w, done_of](sc::Socket&, sc::Request& r) {
    std::string sid, event;
    if (!string_member(r.data(), "sid", &sid) || !string_member(r.data(), "event", &event)) {
      r.error(sc::Error{"ConformanceError", "globalEmit wants {sid, event, data}", ""});
      return;
    }
    w.global().emit(sid, event, r.data().get("data"), done_of(r));
  });
  w.procedure("broadcast", [&w, done_of](sc::Socket&, sc::Request& r) {
    std::string event;
    if (!string_member(r.data(), "event", &event)) {
      r.error(sc::Error{"ConformanceError", "broadcast wants {event, data}", ""});
      return;
    }
    w.global().broadcast(event, r.data().get("data"), done_of(r));
  });

  // Channels starting with private/ need an authenticated socket to subscribe or publish.
  auto private_rule = [](sc::Action& a) {
    if (a.channel().substr(0, 8) == "private/" && !a.socket()->authenticated())
      a.block(sc::Error{"ForbiddenError",
                        "Channel " + std::string(a.channel()) + " requires authentication", ""});
    else
      a.allow();
  };
  w.set_middleware(sc::Middleware::Subscribe, private_rule);
  w.set_middleware(sc::Middleware::PublishIn, private_rule);

  // transmit ping → transmit pong with the same data.
  w.receiver("ping", [](sc::Socket& s, const sc::Json& d) { s.transmit("pong", d); });

  return w.run();
}
