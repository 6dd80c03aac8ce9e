// queue_load: the job-queue round trip of bench/broker-vs-redis.sh, against any RESP server
// (sc-broker or redis-server).  One thread, one epoll loop, raw RESP2 over 2 x --pairs
// connections, no client library.
//
// Why: a job queue on Redis lists is what users build on BRPOP (a worker blocks on its queue, a
// web process pushes a job and blocks on a reply queue).  redis-benchmark cannot run a blocking
// pop whose answer comes from another client, so the wake-up of a blocked client, the figure
// this pattern depends on, needs its own driver.
//
// The load: pair i is a producer connection and a consumer connection sharing the lists
// <prefix>:job:<i> and <prefix>:reply:<i>.  One round trip:
//   producer  LPUSH job:i "<i>.<seq>:<filler>"  and  BRPOP reply:i 0   (one write)
//   consumer  (blocked in BRPOP job:i 0) gets [job:i, job]; answers with the job's id:
//             LPUSH reply:i "<i>.<seq>"  and  BRPOP job:i 0 again     (one write)
//   producer  gets [reply:i, "<i>.<seq>"]: the trip is done; the next job leaves at once.
// Each pair has one job in flight, so --pairs 1 measures the latency of a wake-up and --pairs 50
// the throughput of many.  Latency: from the producer's LPUSH to the reply in its hands.
//
// Checking: every reply is checked.  LPUSH must answer an integer >= 1; the consumer must get
// exactly the job its producer sent, from its own queue; the producer must get exactly that
// job's id from its own reply queue.  An error reply, a wrong answer, a connection closed by
// the server, or a trip unanswered after --timeout seconds ends the run at once: one line
// `error=<kind> ...` on stdout, the detail on stderr, exit 1.
//
// Bounds: connecting and the start-up DEL (--timeout each), warm-up (--warmup, not counted),
// the measured window (--duration, or --max-trips round trips if that comes first), then the
// drain of the trips in flight (each still within --timeout).  Keys: --prefix, by default
// unique to the run (qload:<pid>.<random>), emptied by DEL before the start.
//
// Output: one line of key=value pairs on stdout: pairs, secs (the measured window), count (round
// trips in it), rate (per second), p50_us p90_us p99_us p999_us max_us (exact, from every trip's
// latency), errors=0, server_cpu_s (the main-thread CPU time of --cpu-pid over the window, from
// /proc/PID/schedstat; -1 without it), self_cpu_s (this process's CPU time in the window: close
// to secs means the load generator, not the server, was the limit).
// Exit: 0 when the measurement ran and every answer was right, 1 as above, 2 on a bad argument.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "resp.h"

namespace {

namespace resp = sc::resp;

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  int pairs = 1;
  double duration = 5;
  double warmup = 1;
  double timeout = 10;             // seconds one round trip (or the start-up) may take
  uint64_t max_trips = 100000000;  // the measured window ends after this many round trips
  int size = 16;                   // bytes of filler in each job
  std::string prefix;              // key prefix; "" = qload:<pid>.<random>
  int cpu_pid = 0;                 // the server, for server_cpu_s (0: none)
};

bool parse_args(int argc, char** argv, Options* o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    const char* v = argv[i + 1];
    char* end = nullptr;
    if (a == "--host")
      o->host = v;
    else if (a == "--port")
      o->port = int(std::strtol(v, &end, 10));
    else if (a == "--pairs")
      o->pairs = int(std::strtol(v, &end, 10));
    else if (a == "--duration")
      o->duration = std::strtod(v, &end);
    else if (a == "--warmup")
      o->warmup = std::strtod(v, &end);
    else if (a == "--timeout")
      o->timeout = std::strtod(v, &end);
    else if (a == "--max-trips")
      o->max_trips = std::strtoull(v, &end, 10);
    else if (a == "--size")
      o->size = int(std::strtol(v, &end, 10));
    else if (a == "--prefix")
      o->prefix = v;
    else if (a == "--cpu-pid")
      o->cpu_pid = int(std::strtol(v, &end, 10));
    else
      return false;
    if (end && *end) return false;  // trailing garbage in a number
  }
  return argc % 2 == 1 && o->port > 0 && o->port < 65536 && o->pairs > 0 && o->pairs <= 10000 &&
         o->duration > 0 && o->duration <= 3600 && o->warmup >= 0 && o->warmup <= 600 &&
         o->timeout > 0 && o->timeout <= 600 && o->max_trips > 0 && o->size >= 0 &&
         o->size <= 1 << 20 && o->cpu_pid >= 0 &&
         o->prefix.find_first_of(" \r\n") == std::string::npos;
}

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

double self_cpu_s() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// Seconds the main thread of `pid` has run on a CPU (exact, unlike /proc/PID/stat's ticks), or
// -1 (no pid, or it is gone).  Both servers do their work on the main thread.
double thread_cpu_s(int pid) {
  if (pid <= 0) return -1;
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/schedstat", pid);
  FILE* f = std::fopen(path, "r");
  if (!f) return -1;
  unsigned long long ns = 0;
  int n = std::fscanf(f, "%llu", &ns);
  std::fclose(f);
  return n == 1 ? double(ns) / 1e9 : -1;
}

// What the next reply on a connection answers, in the order the commands were sent.
enum class Expect : uint8_t { Del, Push, Pop };

struct Conn {
  int fd = -1;
  int pair = 0;
  bool producer = false;
  bool want_out = false;      // EPOLLOUT is registered
  std::string in;             // bytes read, not yet a complete reply
  std::string out;            // bytes to write
  std::deque<Expect> expect;  // one entry per command sent and not yet answered
};

struct Pair {
  std::string job_key, reply_key;
  uint64_t seq = 0;
  std::string id;   // "<pair>.<seq>" of the job in flight: the answer the producer wants
  std::string job;  // the job in flight, as the consumer must receive it
  uint64_t sent_ns = 0;
  bool in_flight = false;
};

struct Load {
  Options opt;
  int ep = -1;
  std::vector<Conn> conns;  // producer of pair i at 2i, its consumer at 2i + 1
  std::vector<Pair> pairs;
  std::string filler;
  resp::ReplyParser parser;
  bool sending = false, measuring = false;
  int setup_left = 0;            // start-up DELs not yet answered
  uint64_t trips = 0;            // round trips completed in the measured window
  std::vector<uint32_t> lat_us;  // the latency of each of them
};

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

// Ends the run: the kind on stdout (for scripts), the detail on stderr.
[[noreturn]] void fail(const Load& L, const char* kind, const std::string& detail) {
  std::fprintf(stderr, "queue_load: %s\n", detail.c_str());
  std::printf("error=%s pairs=%d trips=%llu\n", kind, L.opt.pairs, (unsigned long long)L.trips);
  std::fflush(stdout);
  std::exit(1);
}

// A reply as text for messages, cut short.
std::string show(const resp::Reply& r) {
  using K = resp::Reply::Kind;
  switch (r.kind) {
    case K::Null:
      return "(nil)";
    case K::Integer:
      return "(integer) " + std::to_string(r.integer);
    case K::Array: {
      std::string s = "[";
      for (size_t k = 0; k < r.elems.size() && k < 4; k++) s += (k ? ", " : "") + show(r.elems[k]);
      return s + (r.elems.size() > 4 ? ", ...]" : "]");
    }
    default:
      return "\"" + r.str.substr(0, 200) + "\"";
  }
}

void append_command(std::string* out, std::initializer_list<std::string_view> args) {
  *out += '*';
  *out += std::to_string(args.size());
  *out += "\r\n";
  for (std::string_view a : args) {
    *out += '$';
    *out += std::to_string(a.size());
    *out += "\r\n";
    *out += a;
    *out += "\r\n";
  }
}

void flush(Load& L, Conn& c) {
  while (!c.out.empty()) {
    ssize_t w = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (w > 0) {
      c.out.erase(0, size_t(w));
    } else if (w < 0 && errno == EINTR) {
      continue;
    } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      break;
    } else {
      fail(L, "closed", "pair " + std::to_string(c.pair) + ": send: " + std::strerror(errno));
    }
  }
  bool want = !c.out.empty();
  if (want == c.want_out) return;
  epoll_event ev{};
  ev.events = EPOLLIN | (want ? uint32_t(EPOLLOUT) : 0u);
  ev.data.u64 = uint64_t(&c - L.conns.data());
  if (epoll_ctl(L.ep, EPOLL_CTL_MOD, c.fd, &ev) != 0)
    fail(L, "closed", std::string("epoll_ctl: ") + std::strerror(errno));
  c.want_out = want;
}

// The producer of pair i sends its next job and blocks on the reply queue.
void start_trip(Load& L, int i) {
  Pair& p = L.pairs[size_t(i)];
  Conn& c = L.conns[size_t(2 * i)];
  p.seq++;
  p.id = std::to_string(i) + "." + std::to_string(p.seq);
  p.job = p.id + ":" + L.filler;
  p.in_flight = true;
  p.sent_ns = now_ns();
  append_command(&c.out, {"LPUSH", p.job_key, p.job});
  append_command(&c.out, {"BRPOP", p.reply_key, "0"});
  c.expect.push_back(Expect::Push);
  c.expect.push_back(Expect::Pop);
  flush(L, c);
}

// True when r is the reply of a BRPOP that popped `value` from `key`.
bool popped(const resp::Reply& r, std::string_view key, std::string_view value) {
  using K = resp::Reply::Kind;
  return r.kind == K::Array && r.elems.size() == 2 && r.elems[0].kind == K::Bulk &&
         r.elems[1].kind == K::Bulk && r.elems[0].str == key && r.elems[1].str == value;
}

void on_reply(Load& L, Conn& c, const resp::Reply& r) {
  using K = resp::Reply::Kind;
  auto who = [&c] {  // for messages only: no string is built on the way of a right answer
    return std::string(c.producer ? "producer" : "consumer") + " of pair " + std::to_string(c.pair);
  };
  if (r.kind == K::Error) fail(L, "reply", who() + ": " + r.str);
  if (c.expect.empty()) fail(L, "wrong", who() + ": unexpected reply " + show(r));
  Expect e = c.expect.front();
  c.expect.pop_front();
  Pair& p = L.pairs[size_t(c.pair)];
  switch (e) {
    case Expect::Del:
      if (r.kind != K::Integer) fail(L, "wrong", who() + ": DEL answered " + show(r));
      L.setup_left--;
      return;
    case Expect::Push:
      if (r.kind != K::Integer || r.integer < 1)
        fail(L, "wrong", who() + ": LPUSH answered " + show(r));
      return;
    case Expect::Pop:
      break;
  }
  if (!c.producer) {
    // The job must be the one in flight, from this pair's queue; the answer is its id, taken
    // from the job as a worker would.
    if (!p.in_flight || !popped(r, p.job_key, p.job))
      fail(L, "wrong",
           who() + ": wanted [\"" + p.job_key + "\", \"" + p.job + "\"], got " + show(r));
    std::string_view job = r.elems[1].str;
    append_command(&c.out, {"LPUSH", p.reply_key, job.substr(0, job.find(':'))});
    append_command(&c.out, {"BRPOP", p.job_key, "0"});
    c.expect.push_back(Expect::Push);
    c.expect.push_back(Expect::Pop);
    flush(L, c);
    return;
  }
  if (!p.in_flight || !popped(r, p.reply_key, p.id))
    fail(L, "wrong",
         who() + ": wanted [\"" + p.reply_key + "\", \"" + p.id + "\"], got " + show(r));
  p.in_flight = false;
  if (L.measuring && L.trips < L.opt.max_trips) {
    L.trips++;
    uint64_t us = (now_ns() - p.sent_ns) / 1000;
    L.lat_us.push_back(uint32_t(std::min<uint64_t>(us, UINT32_MAX)));
    if (L.trips >= L.opt.max_trips) L.sending = false;
  }
  if (L.sending) start_trip(L, c.pair);
}

void on_readable(Load& L, Conn& c) {
  char buf[64 * 1024];
  for (int rounds = 0; rounds < 16; rounds++) {
    ssize_t n = recv(c.fd, buf, sizeof buf, 0);
    if (n == 0) fail(L, "closed", "pair " + std::to_string(c.pair) + ": the server closed");
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      fail(L, "closed", "pair " + std::to_string(c.pair) + ": recv: " + std::strerror(errno));
    }
    c.in.append(buf, size_t(n));
    size_t at = 0;
    for (;;) {
      resp::Reply r;
      size_t used = 0;
      auto st = L.parser.parse(std::string_view(c.in).substr(at), &used, &r);
      if (st == resp::ParseStatus::NeedMore) break;
      if (st == resp::ParseStatus::Error) fail(L, "protocol", L.parser.error());
      at += used;
      on_reply(L, c, r);
    }
    c.in.erase(0, at);
    if (size_t(n) < sizeof buf) return;
  }
}

// Fails a trip that has waited longer than --timeout.
void check_timeouts(const Load& L, uint64_t now) {
  uint64_t limit = uint64_t(L.opt.timeout * 1e9);
  for (size_t i = 0; i < L.pairs.size(); i++) {
    const Pair& p = L.pairs[i];
    if (p.in_flight && now - p.sent_ns > limit)
      fail(L, "timeout",
           "pair " + std::to_string(i) + ": job " + p.id + " unanswered after " +
               std::to_string(L.opt.timeout) + " s");
  }
}

// Runs the loop until `until_ns` or until done() holds; every wait is at most 10 ms.
template <class Done>
void run_until(Load& L, uint64_t until_ns, Done done) {
  epoll_event evs[256];
  while (!done()) {
    uint64_t now = now_ns();
    if (now >= until_ns) return;
    if (g_stop) fail(L, "interrupted", "stopped by a signal");
    check_timeouts(L, now);
    int n = epoll_wait(L.ep, evs, 256, 10);
    if (n < 0 && errno != EINTR)
      fail(L, "closed", std::string("epoll_wait: ") + std::strerror(errno));
    for (int k = 0; k < n; k++) {
      Conn& c = L.conns[evs[k].data.u64];
      if (evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(L, c);
      if (evs[k].events & EPOLLOUT) flush(L, c);
    }
  }
}

// Opens connection `k` (blocking connect, then non-blocking with TCP_NODELAY).
void open_conn(Load& L, size_t k, const sockaddr_in& addr) {
  Conn& c = L.conns[k];
  c.pair = int(k / 2);
  c.producer = k % 2 == 0;
  c.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c.fd < 0) fail(L, "connect", std::string("socket: ") + std::strerror(errno));
  timeval tv{time_t(L.opt.timeout), 0};
  setsockopt(c.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);  // bounds the connect
  if (connect(c.fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
    fail(L, "connect",
         "connect to port " + std::to_string(L.opt.port) + ": " + std::strerror(errno));
  int one = 1;
  setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int fl = fcntl(c.fd, F_GETFL);
  if (fl < 0 || fcntl(c.fd, F_SETFL, fl | O_NONBLOCK) != 0)
    fail(L, "connect", std::string("fcntl: ") + std::strerror(errno));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = k;
  if (epoll_ctl(L.ep, EPOLL_CTL_ADD, c.fd, &ev) != 0)
    fail(L, "connect", std::string("epoll_ctl: ") + std::strerror(errno));
}

// The smallest latency with at least q of the sorted samples at or below it.
uint64_t quantile(const std::vector<uint32_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  size_t rank = size_t(q * double(sorted.size()) + 0.999999);
  return sorted[std::min(std::max<size_t>(rank, 1), sorted.size()) - 1];
}

}  // namespace

int main(int argc, char** argv) {
  Load L;
  if (!parse_args(argc, argv, &L.opt)) {
    std::fprintf(stderr,
                 "usage: queue_load --port P [--host 127.0.0.1] [--pairs 1] [--duration 5]\n"
                 "  [--warmup 1] [--timeout 10] [--max-trips 100000000] [--size 16]\n"
                 "  [--prefix qload:<pid>.<random>] [--cpu-pid SERVER_PID]\n");
    return 2;
  }
  const Options& o = L.opt;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(o.port));
  if (inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr) != 1) {
    std::fprintf(stderr, "queue_load: --host must be an IPv4 address\n");
    return 2;
  }
  std::string prefix = o.prefix;
  if (prefix.empty()) {
    char b[64];
    std::srand(unsigned(now_ns()));
    std::snprintf(b, sizeof b, "qload:%d.%08x", int(getpid()), unsigned(std::rand()));
    prefix = b;
  }
  L.filler.assign(size_t(o.size), 'x');
  L.ep = epoll_create1(EPOLL_CLOEXEC);
  if (L.ep < 0) fail(L, "connect", std::string("epoll_create1: ") + std::strerror(errno));
  L.pairs.resize(size_t(o.pairs));
  L.conns.resize(size_t(2 * o.pairs));
  L.lat_us.reserve(size_t(std::min<uint64_t>(o.max_trips, 1u << 20)));

  // 1. Connect, and empty both lists of every pair (a stale job would be a wrong answer).
  for (size_t k = 0; k < L.conns.size(); k++) open_conn(L, k, addr);
  for (int i = 0; i < o.pairs; i++) {
    Pair& p = L.pairs[size_t(i)];
    p.job_key = prefix + ":job:" + std::to_string(i);
    p.reply_key = prefix + ":reply:" + std::to_string(i);
    Conn& c = L.conns[size_t(2 * i)];
    append_command(&c.out, {"DEL", p.job_key, p.reply_key});
    c.expect.push_back(Expect::Del);
    L.setup_left++;
    flush(L, c);
  }
  run_until(L, now_ns() + uint64_t(o.timeout * 1e9), [&] { return L.setup_left == 0; });
  if (L.setup_left) fail(L, "timeout", "DEL unanswered after " + std::to_string(o.timeout) + " s");

  // 2. Consumers block, producers start; warm up, then measure.
  for (int i = 0; i < o.pairs; i++) {
    Conn& c = L.conns[size_t(2 * i + 1)];
    append_command(&c.out, {"BRPOP", L.pairs[size_t(i)].job_key, "0"});
    c.expect.push_back(Expect::Pop);
    flush(L, c);
  }
  L.sending = true;
  for (int i = 0; i < o.pairs; i++) start_trip(L, i);
  run_until(L, now_ns() + uint64_t(o.warmup * 1e9), [] { return false; });
  double cpu0 = thread_cpu_s(o.cpu_pid), self0 = self_cpu_s();
  uint64_t m0 = now_ns();
  L.measuring = true;
  run_until(L, m0 + uint64_t(o.duration * 1e9), [&] { return !L.sending; });
  L.measuring = false;
  L.sending = false;
  double secs = double(now_ns() - m0) / 1e9;
  double cpu1 = thread_cpu_s(o.cpu_pid), self1 = self_cpu_s();

  // 3. Drain: every trip in flight must still come back (check_timeouts bounds the wait).
  auto drained = [&] {
    for (const Pair& p : L.pairs)
      if (p.in_flight) return false;
    return true;
  };
  run_until(L, now_ns() + uint64_t((o.timeout + 1) * 1e9), drained);
  if (!drained()) fail(L, "timeout", "trips still in flight after the drain");

  std::sort(L.lat_us.begin(), L.lat_us.end());
  std::printf(
      "pairs=%d secs=%.3f count=%llu rate=%.0f p50_us=%llu p90_us=%llu p99_us=%llu "
      "p999_us=%llu max_us=%llu errors=0 server_cpu_s=%.3f self_cpu_s=%.2f\n",
      o.pairs, secs, (unsigned long long)L.trips, double(L.trips) / secs,
      (unsigned long long)quantile(L.lat_us, 0.5), (unsigned long long)quantile(L.lat_us, 0.9),
      (unsigned long long)quantile(L.lat_us, 0.99), (unsigned long long)quantile(L.lat_us, 0.999),
      (unsigned long long)(L.lat_us.empty() ? 0 : L.lat_us.back()),
      (cpu0 >= 0 && cpu1 >= 0) ? cpu1 - cpu0 : -1.0, self1 - self0);
  return 0;
}
