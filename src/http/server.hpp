// The HTTP/1.1 server on Boost.Beast: one io_context run by server.io_threads threads, a coroutine
// per connection, blocking handlers on a separate worker pool. Keep-alive with a cap on requests
// per connection; pipelined requests are answered in order, one at a time, and the server reads no
// further ahead than the parser's buffer (so a pipelining client cannot queue unbounded work).
// Header and body limits (per route), a deadline on every read and write, graceful shutdown.
#pragma once

#include <functional>
#include <memory>

#include "carehub/config.hpp"
#include "carehub/metrics.hpp"
#include "carehub/tls.hpp"
#include "http/pipeline.hpp"

namespace carehub {

class HttpServer {
 public:
  // certificates: the server adds its own (server.tls) and, from run() on, reloads every one
  // there on SIGHUP and polls their files (modules add theirs before run()).
  HttpServer(const ServerConfig& config, const Router& router, const Pipeline& pipeline,
             Metrics& metrics, TlsReloads& certificates);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds the listening socket. Throws std::runtime_error with the address on failure.
  void listen();
  // Serves until SIGTERM/SIGINT (or stop()), then drains for up to shutdown_grace_ms. Blocks.
  // Returns false when the grace period ran out with handlers still running on the worker pool:
  // the caller must then end the process without destroying the server (which would wait).
  bool run();
  void stop();  // from any thread: as if SIGTERM arrived

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace carehub
