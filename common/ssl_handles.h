// Owning handles for OpenSSL objects (std::unique_ptr with the library's free function).
#pragma once
#include <openssl/ssl.h>

#include <memory>

namespace sc {

struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};

using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;
using SslPtr = std::unique_ptr<SSL, SslFree>;

}  // namespace sc
