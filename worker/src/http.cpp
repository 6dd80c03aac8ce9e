// Plain HTTP on the WebSocket port and the --origins check of the upgrade: the app's public/
// directory, the socketcluster-client bundle, GET /health and GET /metrics.
//
// Contract:
// - on_http runs for LWS_CALLBACK_HTTP: `uri` is the path lws decoded (%xx) and folded ("/../",
//   "//"); the query string is apart.  GET and HEAD only (others: 405 with Allow); HEAD sends
//   the headers GET would.  Files go out through lws_serve_http_file (Content-Type from
//   lws_get_mimetype plus our table, Content-Length, HEAD; Debian's lws has no ranges), which
//   streams them from the writeable callback; /health and /metrics are built in memory and written
//   at once (lws keeps what the kernel does not take and completes the transaction after it).
// - The return value is the callback's: non-zero closes the connection.
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "http_path.h"
#include "log.h"
#include "session_id.h"
#include "worker_state.h"

namespace sc {
namespace {

constexpr std::string_view kBundlePath = "/socketcluster-client.min.js";
constexpr std::string_view kBundleFile = "socketcluster-client.min.js";

// Types lws_get_mimetype lacks or gives otherwise; consulted first.  "*" is the fallback.
const lws_protocol_vhost_options kMime[] = {
    {&kMime[1], nullptr, ".html", "text/html; charset=utf-8"},
    {&kMime[2], nullptr, ".htm", "text/html; charset=utf-8"},
    {&kMime[3], nullptr, ".js", "text/javascript; charset=utf-8"},
    {&kMime[4], nullptr, ".mjs", "text/javascript; charset=utf-8"},
    {&kMime[5], nullptr, ".css", "text/css; charset=utf-8"},
    {&kMime[6], nullptr, ".txt", "text/plain; charset=utf-8"},
    {&kMime[7], nullptr, ".map", "application/json"},
    {&kMime[8], nullptr, ".webmanifest", "application/manifest+json"},
    {&kMime[9], nullptr, ".wasm", "application/wasm"},
    {&kMime[10], nullptr, ".webp", "image/webp"},
    {&kMime[11], nullptr, ".avif", "image/avif"},
    {&kMime[12], nullptr, ".otf", "font/otf"},
    {&kMime[13], nullptr, ".ttf", "font/ttf"},
    {&kMime[14], nullptr, ".woff", "font/woff"},
    {&kMime[15], nullptr, ".woff2", "font/woff2"},
    {&kMime[16], nullptr, ".pdf", "application/pdf"},
    {nullptr, nullptr, "*", "application/octet-stream"},
};

const char* mime_type(const std::string& file) {
  static lws_http_mount m = [] {
    lws_http_mount x;
    std::memset(&x, 0, sizeof x);
    x.extra_mimetypes = &kMime[0];
    return x;
  }();
  return lws_get_mimetype(file.c_str(), &m);
}

// The directory of the running binary ("" when /proc is absent).
std::string exe_dir() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  std::string p(buf, size_t(n));
  return p.substr(0, p.rfind('/'));
}

std::string real_path(const std::string& p) {
  char* r = realpath(p.c_str(), nullptr);
  if (!r) return "";
  std::string s(r);
  std::free(r);
  return s;
}

// Status line, headers and (unless HEAD) the body.  Returns the callback's value.
int http_respond(lws* wsi, unsigned status, const char* type, std::string_view body, bool head,
                 const char* extra_name = nullptr, const char* extra_value = nullptr) {
  unsigned char hdr[LWS_PRE + 1024];
  unsigned char *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof hdr - 1;
  if (lws_add_http_common_headers(wsi, status, type, body.size(), &p, end) ||
      lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
                                   reinterpret_cast<const unsigned char*>("no-store"), 8, &p,
                                   end) ||
      (extra_name &&
       lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(extra_name),
                                   reinterpret_cast<const unsigned char*>(extra_value),
                                   int(std::strlen(extra_value)), &p, end)) ||
      lws_finalize_write_http_header(wsi, start, &p, end))
    return -1;
  if (!head && !body.empty()) {
    std::string out(LWS_PRE, '\0');
    out.append(body);
    if (lws_write(wsi, reinterpret_cast<unsigned char*>(out.data()) + LWS_PRE, body.size(),
                  LWS_WRITE_HTTP_FINAL) < int(body.size()))
      return -1;
  }
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

int not_found(lws* wsi, bool head) {
  return http_respond(wsi, HTTP_STATUS_NOT_FOUND, "text/plain; charset=utf-8", "Not Found\n", head);
}

void metric(std::string* out, const char* name, const char* type, const char* help) {
  *out += "# HELP ";
  *out += name;
  *out += ' ';
  *out += help;
  *out += "\n# TYPE ";
  *out += name;
  *out += ' ';
  *out += type;
  *out += '\n';
}

void sample(std::string* out, const char* name, std::string_view labels, uint64_t v) {
  *out += name;
  if (!labels.empty()) {
    *out += '{';
    *out += labels;
    *out += '}';
  }
  *out += ' ';
  *out += std::to_string(v);
  *out += '\n';
}

// A metric with one unlabelled sample.
void single(std::string* out, const char* name, const char* type, const char* help, uint64_t v) {
  metric(out, name, type, help);
  sample(out, name, "", v);
}

// A label value: Prometheus escapes backslash, double quote and newline.
std::string label(std::string_view v) {
  std::string r;
  for (char c : v) {
    if (c == '\\' || c == '"') r.push_back('\\');
    if (c == '\n') {
      r += "\\n";
      continue;
    }
    r.push_back(c);
  }
  return r;
}

}  // namespace

bool WorkerState::http_init(std::string* error) {
  if (!http::parse_origins(opt.origins, &origins, error)) return false;
  if (!opt.public_dir.empty()) {
    public_root = real_path(opt.public_dir);
    if (public_root.empty()) {
      *error = "--public " + opt.public_dir + ": " + std::strerror(errno);
      return false;
    }
  }
  std::string bundle = opt.client_bundle;
  if (bundle.empty()) bundle = exe_dir() + "/../share/scluster/" + std::string(kBundleFile);
  bundle_file = real_path(bundle);
  if (bundle_file.empty()) {
    if (!opt.client_bundle.empty()) {
      *error = "--client-bundle " + opt.client_bundle + ": " + std::strerror(errno);
      return false;
    }
    SC_LOG(Notice, "no %s next to the binary (%s): %.*s answers 404", kBundleFile.data(),
           bundle.c_str(), int(kBundlePath.size()), kBundlePath.data());
  }
  started = ev_time();
  return true;
}

bool WorkerState::origin_ok(lws* wsi) {
  if (origins.allow_all) return true;
  int n = lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN);
  std::string origin;
  if (n > 0) {
    origin.resize(size_t(n) + 1);
    if (lws_hdr_copy(wsi, origin.data(), n + 1, WSI_TOKEN_ORIGIN) < 0) origin.clear();
    origin.resize(std::strlen(origin.c_str()));
  }
  if (http::origin_allowed(origins, origin)) return true;
  metrics.origin_refused++;
  std::string msg = "Failed to authorize socket handshake - Invalid origin: " +
                    (origin.empty() || origin == "null" ? std::string("*") : origin);
  SC_LOG(Verbose, "%s", msg.c_str());
  lws_return_http_status(wsi, HTTP_STATUS_FORBIDDEN, msg.c_str());
  return false;
}

std::string WorkerState::health_json() const {
  std::string b = "{\"status\":\"ok\",\"pid\":" + std::to_string(getpid()) +
                  ",\"uptime\":" + std::to_string(uint64_t(ev_now(loop) - started)) +
                  ",\"sockets\":" + std::to_string(sockets.size()) + ",\"brokers\":[";
  for (size_t i = 0; i < brokers.size(); i++) {
    if (i) b += ',';
    b += "{\"broker\":\"" + brokers[i]->name() +
         "\",\"up\":" + (brokers[i]->sub_up() && brokers[i]->cmd_up() ? "true" : "false") + "}";
  }
  b += "]}\n";
  return b;
}

std::string WorkerState::metrics_text() const {
  std::string o;
  single(&o, "sc_worker_sockets_open", "gauge", "WebSocket connections open (upgraded)",
         sockets.size());
  single(&o, "sc_worker_messages_in_total", "counter",
         "complete WebSocket messages received (a batch counts once)", metrics.messages_in);
  single(&o, "sc_worker_messages_out_total", "counter",
         "WebSocket messages written (a publication once per recipient)", metrics.messages_out);
  single(&o, "sc_worker_publications_sent_total", "counter",
         "publications sent to the brokers (client #publish and Exchange::publish)",
         metrics.publications_sent);
  single(&o, "sc_worker_publications_received_total", "counter",
         "publications the brokers delivered on a channel this worker holds",
         metrics.publications_received);
  metric(&o, "sc_worker_broker_up", "gauge",
         "1 when both connections to the broker are up, else 0");
  for (auto& b : brokers)
    sample(&o, "sc_worker_broker_up", "broker=\"" + label(b->name()) + "\"",
           b->sub_up() && b->cmd_up() ? 1 : 0);
  uint64_t queued = 0;
  for (auto& [serial, s] : sockets) queued += s->out.bytes;
  single(&o, "sc_worker_outbound_bytes_queued", "gauge",
         "bytes of WebSocket messages waiting to be written, over every socket", queued);
  metric(&o, "sc_worker_closes_total", "counter",
         "WebSocket connections closed, by close code (1006: without a close frame)");
  for (auto& [code, n] : metrics.closes)
    sample(&o, "sc_worker_closes_total", "code=\"" + std::to_string(code) + "\"", n);
  single(&o, "sc_worker_origin_refused_total", "counter",
         "WebSocket upgrades refused by --origins (HTTP 403)", metrics.origin_refused);
  single(&o, "sc_worker_address_refused_total", "counter",
         "WebSocket upgrades refused by --address-socket-limit (HTTP 429)",
         metrics.address_refused);
  single(&o, "sc_worker_http_requests_total", "counter",
         "plain HTTP requests (files, /health, /metrics, errors)", metrics.http_requests);
  return o;
}

int WorkerState::on_http(lws* wsi, std::string_view uri) {
  metrics.http_requests++;
  bool head = lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0;
  bool get = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0;
  if (!get && !head) {
    http_respond(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
                 "Method Not Allowed\n", false, "allow:", "GET, HEAD");
    return -1;  // a request body may follow: the connection is not reused
  }
  if (uri == "/health")
    return http_respond(wsi, HTTP_STATUS_OK, "application/json", health_json(), head);
  if (uri == "/metrics")
    return http_respond(wsi, HTTP_STATUS_OK, "text/plain; version=0.0.4; charset=utf-8",
                        metrics_text(), head);
  std::string file;
  if (uri == kBundlePath) {
    if (bundle_file.empty()) return not_found(wsi, head);
    file = bundle_file;
  } else if (public_root.empty() ||
             http::resolve_public(public_root, uri, &file) != http::PathResult::Ok) {
    return not_found(wsi, head);
  }
  // <0: failed; >0: answered already (HEAD, or lws's own 404 when the file vanished).
  // A page load starts the session its sockets will share (the request lacked the cookie).
  bool set_cookie = false;
  std::string sid = pick_sid(wsi, false, &set_cookie), extra;
  if (set_cookie && !sid.empty())
    extra =
        "set-cookie: " + session::set_cookie(opt.session_cookie, sid, secure_request(wsi)) + "\r\n";
  int r = lws_serve_http_file(wsi, file.c_str(), mime_type(file),
                              extra.empty() ? nullptr : extra.c_str(), int(extra.size()));
  if (r < 0 || (r > 0 && lws_http_transaction_completed(wsi))) return -1;
  return 0;
}

}  // namespace sc
