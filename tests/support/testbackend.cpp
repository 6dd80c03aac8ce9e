// sc-testbackend: a small HTTP/1.1 + WebSocket echo server that names itself, the backend of the
// balancer's tests and benchmarks.
//
//   sc-testbackend --port P --name NAME [--host 127.0.0.1] [--client-closes 1]
//
// --client-closes 1: a response that says "Connection: close" is not followed by our close; the
// client closes first (as browsers and wrk do), which keeps loopback benchmarks from piling
// TIME_WAIT sockets on the server side of the 4-tuples that clients then reuse.
//
// Every response carries "X-Backend: NAME" and "X-Client: ADDR:PORT" (the PROXY protocol v1/v2
// source when the connection starts with one, else the TCP peer).  Routes:
//   GET  /health           200 "ok"
//   GET  /head             the request head exactly as received, as the body
//   GET  /bytes?n=N        N bytes of the pattern byte[i] = (i * 7 + i / 4096) & 255, streamed
//   POST /echo             the request body (Content-Length) streamed back as it arrives
//   GET  /raw              "HTTP/1.1 200 OK" head, then raw echo until the client's FIN, then
//                          "bye <bytes echoed>" and close (half-close test)
//   GET  /ws (Upgrade)     WebSocket: every data frame echoed (unmasked), close answered
//   ANY  /reset/WHO[?..]   when WHO is NAME or "any": read the request (and its Content-Length
//                          body), then reset the connection without answering; else as below
//   GET  /seen?t=TARGET    how many requests for TARGET (exactly as in their request line) this
//                          backend has read, as the body
//   anything else          200 with body NAME
// Keep-alive unless the request says "Connection: close".  Output is bounded: reading stops while
// more than 1 MiB waits to be sent.
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <signal.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <unordered_set>

#include "net.h"

namespace {

constexpr size_t kHighWater = 1 << 20;
constexpr size_t kMaxHead = 64 * 1024;
std::string g_name = "backend";
bool g_client_closes = false;  // --client-closes: answer "Connection: close", let the client close
std::map<std::string, uint64_t> g_seen;  // request target -> requests read (/seen)

enum class State { Proxy, Head, Echo, Bytes, Raw, Ws, Closing, Reset };

struct Conn {
  bufferevent* bev;
  State state = State::Proxy;
  std::string client;      // ADDR:PORT
  uint64_t remaining = 0;  // Echo, Reset: body bytes left; Bytes: bytes left to send
  uint64_t sent = 0;       // Bytes: offset of the next byte
  uint64_t raw_count = 0;
  bool keep_alive = true;
};

// Every open connection, so that they are freed at exit too (LeakSanitizer reports them
// otherwise when the backend is stopped with clients still connected).
std::unordered_set<Conn*> g_conns;

void conn_free(Conn* c) {
  g_conns.erase(c);
  bufferevent_free(c->bev);
  delete c;
}

void send_response(Conn* c, int code, const char* reason, const std::string& body,
                   const std::string& extra = "") {
  char head[512];
  int n =
      snprintf(head, sizeof head,
               "HTTP/1.1 %d %s\r\nX-Backend: %s\r\nX-Client: %s\r\nContent-Length: %zu\r\n%s%s\r\n",
               code, reason, g_name.c_str(), c->client.c_str(), body.size(), extra.c_str(),
               c->keep_alive ? "" : "Connection: close\r\n");
  evbuffer* out = bufferevent_get_output(c->bev);
  evbuffer_add(out, head, size_t(n));
  evbuffer_add(out, body.data(), body.size());
}

void fill_bytes(Conn* c) {
  evbuffer* out = bufferevent_get_output(c->bev);
  char chunk[16384];
  while (c->remaining > 0 && evbuffer_get_length(out) < kHighWater) {
    size_t n = c->remaining < sizeof chunk ? size_t(c->remaining) : sizeof chunk;
    for (size_t i = 0; i < n; i++) {
      uint64_t k = c->sent + i;
      chunk[i] = char((k * 7 + k / 4096) & 255);
    }
    evbuffer_add(out, chunk, n);
    c->sent += n;
    c->remaining -= n;
  }
  if (c->remaining == 0) c->state = State::Head;
}

// Case-insensitive header lookup in a complete head; "" when absent.
std::string header_value(const std::string& head, const char* name) {
  size_t nlen = strlen(name);
  size_t pos = head.find('\n');
  while (pos != std::string::npos && pos + 1 < head.size()) {
    size_t start = pos + 1;
    size_t end = head.find('\n', start);
    if (end == std::string::npos) end = head.size();
    if (end - start > nlen && head[start + nlen] == ':' &&
        strncasecmp(head.c_str() + start, name, nlen) == 0) {
      std::string v = head.substr(start + nlen + 1, end - start - nlen - 1);
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.erase(v.begin());
      while (!v.empty() && (v.back() == '\r' || v.back() == ' ')) v.pop_back();
      return v;
    }
    pos = end;
  }
  return {};
}

std::string ws_accept(const std::string& key) {
  std::string s = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char sha[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(s.data()), s.size(), sha);
  unsigned char b64[64];
  int n = EVP_EncodeBlock(b64, sha, SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<char*>(b64), size_t(n));
}

void read_cb(bufferevent* bev, void* arg);

// Parses a PROXY v1 line or v2 block if the connection starts with one.  False: need more.
bool parse_proxy(Conn* c, evbuffer* in) {
  size_t len = evbuffer_get_length(in);
  static const unsigned char kSig[12] = {13, 10, 13, 10, 0, 13, 10, 'Q', 'U', 'I', 'T', 10};
  unsigned char peek[108];
  size_t n = len < sizeof peek ? len : sizeof peek;
  evbuffer_copyout(in, peek, n);
  if (n >= 6 && memcmp(peek, "PROXY ", 6) == 0) {
    evbuffer_ptr eol = evbuffer_search_eol(in, nullptr, nullptr, EVBUFFER_EOL_CRLF_STRICT);
    if (eol.pos < 0) return len < 108 ? false : (c->state = State::Head, true);
    std::string line(reinterpret_cast<char*>(peek), size_t(eol.pos));
    evbuffer_drain(in, size_t(eol.pos) + 2);
    char proto[8], src[64], dst[64];
    unsigned sp, dp;
    if (sscanf(line.c_str(), "PROXY %7s %63s %63s %u %u", proto, src, dst, &sp, &dp) == 5)
      c->client = std::string(src) + ":" + std::to_string(sp);
    c->state = State::Head;
    return true;
  }
  if (n >= 12 && memcmp(peek, kSig, 12) == 0) {
    if (n < 16) return false;
    size_t body = size_t(peek[14]) << 8 | peek[15];
    if (len < 16 + body) return false;
    unsigned char blk[16 + 216];
    if (16 + body > sizeof blk) {
      evbuffer_drain(in, 16 + body);
      c->state = State::Head;
      return true;
    }
    evbuffer_remove(in, blk, 16 + body);
    if (blk[13] == 0x11 && body >= 12) {
      char a[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, blk + 16, a, sizeof a);
      c->client = std::string(a) + ":" + std::to_string(blk[24] << 8 | blk[25]);
    } else if (blk[13] == 0x21 && body >= 36) {
      char a[INET6_ADDRSTRLEN];
      inet_ntop(AF_INET6, blk + 16, a, sizeof a);
      c->client = std::string(a) + ":" + std::to_string(blk[48] << 8 | blk[49]);
    }
    c->state = State::Head;
    return true;
  }
  // Not a PROXY header (or too short to tell): decide once 12 bytes or a non-matching prefix.
  bool maybe_v1 = n < 6 && memcmp(peek, "PROXY ", n) == 0;
  bool maybe_v2 = n < 12 && memcmp(peek, kSig, n) == 0;
  if (maybe_v1 || maybe_v2) return false;
  c->state = State::Head;
  return true;
}

// Closes with a reset (SO_LINGER 0): the /reset route.
void reset_conn(Conn* c) {
  linger lg = {1, 0};
  setsockopt(bufferevent_getfd(c->bev), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  conn_free(c);
}

// The head of a 200 whose body is the c->remaining bytes that follow.
void send_body_head(Conn* c) {
  char h[256];
  int n =
      snprintf(h, sizeof h,
               "HTTP/1.1 200 OK\r\nX-Backend: %s\r\nX-Client: %s\r\nContent-Length: %llu\r\n%s\r\n",
               g_name.c_str(), c->client.c_str(), (unsigned long long)c->remaining,
               c->keep_alive ? "" : "Connection: close\r\n");
  evbuffer_add(bufferevent_get_output(c->bev), h, size_t(n));
}

void handle_head(Conn* c, const std::string& head) {
  size_t sp1 = head.find(' '), sp2 = head.find(' ', sp1 + 1);
  std::string method = head.substr(0, sp1);
  std::string target = sp2 == std::string::npos ? "" : head.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string path = target.substr(0, target.find('?'));
  g_seen[target]++;
  if (path == "/reset/" + g_name || path == "/reset/any") {  // the body is read first (process)
    c->remaining = strtoull(header_value(head, "Content-Length").c_str(), nullptr, 10);
    c->state = State::Reset;
    return;
  }
  if (path == "/seen") {
    size_t t = target.find("?t=");
    auto it = g_seen.find(t == std::string::npos ? "" : target.substr(t + 3));
    return send_response(c, 200, "OK", std::to_string(it == g_seen.end() ? 0 : it->second));
  }
  std::string conn_hdr = header_value(head, "Connection");
  bool http10 =
      head.find("HTTP/1.0") != std::string::npos && head.find("HTTP/1.0") < head.find('\n');
  c->keep_alive = !(strcasestr(conn_hdr.c_str(), "close") ||
                    (http10 && !strcasestr(conn_hdr.c_str(), "keep-alive")));
  if (strcasecmp(header_value(head, "Upgrade").c_str(), "websocket") == 0) {
    std::string key = header_value(head, "Sec-WebSocket-Key");
    char resp[512];
    int n =
        snprintf(resp, sizeof resp,
                 "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Accept: %s\r\nX-Backend: %s\r\nX-Client: %s\r\n\r\n",
                 ws_accept(key).c_str(), g_name.c_str(), c->client.c_str());
    evbuffer_add(bufferevent_get_output(c->bev), resp, size_t(n));
    c->state = State::Ws;
    return;
  }
  if (path == "/health") return send_response(c, 200, "OK", "ok");
  if (path == "/head") return send_response(c, 200, "OK", head);  // the head exactly as received
  if (path == "/bytes") {
    size_t q = target.find("n=");
    c->remaining = q == std::string::npos ? 0 : strtoull(target.c_str() + q + 2, nullptr, 10);
    c->sent = 0;
    send_body_head(c);
    c->state = State::Bytes;
    fill_bytes(c);
    return;
  }
  if (path == "/echo") {
    c->remaining = strtoull(header_value(head, "Content-Length").c_str(), nullptr, 10);
    send_body_head(c);
    c->state = c->remaining ? State::Echo : State::Head;
    return;
  }
  if (path == "/raw") {
    char h[256];
    int n = snprintf(h, sizeof h, "HTTP/1.1 200 OK\r\nX-Backend: %s\r\nConnection: close\r\n\r\n",
                     g_name.c_str());
    evbuffer_add(bufferevent_get_output(c->bev), h, size_t(n));
    c->state = State::Raw;
    return;
  }
  send_response(c, 200, "OK", g_name);
}

// Echoes complete WebSocket frames; false when the connection should close.
bool ws_frames(Conn* c, evbuffer* in) {
  evbuffer* out = bufferevent_get_output(c->bev);
  for (;;) {
    size_t len = evbuffer_get_length(in);
    if (len < 2) return true;
    unsigned char h[14];
    evbuffer_copyout(in, h, len < 14 ? len : 14);
    uint64_t plen = h[1] & 127;
    size_t hl = 2;
    if (plen == 126) {
      if (len < 4) return true;
      plen = uint64_t(h[2]) << 8 | h[3];
      hl = 4;
    } else if (plen == 127) {
      if (len < 10) return true;
      plen = 0;
      for (int i = 0; i < 8; i++) plen = plen << 8 | h[2 + i];
      hl = 10;
    }
    bool masked = h[1] & 128;
    unsigned char mask[4] = {0, 0, 0, 0};
    if (masked) {
      if (len < hl + 4) return true;
      memcpy(mask, h + hl, 4);
      hl += 4;
    }
    if (plen > (64u << 20)) return false;
    if (len < hl + plen) return true;
    evbuffer_drain(in, hl);
    std::string payload(size_t(plen), '\0');
    evbuffer_remove(in, payload.data(), size_t(plen));
    for (size_t i = 0; i < payload.size(); i++) payload[i] = char(payload[i] ^ mask[i & 3]);
    int opcode = h[0] & 15;
    unsigned char oh[10];
    size_t ol = 0;
    oh[ol++] = h[0];  // same FIN/opcode
    if (plen < 126) {
      oh[ol++] = uint8_t(plen);
    } else if (plen < 65536) {
      oh[ol++] = 126, oh[ol++] = uint8_t(plen >> 8), oh[ol++] = uint8_t(plen);
    } else {
      oh[ol++] = 127;
      for (int i = 7; i >= 0; i--) oh[ol++] = uint8_t(plen >> (8 * i));
    }
    if (opcode == 9) oh[0] = (h[0] & 0xf0) | 10;  // ping → pong
    evbuffer_add(out, oh, ol);
    evbuffer_add(out, payload.data(), payload.size());
    if (opcode == 8) {
      c->state = State::Closing;
      return true;
    }
  }
}

void process(Conn* c) {
  bufferevent* bev = c->bev;
  evbuffer* in = bufferevent_get_input(bev);
  evbuffer* out = bufferevent_get_output(bev);
  for (;;) {
    if (evbuffer_get_length(out) >= kHighWater) {  // bounded output: stop reading
      bufferevent_disable(bev, EV_READ);
      return;
    }
    switch (c->state) {
      case State::Proxy:
        if (!parse_proxy(c, in)) return;
        continue;
      case State::Head: {
        evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, nullptr);
        if (end.pos < 0) {
          if (evbuffer_get_length(in) > kMaxHead) return conn_free(c);
          return;
        }
        std::string head(size_t(end.pos) + 4, '\0');
        evbuffer_remove(in, head.data(), head.size());
        handle_head(c, head);
        if (!c->keep_alive && c->state == State::Head) {
          c->state = State::Closing;
        }
        continue;
      }
      case State::Echo: {
        size_t len = evbuffer_get_length(in);
        if (!len) return;
        size_t n = len < c->remaining ? len : size_t(c->remaining);
        evbuffer_remove_buffer(in, out, n);
        c->remaining -= n;
        if (!c->remaining) c->state = c->keep_alive ? State::Head : State::Closing;
        continue;
      }
      case State::Bytes:
        fill_bytes(c);
        if (c->state == State::Bytes) return;  // resumes from the write callback
        if (!c->keep_alive) c->state = State::Closing;
        continue;
      case State::Raw: {
        size_t len = evbuffer_get_length(in);
        if (!len) return;
        c->raw_count += len;
        evbuffer_add_buffer(out, in);
        continue;
      }
      case State::Ws:
        if (!ws_frames(c, in)) return conn_free(c);
        if (c->state == State::Ws) return;
        continue;
      case State::Reset: {
        size_t n =
            evbuffer_get_length(in) < c->remaining ? evbuffer_get_length(in) : size_t(c->remaining);
        evbuffer_drain(in, n);
        c->remaining -= n;
        if (c->remaining) return;
        return reset_conn(c);
      }
      case State::Closing:
        evbuffer_drain(in, evbuffer_get_length(in));
        if (evbuffer_get_length(out) == 0 && !g_client_closes) return conn_free(c);
        return;
    }
  }
}

void read_cb(bufferevent*, void* arg) { process(static_cast<Conn*>(arg)); }

void write_cb(bufferevent* bev, void* arg) {
  Conn* c = static_cast<Conn*>(arg);
  if (c->state == State::Closing && evbuffer_get_length(bufferevent_get_output(bev)) == 0 &&
      !g_client_closes)
    return conn_free(c);
  if (c->state == State::Bytes) fill_bytes(c);
  if (evbuffer_get_length(bufferevent_get_output(bev)) < kHighWater / 2) {
    bufferevent_enable(bev, EV_READ);
    if (evbuffer_get_length(bufferevent_get_input(bev))) process(c);
  }
}

void event_cb(bufferevent* bev, short what, void* arg) {
  Conn* c = static_cast<Conn*>(arg);
  if ((what & BEV_EVENT_EOF) && c->state == State::Raw) {
    // The client's FIN arrived: everything echoed, then the count, then our FIN.
    char bye[64];
    int n = snprintf(bye, sizeof bye, "bye %llu", (unsigned long long)c->raw_count);
    evbuffer_add(bufferevent_get_output(bev), bye, size_t(n));
    c->state = State::Closing;
    bufferevent_disable(bev, EV_READ);
    if (evbuffer_get_length(bufferevent_get_output(bev)) == 0) conn_free(c);
    return;
  }
  conn_free(c);
}

void accept_cb(evconnlistener*, evutil_socket_t fd, sockaddr* sa, int, void* arg) {
  event_base* base = static_cast<event_base*>(arg);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  Conn* c = new Conn;
  g_conns.insert(c);
  c->client = sc::net::sockaddr_text(sa);
  c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
  bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
  bufferevent_setwatermark(c->bev, EV_WRITE, kHighWater / 2, 0);
  bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

void term_cb(evutil_socket_t, short, void* arg) {
  event_base_loopexit(static_cast<event_base*>(arg), nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--port")
      port = atoi(argv[i + 1]);
    else if (a == "--name")
      g_name = argv[i + 1];
    else if (a == "--host")
      host = argv[i + 1];
    else if (a == "--client-closes")
      g_client_closes = std::string(argv[i + 1]) == "1";
  }
  if (port <= 0) {
    fprintf(stderr, "usage: sc-testbackend --port P [--name NAME] [--host H]\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  event_base* base = event_base_new();
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(uint16_t(port));
  inet_pton(AF_INET, host.c_str(), &sin.sin_addr);
  evconnlistener* l =
      evconnlistener_new_bind(base, accept_cb, base, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
                              4096, reinterpret_cast<sockaddr*>(&sin), sizeof sin);
  if (!l) {
    perror("listen");
    return 1;
  }
  event* t = evsignal_new(base, SIGTERM, term_cb, base);
  event_add(t, nullptr);
  event_base_dispatch(base);
  while (!g_conns.empty()) conn_free(*g_conns.begin());
  evconnlistener_free(l);
  event_free(t);
  event_base_free(base);
  return 0;
}
