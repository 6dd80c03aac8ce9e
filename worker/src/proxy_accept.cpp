// --trust-proxy: the worker listens itself, reads the PROXY protocol header (v1 or v2) that a
// connection may begin with, records its source address by fd, and hands the socket and the
// bytes after the header to lws (lws 4.1 cannot read PROXY headers).  A connection that begins
// with anything else (an HTTP request) is handed over as it is; X-Forwarded-For then applies.
// With --reuseport this listener sets SO_REUSEPORT and takes the place of SharedListener.
//
// Contract:
// - Each accepted connection waits here at most --upgrade-timeout seconds for its first bytes;
//   a malformed header, a timeout or EOF closes it (no HTTP answer: the peer speaks PROXY).
// - proxied_address[fd] is written for every connection handed to lws ("" without a header),
//   so an entry left by a closed connection is overwritten before the fd can be read again.
// - At most kReadMax bytes are read here (lws takes at most 2048 as adopted bytes).
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "log.h"
#include "net.h"
#include "proxy_header.h"
#include "worker_state.h"

namespace sc {

struct ProxyConn {
  WorkerState* w = nullptr;
  int fd = -1;
  ev_io io;
  ev_timer timer;  // --upgrade-timeout
  std::string buf;
};

namespace {

constexpr size_t kReadMax = 2048;

void conn_free(ProxyConn* c, bool close_fd) {
  ev_io_stop(c->w->loop, &c->io);
  ev_timer_stop(c->w->loop, &c->timer);
  if (close_fd) ::close(c->fd);
  c->w->acceptor.conns.erase(c);
  delete c;
}

void on_conn_timeout(struct ev_loop*, ev_timer* t, int) {
  auto* c = static_cast<ProxyConn*>(t->data);
  SC_LOG(Verbose, "trust-proxy: no PROXY header or request within --upgrade-timeout: closed");
  conn_free(c, true);
}

void on_conn_read(struct ev_loop*, ev_io* io, int) {
  auto* c = static_cast<ProxyConn*>(io->data);
  WorkerState* w = c->w;
  char tmp[kReadMax];
  ssize_t n = ::recv(c->fd, tmp, kReadMax - c->buf.size(), 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  if (n <= 0) {
    conn_free(c, true);
    return;
  }
  c->buf.append(tmp, size_t(n));
  size_t consumed = 0;
  std::string addr;
  switch (parse_proxy_header(c->buf, &consumed, &addr)) {
    case ProxyParse::NeedMore:
      if (c->buf.size() >= kReadMax) conn_free(c, true);  // cannot happen: headers are shorter
      return;
    case ProxyParse::Error:
      SC_LOG(Verbose, "trust-proxy: malformed PROXY header: closed");
      conn_free(c, true);
      return;
    case ProxyParse::NotProxy:
      consumed = 0;
      addr.clear();
      break;
    case ProxyParse::Ok:
      break;
  }
  int fd = c->fd;
  std::string rest = c->buf.substr(consumed);
  conn_free(c, false);
  if (w->proxied_address.size() <= size_t(fd)) w->proxied_address.resize(size_t(fd) + 1);
  w->proxied_address[fd] = addr;
  lws_vhost* vh = lws_get_vhost_by_name(w->ctx.get(), "default");  // info.vhost_name unset
  if (!vh) {
    SC_LOG(Warning, "trust-proxy: no default vhost to hand the connection to");
    ::close(fd);
    return;
  }
  // On failure lws closes the fd itself.
  if (!lws_adopt_socket_vhost_readbuf(vh, fd, rest.empty() ? nullptr : rest.data(), rest.size()))
    SC_LOG(Warning, "trust-proxy: lws could not adopt a connection");
}

void on_accept(struct ev_loop* loop, ev_io* io, int) {
  auto* w = static_cast<WorkerState*>(io->data);
  for (int i = 0; i < 64; i++) {  // a bounded batch per wake-up
    int fd = ::accept4(w->acceptor.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        SC_LOG(Warning, "trust-proxy: accept: %s; pausing 100 ms", std::strerror(errno));
        ev_io_stop(loop, &w->acceptor.io);
        ev_timer_set(&w->acceptor.pause, 0.1, 0.);
        ev_timer_start(loop, &w->acceptor.pause);
      }
      return;  // EAGAIN, ECONNABORTED...: the next wake-up
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto* c = new ProxyConn;
    c->w = w;
    c->fd = fd;
    ev_io_init(&c->io, on_conn_read, fd, EV_READ);
    c->io.data = c;
    ev_timer_init(&c->timer, on_conn_timeout, double(w->opt.upgrade_timeout_s), 0.);
    c->timer.data = c;
    ev_io_start(loop, &c->io);
    ev_timer_start(loop, &c->timer);
    w->acceptor.conns.insert(c);
  }
}

void on_pause_end(struct ev_loop* loop, ev_timer* t, int) {
  auto* w = static_cast<WorkerState*>(t->data);
  ev_io_start(loop, &w->acceptor.io);
}

}  // namespace

bool WorkerState::proxy_listen(std::string* error) {
  sockaddr_storage ss;
  socklen_t len = 0;
  std::string host = opt.host.empty() ? "0.0.0.0" : opt.host;
  if (net::numeric_sockaddr(host, opt.port, &ss, &len) != net::NetError::Ok) {
    *error = "--trust-proxy needs a numeric --host, got '" + opt.host + "'";
    return false;
  }
  // SO_REUSEPORT with --reuseport (shared_listener.h says why lws cannot do it).
  int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
      (opt.reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) ||
      ::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0 || ::listen(fd, 4096) < 0) {
    *error =
        "cannot listen on " + host + ":" + std::to_string(opt.port) + ": " + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return false;
  }
  acceptor.fd = fd;
  ev_io_init(&acceptor.io, on_accept, fd, EV_READ);
  acceptor.io.data = this;
  ev_init(&acceptor.pause, on_pause_end);
  acceptor.pause.data = this;
  ev_io_start(loop, &acceptor.io);
  return true;
}

void WorkerState::proxy_stop() {
  if (acceptor.fd < 0) return;
  ev_io_stop(loop, &acceptor.io);
  ev_timer_stop(loop, &acceptor.pause);
  ::close(acceptor.fd);
  acceptor.fd = -1;
  while (!acceptor.conns.empty()) conn_free(*acceptor.conns.begin(), true);
}

}  // namespace sc
