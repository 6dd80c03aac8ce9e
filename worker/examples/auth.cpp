// Example: log in with a procedure, guard channels with middleware.  Built as
// build/bin/sc-example-auth.
//   invoke "login" {username, password}  checks the pair (a demo table: alice/wonderland,
//                                        bob/builder), sets the auth token {username} (the
//                                        client gets #setAuthToken), responds; LoginError else
//   invoke "whoami"                      the token's username, or null
//   invoke "logout"                      drops the token (#removeAuthToken)
// Channel "private/<username>" is that user's alone: Subscribe and PublishIn middleware refuse
// every other socket with ForbiddenError.  A client that reconnects sends its token in
// #handshake and is authenticated again (with the same --auth-key-file, on any worker).
#include <cstdio>
#include <map>
#include <string>

#include "scluster/worker.h"

namespace {

const std::map<std::string, std::string> kUsers = {{"alice", "wonderland"}, {"bob", "builder"}};
constexpr std::string_view kPrivate = "private/";

// Allows an action on "private/<u>" only for the socket whose token says username u.
void guard_private(sc::Action& a) {
  std::string_view ch = a.channel();
  if (ch.substr(0, kPrivate.size()) != kPrivate) return a.allow();
  std::string user;
  const sc::Socket* s = a.socket();
  if (s && s->authenticated() && s->auth_token().get("username").as_string(&user) &&
      ch.substr(kPrivate.size()) == user)
    return a.allow();
  a.block(sc::Error{"ForbiddenError", "Channel " + std::string(ch) + " is not yours", ""});
}

}  // namespace

int main(int argc, char** argv) {
  sc::Options opt;
  if (auto rc = sc::Options::from_main(argc, argv, &opt, "sc-example-auth")) return *rc;
  sc::Worker w(opt);

  w.procedure("login", [](sc::Socket& s, sc::Request& r) {
    std::string user, pass;
    r.data().get("username").as_string(&user);
    r.data().get("password").as_string(&pass);
    auto it = kUsers.find(user);
    if (it == kUsers.end() || it->second != pass)
      return r.error(sc::Error{"LoginError", "Invalid username or password", ""});
    s.set_auth_token(
        sc::Json::raw("{\"username\":" + std::string(sc::Json::string(user).text()) + "}"));
    r.end();
  });
  w.procedure("whoami", [](sc::Socket& s, sc::Request& r) {
    r.end(s.authenticated() ? s.auth_token().get("username") : sc::Json::null());
  });
  w.procedure("logout", [](sc::Socket& s, sc::Request& r) {
    s.deauthenticate();
    r.end();
  });

  w.set_middleware(sc::Middleware::Subscribe, guard_private);
  w.set_middleware(sc::Middleware::PublishIn, guard_private);
  return w.run();
}
