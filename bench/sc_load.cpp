// sc_load: the load generator of bench/worker-vs-node.sh.  One thread, one epoll loop, many
// WebSocket connections speaking the SocketCluster protocol v2 the way socketcluster-client does
// on the wire (sc-protocol.md): the HTTP upgrade on /socketcluster/, `#handshake` as an invoke,
// `""` pongs to the server's `""` pings, invokes `{"event":"echo","data":..,"cid":N}` answered by
// `{"rid":N,..}`, `#subscribe` and `#publish` invokes, `#publish` deliveries.
//
// Why our own: wrk and the like speak no WebSocket, and Node clients would make the load
// generator, not the server, the slower side.  Pipelining with a bounded window per connection
// lets one core drive a server to saturation with few connections.
//
// Modes (--mode):
//   invoke  --conns C --window W: each connection keeps up to W echo invokes outstanding.
//           Without --rate every answer is replaced at once (saturation); with --rate R the
//           invokes leave at R per second in total, spread evenly by a timerfd, each on the next
//           connection (round robin) with fewer than W outstanding (an invoke that finds none
//           is counted as `missed`, not queued).  Latency: send to answer, per invoke.
//   idle    --conns C: opens and handshakes C connections, prints "ready open=N", then only
//           answers pings until --duration ends or SIGTERM.
//   pubsub  --conns S subscribers plus one publisher connection that keeps up to W `#publish`
//           invokes outstanding and publishes only while fewer than W publications are
//           undelivered on average (deliveries / subscribers per channel), so that the server's
//           queues stay bounded.  Counts the deliveries the subscribers get; latency is from the
//           publisher's send to each delivery (the publication carries its send time, "t").
//           --channels K: the subscribers are spread over channels bench0..bench<K-1> (the j-th
//           subscribed connection on bench<j % K>) and publication n goes to bench<n % K>.
//           --cross: every connection first asks its server which worker serves it (invoke
//           `worker`, answered {"id":N,...}); only connections on a worker other than the
//           publisher's subscribe (at most --subscribers of them), so that every delivery
//           crosses the broker between two workers; the others stay open and idle.
//           Subscribing is a phase of its own after all connections are open.
//           --rate R: R publications per second from a timerfd instead (a publication that
//           finds the window full is counted as `missed`), for latency at a fixed load.
// --raw: no SocketCluster (for a plain echo server): no handshake, the answer to an invoke is
//   the frame itself (matched by its "cid").
// --procedure (invoke mode, not --raw): what each invoke calls, every answer checked.
//   echo        (default) {"n":<cid>,"s":filler}; the answer must carry its own invoke's n.
//   sessionSet  {"name":"v","value":{"n":<cid>,"s":filler}}: a new value every time; the answer
//               must not be an error.  After the window, once every answer is in, each
//               connection reads "v" back with sessionGet and it must be the value of its last
//               set (`verified` counts the connections checked; a wrong one is an error).
//   sessionGet  {"name":"g"}: before the run each connection sets "g" to {"c":<its index>,
//               "s":filler}; every answer must carry exactly that value.
//   Each connection has its own session: the upgrade asks for /socketcluster/?sid=<sid>, a
//   well-formed id (docs/worker.md "Sessions") unique to the connection and the run.
// --proto socketio: Socket.IO 4 over engine.io v4 WebSocket (`GET /socket.io/?EIO=4&transport=
//   websocket`, the server's `0{...}` open packet, `40` namespace connect, ping `2` / pong `3`);
//   an invoke is `42<cid>["event",data]` and its answer the ack `43<cid>[...]`; events echo,
//   worker, subscribe {channel}, publish {channel, data}; a delivery is `42["#publish",{channel,
//   data}]` (bench/cluster-node/socketio.js is such a server).  Only --procedure echo.
//
// Every phase is bounded in time: connecting (--connect-timeout), warm-up (--warmup, not
// counted) and the measured --duration.  With --cpu-pids P,Q the user+system CPU time of those
// processes (all threads, /proc/PID/stat) over the measured window is reported.
//
// Output: one line of key=value pairs on stdout (rate is per second of the measured window,
// latencies in microseconds, cpu in seconds, self_cpu_s is this process's own CPU time in the
// window: near the window's length means the load generator was the limit; errors counts error
// answers and answers that do not carry what --procedure expects, which the rate leaves out,
// plus sessionSet's failed read-backs; verified counts sessionSet's good read-backs).
// Exit: 0 when the measurement ran, 1 when connections failed to open, 2 on a bad argument.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

// ---- options ----

// The wire protocol: SocketCluster v2 (the default) or Socket.IO 4 (--proto socketio).
enum class Proto { SC, SocketIO };

struct Options {
  Proto proto = Proto::SC;
  int channels = 1;     // pubsub: channels bench0..bench<channels-1>
  bool cross = false;   // pubsub: subscribe only connections on another worker than the publisher
  int subscribers = 0;  // pubsub: at most this many subscribe (0: every eligible connection)
  std::string host = "127.0.0.1";
  int port = 0;
  std::string mode = "invoke";
  bool raw = false;
  int conns = 100;
  int window = 4;
  double rate = 0;  // invokes per second in total; 0 = as fast as answers come
  double duration = 5;
  double warmup = 1;
  double connect_timeout = 60;
  int size = 16;  // bytes of filler in each invoke's data
  // echo | sessionSet | sessionGet
  std::string procedure = "echo";
  std::vector<int> cpu_pids;
};

bool parse_args(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--raw") {
      o->raw = true;
      continue;
    }
    if (a == "--cross") {
      o->cross = true;
      continue;
    }
    if (i + 1 >= argc) return false;
    const char* v = argv[++i];
    if (a == "--host")
      o->host = v;
    else if (a == "--port")
      o->port = std::atoi(v);
    else if (a == "--mode")
      o->mode = v;
    else if (a == "--conns")
      o->conns = std::atoi(v);
    else if (a == "--window")
      o->window = std::atoi(v);
    else if (a == "--rate")
      o->rate = std::atof(v);
    else if (a == "--duration")
      o->duration = std::atof(v);
    else if (a == "--warmup")
      o->warmup = std::atof(v);
    else if (a == "--connect-timeout")
      o->connect_timeout = std::atof(v);
    else if (a == "--size")
      o->size = std::atoi(v);
    else if (a == "--procedure")
      o->procedure = v;
    else if (a == "--channels")
      o->channels = std::atoi(v);
    else if (a == "--subscribers")
      o->subscribers = std::atoi(v);
    else if (a == "--proto" && !std::strcmp(v, "sc"))
      o->proto = Proto::SC;
    else if (a == "--proto" && !std::strcmp(v, "socketio"))
      o->proto = Proto::SocketIO;
    else if (a == "--cpu-pids") {
      for (const char* p = v; *p;) {
        o->cpu_pids.push_back(std::atoi(p));
        const char* c = std::strchr(p, ',');
        if (!c) break;
        p = c + 1;
      }
    } else
      return false;
  }
  return o->port > 0 && o->port < 65536 && o->conns > 0 && o->conns <= 100000 && o->window > 0 &&
         o->window <= 4096 && o->duration > 0 && o->duration <= 3600 && o->warmup >= 0 &&
         o->warmup <= 600 && o->size >= 0 && o->size <= 65536 && o->rate >= 0 &&
         (o->mode == "invoke" || o->mode == "idle" || o->mode == "pubsub") &&
         !(o->raw && o->mode == "pubsub") && o->channels > 0 && o->channels <= 100000 &&
         o->subscribers >= 0 && !(o->raw && o->proto == Proto::SocketIO) &&
         !(o->proto == Proto::SocketIO && o->procedure != "echo") &&
         (o->procedure == "echo" ||
          ((o->procedure == "sessionSet" || o->procedure == "sessionGet") && !o->raw &&
           o->mode == "invoke"));
}

// ---- time, CPU ----

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

// utime + stime of a process (all its threads) in seconds, or -1 when it is gone.
double proc_cpu_s(int pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE* f = std::fopen(path, "r");
  if (!f) return -1;
  char buf[1024];
  size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = 0;
  const char* p = std::strrchr(buf, ')');  // the command name may hold spaces
  if (!p) return -1;
  unsigned long long utime = 0, stime = 0;
  // After ")": state(3) ... utime is field 14, stime 15.
  if (std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) !=
      2)
    return -1;
  return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

double self_cpu_s() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// ---- latency histogram: 1 us steps to 100 ms, 1 ms steps to 10 s, then one overflow bucket ----

struct Histogram {
  std::vector<uint64_t> fine = std::vector<uint64_t>(100000);
  std::vector<uint64_t> coarse = std::vector<uint64_t>(10000);
  uint64_t over = 0, count = 0, max_us = 0;

  void add(uint64_t us) {
    count++;
    if (us > max_us) max_us = us;
    if (us < 100000)
      fine[us]++;
    else if (us < 10000000)
      coarse[us / 1000]++;
    else
      over++;
  }
  // The smallest value v with at least q of the samples <= v.
  uint64_t quantile(double q) const {
    if (!count) return 0;
    uint64_t need = uint64_t(q * double(count) + 0.999999), seen = 0;
    if (need < 1) need = 1;
    for (size_t i = 0; i < fine.size(); i++)
      if ((seen += fine[i]) >= need) return i;
    for (size_t i = 100; i < coarse.size(); i++)
      if ((seen += coarse[i]) >= need) return i * 1000 + 999;
    return max_us;
  }
};

// ---- connections ----

// Identifying: --cross asks which worker serves the connection.  Preparing: sessionGet's
// connection waits for the answer to its first sessionSet.
enum class State { Connecting, Upgrading, Handshaking, Identifying, Preparing, Open, Closed };

struct Conn {
  int fd = -1;
  State state = State::Connecting;
  bool publisher = false;
  std::string in;       // bytes read and not yet parsed (a partial frame or HTTP head)
  std::string out;      // bytes to write
  std::string message;  // a fragmented message being joined
  uint32_t mask = 0;
  uint64_t next_cid = 1;
  uint64_t handshake_cid = 0, subscribe_cid = 0, prepare_cid = 0, verify_cid = 0, worker_cid = 0;
  int worker = -1;           // --cross: the id of the worker serving this connection
  bool subscribing = false;  // a #subscribe is outstanding (subscribe_cid)
  std::string sid;           // the session of a session procedure's connection
  std::string expect;        // sessionGet: the data every answer must carry
  uint64_t last_set = 0;     // sessionSet: the cid (and value n) of the last set sent
  int outstanding = 0;
  std::vector<uint64_t> sent_at;  // send time of each outstanding cid, at cid % window
  bool want_out = false;          // EPOLLOUT is registered
};

struct Load {
  Options opt;
  int ep = -1;
  sockaddr_in addr{};
  std::vector<Conn> conns;  // subscribers/invokers first; in pubsub mode the publisher last
  std::string filler;
  int pending_connects = 0, started = 0, open = 0, failed = 0, closed = 0;
  bool measuring = false, warming = false, sending = false;
  Histogram hist;
  uint64_t answers = 0, errors = 0, missed = 0, deliveries = 0, publishes = 0, sent = 0;
  uint64_t pubs_out = 0;  // publications sent while sending (flow control)
  uint64_t deliveries_total = 0;
  int subscribed = 0, subscribe_pending = 0;  // pubsub: subscriptions confirmed / outstanding
  double fanout = 1;  // pubsub: subscribers per channel (publications in flight = window x this)
  // sessionSet: connections whose last value was read back
  uint64_t verified = 0;
  size_t rr = 0;  // round robin position for --rate
  double credits = 0;
};

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

void watch(Load& L, size_t i, bool want_out) {
  Conn& c = L.conns[i];
  if (c.want_out == want_out) return;
  epoll_event ev{};
  ev.events = EPOLLIN | (want_out ? uint32_t(EPOLLOUT) : 0u);
  ev.data.u64 = i;
  epoll_ctl(L.ep, EPOLL_CTL_MOD, c.fd, &ev);
  c.want_out = want_out;
}

void close_conn(Load& L, size_t i) {
  Conn& c = L.conns[i];
  if (c.state == State::Closed) return;
  if (c.state == State::Open) L.open--;
  if (c.state == State::Connecting || c.state == State::Upgrading ||
      c.state == State::Handshaking || c.state == State::Identifying ||
      c.state == State::Preparing) {
    L.pending_connects--;
    L.failed++;
  } else {
    L.closed++;
  }
  if (c.subscribing) {
    c.subscribing = false;
    L.subscribe_pending--;
  }
  c.state = State::Closed;
  epoll_ctl(L.ep, EPOLL_CTL_DEL, c.fd, nullptr);
  close(c.fd);
  c.fd = -1;
}

// Appends one masked client text frame (opcode 1) or pong (opcode 10).
void put_frame(Conn& c, std::string_view payload, int opcode = 1) {
  unsigned char h[14];
  size_t n = 0, len = payload.size();
  h[n++] = uint8_t(0x80 | opcode);
  if (len < 126) {
    h[n++] = uint8_t(0x80 | len);
  } else if (len < 65536) {
    h[n++] = 0x80 | 126;
    h[n++] = uint8_t(len >> 8);
    h[n++] = uint8_t(len);
  } else {
    h[n++] = 0x80 | 127;
    for (int s = 56; s >= 0; s -= 8) h[n++] = uint8_t(uint64_t(len) >> s);
  }
  unsigned char m[4] = {uint8_t(c.mask >> 24), uint8_t(c.mask >> 16), uint8_t(c.mask >> 8),
                        uint8_t(c.mask)};
  std::memcpy(h + n, m, 4);
  n += 4;
  c.out.append(reinterpret_cast<char*>(h), n);
  size_t base = c.out.size();
  c.out.append(payload);
  for (size_t k = 0; k < len; k++) c.out[base + k] ^= char(m[k & 3]);
}

void flush(Load& L, size_t i) {
  Conn& c = L.conns[i];
  while (!c.out.empty()) {
    ssize_t w = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (w > 0) {
      c.out.erase(0, size_t(w));
      continue;
    }
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (w < 0 && errno == EINTR) continue;
    close_conn(L, i);
    return;
  }
  watch(L, i, !c.out.empty());
}

// The text of one invoke: SocketCluster `{"event":E,"data":D,"cid":N}`, or Socket.IO
// `42N["E",D]` with E's leading '#' dropped (#subscribe -> subscribe).
std::string invoke_text(Proto proto, std::string_view event, std::string_view data, uint64_t cid) {
  char num[24];
  std::snprintf(num, sizeof num, "%llu", (unsigned long long)cid);
  std::string f;
  f.reserve(48 + event.size() + data.size());
  if (proto == Proto::SocketIO) {
    if (!event.empty() && event[0] == '#') event.remove_prefix(1);
    f += "42";
    f += num;
    f += "[\"";
    f += event;
    f += "\",";
    f += data;
    f += "]";
  } else {
    f += "{\"event\":\"";
    f += event;
    f += "\",\"data\":";
    f += data;
    f += ",\"cid\":";
    f += num;
    f += "}";
  }
  return f;
}

// Queues one invoke on connection i (the caller checked its window).  A publication carries its
// number, its send time in microseconds ("t", for the delivery latency) and the filler.
void send_invoke(Load& L, size_t i) {
  Conn& c = L.conns[i];
  uint64_t cid = c.next_cid++;
  char head[96];
  std::string d;
  d.reserve(96 + L.filler.size());
  const char* event = "echo";
  uint64_t t = now_ns();
  if (c.publisher) {
    std::snprintf(head, sizeof head, "{\"channel\":\"bench%d\",\"data\":{\"n\":%llu,\"t\":%llu",
                  int(L.publishes % uint64_t(L.opt.channels)), (unsigned long long)L.publishes,
                  (unsigned long long)(t / 1000));
    d = head;
    d += ",\"s\":\"" + L.filler + "\"}}";
    event = "#publish";
    L.publishes++;
    L.pubs_out++;
  } else if (L.opt.procedure == "sessionSet") {
    std::snprintf(head, sizeof head, "{\"name\":\"v\",\"value\":{\"n\":%llu",
                  (unsigned long long)cid);
    d = head;
    d += ",\"s\":\"" + L.filler + "\"}}";
    event = "sessionSet";
    c.last_set = cid;
  } else if (L.opt.procedure == "sessionGet") {
    d = "{\"name\":\"g\"}";
    event = "sessionGet";
  } else {
    std::snprintf(head, sizeof head, "{\"n\":%llu", (unsigned long long)cid);
    d = head;
    d += ",\"s\":\"" + L.filler + "\"}";
  }
  c.sent_at[cid % c.sent_at.size()] = t;
  c.outstanding++;
  L.sent++;
  put_frame(c, invoke_text(L.opt.proto, event, d, cid));
}

void send_control(Load& L, Conn& c, const char* event, std::string_view data, uint64_t* cid_out) {
  uint64_t cid = c.next_cid++;
  *cid_out = cid;
  put_frame(c, invoke_text(L.opt.proto, event, data, cid));
}

// The text after "data": in an answer {"rid":N,"data":D} (the servers send rid first, data
// last), or "" when it has none.
std::string_view answer_data(std::string_view m) {
  size_t p = m.find(",\"data\":");
  if (p == std::string_view::npos || m.back() != '}') return {};
  p += 8;
  return m.substr(p, m.size() - 1 - p);
}

// sessionSet {"name":N,"value":V} as invoke data.
std::string set_data(std::string_view name, std::string_view value) {
  std::string d = "{\"name\":\"";
  d += name;
  d += "\",\"value\":";
  d += value;
  d += "}";
  return d;
}

// The connection became usable: count it and start its traffic.
void became_open(Load& L, size_t i) {
  Conn& c = L.conns[i];
  c.state = State::Open;
  L.pending_connects--;
  L.open++;
  if (L.sending && L.opt.mode == "invoke" && L.opt.rate == 0)
    while (c.outstanding < L.opt.window) send_invoke(L, i);
}

// Publishes while the publisher's window and the delivery backlog allow.
void pump_publisher(Load& L) {
  if (!L.sending || L.opt.mode != "pubsub" || L.opt.rate > 0) return;
  size_t i = L.conns.size() - 1;
  Conn& c = L.conns[i];
  if (c.state != State::Open) return;
  double fan = L.fanout;
  bool queued = false;
  while (c.outstanding < L.opt.window &&
         double(L.pubs_out) * fan < double(L.deliveries_total) + fan * double(L.opt.window)) {
    send_invoke(L, i);
    queued = true;
  }
  if (queued) flush(L, i);
}

// pubsub --rate: `ticks` more publications are due; each needs a free slot in the publisher's
// window, else it is counted as missed (not queued).
void publish_ticks(Load& L, uint64_t ticks) {
  size_t i = L.conns.size() - 1;
  Conn& c = L.conns[i];
  if (c.state != State::Open) return;
  bool queued = false;
  for (uint64_t k = 0; k < ticks; k++) {
    if (c.outstanding < L.opt.window) {
      send_invoke(L, i);
      queued = true;
    } else if (L.measuring) {
      L.missed++;
    }
  }
  if (queued) flush(L, i);
}

uint64_t number_after(std::string_view s, std::string_view key, bool* found) {
  size_t p = s.rfind(key);
  *found = p != std::string_view::npos;
  if (!*found) return 0;
  uint64_t v = 0;
  for (p += key.size(); p < s.size() && s[p] >= '0' && s[p] <= '9'; p++) v = v * 10 + (s[p] - '0');
  return v;
}

// A publication reached a subscriber: count it, its latency from the "t" it carries.
void on_delivery(Load& L, std::string_view m) {
  L.deliveries_total++;
  if (L.measuring) {
    L.deliveries++;
    bool has_t = false;
    uint64_t t = number_after(m, "\"t\":", &has_t);
    uint64_t now = now_ns() / 1000;
    if (has_t && t <= now) L.hist.add(now - t);
  }
  pump_publisher(L);
}

// The handshake (and --cross's worker question) answered: sessionGet first sets its value,
// everything else is open.
void after_handshake(Load& L, size_t i) {
  Conn& c = L.conns[i];
  if (L.opt.procedure == "sessionGet") {
    c.state = State::Preparing;
    c.expect = "{\"c\":" + std::to_string(i) + ",\"s\":\"" + L.filler + "\"}";
    send_control(L, c, "sessionSet", set_data("g", c.expect), &c.prepare_cid);
  } else {
    became_open(L, i);
  }
}

// The answer `m` to invoke `id` of connection i (`error`: the server answered with an error).
void on_answer(Load& L, size_t i, uint64_t id, std::string_view m, bool error) {
  Conn& c = L.conns[i];
  if (c.state == State::Handshaking && id == c.handshake_cid) {
    if (L.opt.cross) {
      c.state = State::Identifying;
      send_control(L, c, "worker", "null", &c.worker_cid);
    } else {
      after_handshake(L, i);
    }
    return;
  }
  if (c.state == State::Identifying && id == c.worker_cid) {
    bool has_id = false;
    uint64_t w = number_after(m, "\"id\":", &has_id);
    if (!has_id || error) {
      L.errors++;
      close_conn(L, i);
      return;
    }
    c.worker = int(w);
    after_handshake(L, i);
    return;
  }
  if (c.state == State::Preparing && id == c.prepare_cid) {
    if (error) {
      std::fprintf(stderr, "sc_load: %.*s\n", int(std::min<size_t>(m.size(), 300)), m.data());
      L.errors++;
      close_conn(L, i);
      return;
    }
    became_open(L, i);
    return;
  }
  if (c.subscribing && id == c.subscribe_cid) {
    c.subscribing = false;
    L.subscribe_pending--;
    if (error) {
      std::fprintf(stderr, "sc_load: %.*s\n", int(std::min<size_t>(m.size(), 300)), m.data());
      L.errors++;
      close_conn(L, i);
      return;
    }
    L.subscribed++;
    return;
  }
  if (c.verify_cid && id == c.verify_cid) {  // sessionSet: the last value read back
    c.verify_cid = 0;
    std::string want = "{\"n\":" + std::to_string(c.last_set) + ",\"s\":\"" + L.filler + "\"}";
    if (answer_data(m) == want) {
      L.verified++;
    } else {
      std::fprintf(stderr, "sc_load: read back %.*s, wanted %s\n",
                   int(std::min<size_t>(m.size(), 300)), m.data(), want.c_str());
      L.errors++;
    }
    return;
  }
  if (c.outstanding <= 0) return;
  c.outstanding--;
  uint64_t t = c.sent_at[id % c.sent_at.size()];
  // An echo answer must carry the data of its own invoke ({"n":<cid>,...}); an error or a wrong
  // answer counts in `errors`, not in the rate.
  // A sessionGet answer must carry the value this connection set; a sessionSet answer only
  // has to be no error (verify_sets reads the values back).
  bool echoed = true;
  if (L.opt.procedure == "sessionGet") {
    echoed = answer_data(m) == c.expect;
  } else if (!c.publisher && L.opt.procedure == "echo") {
    bool has_n = false;
    echoed = number_after(m, "{\"n\":", &has_n) == id && has_n;
  }
  if (!echoed || error) {
    if (L.measuring) L.errors++;
  } else if (L.measuring) {
    L.answers++;
    if (!c.publisher) L.hist.add((now_ns() - t) / 1000);  // pubsub: deliveries' latency only
  }
  if (c.publisher) {
    pump_publisher(L);
  } else if (L.sending && L.opt.mode == "invoke" && L.opt.rate == 0) {
    send_invoke(L, i);
  }
}

// One complete Socket.IO (engine.io v4) text message: `0{..}` open, `2` ping, `40{..}`
// namespace connected, `43<id>[..]` an ack, `42["#publish",..]` a delivery.
void on_message_socketio(Load& L, size_t i, std::string_view m) {
  Conn& c = L.conns[i];
  if (m.empty()) return;
  if (m == "2") {
    put_frame(c, "3");
    return;
  }
  if (m[0] == '0') {  // the engine.io open packet: connect to the default namespace
    if (c.state == State::Handshaking) put_frame(c, "40");
    return;
  }
  if (m.size() >= 2 && m[0] == '4' && m[1] == '0') {  // connected: the handshake's answer
    if (c.state == State::Handshaking) on_answer(L, i, c.handshake_cid, m, false);
    return;
  }
  if (m.size() >= 2 && m[0] == '4' && m[1] == '4') {  // connect_error
    L.errors++;
    close_conn(L, i);
    return;
  }
  if (m.size() > 13 && m.substr(0, 13) == "42[\"#publish\"") {
    on_delivery(L, m);
    return;
  }
  if (m.size() > 2 && m[0] == '4' && m[1] == '3') {
    uint64_t id = 0;
    size_t p = 2;
    for (; p < m.size() && p < 24 && m[p] >= '0' && m[p] <= '9'; p++) id = id * 10 + (m[p] - '0');
    if (p == 2) return;
    on_answer(L, i, id, m.substr(p), false);
  }
}

// One complete text message from the server.
void on_message(Load& L, size_t i, std::string_view m) {
  if (L.opt.proto == Proto::SocketIO) {
    on_message_socketio(L, i, m);
    return;
  }
  Conn& c = L.conns[i];
  if (!L.opt.raw) {
    if (m.empty()) {  // the v2 ping
      put_frame(c, "");
      return;
    }
    if (m == "#1") {
      put_frame(c, "#2");
      return;
    }
    if (m.size() > 19 && m.substr(0, 19) == "{\"event\":\"#publish\"") {
      on_delivery(L, m);
      return;
    }
  }
  bool found = false;
  uint64_t id =
      L.opt.raw
          ? number_after(m, "\"cid\":", &found)
          : (m.substr(0, 7) == "{\"rid\":" ? number_after(m.substr(0, 32), "\"rid\":", &found) : 0);
  if (!found) return;  // another transmit (#setAuthToken...): not ours to count
  on_answer(L, i, id, m, !L.opt.raw && m.find("\"error\"", 7) != std::string_view::npos);
}

// Parses the frames in `data`; returns the bytes consumed (the rest is a partial frame).
size_t parse_frames(Load& L, size_t i, const char* data, size_t len) {
  size_t pos = 0;
  while (L.conns[i].state != State::Closed) {
    if (len - pos < 2) break;
    const unsigned char* p = reinterpret_cast<const unsigned char*>(data + pos);
    int opcode = p[0] & 0x0f;
    bool fin = p[0] & 0x80;
    uint64_t plen = p[1] & 0x7f;
    size_t hl = 2;
    if (plen == 126) {
      if (len - pos < 4) break;
      plen = (uint64_t(p[2]) << 8) | p[3];
      hl = 4;
    } else if (plen == 127) {
      if (len - pos < 10) break;
      plen = 0;
      for (int k = 0; k < 8; k++) plen = (plen << 8) | p[2 + k];
      hl = 10;
    }
    if (p[1] & 0x80) hl += 4;  // a server never masks; skip a mask anyway
    if (len - pos < hl + plen) break;
    std::string_view payload(data + pos + hl, size_t(plen));
    pos += hl + size_t(plen);
    Conn& c = L.conns[i];
    if (opcode == 0x8) {  // close
      close_conn(L, i);
      break;
    }
    if (opcode == 0x9) {  // WebSocket ping
      put_frame(c, payload, 0xA);
      continue;
    }
    if (opcode == 0xA) continue;
    if (opcode == 0x0 || !fin) {  // fragments: join them
      c.message.append(payload);
      if (!fin) continue;
      std::string whole;
      whole.swap(c.message);
      on_message(L, i, whole);
      continue;
    }
    on_message(L, i, payload);
  }
  return pos;
}

void on_readable(Load& L, size_t i) {
  static char buf[256 * 1024];
  for (int rounds = 0; rounds < 8 && L.conns[i].state != State::Closed; rounds++) {
    ssize_t r = recv(L.conns[i].fd, buf, sizeof buf, 0);
    if (r == 0) {
      close_conn(L, i);
      return;
    }
    if (r < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      close_conn(L, i);
      return;
    }
    Conn& c = L.conns[i];
    if (c.state == State::Upgrading) {
      c.in.append(buf, size_t(r));
      size_t end = c.in.find("\r\n\r\n");
      if (end == std::string::npos) {
        if (c.in.size() > 8192) close_conn(L, i);
        continue;
      }
      if (c.in.compare(0, 12, "HTTP/1.1 101") != 0) {
        close_conn(L, i);
        return;
      }
      c.in.erase(0, end + 4);
      if (L.opt.raw) {
        became_open(L, i);
      } else if (L.opt.proto == Proto::SocketIO) {
        c.state = State::Handshaking;  // until `40`: the server speaks first (its open packet)
        c.handshake_cid = 0;
      } else {
        c.state = State::Handshaking;
        send_control(L, c, "#handshake", "{\"authToken\":null}", &c.handshake_cid);
      }
      size_t used = parse_frames(L, i, c.in.data(), c.in.size());
      if (L.conns[i].state != State::Closed) L.conns[i].in.erase(0, used);
    } else if (c.in.empty()) {
      size_t used = parse_frames(L, i, buf, size_t(r));
      if (L.conns[i].state != State::Closed && used < size_t(r))
        L.conns[i].in.assign(buf + used, size_t(r) - used);
    } else {
      c.in.append(buf, size_t(r));
      size_t used = parse_frames(L, i, c.in.data(), c.in.size());
      if (L.conns[i].state != State::Closed) L.conns[i].in.erase(0, used);
    }
    if (size_t(r) < sizeof buf) break;
  }
  if (L.conns[i].state != State::Closed) flush(L, i);
}

void start_connect(Load& L, size_t i) {
  Conn& c = L.conns[i];
  c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c.fd < 0) {
    std::fprintf(stderr, "sc_load: socket: %s\n", std::strerror(errno));
    c.state = State::Closed;
    L.failed++;
    return;
  }
  int one = 1;
  setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c.mask = uint32_t(std::rand()) | 1u;
  c.sent_at.assign(size_t(L.opt.window), 0);
  int r = connect(c.fd, reinterpret_cast<sockaddr*>(&L.addr), sizeof L.addr);
  if (r < 0 && errno != EINPROGRESS) {
    std::fprintf(stderr, "sc_load: connect: %s\n", std::strerror(errno));
    close(c.fd);
    c.state = State::Closed;
    L.failed++;
    return;
  }
  c.state = State::Connecting;
  L.pending_connects++;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT;
  ev.data.u64 = i;
  epoll_ctl(L.ep, EPOLL_CTL_ADD, c.fd, &ev);
  c.want_out = true;
}

void on_event(Load& L, size_t i, uint32_t events) {
  Conn& c = L.conns[i];
  if (c.state == State::Closed) return;
  if (c.state == State::Connecting) {
    int err = 0;
    socklen_t el = sizeof err;
    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &el);
    if (err || (events & (EPOLLERR | EPOLLHUP))) {
      close_conn(L, i);
      return;
    }
    if (!(events & EPOLLOUT)) return;
    c.state = State::Upgrading;
    char req[512];
    std::snprintf(req, sizeof req,
                  "GET %s%s%s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n",
                  L.opt.proto == Proto::SocketIO ? "/socket.io/?EIO=4&transport=websocket"
                                                 : "/socketcluster/",
                  c.sid.empty() ? "" : "?sid=", c.sid.c_str(), L.opt.host.c_str(), L.opt.port);
    c.out += req;
    flush(L, i);
    return;
  }
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(L, i);
  if (L.conns[i].state != State::Closed && (events & EPOLLOUT)) flush(L, i);
}

// Runs the loop until `until_ns` (or until `done` says so); every wait is at most 10 ms.
template <class Done>
void run_until(Load& L, uint64_t until_ns, int tfd, Done done) {
  epoll_event evs[512];
  while (!g_stop && now_ns() < until_ns && !done()) {
    int n = epoll_wait(L.ep, evs, 512, 10);
    for (int k = 0; k < n; k++) {
      uint64_t i = evs[k].data.u64;
      if (i == UINT64_MAX) {  // the rate timer
        uint64_t ticks = 0;
        if (read(tfd, &ticks, sizeof ticks) != sizeof ticks) continue;
        if (!L.sending) continue;
        if (L.opt.mode == "pubsub") {
          publish_ticks(L, ticks);
          continue;
        }
        L.credits += double(ticks);
        if (L.credits > 64) {  // a late wake-up does not turn into a burst
          L.missed += uint64_t(L.credits - 64);
          L.credits = 64;
        }
        size_t tried = 0, nc = L.conns.size();
        std::vector<size_t> touched;
        while (L.credits >= 1 && tried < nc) {
          size_t j = L.rr++ % nc;
          Conn& c = L.conns[j];
          if (c.state == State::Open && c.outstanding < L.opt.window) {
            send_invoke(L, j);
            touched.push_back(j);
            L.credits -= 1;
            tried = 0;
          } else {
            tried++;
          }
        }
        if (L.credits >= 1) {
          L.missed += uint64_t(L.credits);
          L.credits = 0;
        }
        for (size_t j : touched)
          if (L.conns[j].state != State::Closed) flush(L, j);
        continue;
      }
      on_event(L, size_t(i), evs[k].events);
    }
    // Start more connects while few are in progress (the server's accept queue is bounded).
    while (L.started < int(L.conns.size()) && L.pending_connects < 128)
      start_connect(L, L.started++);
  }
}

// sessionSet, after the measured window: stops sending, waits (at most 30 s) for every
// outstanding answer, then reads each open connection's "v" back once (at most 30 s more); the
// answers are checked in on_message.  A connection that never answers counts as an error.
void verify_sets(Load& L, int tfd) {
  L.sending = false;
  auto drained = [&] {
    for (const Conn& c : L.conns)
      if (c.state == State::Open && (c.outstanding > 0 || c.verify_cid)) return false;
    return true;
  };
  run_until(L, now_ns() + 30000000000ull, tfd, drained);
  for (size_t i = 0; i < L.conns.size(); i++) {
    Conn& c = L.conns[i];
    if (c.state != State::Open || c.outstanding > 0) continue;
    send_control(L, c, "sessionGet", "{\"name\":\"v\"}", &c.verify_cid);
    flush(L, i);
  }
  run_until(L, now_ns() + 30000000000ull, tfd, drained);
  for (const Conn& c : L.conns)
    if (c.state == State::Open && (c.outstanding > 0 || c.verify_cid)) L.errors++;
}

}  // namespace

int main(int argc, char** argv) {
  Load L;
  if (!parse_args(argc, argv, &L.opt)) {
    std::fprintf(stderr,
                 "usage: sc_load --port P [--host 127.0.0.1] [--mode invoke|idle|pubsub] [--raw]\n"
                 "  [--procedure echo|sessionSet|sessionGet] [--conns 100] [--window 4]\n"
                 "  [--rate 0] [--duration 5] [--warmup 1] [--connect-timeout 60] [--size 16]\n"
                 "  [--cpu-pids PID,...] [--proto sc|socketio]\n"
                 "  pubsub: [--channels 1] [--cross] [--subscribers N]\n");
    return 2;
  }
  const Options& o = L.opt;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  std::srand(unsigned(now_ns()));
  L.filler.assign(size_t(o.size), 'x');
  L.addr.sin_family = AF_INET;
  L.addr.sin_port = htons(uint16_t(o.port));
  if (inet_pton(AF_INET, o.host.c_str(), &L.addr.sin_addr) != 1) {
    std::fprintf(stderr, "sc_load: --host must be an IPv4 address\n");
    return 2;
  }
  L.ep = epoll_create1(EPOLL_CLOEXEC);
  size_t total = size_t(o.conns) + (o.mode == "pubsub" ? 1 : 0);
  L.conns.resize(total);
  if (o.mode == "pubsub") L.conns.back().publisher = true;
  if (o.procedure != "echo") {
    char run[24];
    std::snprintf(run, sizeof run, "b%08x%08x", unsigned(std::rand()), unsigned(std::rand()));
    for (size_t i = 0; i < total; i++) {
      char sid[48];
      std::snprintf(sid, sizeof sid, "%s%010zu", run, i);  // 27 characters of [a-z0-9]
      L.conns[i].sid = sid;
    }
  }

  int tfd = -1;
  if (o.mode != "idle" && o.rate > 0) {
    tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    uint64_t period = uint64_t(1e9 / o.rate);
    if (period < 1000) {
      std::fprintf(stderr, "sc_load: --rate above 1,000,000/s\n");
      return 2;
    }
    itimerspec its{};
    its.it_interval.tv_sec = time_t(period / 1000000000u);
    its.it_interval.tv_nsec = long(period % 1000000000u);
    its.it_value = its.it_interval;
    timerfd_settime(tfd, 0, &its, nullptr);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = UINT64_MAX;
    epoll_ctl(L.ep, EPOLL_CTL_ADD, tfd, &ev);
  }

  // 1. Connect everything (bounded by --connect-timeout).
  uint64_t t0 = now_ns();
  run_until(L, t0 + uint64_t(o.connect_timeout * 1e9), tfd,
            [&] { return L.started == int(total) && L.pending_connects == 0; });
  double connect_s = double(now_ns() - t0) / 1e9;
  if (L.open < int(total)) {
    std::fprintf(stderr, "sc_load: %d of %zu connections open after %.1f s (%d failed)\n", L.open,
                 total, connect_s, L.failed);
    if (L.open == 0 || o.mode != "idle") {
      std::printf("error=connect open=%d wanted=%zu\n", L.open, total);
      return 1;
    }
  }
  if (o.mode == "idle") {
    std::printf("ready open=%d connect_s=%.2f\n", L.open, connect_s);
    std::fflush(stdout);
    run_until(L, now_ns() + uint64_t(o.duration * 1e9), tfd, [] { return false; });
    std::printf("open=%d closed=%d\n", L.open, L.closed);
    return 0;
  }

  // 1b. pubsub: subscribe (with --cross only connections on another worker than the publisher's).
  int on_pub_worker = 0;
  if (o.mode == "pubsub") {
    int pub_worker = L.conns.back().worker, limit = o.subscribers > 0 ? o.subscribers : o.conns;
    for (size_t i = 0; i + 1 < L.conns.size(); i++) {
      Conn& c = L.conns[i];
      if (c.state != State::Open) continue;
      if (o.cross && c.worker == pub_worker) {
        on_pub_worker++;
        continue;
      }
      if (L.subscribed + L.subscribe_pending >= limit) continue;
      char data[64];
      std::snprintf(data, sizeof data, "{\"channel\":\"bench%d\"}",
                    (L.subscribed + L.subscribe_pending) % o.channels);
      c.subscribing = true;
      L.subscribe_pending++;
      send_control(L, c, "#subscribe", data, &c.subscribe_cid);
      flush(L, i);
    }
    uint64_t s0 = now_ns();
    run_until(L, s0 + uint64_t(o.connect_timeout * 1e9), tfd,
              [&] { return L.subscribe_pending == 0; });
    if (L.subscribed == 0 || L.subscribe_pending > 0) {
      std::fprintf(stderr, "sc_load: %d subscriptions confirmed, %d pending\n", L.subscribed,
                   L.subscribe_pending);
      std::printf("error=subscribe subs=%d\n", L.subscribed);
      return 1;
    }
    if (o.subscribers > 0 && L.subscribed < o.subscribers)
      std::fprintf(stderr, "sc_load: only %d connections could subscribe (--subscribers %d)\n",
                   L.subscribed, o.subscribers);
    L.fanout = double(L.subscribed) / double(o.channels);
    if (L.fanout < 1) L.fanout = 1;
  }

  // 2. Warm up, then measure.
  L.sending = true;
  if (o.mode == "invoke" && o.rate == 0)
    for (size_t i = 0; i < L.conns.size(); i++)
      if (L.conns[i].state == State::Open) {
        while (L.conns[i].outstanding < o.window) send_invoke(L, i);
        flush(L, i);
      }
  if (o.mode == "pubsub") pump_publisher(L);
  run_until(L, now_ns() + uint64_t(o.warmup * 1e9), tfd, [] { return false; });

  std::vector<double> cpu0;
  for (int p : o.cpu_pids) cpu0.push_back(proc_cpu_s(p));
  double self0 = self_cpu_s();
  uint64_t m0 = now_ns();
  L.measuring = true;
  L.missed = 0;
  L.sent = 0;
  run_until(L, m0 + uint64_t(o.duration * 1e9), tfd, [] { return false; });
  L.measuring = false;
  double secs = double(now_ns() - m0) / 1e9;
  double self1 = self_cpu_s();
  if (o.procedure == "sessionSet") verify_sets(L, tfd);
  std::string cpu;
  for (size_t k = 0; k < o.cpu_pids.size(); k++) {
    double c1 = proc_cpu_s(o.cpu_pids[k]);
    char b[32];
    std::snprintf(b, sizeof b, "%s%.2f", k ? "," : "",
                  (c1 >= 0 && cpu0[k] >= 0) ? c1 - cpu0[k] : -1);
    cpu += b;
  }
  double count = o.mode == "pubsub" ? double(L.deliveries) : double(L.answers);
  std::printf(
      "mode=%s secs=%.3f count=%.0f rate=%.0f sent=%llu p50_us=%llu p90_us=%llu p99_us=%llu "
      "p999_us=%llu max_us=%llu errors=%llu missed=%llu closed=%d cpu=%s self_cpu_s=%.2f "
      "open=%d connect_s=%.2f procedure=%s verified=%llu",
      o.mode.c_str(), secs, count, count / secs, (unsigned long long)L.sent,
      (unsigned long long)L.hist.quantile(0.5), (unsigned long long)L.hist.quantile(0.9),
      (unsigned long long)L.hist.quantile(0.99), (unsigned long long)L.hist.quantile(0.999),
      (unsigned long long)L.hist.max_us, (unsigned long long)L.errors, (unsigned long long)L.missed,
      L.closed, cpu.empty() ? "-" : cpu.c_str(), self1 - self0, L.open, connect_s,
      o.procedure.c_str(), (unsigned long long)L.verified);
  // pubsub: the subscribed connections, the open ones left idle on the publisher's worker
  // (--cross), the publications acknowledged in the window.
  if (o.mode == "pubsub")
    std::printf(" subs=%d on_pub_worker=%d pubs=%llu", L.subscribed, on_pub_worker,
                (unsigned long long)L.answers);
  std::printf("\n");
  return 0;
}
