// A small HTTPS client for the TLS tests: Boost.Beast over OpenSSL, trusting one CA file, one
// keep-alive connection at a time. It tells what the handshake gave (protocol, the server
// certificate's subject, whether the session was resumed) so tests can check a reload or
// resumption from the client's side.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "support/http_client.hpp"

namespace carehub::test {

class TlsClient {
 public:
  TlsClient(int port, std::string ca_file,
            std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  // Connects and shakes hands (offering the session of the last connection, if any); throws
  // HttpError with OpenSSL's reason when the handshake fails.
  void connect();
  void close();
  bool connected() const;
  // One request on the open connection (connecting first when there is none).
  HttpResponse request(const std::string& method, const std::string& target,
                       const HttpHeaders& headers = {}, const std::string& body = {});
  HttpResponse get(const std::string& target, const HttpHeaders& headers = {}) {
    return request("GET", target, headers);
  }

  std::string protocol() const;      // "TLSv1.3"
  std::string peer_subject() const;  // the server certificate's subject, one line
  std::string alpn() const;          // the protocol ALPN chose, or empty
  bool resumed() const;              // the last handshake resumed an earlier session

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace carehub::test
