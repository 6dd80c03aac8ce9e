// TLS termination: the server SSL_CTX built from --cert/--key pairs.
#pragma once
#include <string>

#include "balancer.h"
#include "ssl_handles.h"

namespace sc::bal {

// TLS 1.2 and 1.3, every certificate/key pair loaded (OpenSSL serves an RSA and an ECDSA
// certificate side by side and picks per client), renegotiation off, buffers released while
// idle.  Null with *error when a file cannot be loaded or a key does not match.
SslCtxPtr tls_make_context(const Config& cfg, std::string* error);

}  // namespace sc::bal
