// Owning handles for OpenSSL objects (std::unique_ptr with the library's free function).
#pragma once
#include <openssl/ssl.h>

#include "handle.h"

namespace sc {

using SslCtxPtr = Handle<SSL_CTX, SSL_CTX_free>;

}  // namespace sc
