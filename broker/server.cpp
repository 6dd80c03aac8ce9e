// sc-broker's main: configuration, the event loop, the cron (active expiry, rehashing,
// statistics) and clean shutdown on SIGTERM/SIGINT; the commands about the server process
// itself: TIME, LASTSAVE, SHUTDOWN.
//
// Exit codes (docs/broker.md):
//   0  --help, --version, or a clean shutdown (SIGTERM, SIGINT, SHUTDOWN)
//   1  the start failed (a bad option or config file line, the log file, the event loop, the
//      AOF could not be loaded or opened, no listening socket),
//      or an AOF write or fsync failed with appendfsync always (exit_on_lost_aof_write)
// Errors at start travel back here as values; only exit_on_lost_aof_write exits elsewhere.
#include <signal.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>

#include "aof.h"
#include "blocked.h"
#include "log.h"
#include "networking.h"
#include "server.h"

namespace sc::broker {

Server* g_srv = nullptr;
uint64_t g_hash_seed = 0;
uint64_t g_rand_state = 0;

int64_t now_us() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}
int64_t now_ms() { return now_us() / 1000; }

static void track_instantaneous(Stats& st) {
  int64_t now = now_ms();
  if (st.last_sample_ms == 0) {
    st.last_sample_ms = now;
    return;
  }
  int64_t dt = now - st.last_sample_ms;
  if (dt < 100) return;
  int i = st.sample_idx;
  st.ops_samples[i] = (st.commands_processed - st.last_sample_ops) * 1000 / dt;
  st.net_in_samples[i] = (st.net_input_bytes - st.last_sample_in) * 1000 / dt;
  st.net_out_samples[i] = (st.net_output_bytes - st.last_sample_out) * 1000 / dt;
  st.sample_idx = (i + 1) % 16;
  st.last_sample_ms = now;
  st.last_sample_ops = st.commands_processed;
  st.last_sample_in = st.net_input_bytes;
  st.last_sample_out = st.net_output_bytes;
}

static void cron_cb(evutil_socket_t, short, void*) {
  Server& s = srv();
  s.cronloops++;
  s.lru_clock = lru_clock_at(now_ms());
  if (s.active_expire) active_expire_cycle(false);
  // Incremental rehashing in the background: up to ~1 ms per cron for the databases.
  int64_t start = now_us();
  for (Db& db : s.dbs) {
    db.keys.shrink_if_needed();
    while (db.keys.rehash_step(100) && now_us() - start < 1000) {
    }
  }
  track_instantaneous(s.stats);
  aof_cron();
  if (s.cronloops % s.cfg.hz == 0) {
    close_timedout_clients();
    resize_query_buffers();
    size_t mem = used_memory();
    if (mem > s.peak_memory) s.peak_memory = mem;
  }
}

static void signal_cb(evutil_socket_t sig, short, void*) {
  SC_LOG(Warning, "Received %s scheduling shutdown...", sig == SIGINT ? "SIGINT" : "SIGTERM");
  srv().shutdown_asap = true;
  event_base_loopbreak(srv().base.get());
}

static std::string random_hex(size_t n) {
  std::string out;
  static const char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) out += kHex[rand64() & 15];
  return out;
}

static void raise_fd_limit(long long maxclients) {
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  rlim_t want = rlim_t(maxclients + 32);
  if (rl.rlim_cur >= want) return;
  rl.rlim_cur = std::min(want, rl.rlim_max);
  setrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < want)
    SC_LOG(Warning,
           "You requested maxclients of %lld requiring at least %llu max file descriptors; "
           "the limit is %llu.",
           maxclients, (unsigned long long)want, (unsigned long long)rl.rlim_cur);
}

// The one exit outside run()'s return.  With appendfsync always, a reply promises its write is
// on disk; when the write or the fdatasync fails, that promise is already given to the commands
// of this turn and cannot be taken back, so the broker stops (as Redis does) instead of serving
// on.  Called from the AOF flush, in the middle of a loop turn, so it cannot return to run().
[[noreturn]] void exit_on_lost_aof_write() { exit(1); }

// ---- TIME, LASTSAVE, SHUTDOWN ----

namespace {

void time_command(Client& c) {
  timeval tv;
  gettimeofday(&tv, nullptr);
  c.reply().array(2);
  c.reply().bulk_int(tv.tv_sec);
  c.reply().bulk_int(tv.tv_usec);
}

// No RDB snapshots: the last "save" is the start of the server, as in a fresh Redis.
void lastsave_command(Client& c) { c.reply().integer(srv().start_ms / 1000); }

// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: there is no RDB to save and no replica to wait
// for, so every accepted form stops the loop; the AOF, if on, is flushed by the exit path.
void shutdown_command(Client& c) {
  bool nosave = false, save = false, abort = false;
  for (size_t i = 1; i < c.argv.size(); i++) {
    std::string_view a = c.argv[i];
    if (eq_nocase(a, "nosave"))
      nosave = true;
    else if (eq_nocase(a, "save"))
      save = true;
    else if (eq_nocase(a, "now") || eq_nocase(a, "force"))
      ;
    else if (eq_nocase(a, "abort"))
      abort = true;
    else
      return reply_syntax_error(c);
  }
  if ((abort && c.argv.size() != 2) || (nosave && save)) return reply_syntax_error(c);
  if (abort) return reply_error(c, "ERR No shutdown in progress.");
  srv().shutdown_asap = true;
  srv().shutdown_exit_code = 0;
  if (srv().base) event_base_loopbreak(srv().base.get());
  // Like Redis, the client gets no reply: the connection closes when the server exits.
}

Command kCommands[] = {
    {.name = "time", .arity = 1, .flags = kCmdLoading | kCmdFast, .proc = time_command},
    {.name = "lastsave", .arity = 1, .flags = kCmdLoading | kCmdFast, .proc = lastsave_command},
    {.name = "shutdown", .arity = -1, .flags = kCmdAdmin | kCmdLoading | kCmdNoMulti,
     .proc = shutdown_command},
};

}  // namespace

std::span<Command> server_commands() { return kCommands; }

int run(int argc, char** argv) {
  Server* s = new Server();
  g_srv = s;
  uint64_t seeds[2] = {0, 0};
  if (getrandom(seeds, sizeof seeds, 0) != sizeof seeds) {
    seeds[0] = uint64_t(now_us()) * 2654435761u ^ uint64_t(getpid());
    seeds[1] = seeds[0] * 0x9E3779B97F4A7C15ULL;
  }
  g_hash_seed = seeds[0];
  g_rand_state = seeds[1];
  s->executable = argv[0];
  s->start_ms = now_ms();
  s->lru_clock = lru_clock_at(s->start_ms);
  s->run_id = random_hex(40);
  std::string error;
  switch (config_load(argc, argv, &s->cfg, &error)) {
    case ConfigLoad::Exit0:
      return 0;
    case ConfigLoad::Error:
      fprintf(stderr, "%s\n", error.c_str());
      return 1;
    case ConfigLoad::Ok:
      break;
  }
  s->notify_flags = s->cfg.notify_flags;

  LogLevel lvl;
  if (log_parse_level(s->cfg.loglevel, &lvl)) log_set_level(lvl);
  if (!s->cfg.logfile.empty() && !log_set_file(s->cfg.logfile)) {
    fprintf(stderr, "Can't open the log file: %s\n", strerror(errno));
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  raise_fd_limit(s->cfg.maxclients);

  s->dbs = std::vector<Db>(size_t(s->cfg.databases));
  for (int i = 0; i < s->cfg.databases; i++) s->dbs[size_t(i)].id = i;
  commands_init();
  pubsub_init();

  event_config* ec = event_config_new();
  event_config_set_flag(ec, EVENT_BASE_FLAG_NOLOCK);
  s->base.reset(event_base_new_with_config(ec));
  event_config_free(ec);
  if (!s->base) {
    SC_LOG(Warning, "Failed creating the event loop");
    return 1;
  }
  SC_LOG(Notice, "sc-broker starting, pid=%d, port=%d", int(getpid()), s->cfg.port);
  if (!aof_start(&error)) {
    SC_LOG(Warning, "%s", error.c_str());
    fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  if (!listen_all()) return 1;
  if (!s->cfg.pidfile.empty()) {
    if (FILE* f = fopen(s->cfg.pidfile.c_str(), "w")) {
      fprintf(f, "%d\n", int(getpid()));
      fclose(f);
    }
  }

  timeval tick{0, 1000000 / s->cfg.hz};
  s->cron_ev = new_event(s->base.get(), -1, EV_PERSIST, cron_cb, nullptr);
  event_add(s->cron_ev.get(), &tick);
  EventPtr sigterm(evsignal_new(s->base.get(), SIGTERM, signal_cb, nullptr));
  EventPtr sigint(evsignal_new(s->base.get(), SIGINT, signal_cb, nullptr));
  event_add(sigterm.get(), nullptr);
  event_add(sigint.get(), nullptr);

  SC_LOG(Notice, "Ready to accept connections tcp");
  while (!s->shutdown_asap) {
    event_base_loop(s->base.get(), EVLOOP_ONCE);
    process_unblocked_clients();  // pipelined commands of clients served this turn
    aof_flush();  // before replies: an acknowledged write is in the file
    flush_pending_writes();
    free_closed_clients();
  }

  SC_LOG(Warning, "User requested shutdown...");
  close_listeners();
  // Say goodbye to clients with what they were owed, then close them.
  aof_shutdown();
  flush_pending_writes();
  for (auto& [id, c] : s->clients) client_close_async(*c);
  free_closed_clients();
  if (!s->cfg.pidfile.empty()) unlink(s->cfg.pidfile.c_str());
  SC_LOG(Warning, "sc-broker is now ready to exit, bye bye...");
  sigterm.reset();  // every event before the base (event_handles.h)
  sigint.reset();
  s->cron_ev.reset();
  s->ndata_timer.reset();
  s->base.reset();
  return s->shutdown_exit_code;
}

}  // namespace sc::broker

int main(int argc, char** argv) { return sc::broker::run(argc, argv); }
