// Client connections: accept, read and parse, write back with one write per loop turn,
// output-buffer limits, and closing.  The only file that touches client sockets.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "blocked.h"
#include "log.h"
#include "net.h"
#include "networking.h"
#include "server.h"

namespace sc::broker {

static constexpr size_t kReadChunk = 16 * 1024;    // like Redis's PROTO_IOBUF_LEN
static constexpr size_t kMaxWritePerEvent = 1 << 20;  // fairness across clients

static void read_cb(evutil_socket_t fd, short, void* arg);
static void write_cb(evutil_socket_t fd, short, void* arg);

static void refuse(int fd, const char* msg) {
  // Best effort: the socket is fresh, so a short error fits in its send buffer.
  ssize_t r = write(fd, msg, strlen(msg));
  (void)r;
  close(fd);
}

static void accept_one(int fd, const sockaddr_storage& peer_ss) {
  Server& s = srv();
  const sockaddr* peer = reinterpret_cast<const sockaddr*>(&peer_ss);
  s.stats.connections_received++;
  if ((long long)s.clients.size() >= s.cfg.maxclients) {
    s.stats.rejected_connections++;
    refuse(fd, "-ERR max number of clients reached\r\n");
    return;
  }
  if (s.cfg.protected_mode && s.cfg.requirepass.empty() && !net::is_loopback(peer)) {
    s.stats.rejected_connections++;
    refuse(fd,
           "-DENIED sc-broker is running in protected mode because protected mode is enabled "
           "and no password is set. In this mode connections are only accepted from the "
           "loopback interface. Set a password with 'requirepass', or disable protected mode "
           "with 'CONFIG SET protected-mode no' from a loopback client, or start the broker "
           "with '--protected-mode no'.\r\n");
    return;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (s.cfg.tcp_keepalive > 0) setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);

  auto* c = new Client();
  c->id = s.next_client_id++;
  c->fd = fd;
  c->db = &s.dbs[0];
  c->authenticated = s.cfg.requirepass.empty();
  c->ctime_ms = c->last_interaction_ms = now_ms();
  c->addr = net::sockaddr_text(peer);
  c->loopback = net::is_loopback(peer);
  sockaddr_storage local{};
  socklen_t llen = sizeof local;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &llen) == 0)
    c->laddr = net::sockaddr_text(reinterpret_cast<const sockaddr*>(&local));
  c->parser = resp::RequestParser(resp::RequestLimits{s.cfg.proto_max_bulk_len, INT32_MAX,
                                                      64 * 1024});
  c->read_ev = new_event(s.base.get(), fd, EV_READ | EV_PERSIST, read_cb, c);
  c->write_ev = new_event(s.base.get(), fd, EV_WRITE | EV_PERSIST, write_cb, c);
  event_add(c->read_ev.get(), nullptr);
  s.clients.emplace(c->id, c);
}

void accept_cb(evutil_socket_t lfd, short, void*) {
  for (int i = 0; i < 1000; i++) {  // bounded, like Redis's MAX_ACCEPTS_PER_CALL
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    int fd = accept4(lfd, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        SC_LOG(Warning, "Accepting client connection: %s", strerror(errno));
      return;
    }
    accept_one(fd, peer);
  }
}

void free_client(Client* c) {
  Server& s = srv();
  if (c->flags & kClientPendingWrite) {
    auto it = std::find(s.pending_write.begin(), s.pending_write.end(), c);
    if (it != s.pending_write.end()) s.pending_write.erase(it);
  }
  if (c->bpop) blocked_client_freed(*c);
  if (c->subscription_count()) pubsub_unsubscribe_all(*c, false);
  if (!c->watched.empty()) unwatch_all(*c);
  if (c->flags & kClientMonitor) monitor_remove(*c);
  c->read_ev.reset();  // before the fd closes: libevent still watches it
  c->write_ev.reset();
  if (c->fd >= 0) close(c->fd);
  s.clients.erase(c->id);
  delete c;
}

void client_close_async(Client& c) {
  if (c.flags & kClientCloseAsap) return;
  c.flags |= kClientCloseAsap;
  srv().to_close.push_back(&c);
}

Client* client_by_id(uint64_t id) {
  auto it = srv().clients.find(id);
  return it == srv().clients.end() ? nullptr : it->second;
}

void select_db(Client& c, int index) {
  c.db_index = index;
  c.db = &srv().dbs[size_t(index)];
}

// Enforces the output-buffer limit of the client's class (normal / pubsub) like Redis's
// client-output-buffer-limit: over the hard limit, or over the soft limit for longer than its
// seconds, the client is closed.
static bool check_output_limits(Client& c) {
  const ObufLimit& lim = srv().cfg.obuf[int(c.klass())];
  size_t used = c.out.size();
  bool hard = lim.hard && used >= lim.hard;
  bool soft = false;
  if (lim.soft && used >= lim.soft) {
    int64_t now = now_ms();
    if (c.obuf_soft_since_ms == 0)
      c.obuf_soft_since_ms = now;
    else if (now - c.obuf_soft_since_ms > lim.soft_seconds * 1000)
      soft = true;
  } else {
    c.obuf_soft_since_ms = 0;
  }
  if (!hard && !soft) return true;
  SC_LOG(Warning,
         "Client id=%llu addr=%s scheduled to be closed ASAP for overcoming of output buffer "
         "limits.",
         (unsigned long long)c.id, c.addr.c_str());
  srv().stats.client_outbuf_limit_disconnections++;
  c.out.clear();
  client_close_async(c);
  return false;
}

void client_output_changed(Client& c) {
  if (c.flags & kClientCloseAsap) {
    c.out.clear();
    return;
  }
  if (!(c.flags & kClientPendingWrite) && !c.write_armed) {
    c.flags |= kClientPendingWrite;
    srv().pending_write.push_back(&c);
  }
  check_output_limits(c);
}

// Writes as much of the output buffer as the socket takes.  Returns false if the client was
// closed (or scheduled to be).
static bool write_some(Client& c) {
  size_t written = 0;
  while (!c.out.empty() && written < kMaxWritePerEvent) {
    ssize_t n = write(c.fd, c.out.data(), c.out.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      client_close_async(c);
      return false;
    }
    c.out.consume(size_t(n));
    written += size_t(n);
    srv().stats.net_output_bytes += n;
  }
  if (c.out.empty()) {
    c.out.shrink_if_idle(64 * 1024);
    c.obuf_soft_since_ms = 0;
    if (c.write_armed) {
      event_del(c.write_ev.get());
      c.write_armed = false;
    }
    if (c.flags & kClientCloseAfterReply) {
      client_close_async(c);
      return false;
    }
  } else if (!c.write_armed) {
    event_add(c.write_ev.get(), nullptr);
    c.write_armed = true;
  }
  return true;
}

static void write_cb(evutil_socket_t, short, void* arg) {
  auto* c = static_cast<Client*>(arg);
  if (c->flags & kClientCloseAsap) return;
  write_some(*c);
}

// Parses and runs every complete command in the query buffer, stopping early when a command
// blocks the client (blocked.cpp resumes it once it is served).
static void process_input(Client& c) {
  Server& s = srv();
  // A connection whose first byte is '{' speaks the nData-like JSON protocol.
  if (!c.ndata && c.commands == 0 && !c.in.empty() && c.in.data()[0] == '{') c.ndata = true;
  if (c.ndata) {
    c.flags |= kClientExecuting;
    ndata_process_input(c);
    c.flags &= ~kClientExecuting;
    if (!c.out.empty()) client_output_changed(c);
    return;
  }
  c.flags |= kClientExecuting;
  while (!c.in.empty() &&
         !(c.flags & (kClientCloseAfterReply | kClientCloseAsap | kClientBlocked))) {
    size_t consumed = 0;
    resp::ParseStatus st = c.parser.parse(c.in.view(), &consumed, &c.argv, c.authenticated);
    if (st == resp::ParseStatus::NeedMore) break;
    if (st == resp::ParseStatus::Error) {
      std::string err = c.parser.error_text();
      SC_LOG(Verbose, "Protocol error (%s) from client: id=%llu addr=%s", err.c_str(),
             (unsigned long long)c.id, c.addr.c_str());
      c.w = resp::Writer(&c.out, c.proto);
      reply_error(c, err);
      c.flags |= kClientCloseAfterReply;
      c.in.clear();
      c.parser.reset();
      break;
    }
    if (!c.argv.empty()) {
      c.commands++;
      process_command(c);
      if (s.shutdown_asap) {
        c.in.consume(consumed);
        break;
      }
    }
    c.in.consume(consumed);
  }
  c.argv.clear();
  c.flags &= ~kClientExecuting;
  if (!c.out.empty()) client_output_changed(c);
}

void client_process_pending_input(Client& c) {
  if (!c.in.empty()) process_input(c);
}

static void read_cb(evutil_socket_t fd, short, void* arg) {
  auto* c = static_cast<Client*>(arg);
  Server& s = srv();
  if (c->flags & (kClientCloseAsap | kClientCloseAfterReply)) return;
  size_t want = kReadChunk;
  // A big bulk argument in progress: read the rest of it in large pieces (no more, so a buffer
  // cut to what the argument needs does not grow again).
  size_t need = c->parser.bytes_needed();
  if (need > c->in.size() + kReadChunk) want = std::min<size_t>(need - c->in.size(), 64u << 20);
  char* dst = c->in.prepare(want);
  ssize_t n = read(fd, dst, want);
  if (n <= 0) {
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    client_close_async(*c);
    return;
  }
  c->in.commit(size_t(n));
  if (c->in.size() > c->qbuf_peak) c->qbuf_peak = c->in.size();
  s.stats.net_input_bytes += n;
  s.stats.total_reads++;
  c->last_interaction_ms = now_ms();
  if ((long long)c->in.size() > s.cfg.client_query_buffer_limit) {
    SC_LOG(Warning, "Closing client that reached max query buffer length: id=%llu addr=%s",
           (unsigned long long)c->id, c->addr.c_str());
    s.stats.client_qbuf_limit_disconnections++;
    client_close_async(*c);
    return;
  }
  process_input(*c);
}

void flush_pending_writes() {
  Server& s = srv();
  // write_some may close clients, which never touches pending_write while we iterate a copy.
  std::vector<Client*> batch;
  batch.swap(s.pending_write);
  for (Client* c : batch) {
    c->flags &= ~kClientPendingWrite;
    if (c->flags & kClientCloseAsap) continue;
    s.stats.total_writes++;
    write_some(*c);
  }
  batch.clear();
  if (s.pending_write.empty()) s.pending_write.swap(batch);  // keep the capacity
}

void free_closed_clients() {
  Server& s = srv();
  while (!s.to_close.empty()) {
    std::vector<Client*> batch;
    batch.swap(s.to_close);
    for (Client* c : batch) free_client(c);
  }
}

// Closes clients idle longer than `timeout` (not subscribers nor blocked clients, like Redis).
void close_timedout_clients() {
  Server& s = srv();
  if (s.cfg.timeout <= 0) return;
  int64_t now = now_ms();
  for (auto& [id, c] : s.clients) {
    if (c->subscription_count() || (c->flags & (kClientMonitor | kClientBlocked))) continue;
    if (now - c->last_interaction_ms > s.cfg.timeout * 1000) {
      SC_LOG(Verbose, "Closing idle client");
      client_close_async(*c);
    }
  }
}

// Query buffers grow to hold the biggest request a client sent (a 32 MB SET leaves 64 MB) and
// count against maxmemory, so once a second, as Redis's clientsCronResizeQueryBuffer does:
// a buffer that wastes more than 4 KB is cut to what it holds when the client has been idle for
// over 2 s, and to its use since the last check (its peak) when it is over 32 KB and more than
// twice that peak.  Never below what a bulk argument being received still needs.
void resize_query_buffers() {
  constexpr size_t kWasteMin = 4 * 1024, kResizeThreshold = 32 * 1024;
  constexpr int64_t kIdleMs = 2000;
  int64_t now = now_ms();
  for (auto& [id, c] : srv().clients) {
    Buffer& in = c->in;
    size_t need = std::max(in.size(), c->ndata ? 0 : c->parser.bytes_needed());
    if (in.capacity() > need && in.capacity() - need > kWasteMin) {
      if (now - c->last_interaction_ms > kIdleMs) {
        in.shrink_to(need);
      } else if (in.capacity() > kResizeThreshold && in.capacity() / 2 > c->qbuf_peak) {
        in.shrink_to(std::max(need, c->qbuf_peak));
      }
    }
    c->qbuf_peak = need;  // the next period's peak starts from what is in use now
  }
}

// Opens the listening sockets of cfg.bind ("-addr" may fail silently, like Redis).
bool listen_all() {
  Server& s = srv();
  for (std::string addr : s.cfg.bind) {
    bool optional = !addr.empty() && addr[0] == '-';
    if (optional) addr = addr.substr(1);
    if (addr == "*") addr = "0.0.0.0";
    if (addr == "::*") addr = "::";
    sockaddr_storage ss;
    socklen_t len;
    if (net::numeric_sockaddr(addr, s.cfg.port, &ss, &len) != net::NetError::Ok) {
      if (optional) continue;
      SC_LOG(Warning, "Invalid bind address '%s'", addr.c_str());
      return false;
    }
    int fd = net::listen_tcp(reinterpret_cast<sockaddr*>(&ss), len, s.cfg.tcp_backlog);
    if (fd < 0) {
      // An optional address may name an interface or a family this host does not have.
      if (optional && (-fd == EADDRNOTAVAIL || -fd == EAFNOSUPPORT)) continue;
      SC_LOG(Warning, "Could not create server TCP listening socket %s:%d: %s", addr.c_str(),
             s.cfg.port, strerror(-fd));
      return false;
    }
    s.listen_fds.push_back(fd);
    EventPtr ev = new_event(s.base.get(), fd, EV_READ | EV_PERSIST, accept_cb, nullptr);
    event_add(ev.get(), nullptr);
    s.listen_evs.push_back(std::move(ev));
  }
  if (s.listen_fds.empty()) {
    SC_LOG(Warning, "Configured to not listen anywhere, exiting.");
    return false;
  }
  return true;
}

bool rebind_listeners() {
  Server& s = srv();
  std::vector<int> old_fds;
  std::vector<EventPtr> old_evs;
  old_fds.swap(s.listen_fds);
  old_evs.swap(s.listen_evs);
  if (!listen_all()) {
    close_listeners();
    s.listen_fds.swap(old_fds);
    s.listen_evs.swap(old_evs);
    return false;
  }
  old_evs.clear();
  for (int fd : old_fds) close(fd);
  return true;
}

void close_listeners() {
  Server& s = srv();
  s.listen_evs.clear();  // frees the events before their fds close
  for (int fd : s.listen_fds) close(fd);
  s.listen_fds.clear();
}

}  // namespace sc::broker
