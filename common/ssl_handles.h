// Owning handles for OpenSSL objects (std::unique_ptr with the library's free function).
#pragma once
#include <openssl/ssl.h>

#include <memory>

namespace sc {

struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};

using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

}  // namespace sc
