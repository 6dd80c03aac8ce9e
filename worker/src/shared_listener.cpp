// SharedListener (see shared_listener.h): our own SO_REUSEPORT listener feeding lws.
#include "shared_listener.h"

#include <libwebsockets.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "log.h"
#include "net.h"

namespace sc {

bool SharedListener::open(struct ev_loop* loop, lws_context* ctx, const std::string& host, int port,
                          std::string* error) {
  sockaddr_storage ss;
  socklen_t len = 0;
  if (net::numeric_sockaddr(host.empty() ? "0.0.0.0" : host, port, &ss, &len) !=
      net::NetError::Ok) {
    *error = "--reuseport wants a numeric --host, got '" + host + "'";
    return false;
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0 ||
      bind(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0 || listen(fd, SOMAXCONN) < 0) {
    *error = "cannot listen on port " + std::to_string(port) +
             " with SO_REUSEPORT: " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  loop_ = loop;
  ctx_ = ctx;
  fd_ = fd;
  ev_io_init(&io_, on_accept, fd_, EV_READ);
  io_.data = this;
  ev_io_start(loop_, &io_);
  return true;
}

void SharedListener::close() {
  if (fd_ < 0) return;
  ev_io_stop(loop_, &io_);
  ::close(fd_);
  fd_ = -1;
}

void SharedListener::on_accept(struct ev_loop*, ev_io* w, int) {
  auto* self = static_cast<SharedListener*>(w->data);
  // Up to 64 per wake-up, so one busy listener does not starve the loop's other work.
  for (int i = 0; i < 64; i++) {
    int c = accept4(self->fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        SC_LOG(Warning, "accept: %s", std::strerror(errno));  // EMFILE...: retried next wake-up
      return;
    }
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // as lws's own listener does
    if (!lws_adopt_socket(self->ctx_, c))                       // lws closed c
      SC_LOG(Verbose, "lws refused an accepted connection");
  }
}

}  // namespace sc
