// The listening socket of --reuseport: several worker processes listen on one port with
// SO_REUSEPORT and the Linux kernel spreads new connections over them.
//
// Why not lws's own listener: lws 4.1.6 (Debian 12) sets SO_REUSEPORT only when it runs several
// service threads; with one, LWS_SERVER_OPTION_ALLOW_LISTEN_SHARE is ignored (strace shows
// SO_REUSEADDR alone, and the second worker's bind fails).  So with --reuseport the worker
// creates its lws vhost with CONTEXT_PORT_NO_LISTEN_SERVER, listens here itself, and hands each
// accepted connection to lws with lws_adopt_socket(), which serves it as if its own listener
// had accepted it (HTTP, then the WebSocket upgrade).
//
// Contract: open() binds HOST:PORT (a numeric address, empty: every IPv4 address) with
// SO_REUSEADDR and SO_REUSEPORT and watches it on `loop`; every connection accepted is given to
// `ctx` (which must outlive the listener) or closed when lws refuses it.  close() (and the
// destructor) stops accepting: connections still in this socket's accept queue are reset.
#pragma once
#include <ev.h>

#include <string>

struct lws_context;

namespace sc {

class SharedListener {
 public:
  SharedListener() = default;
  ~SharedListener() { close(); }
  SharedListener(const SharedListener&) = delete;
  SharedListener& operator=(const SharedListener&) = delete;

  bool open(struct ev_loop* loop, lws_context* ctx, const std::string& host, int port,
            std::string* error);
  void close();

 private:
  static void on_accept(struct ev_loop* loop, ev_io* w, int revents);
  struct ev_loop* loop_ = nullptr;
  lws_context* ctx_ = nullptr;
  int fd_ = -1;
  ev_io io_;
};

}  // namespace sc
