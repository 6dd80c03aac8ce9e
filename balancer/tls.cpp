#include "tls.h"

#include <openssl/err.h>

namespace sc::bal {

static std::string last_ssl_error() {
  char buf[256];
  ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
  return buf;
}

SslCtxPtr tls_make_context(const Config& cfg, std::string* error) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) {
    *error = "SSL_CTX_new: " + last_ssl_error();
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                     SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_COMPRESSION);
  // Partial writes + moving buffer: the proxy retries a blocked write from its pending buffer.
  // Release buffers: an idle TLS connection holds no 16 KiB record buffers.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                  SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_SERVER);
  for (size_t i = 0; i < cfg.certs.size(); i++) {
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), cfg.certs[i].c_str()) != 1) {
      *error = "cannot load certificate " + cfg.certs[i] + ": " + last_ssl_error();
      return nullptr;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), cfg.keys[i].c_str(), SSL_FILETYPE_PEM) != 1) {
      *error = "cannot load key " + cfg.keys[i] + ": " + last_ssl_error();
      return nullptr;
    }
    if (SSL_CTX_check_private_key(ctx.get()) != 1) {
      *error = "key " + cfg.keys[i] + " does not match " + cfg.certs[i];
      return nullptr;
    }
  }
  return ctx;
}

}  // namespace sc::bal
