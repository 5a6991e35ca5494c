#include "http/server.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "carehub/log.hpp"
#include "carehub/tls.hpp"
#include "http/redirect.hpp"
#include "http/session.hpp"

namespace carehub {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct HttpServer::Impl final : SessionHost {
  Impl(const ServerConfig& c, const Pipeline& p, Metrics& m, TlsReloads& reloads)
      : config_(c),
        pipeline_(p),
        metrics_(m),
        reloads_(reloads),
        iocs_(make_contexts(c.io_threads)),
        ioc_(*iocs_.front()),
        pool_(static_cast<std::size_t>(c.worker_threads)),
        acceptor_(ioc_),
        redirect_acceptor_(ioc_),
        proxies_(c.trusted_proxies),
        cors_(c.cors_origins),
        signals_(ioc_, SIGINT, SIGTERM),
        hangup_(ioc_, SIGHUP),
        grace_timer_(ioc_),
        tls_check_timer_(ioc_) {
    for (auto& ctx : iocs_) guards_.emplace_back(ctx->get_executor());
    if (c.tls.enabled()) {
      tls_ = std::make_shared<ReloadableTls>(c.tls);  // throws ConfigError: no start
      reloads_.add(tls_);
    }
    if (c.redirect_http_port != 0 && !c.tls.enabled()) {
      throw ConfigError(
          "server.redirect_http_port: a redirect to https needs HTTPS on (server.tls.cert_file)");
    }
    if (c.redirect_http_port != 0 && c.redirect_http_port == c.port) {
      throw ConfigError("server.redirect_http_port: " + std::to_string(c.port) +
                        " is server.port itself");
    }
  }

  // One io_context per I/O thread: a connection lives on one thread for its whole life, so it
  // needs no strand and its handlers never contend for a shared scheduler.
  static std::vector<std::unique_ptr<asio::io_context>> make_contexts(int n) {
    std::vector<std::unique_ptr<asio::io_context>> out;
    for (int i = 0; i < n; ++i) out.push_back(std::make_unique<asio::io_context>(1));
    return out;
  }

  // SessionHost
  const ServerConfig& config() const override { return config_; }
  const Pipeline& pipeline() const override { return pipeline_; }
  Metrics& metrics() override { return metrics_; }
  asio::thread_pool& workers() override { return pool_; }
  bool shutting_down() const override { return shutting_down_.load(); }

  std::shared_ptr<void> upload_slot(const std::string& caller) override {
    {
      std::lock_guard lock(uploads_mutex_);
      int& n = uploads_[caller];
      if (n >= config_.max_uploads_per_principal) return nullptr;
      ++n;
    }
    // The pointer's deleter gives the slot back; what it points to does not matter.
    return std::shared_ptr<void>(this, [this, caller](void*) {
      std::lock_guard lock(uploads_mutex_);
      if (--uploads_[caller] <= 0) uploads_.erase(caller);
    });
  }

  void authenticated(Connection& conn) override {
    if (conn.anonymous.exchange(false)) anonymous_.fetch_sub(1);
  }

  const TrustedProxies& proxies() const override { return proxies_; }
  const CorsPolicy& cors() const override { return cors_; }

  std::shared_ptr<asio::ssl::context> tls_context() override {
    return tls_ ? tls_->current() : nullptr;
  }

  // Every listener's certificate (HTTPS, DICOM) read again: on SIGHUP all of them, on the poll
  // those whose files changed. On the worker pool: reading and parsing files is blocking work no
  // socket thread should wait for.
  void reload_certificates(bool hangup) {
    const auto now = std::chrono::steady_clock::now();
    for (const auto& tls : reloads_.all()) {
      const auto taken = hangup ? tls->reload("SIGHUP", false) : tls->check_if_due(now);
      if (taken) metrics_.tls_reloaded(*taken);
    }
  }

  void watch_hangup() {
    hangup_.async_wait([this](boost::system::error_code ec, int) {
      if (ec) return;
      asio::post(pool_, [this] { reload_certificates(true); });
      watch_hangup();
    });
  }

  // The poll for replaced certificate files: each listener's every reload_check_s, looked at once
  // a second.
  void watch_tls_files() {
    tls_check_timer_.expires_after(std::chrono::seconds(1));
    tls_check_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      asio::post(pool_, [this] { reload_certificates(false); });
      watch_tls_files();
    });
  }

  // Makes room for a new connection when the server is full, or full of connections nobody has
  // authenticated on: the oldest one that never authenticated and is only waiting for (or
  // reading) a request is closed. Idle sockets opened by a stranger, who can open them faster
  // than any timeout closes them, can then never keep /healthz or a signed-in user out. False
  // when there is no such connection.
  bool evict_one_anonymous() {
    std::shared_ptr<Connection> victim;
    {
      std::lock_guard lock(mutex_);
      for (auto& [id, weak] : connections_) {  // by id: oldest first
        auto c = weak.lock();
        if (c && c->anonymous && c->evictable && !c->evicted) {
          victim = std::move(c);
          break;
        }
      }
    }
    if (!victim || victim->evicted.exchange(true)) return false;
    asio::post(victim->stream.get_executor(), [victim] {
      boost::system::error_code ignored;
      if (victim->evictable) victim->stream.socket().close(ignored);
    });
    return true;
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      boost::system::error_code ec;
      auto& target = *iocs_[next_context_++ % iocs_.size()];
      tcp::socket socket =
          co_await acceptor_.async_accept(target, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (!acceptor_.is_open() || shutting_down_) co_return;
        log_warn("accept_failed", {{"error", ec.message()}});
        asio::steady_timer pause(ioc_, std::chrono::milliseconds(50));  // e.g. out of descriptors
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      const bool full = active_.load() >= config_.max_connections;
      if (full || anonymous_.load() >= config_.max_anonymous_connections) {
        const bool evicted = evict_one_anonymous();
        if (full && !evicted) {
          socket.close(ec);
          continue;
        }
        if (evicted) metrics_.connection_evicted();
      }
      socket.set_option(tcp::no_delay(true), ec);
      auto conn = std::make_shared<Connection>(std::move(socket));
      track(conn);
      asio::co_spawn(conn->stream.get_executor(), run_session(*this, conn),
                     [this, conn](std::exception_ptr e) {
                       if (e) {
                         try {
                           std::rethrow_exception(e);
                         } catch (const std::exception& ex) {
                           log_error("session_failed", {{"detail", ex.what()}});
                         }
                       }
                       untrack(conn);
                     });
    }
  }

  // The redirect listener: one request per connection, answered with a 301 (or a 400) and closed.
  // It holds no state worth protecting, but a flood of idle sockets is bounded all the same.
  asio::awaitable<void> redirect_loop() {
    static constexpr int kMaxRedirectConnections = 1024;
    for (;;) {
      boost::system::error_code ec;
      auto& target = *iocs_[next_context_++ % iocs_.size()];
      tcp::socket socket = co_await redirect_acceptor_.async_accept(
          target, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (!redirect_acceptor_.is_open() || shutting_down_) co_return;
        asio::steady_timer pause(ioc_, std::chrono::milliseconds(50));
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      if (redirecting_.load() >= kMaxRedirectConnections) {
        socket.close(ec);
        continue;
      }
      redirecting_.fetch_add(1);
      auto executor = socket.get_executor();
      asio::co_spawn(executor, serve_redirect(std::move(socket), config_, https_port_),
                     [this](std::exception_ptr) { redirecting_.fetch_sub(1); });
    }
  }

  void track(const std::shared_ptr<Connection>& conn) {
    std::lock_guard lock(mutex_);
    conn->id = next_id_++;
    connections_[conn->id] = conn;
    active_.fetch_add(1);
    anonymous_.fetch_add(1);
  }

  void untrack(const std::shared_ptr<Connection>& conn) {
    if (conn->anonymous.exchange(false)) anonymous_.fetch_sub(1);
    {
      std::lock_guard lock(mutex_);
      connections_.erase(conn->id);
    }
    if (active_.fetch_sub(1) == 1 && shutting_down_) asio::post(ioc_, [this] { finish(); });
  }

  // Stop accepting, close idle connections, let busy ones finish their request, and give up after
  // the grace period.
  void begin_shutdown() {
    if (shutting_down_.exchange(true)) return;
    log_info("shutting_down",
             {{"connections", active_.load()}, {"grace_ms", config_.shutdown_grace_ms}});
    boost::system::error_code ec;
    acceptor_.close(ec);
    redirect_acceptor_.close(ec);
    hangup_.cancel(ec);
    tls_check_timer_.cancel();
    std::vector<std::weak_ptr<Connection>> conns;
    {
      std::lock_guard lock(mutex_);
      for (auto& [id, c] : connections_) conns.push_back(c);
    }
    for (auto& weak : conns) {
      if (auto c = weak.lock()) {
        asio::post(c->stream.get_executor(), [c] {
          if (c->idle) c->stream.cancel();
          if (c->live_close)
            c->live_close();  // a WebSocket or event stream: closed, not waited for
        });
      }
    }
    grace_timer_.expires_after(std::chrono::milliseconds(config_.shutdown_grace_ms));
    grace_timer_.async_wait([this](boost::system::error_code wait_ec) {
      if (!wait_ec) {
        log_warn("shutdown_grace_expired", {{"connections", active_.load()}});
        forced_ = true;
        finish();
      }
    });
    if (active_.load() == 0) finish();
  }

  void finish() {
    grace_timer_.cancel();
    guards_.clear();
    for (auto& ctx : iocs_) ctx->stop();
  }

  const ServerConfig config_;
  const Pipeline& pipeline_;
  Metrics& metrics_;
  TlsReloads& reloads_;  // this server's certificate and the modules' listeners'
  std::vector<std::unique_ptr<asio::io_context>> iocs_;
  asio::io_context& ioc_;  // accepts, handles signals and the shutdown timer
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::size_t next_context_ = 0;
  asio::thread_pool pool_;
  tcp::acceptor acceptor_;
  tcp::acceptor redirect_acceptor_;  // server.redirect_http_port, when set
  std::atomic<int> redirecting_{0};
  int https_port_ = 0;  // the port the redirect points at: the one bound (server.port may be 0)
  const TrustedProxies proxies_;
  const CorsPolicy cors_;
  asio::signal_set signals_;
  asio::signal_set hangup_;  // SIGHUP: read the certificate again
  asio::steady_timer grace_timer_;
  asio::steady_timer tls_check_timer_;
  std::shared_ptr<ReloadableTls> tls_;  // null: plain HTTP
  std::atomic<bool> shutting_down_{false};
  std::atomic<bool> forced_{false};  // the grace period ran out with requests still in flight
  std::atomic<int> active_{0};
  std::atomic<int> anonymous_{0};  // connections no request has authenticated on yet
  std::mutex uploads_mutex_;
  std::unordered_map<std::string, int> uploads_;  // uploads under way, by caller
  std::mutex mutex_;
  std::map<std::uint64_t, std::weak_ptr<Connection>> connections_;
  std::uint64_t next_id_ = 1;
};

HttpServer::HttpServer(const ServerConfig& config, const Router& /*router*/,
                       const Pipeline& pipeline, Metrics& metrics, TlsReloads& certificates)
    : impl_(std::make_unique<Impl>(config, pipeline, metrics, certificates)) {}

HttpServer::~HttpServer() = default;

namespace {

void open_listener(tcp::acceptor& acceptor, const std::string& host, int port) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) throw std::runtime_error("server.host '" + host + "' is not an IP address");
  tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint, ec);
  if (ec) {
    throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                             ec.message());
  }
  acceptor.listen(asio::socket_base::max_listen_connections);
}

}  // namespace

void HttpServer::listen() {
  auto& impl = *impl_;
  open_listener(impl.acceptor_, impl.config_.host, impl.config_.port);
  if (impl.config_.redirect_http_port != 0)
    open_listener(impl.redirect_acceptor_, impl.config_.host, impl.config_.redirect_http_port);
}

bool HttpServer::run() {
  auto& impl = *impl_;
  auto bound = impl.acceptor_.local_endpoint();
  log_info("listening", {{"host", bound.address().to_string()},
                         {"port", bound.port()},
                         {"scheme", impl.tls_ ? "https" : "http"}});
  impl.signals_.async_wait([&impl](boost::system::error_code ec, int) {
    if (!ec) impl.begin_shutdown();
  });
  const auto certificates = impl.reloads_.all();
  if (!certificates.empty()) {
    impl.watch_hangup();
    if (std::any_of(certificates.begin(), certificates.end(),
                    [](const auto& t) { return t->config().reload_check_s > 0; }))
      impl.watch_tls_files();
  }
  asio::co_spawn(impl.ioc_, impl.accept_loop(), asio::detached);
  if (impl.redirect_acceptor_.is_open()) {
    impl.https_port_ = bound.port();
    log_info("redirecting", {{"port", impl.redirect_acceptor_.local_endpoint().port()},
                             {"to_port", bound.port()}});
    asio::co_spawn(impl.ioc_, impl.redirect_loop(), asio::detached);
  }
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < impl.iocs_.size(); ++i)
    threads.emplace_back([&impl, i] { impl.iocs_[i]->run(); });
  impl.ioc_.run();
  for (auto& t : threads) t.join();
  if (impl.forced_) return false;  // handlers are still running: the caller must not wait for them
  impl.pool_.join();
  log_info("stopped");
  return true;
}

void HttpServer::stop() {
  asio::post(impl_->ioc_, [this] { impl_->begin_shutdown(); });
}

}  // namespace carehub
