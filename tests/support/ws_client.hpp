// A WebSocket client for end-to-end tests (Boost.Beast, on 127.0.0.1): connect and upgrade with
// any headers, read text messages with a timeout, send, close; it can also stop reading entirely
// (a slow client) while the server keeps sending.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "support/http_client.hpp"

namespace carehub::test {

class WsClient {
 public:
  // Upgrades GET target. Throws HttpError("upgrade refused: HTTP <status> <body>") when the
  // server answers without switching protocols.
  // receive_buffer_bytes > 0 fixes the socket's receive buffer (SO_RCVBUF, which also stops the
  // kernel growing it): a client that never reads then pushes back after that much, whatever
  // the machine's net.ipv4.tcp_rmem allows (up to 32 MB on some).
  WsClient(int port, const std::string& target, const HttpHeaders& headers = {},
           std::chrono::milliseconds timeout = std::chrono::seconds(10),
           int receive_buffer_bytes = 0);
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // The next text message; nullopt at the timeout. After the server closed, nullopt at once and
  // closed() is true.
  std::optional<std::string> read(std::chrono::milliseconds timeout);
  void send(const std::string& text);
  void close();
  bool closed() const;
  // The code and reason of the server's close frame (when it sent one).
  int close_code() const;
  std::string close_reason() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace carehub::test
