// sc-balancer: TCP proxy in front of sc-worker processes (see docs/balancer.md).
#include <sys/resource.h>

#include <cstdio>

#include "config.h"
#include "log.h"
#include "server.h"

int main(int argc, char** argv) {
  sc::log_set_role('B');
  sc::bal::Server server;
  std::string error;
  switch (sc::bal::load_config(argc, argv, &server.cfg, &error)) {
    case sc::bal::ConfigStatus::Exit0:
      return 0;
    case sc::bal::ConfigStatus::Error:
      std::fprintf(stderr, "sc-balancer: %s (try --help)\n", error.c_str());
      return 2;
    case sc::bal::ConfigStatus::Ok:
      break;
  }
  // Thousands of idle clients are normal: take every descriptor the hard limit allows.
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (!sc::bal::server_init(&server, &error)) {
    SC_LOG(Warning, "sc-balancer: %s", error.c_str());
    return 1;
  }
  return sc::bal::server_run(&server);
}
