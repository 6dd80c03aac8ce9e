#include "proxy.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "affinity.h"
#include "consistent_hash.h"
#include "health.h"
#include "http_head.h"
#include "log.h"
#include "net.h"
#include "proxy_protocol.h"
#include "io_batch.h"
#include "server.h"

namespace sc::bal {

namespace {

constexpr size_t kChunk = 64 * 1024;  // one read; also the bound of a pending buffer
constexpr size_t kHeadStart = 4096;   // first allocation of the session-mode head buffer
constexpr int kReadRounds = 8;        // reads per readiness event before yielding to others
constexpr size_t kTlsRecord = 16384;  // largest TLS record plaintext: one SSL_read's most
// Largest request kept for a replay (HAProxy's default buffer, which must hold a request it
// retries); also bounds the rescans of a head that arrives a byte at a time.
constexpr size_t kReplayMax = 16384;
char g_scratch[kChunk];               // the loop is single-threaded: one scratch buffer

// side_read/side_write results besides byte counts.
constexpr ssize_t kAgain = -1;       // would block
constexpr ssize_t kError = -2;       // reset or protocol error
constexpr ssize_t kAgainWrite = -3;  // TLS read needs the socket writable first

enum class Phase : uint8_t { Handshake, Head, Connecting, Piping };

struct Side {
  int fd = -1;
  SSL* ssl = nullptr;             // client side of a TLS listener, else null
  event rev, wev;                 // persistent read / write interest
  bool rev_on = false;            // rev is added
  bool wev_on = false;            // wev is added
  bool eof = false;               // this side sent its FIN (or close_notify)
  bool shut = false;              // we sent our FIN to this side
  bool read_wants_write = false;  // TLS: SSL_read asked for writability
  bool fin_deferred = false;      // our FIN to this side waits for the end of the loop turn
};

// Bytes read from one side that the other side has not taken yet.
struct Pending {
  char* data = nullptr;
  uint32_t off = 0;
  uint32_t len = 0;
};

}  // namespace

struct Conn {
  Server* srv;
  Side cli, be;
  Pending up;    // client → backend
  Pending down;  // backend → client
  event timer;   // the current phase's deadline
  Phase phase = Phase::Connecting;
  bool head_ok = false;       // session mode: a valid HTTP head was seen (503 possible)
  bool connecting = false;    // backend connect in flight (piping already runs optimistically)
  bool header_added = false;  // the PROXY protocol header is in `up` (once, across retries)
  bool responded = false;     // a byte (or FIN) came from the backend
  bool replay_off = false;    // what went up before any answer may not be sent twice
  bool replayed = false;      // sent bytes went to a second backend once already (never again)
  uint16_t hdr_len = 0;       // the PROXY protocol header's bytes at the front of what goes up
  Pending replay;  // sent to the backend before it answered, while it may be resent (kReplayMax)
  IoBatch::Handle queued[2] = {IoBatch::kNone, IoBatch::kNone};  // this turn's batched send: up, down
  IoBatch::Handle connect_op = IoBatch::kNone;  // the backend connect, queued in the batch
  uint64_t connect_token = 0;  // a connect issued through the batch whose result is not in yet
  int connect_err = 0;         // that connect's error, once reported
  uint16_t attempts = 0;      // backend connects tried
  Backend* backend = nullptr;
  const Backend* avoid = nullptr;  // reset this connection before answering: try another first
  Conn* bprev = nullptr;  // in backend->conn_list
  Conn* bnext = nullptr;
  Conn* prev = nullptr;  // in srv->conns
  Conn* next = nullptr;
  Conn* fin_prev = nullptr;  // in srv->fin_list while a FIN is deferred
  Conn* fin_next = nullptr;
  bool in_fin_list = false;
  uint64_t key = 0;              // affinity hash key
  int64_t last_active = 0;       // ms, loop's cached clock
  HeadParser* parser = nullptr;  // session mode, until the head is complete
  char* head = nullptr;          // session mode: bytes read before the backend is chosen
  uint32_t head_len = 0;
  uint32_t head_cap = 0;
  union {                 // the client's address (TCP listeners: IPv4 or IPv6)
    sockaddr sa;
    sockaddr_in in4;
    sockaddr_in6 in6;
  } peer;
  socklen_t peer_len = 0;
};

static int64_t now_ms(Server* s) {
  timeval tv;
  event_base_gettimeofday_cached(s->base.get(), &tv);
  return net::timeval_ms(tv);
}

static void set_read(Side& s, bool on) {
  if (on == s.rev_on) return;
  on ? event_add(&s.rev, nullptr) : event_del(&s.rev);
  s.rev_on = on;
}

static void set_write(Side& s, bool on) {
  if (on == s.wev_on) return;
  on ? event_add(&s.wev, nullptr) : event_del(&s.wev);
  s.wev_on = on;
}

// >0 bytes, 0 EOF, kAgain, kAgainWrite, kError.
static ssize_t side_read(Side& s, char* buf, size_t n) {
  if (!s.ssl) {
    ssize_t r = ::recv(s.fd, buf, n, 0);
    if (r >= 0) return r;
    return (errno == EAGAIN || errno == EINTR) ? kAgain : kError;
  }
  ERR_clear_error();
  int r = SSL_read(s.ssl, buf, int(n));
  if (r > 0) return r;
  switch (SSL_get_error(s.ssl, r)) {
    case SSL_ERROR_WANT_READ:
      return kAgain;
    case SSL_ERROR_WANT_WRITE:
      s.read_wants_write = true;
      return kAgainWrite;
    case SSL_ERROR_ZERO_RETURN:
      return 0;  // close_notify, or EOF (SSL_OP_IGNORE_UNEXPECTED_EOF)
    default:
      return kError;
  }
}

// Bytes written (0: would block) or kError.  A TLS write that blocked must be retried with the
// same bytes: callers keep them in a Pending buffer.
static ssize_t side_write(Side& s, const char* buf, size_t n) {
  if (!s.ssl) {
    ssize_t w = ::send(s.fd, buf, n, MSG_NOSIGNAL);
    if (w >= 0) return w;
    return (errno == EAGAIN || errno == EINTR) ? 0 : kError;
  }
  ERR_clear_error();
  int w = SSL_write(s.ssl, buf, int(n));
  if (w > 0) return w;
  int e = SSL_get_error(s.ssl, w);
  return (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) ? 0 : kError;
}

static void stash(Pending& p, const char* data, size_t n) {
  p.data = static_cast<char*>(std::malloc(n));
  if (!p.data) std::abort();
  std::memcpy(p.data, data, n);
  p.off = 0;
  p.len = uint32_t(n);
}

static void drop(Pending& p) {
  std::free(p.data);
  p = Pending{};
}

static void detach_backend(Conn* c) {
  Backend* b = c->backend;
  if (!b) return;
  if (c->bprev)
    c->bprev->bnext = c->bnext;
  else
    b->conn_list = c->bnext;
  if (c->bnext) c->bnext->bprev = c->bprev;
  c->bprev = c->bnext = nullptr;
  b->conns--;
  c->backend = nullptr;
}

static void attach_backend(Conn* c, Backend* b) {
  c->backend = b;
  c->bprev = nullptr;
  c->bnext = b->conn_list;
  if (b->conn_list) b->conn_list->bprev = c;
  b->conn_list = c;
  b->conns++;
}

static void close_side(Side& s) {
  set_read(s, false);
  set_write(s, false);
  if (s.ssl) SSL_free(s.ssl);
  if (s.fd >= 0) ::close(s.fd);
  s.ssl = nullptr;
  s.fd = -1;
}

// The backend socket is about to close while its batched connect may still be queued or in
// flight: drop it from the batch, or ask the kernel to abandon it (io_uring holds the socket
// until the connect ends, which for an unanswering host would take minutes).
static void abandon_connect(Conn* c) {
  Server* s = c->srv;
  if (c->connect_token) {
    s->ring_connects.erase(c->connect_token);
    if (s->batch.pending(c->connect_op))
      s->batch.cancel(c->connect_op);
    else
      s->batch.cancel_connect(c->connect_token);
  }
  c->connect_token = 0;
  c->connect_op = IoBatch::kNone;
  c->connect_err = 0;
}

// Frees the connection.  The caller must not touch `c` afterwards.
static void conn_close(Conn* c, CloseReason why) {
  Server* s = c->srv;
  s->counters.closes[size_t(why)]++;
  SC_LOG(Debug, "connection closed: %s", kCloseReasonNames[size_t(why)]);
  if (c->in_fin_list) {
    if (c->fin_prev)
      c->fin_prev->fin_next = c->fin_next;
    else
      s->fin_list = c->fin_next;
    if (c->fin_next) c->fin_next->fin_prev = c->fin_prev;
  }
  for (IoBatch::Handle q : c->queued) s->batch.cancel(q);
  abandon_connect(c);
  close_side(c->cli);
  close_side(c->be);
  event_del(&c->timer);
  detach_backend(c);
  if (c->prev)
    c->prev->next = c->next;
  else
    s->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  s->nconns--;
  drop(c->up);
  drop(c->down);
  drop(c->replay);
  std::free(c->head);
  delete c->parser;
  delete c;
  server_conn_closed(s);
}

// Sends our FIN to `to` (close_notify first on TLS).  Not through the batch: io_uring runs a
// shutdown in a worker thread that looks the descriptor up later, by when it may name another
// socket.
static void shut_towards(Side& to) {
  if (to.shut) return;
  to.shut = true;
  if (to.ssl) SSL_shutdown(to.ssl);  // best effort: the FIN follows whatever it could write
  ::shutdown(to.fd, SHUT_WR);
}

// True when the connection was freed because both directions are finished.
static bool finished(Conn* c) {
  if (c->cli.eof && c->be.eof && c->cli.shut && c->be.shut) {
    conn_close(c, CloseReason::Done);
    return true;
  }
  return false;
}

static bool start_connect(Conn* c);
static bool start_piping(Conn* c);
static bool connect_failed(Conn* c, int err);
static bool backend_error(Conn* c, int err);

// The backend connect completed (first byte written or read, or writability with no error).
static void mark_connected(Conn* c) {
  if (!c->connecting) return;
  c->connecting = false;
  c->backend->conns_total++;
  c->last_active = now_ms(c->srv);
  event_del(&c->timer);
  event_add(&c->timer, c->srv->tv_idle);
}

// Passes a FIN on at the end of this loop turn rather than now: the peer has often closed by
// then (an HTTP client closes as soon as the response is complete), and one close() then
// replaces shutdown() + close(), leaving the TIME_WAIT with the peer.  The zero timeout runs
// after the I/O callbacks of the next epoll_wait, which costs no epoll_ctl.
static void defer_fin(Conn* c, Side& to) {
  Server* s = c->srv;
  to.fin_deferred = true;
  if (!c->in_fin_list) {
    c->in_fin_list = true;
    c->fin_prev = nullptr;
    c->fin_next = s->fin_list;
    if (s->fin_list) s->fin_list->fin_prev = c;
    s->fin_list = c;
  }
  if (!evtimer_pending(s->fin_timer.get(), nullptr)) {
    timeval zero = {0, 0};
    evtimer_add(s->fin_timer.get(), &zero);
  }
}

// The client's bytes after the PROXY protocol header in the replay copy.
static std::string_view replay_request(const Conn* c) {
  uint32_t hdr = c->hdr_len < c->replay.len ? c->hdr_len : c->replay.len;
  return std::string_view(c->replay.data + hdr, c->replay.len - hdr);
}

// Until the backend answers, what was sent to it is kept while it may still be a request that is
// safe to run twice (replay_verdict: one bodiless GET or HEAD head): a backend that resets the
// connection then, for instance one that died with it in its accept queue, may or may not have
// read it, and only such a request goes to the next backend.  Anything else sets replay_off, and
// a reset before the answer is then passed on to the client.
static void keep_for_replay(Conn* c, const char* data, size_t n) {
  if (c->responded || c->replay_off || n == 0) return;
  if (c->replay.len + n > kReplayMax) {
    drop(c->replay);
    c->replay_off = true;
    return;
  }
  char* p = static_cast<char*>(std::realloc(c->replay.data, c->replay.len + n));
  if (!p) std::abort();
  std::memcpy(p + c->replay.len, data, n);
  c->replay.data = p;
  c->replay.len += uint32_t(n);
  if (replay_verdict(replay_request(c), kReplayMax) == Replay::No) {
    drop(c->replay);
    c->replay_off = true;
  }
}

static void got_answer(Conn* c) {
  if (c->responded) return;
  c->responded = true;
  drop(c->replay);
}

// A batched connect failed: io_uring's own completion of it took the socket's error, so the
// socket itself then only reads as closed.  Its result, if in, is taken first.
static bool ring_connect_failed(Conn* c) {
  if (!c->connect_token && !c->connect_err) return false;
  proxy_reap_connects(c->srv);
  return c->connect_err != 0;
}

enum class Wrote : uint8_t { All, Parked, Freed };

// What a write of the `n` bytes at `data` towards the other side did, direct or batched: `w`
// bytes went out, or w < 0 with `err`.  An error before the backend answered sends the bytes to
// the next backend, any other ends the connection; what did not go out waits in the direction's
// pending buffer and reading from the source stops until it drains.
static Wrote after_write(Conn* c, bool upstream, const char* data, size_t n, ssize_t w, int err) {
  Side& from = upstream ? c->cli : c->be;
  Side& to = upstream ? c->be : c->cli;
  Pending& p = upstream ? c->up : c->down;
  if (w < 0) {
    if (upstream) {  // the bytes did not leave: they go along if the connection moves on
      stash(p, data, n);
      set_read(from, false);
      return backend_error(c, err) ? Wrote::Parked : Wrote::Freed;
    }
    conn_close(c, CloseReason::ClientError);
    return Wrote::Freed;
  }
  if (w > 0 && upstream) {
    mark_connected(c);
    keep_for_replay(c, data, size_t(w));
  }
  if (size_t(w) < n) {  // backpressure: park the rest, stop reading until it drains
    stash(p, data + w, n - size_t(w));
    set_read(from, false);
    set_write(to, true);
    return Wrote::Parked;
  }
  return Wrote::All;
}

// Moves bytes from one side to the other until the source would block, ends, or the destination
// pushes back.  Returns false when `c` was freed.
static bool pump(Conn* c, bool upstream, bool peer_closed = false) {
  Side& from = upstream ? c->cli : c->be;
  Side& to = upstream ? c->be : c->cli;
  Pending& p = upstream ? c->up : c->down;
  Server* s = c->srv;
  IoBatch::Handle& queued = c->queued[upstream ? 0 : 1];
  // A plain destination and nothing pending: the write joins the turn's batch (also while the
  // backend connect is in flight: its outcome then comes with the send's result).  A TLS source
  // is read a whole record at a time (no read-ahead), so nothing waits inside OpenSSL unseen.
  bool batch = s->batch.can_queue() && !to.ssl && !p.len;
  if (queued != IoBatch::kNone) return true;  // one batched send per direction per turn
  for (int round = 0; round < kReadRounds; round++) {
    char* buf = g_scratch;
    size_t cap = kChunk;
    if (batch && (!(buf = s->batch.reserve(kChunk, &cap)) || (from.ssl && cap < kTlsRecord))) {
      batch = false;  // the turn's arena is full (or too full for a TLS record): write directly
      buf = g_scratch;
      cap = kChunk;
    }
    ssize_t n = side_read(from, buf, cap);
    if (n > 0) {
      if (!upstream) {
        mark_connected(c);
        got_answer(c);
      }
      c->last_active = now_ms(s);
      (upstream ? s->counters.bytes_up : s->counters.bytes_down) += uint64_t(n);
      if (batch) {  // sent at the end of the turn (batch_done); the next read waits for it
        queued = s->batch.send(to.fd, buf, uint32_t(n), c, upstream ? 0 : 1);
        return true;
      }
      ssize_t w = side_write(to, g_scratch, size_t(n));
      Wrote r = after_write(c, upstream, g_scratch, size_t(n), w, errno);
      if (r != Wrote::All) return r == Wrote::Parked;
      // A short read has very likely drained the socket; but if the FIN is known to be there
      // (EPOLLRDHUP), read on to pass it on in this same turn.
      if (!from.ssl && size_t(n) < kChunk && !peer_closed) return true;
      continue;
    }
    if (n == 0) {
      if (!upstream && c->connecting && ring_connect_failed(c))
        return connect_failed(c, c->connect_err);
      if (!upstream) {
        mark_connected(c);
        got_answer(c);
      }
      from.eof = true;
      set_read(from, false);
      Pending& back = upstream ? c->down : c->up;
      bool back_queued = c->queued[upstream ? 1 : 0] != IoBatch::kNone;
      if (to.eof && back.len == 0 && !back_queued) {  // both over: close() sends the FIN(s)
        conn_close(c, CloseReason::Done);
        return false;
      }
      if (upstream && c->connecting) {  // pass the FIN on once the connect completes
        set_write(to, true);
        return true;
      }
      defer_fin(c, to);
      return true;
    }
    if (n == kAgain) return true;
    if (n == kAgainWrite) {
      set_write(from, true);
      return true;
    }
    if (!upstream) return backend_error(c, errno);
    conn_close(c, CloseReason::ClientError);
    return false;
  }
  return true;
}

// Writes the pending bytes of one direction; when they are out, resumes reading the source (or
// passes its FIN on).  Returns false when `c` was freed.
static bool flush(Conn* c, bool upstream) {
  Side& from = upstream ? c->cli : c->be;
  Side& to = upstream ? c->be : c->cli;
  Pending& p = upstream ? c->up : c->down;
  if (upstream && c->srv->batch.pending(c->connect_op)) {  // not connecting before the turn ends
    set_write(to, true);
    return true;
  }
  if (p.len) {
    ssize_t w = side_write(to, p.data + p.off, p.len);
    if (w < 0) {
      int err = errno;
      if (upstream) return backend_error(c, err);
      conn_close(c, CloseReason::ClientError);
      return false;
    }
    if (w > 0 && upstream) {
      mark_connected(c);
      keep_for_replay(c, p.data + p.off, size_t(w));
    }
    p.off += uint32_t(w);
    p.len -= uint32_t(w);
    if (p.len) {
      set_write(to, true);
      return true;
    }
    drop(p);
    c->last_active = now_ms(c->srv);
  }
  if (!to.read_wants_write) set_write(to, false);
  if (from.eof) {
    if (upstream && c->connecting) {
      set_write(to, true);  // learn when the connect completes, then pass the FIN on
      return true;
    }
    shut_towards(to);
    return !finished(c);
  }
  set_read(from, true);
  if (from.ssl && SSL_pending(from.ssl) > 0) event_active(&from.rev, EV_READ, 1);
  return true;
}

// Session mode, 503 when no backend is left and the client spoke HTTP; else a plain close.
static void no_backend(Conn* c) {
  if (c->head_ok) {
    static const char k503[] =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    side_write(c->cli, k503, sizeof k503 - 1);
  }
  SC_LOG(Verbose, "no live backend for a connection");
  conn_close(c, CloseReason::NoBackend);
}

static void go_connect(Conn* c) {
  c->phase = Phase::Connecting;
  set_read(c->cli, false);
  set_write(c->cli, false);
  delete c->parser;
  c->parser = nullptr;
  if (c->head_len) {  // the peeked bytes are the first to go to the backend
    c->up.data = c->head;
    c->up.off = 0;
    c->up.len = c->head_len;
    c->head = nullptr;
    c->head_len = c->head_cap = 0;
  }
  start_connect(c);
}

// Session mode: reads the request head into c->head until it is complete, invalid or too long.
static void read_head(Conn* c) {
  Server* s = c->srv;
  for (;;) {
    size_t limit = s->cfg.max_head + kChunk;  // read a little past the limit, never more
    if (c->head_len >= limit) break;
    if (c->head_cap - c->head_len < 1024) {
      size_t cap = c->head_cap ? size_t(c->head_cap) * 2 : kHeadStart;
      if (cap > limit) cap = limit;
      char* p = static_cast<char*>(std::realloc(c->head, cap));
      if (!p) std::abort();
      c->head = p;
      c->head_cap = uint32_t(cap);
    }
    ssize_t n = side_read(c->cli, c->head + c->head_len, c->head_cap - c->head_len);
    if (n > 0) {
      c->head_len += uint32_t(n);
      s->counters.bytes_up += uint64_t(n);
      HeadStatus st = c->parser->parse(std::string_view(c->head, c->head_len));
      if (st == HeadStatus::Done) {
        c->head_ok = true;
        const std::string& id = c->parser->session_id();
        if (!id.empty()) c->key = hash64(id);
        return go_connect(c);
      }
      if (st == HeadStatus::Error) return go_connect(c);  // not HTTP or too long: by client IP
      continue;
    }
    if (n == 0) {  // FIN before the head ended: forward what came, then the FIN
      c->cli.eof = true;
      if (c->head_len == 0) return conn_close(c, CloseReason::Done);
      return go_connect(c);
    }
    if (n == kAgain) return;
    if (n == kAgainWrite) return set_write(c->cli, true);
    return conn_close(c, CloseReason::ClientError);
  }
  go_connect(c);
}

static void after_accept_phase(Conn* c) {
  if (c->srv->cfg.affinity == Affinity::Session) {
    c->phase = Phase::Head;
    c->parser = new HeadParser(c->srv->cfg.session_key, c->srv->cfg.max_head);
    set_write(c->cli, false);
    set_read(c->cli, true);
    read_head(c);  // bytes may already sit in the TLS buffer
  } else {
    go_connect(c);
  }
}

static void handshake(Conn* c) {
  ERR_clear_error();
  int r = SSL_do_handshake(c->cli.ssl);
  if (r == 1) {
    c->srv->counters.tls_handshakes++;
    event_del(&c->timer);
    if (c->srv->cfg.affinity == Affinity::Session) event_add(&c->timer, c->srv->tv_head);
    return after_accept_phase(c);
  }
  switch (SSL_get_error(c->cli.ssl, r)) {
    case SSL_ERROR_WANT_READ:
      set_write(c->cli, false);
      set_read(c->cli, true);
      return;
    case SSL_ERROR_WANT_WRITE:
      set_read(c->cli, false);
      set_write(c->cli, true);
      return;
    default:
      SC_LOG(Debug, "TLS handshake failed: %s", ERR_reason_error_string(ERR_peek_error()));
      return conn_close(c, CloseReason::TlsError);
  }
}

static void cli_read_cb(evutil_socket_t, short what, void* arg) {
  Conn* c = static_cast<Conn*>(arg);
  switch (c->phase) {
    case Phase::Handshake:
      return handshake(c);
    case Phase::Head:
      return read_head(c);
    case Phase::Piping:
      pump(c, true, what & EV_CLOSED);
      return;
    case Phase::Connecting:
      return;
  }
}

static void cli_write_cb(evutil_socket_t, short, void* arg) {
  Conn* c = static_cast<Conn*>(arg);
  switch (c->phase) {
    case Phase::Handshake:
      return handshake(c);
    case Phase::Head:
      c->cli.read_wants_write = false;
      set_write(c->cli, false);
      return read_head(c);
    case Phase::Piping:
      if (c->cli.read_wants_write) {
        c->cli.read_wants_write = false;
        if (!c->down.len) set_write(c->cli, false);
        if (c->cli.rev_on && !pump(c, true)) return;
      }
      if (c->down.len || c->be.eof) flush(c, false);  // pending bytes, or a deferred FIN
      return;
    case Phase::Connecting:
      return;
  }
}

static void be_read_cb(evutil_socket_t, short what, void* arg) {
  Conn* c = static_cast<Conn*>(arg);
  if (c->phase == Phase::Piping) pump(c, false, what & EV_CLOSED);
}

// Unbinds `c` from its backend and closes that socket, so that the connection can start again on
// the next backend with, as its pending bytes and in order: what was sent and may be resent
// (`replay`), then what was never sent (this turn's batched send, or the pending bytes).
static void leave_backend(Conn* c) {
  if (c->queued[0] != IoBatch::kNone) {  // not sent yet: it goes to the next backend
    IoBatch& batch = c->srv->batch;
    IoBatch::Handle q = c->queued[0];
    c->queued[0] = IoBatch::kNone;
    batch.cancel(q);
    SC_ASSERT(c->up.len == 0);  // a send is batched only when nothing is pending
    stash(c->up, batch.data(q), batch.length(q));
  }
  if (c->replay.len) {
    uint32_t total = c->replay.len + c->up.len;
    char* buf = static_cast<char*>(std::malloc(total));
    if (!buf) std::abort();
    std::memcpy(buf, c->replay.data, c->replay.len);
    if (c->up.len) std::memcpy(buf + c->replay.len, c->up.data + c->up.off, c->up.len);
    drop(c->replay);
    drop(c->up);
    c->up.data = buf;
    c->up.len = total;
  }
  c->replay_off = false;
  abandon_connect(c);
  detach_backend(c);
  close_side(c->be);
  c->be = Side{};
  c->connecting = false;
  event_del(&c->timer);
}

// The connect to the backend did not complete (refused, unreachable, or still unanswered after
// --timeout-connect): the backend leaves the ring at once and the same client connection tries
// the next live one with the bytes it has sent so far (none reached the backend).  Returns false
// when `c` was freed.
static bool connect_failed(Conn* c, int err) {
  proxy_reap_connects(c->srv);  // a batched connect's own error names the failure best
  if (c->connect_err) err = c->connect_err;
  Backend* b = c->backend;
  leave_backend(c);
  health_connect_failed(c->srv, b, err);
  c->srv->counters.retries++;
  return start_connect(c);
}

// The backend reset the connection before its first answer byte, its connect having completed.
// Bytes that never left, or one request that is safe to run twice (sent at most twice in all),
// go to the next backend; anything else might already have run, so the client gets the reset.
// It counts as one soft failure of the backend (--health-fall), unless the client had sent
// nothing: a silent client never counts against a backend.  Returns false when `c` was freed.
static bool backend_reset(Conn* c, int err) {
  Server* s = c->srv;
  Backend* b = c->backend;
  bool sent = c->replay_off || c->replay.len > c->hdr_len;
  bool again =
      !sent || (!c->replayed && replay_verdict(replay_request(c), kReplayMax) == Replay::Yes);
  if (sent) health_backend_reset(s, b);  // never closes `c`: resets leave connections open
  if (!again) {
    SC_LOG(Verbose, "backend %s reset a connection before answering (%s); passing the reset on",
           b->name.c_str(), strerror(err));
    linger lg = {1, 0};  // close() then sends a reset, as the backend did
    setsockopt(c->cli.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    conn_close(c, CloseReason::BackendError);
    return false;
  }
  if (sent) {
    c->replayed = true;
    s->counters.replays++;
  }
  SC_LOG(Verbose, "backend %s reset a connection before answering (%s); %s %u bytes elsewhere",
         b->name.c_str(), strerror(err), sent ? "replaying" : "sending", c->replay.len + c->up.len);
  leave_backend(c);
  c->avoid = b;
  s->counters.retries++;
  return start_connect(c);
}

// The backend socket failed with `err` (a read, a write, or the connect's own result).  Before
// the backend's first answer byte the connection may move on (connect_failed, backend_reset);
// after it, it ends.  A reset in SYN-SENT reads as ECONNREFUSED, so ECONNRESET and EPIPE mean
// that the connect had completed.  Returns false when `c` was freed.
static bool backend_error(Conn* c, int err) {
  proxy_reap_connects(c->srv);  // io_uring's completion of a connect takes the socket's error
  if (c->connect_err) err = c->connect_err;
  if (c->connecting && err != ECONNRESET && err != EPIPE) return connect_failed(c, err);
  if (c->responded) {
    conn_close(c, CloseReason::BackendError);
    return false;
  }
  return backend_reset(c, err);
}

// Whether the backend connect has completed: 0 yes, an errno when it failed, -1 while it is still
// in progress.  A connect nothing has confirmed yet (no byte went either way: a silent client)
// may well have completed in the kernel long ago.
static int connect_result(Conn* c) {
  proxy_reap_connects(c->srv);
  if (c->connect_err) return c->connect_err;
  if (c->connect_token) return -1;  // io_uring still holds it in flight
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(c->be.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return errno;
  if (err) return err;
  sockaddr_storage peer;
  socklen_t peer_len = sizeof peer;
  if (getpeername(c->be.fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) == 0) return 0;
  return errno == ENOTCONN ? -1 : errno;
}

static void be_write_cb(evutil_socket_t, short, void* arg) {
  Conn* c = static_cast<Conn*>(arg);
  if (c->phase != Phase::Piping) return;
  if (c->connecting) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->be.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
    if (!err && ring_connect_failed(c)) err = c->connect_err;
    if (err) {
      backend_error(c, err);
      return;
    }
    mark_connected(c);
  }
  flush(c, true);
}

static void timer_cb(evutil_socket_t, short, void* arg) {
  Conn* c = static_cast<Conn*>(arg);
  Server* s = c->srv;
  switch (c->phase) {
    case Phase::Handshake:
      return conn_close(c, CloseReason::TimeoutHandshake);
    case Phase::Head:
      return conn_close(c, CloseReason::TimeoutHead);
    case Phase::Connecting:
      return;
    case Phase::Piping: {
      if (c->connecting) {  // a real timeout only if the connect has not completed
        int r = connect_result(c);
        if (r == 0)
          mark_connected(c);  // the idle timer takes over
        else
          backend_error(c, r < 0 ? ETIMEDOUT : r);
        return;
      }
      int64_t idle_ms = int64_t(s->cfg.timeout_idle * 1000);
      int64_t quiet = now_ms(s) - c->last_active;
      if (quiet >= idle_ms) return conn_close(c, CloseReason::TimeoutIdle);
      timeval tv = net::seconds_to_timeval(double(idle_ms - quiet) / 1000.0);
      event_add(&c->timer, &tv);
      return;
    }
  }
}

// Piping starts as soon as the backend connect is issued (HAProxy does the same): client bytes
// are sent at once and wait in `up` while the connect is in flight; its outcome is learnt from
// the first write, read or writability.  Returns false when `c` was freed.
static bool start_piping(Conn* c) {
  Server* s = c->srv;
  c->phase = Phase::Piping;
  if (s->cfg.proxy_protocol != ProxyProtocol::Off && !c->header_added) {
    c->header_added = true;
    sockaddr_storage local;
    socklen_t local_len = sizeof local;
    if (getsockname(c->cli.fd, reinterpret_cast<sockaddr*>(&local), &local_len) < 0) local_len = 0;
    char hdr[kProxyHeaderMax];
    size_t n = proxy_header(s->cfg.proxy_protocol, &c->peer.sa,
                            local_len ? reinterpret_cast<sockaddr*>(&local) : nullptr, hdr);
    char* buf = static_cast<char*>(std::malloc(n + c->up.len));
    if (!buf) std::abort();
    std::memcpy(buf, hdr, n);
    if (c->up.len) std::memcpy(buf + n, c->up.data + c->up.off, c->up.len);
    uint32_t total = uint32_t(n + c->up.len);
    c->hdr_len = uint16_t(n);
    drop(c->up);
    c->up.data = buf;
    c->up.len = total;
  }
  set_read(c->be, true);
  if (c->up.len) return flush(c, true);  // resumes client reads (or passes its FIN) when out
  if (c->cli.eof) {
    set_write(c->be, true);  // the connect's completion then passes the FIN on
    return true;
  }
  set_read(c->cli, true);
  return true;
}

// Picks a backend and starts a non-blocking connect; an immediate refusal moves on to the next.
// Returns false when `c` was freed.
static bool start_connect(Conn* c) {
  Server* s = c->srv;
  for (;;) {
    if (c->attempts++ > s->backends.size()) {
      no_backend(c);
      return false;
    }
    Backend* b = affinity_pick(s, c->key, c->avoid);
    if (!b) {
      no_backend(c);
      return false;
    }
    int fd = socket(b->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      SC_LOG(Warning, "socket(): %s", strerror(errno));
      conn_close(c, CloseReason::NoBackend);
      return false;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    // Through the batch when nothing has to be written before the connect is issued (plain
    // client, no PROXY header, no peeked head); then it completes like a non-blocking connect.
    bool batched = s->batch.can_queue() && !c->cli.ssl && !c->up.len &&
                   s->cfg.proxy_protocol == ProxyProtocol::Off;
    if (batched) {
      c->connect_token = s->next_connect_token++;
      s->ring_connects.emplace(c->connect_token, c);
      c->connect_op = s->batch.connect(fd, reinterpret_cast<sockaddr*>(&b->addr), b->addr_len,
                                       c->connect_token);
    }
    if (batched || connect(fd, reinterpret_cast<sockaddr*>(&b->addr), b->addr_len) == 0 ||
        errno == EINPROGRESS) {
      attach_backend(c, b);
      c->be.fd = fd;
      c->connecting = true;
      event_assign(&c->be.rev, s->base.get(), fd, EV_READ | EV_CLOSED | EV_PERSIST, be_read_cb, c);
      event_assign(&c->be.wev, s->base.get(), fd, EV_WRITE | EV_PERSIST, be_write_cb, c);
      event_del(&c->timer);
      event_add(&c->timer, s->tv_connect);
      return start_piping(c);
    }
    int err = errno;
    ::close(fd);
    health_connect_failed(s, b, err);
    s->counters.retries++;
  }
}

void proxy_accept(Server* s, int fd, const sockaddr* peer, socklen_t peer_len, bool tls) {
  Conn* c = new Conn;
  c->srv = s;
  c->next = s->conns;
  if (s->conns) s->conns->prev = c;
  s->conns = c;
  s->nconns++;
  s->counters.accepted++;
  if (peer_len > sizeof c->peer) peer_len = sizeof c->peer;
  std::memcpy(&c->peer, peer, peer_len);
  c->peer_len = peer_len;
  c->key = affinity_ip_key(peer);
#ifndef __linux__
  int one = 1;  // Linux: inherited from the listening socket (server.cpp)
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
#endif
  c->cli.fd = fd;
  event_assign(&c->cli.rev, s->base.get(), fd, EV_READ | EV_CLOSED | EV_PERSIST, cli_read_cb, c);
  event_assign(&c->cli.wev, s->base.get(), fd, EV_WRITE | EV_PERSIST, cli_write_cb, c);
  event_assign(&c->timer, s->base.get(), -1, 0, timer_cb, c);
  if (s->nconns >= uint32_t(s->cfg.max_conns)) server_pause_accept(s);
  if (tls) {
    s->counters.accepted_tls++;
    c->cli.ssl = SSL_new(s->ssl_ctx.get());
    if (!c->cli.ssl || !SSL_set_fd(c->cli.ssl, fd)) return conn_close(c, CloseReason::TlsError);
    SSL_set_accept_state(c->cli.ssl);
    c->phase = Phase::Handshake;
    event_add(&c->timer, s->tv_head);
    set_read(c->cli, true);  // the ClientHello comes first; nothing to try before it arrives
    return;
  }
  if (s->cfg.affinity == Affinity::Session) event_add(&c->timer, s->tv_head);
  after_accept_phase(c);
}

void proxy_close_backend_conns(Server* s, Backend* b, CloseReason why) {
  (void)s;
  // Connections still connecting will fail on their own and retry elsewhere.
  Conn* c = b->conn_list;
  while (c) {
    Conn* next = c->bnext;
    if (c->phase == Phase::Piping && !c->connecting) conn_close(c, why);
    c = next;
  }
}

void proxy_run_deferred_fins(Server* s) {
  while (Conn* c = s->fin_list) {
    s->fin_list = c->fin_next;
    if (s->fin_list) s->fin_list->fin_prev = nullptr;
    c->in_fin_list = false;
    c->fin_prev = c->fin_next = nullptr;
    for (Side* side : {&c->cli, &c->be})
      if (side->fin_deferred) {
        side->fin_deferred = false;
        shut_towards(*side);
      }
    finished(c);
  }
}

// The result of one batched send (IoBatch::run), taken like that of a direct write.
static void batch_done(Conn* c, uint8_t dir, const char* data, uint32_t len, int32_t res) {
  c->queued[dir] = IoBatch::kNone;
  after_write(c, dir == 0, data, len, res == -EAGAIN ? 0 : res, res < 0 ? -res : 0);
}

// A batched connect finished: only its error is kept; the connection learns the outcome from
// its socket (first write, read or writability) as with a direct connect.
static void connect_done(Server* s, uint64_t token, int32_t res) {
  auto it = s->ring_connects.find(token);
  if (it == s->ring_connects.end()) return;  // abandoned
  Conn* c = it->second;
  s->ring_connects.erase(it);
  c->connect_token = 0;
  if (res < 0 && res != -ECANCELED) c->connect_err = -res;
}

void proxy_reap_connects(Server* s) {
  if (!s->batch.ready()) return;
  s->batch.reap([s](uint64_t token, int32_t res) { connect_done(s, token, res); });
}

void proxy_end_turn(Server* s) {
  if (!s->batch.ready()) return;
  s->batch.run(
      [](void* tag, uint8_t dir, const char* data, uint32_t len, int32_t res) {
        batch_done(static_cast<Conn*>(tag), dir, data, len, res);
      },
      [s](uint64_t token, int32_t res) { connect_done(s, token, res); });
}

void proxy_close_all(Server* s, CloseReason why) {
  while (s->conns) conn_close(s->conns, why);
}

}  // namespace sc::bal
