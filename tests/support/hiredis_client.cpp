// hiredis round trip against a RESP server (sc-broker or redis-server):
// SET/GET, HSET/HGETALL, a pipeline of 100 commands, and PUBLISH -> SUBSCRIBE delivery on a
// second connection.  Usage: hiredis_client [port] [host].  Prints each check; exits 0 on
// success, 1 at the first failure.
#include <hiredis/hiredis.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>

#include "handle.h"

namespace {

using Context = sc::Handle<redisContext, redisFree>;
using Reply = sc::Handle<redisReply, freeReplyObject>;

int checks = 0;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "FAILED: %s\n", what.c_str());
  std::exit(1);
}
void ok(const std::string& what) { std::printf("ok %d - hiredis %s\n", ++checks, what.c_str()); }

Context connect(const char* host, int port) {
  timeval tv{5, 0};
  Context c(redisConnectWithTimeout(host, port, tv));
  if (!c || c->err) die(std::string("connect: ") + (c ? c->errstr : "out of memory"));
  redisSetTimeout(c.get(), tv);
  return c;
}

Reply command(redisContext* c, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  void* r = redisvCommand(c, fmt, ap);
  va_end(ap);
  if (!r) die(std::string("command failed: ") + c->errstr);
  return Reply(static_cast<redisReply*>(r));
}

std::string str(const redisReply* r) {
  if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
      r->type == REDIS_REPLY_ERROR)
    return std::string(r->str, r->len);
  if (r->type == REDIS_REPLY_INTEGER) return std::to_string(r->integer);
  if (r->type == REDIS_REPLY_NIL) return "(nil)";
  return "(type " + std::to_string(r->type) + ")";
}

void expect(const redisReply* r, const std::string& want, const std::string& what) {
  std::string got = str(r);
  if (got != want) die(what + ": got [" + got + "] expected [" + want + "]");
  ok(what);
}

}  // namespace

int main(int argc, char** argv) {
  int port = argc > 1 ? std::atoi(argv[1]) : 6380;
  const char* host = argc > 2 ? argv[2] : "127.0.0.1";
  Context c = connect(host, port);
  std::string key = "hiredis:" + std::to_string(port);

  expect(command(c.get(), "SET %s %b", key.c_str(), "v\0x", size_t(3)).get(), "OK", "SET");
  expect(command(c.get(), "GET %s", key.c_str()).get(), std::string("v\0x", 3), "GET binary value");
  expect(command(c.get(), "DEL %s", key.c_str()).get(), "1", "DEL");
  expect(command(c.get(), "GET %s", key.c_str()).get(), "(nil)", "GET missing key is nil");

  std::string h = key + ":h";
  expect(command(c.get(), "HSET %s user u1 ip 10.0.0.1 agent curl n 7", h.c_str()).get(), "4",
         "HSET 4 fields");
  {
    Reply r = command(c.get(), "HGETALL %s", h.c_str());
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 8) die("HGETALL shape");
    std::map<std::string, std::string> m;
    for (size_t i = 0; i < r->elements; i += 2) m[str(r->element[i])] = str(r->element[i + 1]);
    std::map<std::string, std::string> want{
        {"user", "u1"}, {"ip", "10.0.0.1"}, {"agent", "curl"}, {"n", "7"}};
    if (m != want) die("HGETALL contents");
    ok("HGETALL returns the 4 fields");
  }

  // Pipeline: 100 INCRs appended, then 100 replies read in order.
  std::string counter = key + ":n";
  command(c.get(), "DEL %s", counter.c_str());
  for (int i = 0; i < 100; i++) redisAppendCommand(c.get(), "INCR %s", counter.c_str());
  for (int i = 1; i <= 100; i++) {
    void* raw = nullptr;
    if (redisGetReply(c.get(), &raw) != REDIS_OK) die("pipeline read");
    Reply r(static_cast<redisReply*>(raw));
    if (r->type != REDIS_REPLY_INTEGER || r->integer != i) die("pipeline reply " + str(r.get()));
  }
  ok("pipeline of 100 INCR in order");

  // Pub/Sub across two connections.
  Context sub = connect(host, port);
  std::string ch = key + ":chan";
  {
    Reply r = command(sub.get(), "SUBSCRIBE %s", ch.c_str());
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 || str(r->element[0]) != "subscribe" ||
        str(r->element[2]) != "1")
      die("SUBSCRIBE confirmation");
    ok("SUBSCRIBE confirmation");
  }
  expect(command(c.get(), "PUBLISH %s %s", ch.c_str(), "hello").get(), "1",
         "PUBLISH reaches 1 subscriber");
  {
    void* raw = nullptr;
    if (redisGetReply(sub.get(), &raw) != REDIS_OK) die("message read");
    Reply r(static_cast<redisReply*>(raw));
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 || str(r->element[0]) != "message" ||
        str(r->element[1]) != ch || str(r->element[2]) != "hello")
      die("message shape");
    ok("subscriber receives the message");
  }
  command(c.get(), "DEL %s %s", h.c_str(), counter.c_str());
  std::printf("hiredis: %d checks passed\n", checks);
  return 0;
}
