// The server's TLS context: TLS 1.2 and 1.3 only, Mozilla's "intermediate" cipher suites, ALPN
// http/1.1, session resumption (a server-side cache and tickets), and OpenSSL's buffers given back
// while a connection is idle. Built at start and again on each reload; a connection keeps the
// context it started with, so a reload never disturbs an open session.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "carehub/config.hpp"
#include "carehub/http.hpp"

struct ssl_st;

namespace carehub {

// Throws ConfigError naming the key at fault: a missing or unreadable file, a key that does not
// match the certificate, a certificate that has expired or is not yet valid.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const TlsConfig& cfg);

// What the certificate and key files are now (device, inode, size, modification time), to see
// that one was replaced. Empty for a file that cannot be read.
std::string tls_files_state(const TlsConfig& cfg);

// The client certificate of a finished handshake, when the client sent one and it verified
// against server.tls.client_ca_file (a resumed session keeps the one it began with); else null.
std::shared_ptr<const ClientCertificate> verified_client_certificate(ssl_st* ssl);

// cfg with its key read again from key_file, when it came from one: the input of a reload.
TlsConfig reread_tls_key(const TlsConfig& cfg);

}  // namespace carehub
