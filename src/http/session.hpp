// One HTTP connection: read, route, handle, write, until the client or the server ends it.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "carehub/config.hpp"
#include "carehub/metrics.hpp"
#include "http/edge.hpp"
#include "http/pipeline.hpp"

namespace carehub {

struct Connection {
  explicit Connection(boost::asio::ip::tcp::socket socket) : stream(std::move(socket)) {}
  boost::beast::tcp_stream stream;
  std::uint64_t id = 0;
  bool idle = true;  // waiting for a request's first byte; touched only on the connection's strand
  // No request on it has authenticated yet (the server counts these and caps them).
  std::atomic<bool> anonymous{true};
  // Reading a request (or waiting for one), with no handler running and no answer going out: the
  // server may close it to make room for another connection, losing nothing acknowledged.
  std::atomic<bool> evictable{true};
  std::atomic<bool> evicted{false};
  // Set while the connection is a live one (WebSocket, event stream): closes it for a drain.
  // Touched only on the connection's strand.
  std::function<void()> live_close;
};

class SessionHost {
 public:
  virtual ~SessionHost() = default;
  virtual const ServerConfig& config() const = 0;
  virtual const Pipeline& pipeline() const = 0;
  virtual Metrics& metrics() = 0;
  virtual boost::asio::thread_pool& workers() = 0;
  virtual bool shutting_down() const = 0;
  // A slot for one more upload (a spooled body) by this caller, released when the pointer goes;
  // nullptr when they already have server.max_uploads_per_principal under way.
  virtual std::shared_ptr<void> upload_slot(const std::string& caller) = 0;
  // A request on conn authenticated: it no longer counts as anonymous.
  virtual void authenticated(Connection& conn) = 0;
  // The TLS context new connections are served with (the certificate now in use), or nullptr
  // when the server speaks plain HTTP. A connection keeps the one it started with.
  virtual std::shared_ptr<boost::asio::ssl::context> tls_context() = 0;
  virtual const TrustedProxies& proxies() const = 0;
  virtual const CorsPolicy& cors() const = 0;
};

// Serves conn until either side ends it: over TLS, after its handshake, when the host has a TLS
// context; over plain TCP otherwise.
boost::asio::awaitable<void> run_session(SessionHost& host, std::shared_ptr<Connection> conn);

}  // namespace carehub
