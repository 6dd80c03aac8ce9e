// lws_echo: the ceiling of bench/worker-vs-node.sh.  A raw libwebsockets echo server set up as
// the worker sets up lws (worker/src/worker.cpp): lws 4.1 on the app's ev_default_loop through
// the libev plugin, one protocol on every path, the same context options, rx_buffer_size and
// pt_serv_buf_size, frames queued per connection and written from the writeable callback until
// the socket chokes.  It sends every text message back unchanged and does nothing else (no
// SocketCluster handshake, no JSON), so the difference to sc-conformance is the cost of the
// protocol and the toolkit.
//
//   lws_echo --port P [--rx-buffer-size 512]      exit 0 on SIGINT/SIGTERM, 1 if it cannot
//                                                 listen, 2 on a bad argument
#include <ev.h>
#include <libwebsockets.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>

namespace {

struct Conn {
  std::deque<std::string> out;  // frames to send, each with LWS_PRE bytes of headroom
  std::string rx;               // a message that arrived in fragments, until its last one
};

int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto** slot = static_cast<Conn**>(user);
  switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
      *slot = new Conn;
      return 0;
    case LWS_CALLBACK_CLOSED:
      delete *slot;
      *slot = nullptr;
      return 0;
    case LWS_CALLBACK_RECEIVE: {
      Conn* c = *slot;
      if (!c) return -1;
      c->rx.append(static_cast<const char*>(in), len);
      if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) != 0) return 0;
      std::string f(LWS_PRE, '\0');
      f += c->rx;
      c->rx.clear();
      c->out.push_back(std::move(f));
      lws_callback_on_writable(wsi);
      return 0;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE: {
      Conn* c = *slot;
      if (!c) return -1;
      while (!c->out.empty()) {
        std::string& f = c->out.front();
        size_t n = f.size() - LWS_PRE;
        if (lws_write(wsi, reinterpret_cast<unsigned char*>(f.data()) + LWS_PRE, n,
                      LWS_WRITE_TEXT) < int(n))
          return -1;
        c->out.pop_front();
        if (lws_send_pipe_choked(wsi)) break;
      }
      if (!c->out.empty()) lws_callback_on_writable(wsi);
      return 0;
    }
    default:
      return 0;
  }
}

void on_signal(struct ev_loop* loop, ev_signal*, int) { ev_break(loop, EVBREAK_ALL); }

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  long rx = 512;  // the worker's --rx-buffer-size default
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--port"))
      port = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--rx-buffer-size"))
      rx = std::atol(argv[i + 1]);
    else
      port = -1;
  }
  if (port <= 0 || port > 65535 || rx < 128 || argc % 2 == 0) {
    std::fprintf(stderr, "usage: lws_echo --port P [--rx-buffer-size BYTES]\n");
    return 2;
  }
  struct ev_loop* loop = ev_default_loop(0);
  lws_set_log_level(LLL_ERR, nullptr);

  lws_protocols protocols[2];
  std::memset(protocols, 0, sizeof protocols);  // lws 4.1: the table ends with a zeroed entry
  protocols[0].name = "echo";
  protocols[0].callback = callback;
  protocols[0].per_session_data_size = sizeof(Conn*);
  protocols[0].rx_buffer_size = size_t(rx);

  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  info.port = port;
  info.protocols = protocols;
  info.options =
      LWS_SERVER_OPTION_LIBEV | LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_DISABLE_IPV6;
  void* foreign[1] = {loop};
  info.foreign_loops = foreign;
  info.pt_serv_buf_size = 4096;
  info.timeout_secs = 10;
  lws_context* ctx = lws_create_context(&info);
  if (!ctx) {
    std::fprintf(stderr, "lws_echo: cannot listen on port %d\n", port);
    return 1;
  }
  std::signal(SIGPIPE, SIG_IGN);
  ev_signal sigint, sigterm;
  ev_signal_init(&sigint, on_signal, SIGINT);
  ev_signal_init(&sigterm, on_signal, SIGTERM);
  ev_signal_start(loop, &sigint);
  ev_signal_start(loop, &sigterm);
  ev_run(loop, 0);
  lws_context_destroy(ctx);
  return 0;
}
