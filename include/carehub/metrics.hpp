// Prometheus metrics: requests by route pattern and status, a latency histogram, requests in
// flight. Collectors registered by the core add database pool use and jobs by queue and state at
// scrape time.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace carehub {

class Metrics {
 public:
  void request_started() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
  void request_finished(const std::string& route, const char* method, int status, double seconds);
  // An idle connection nobody authenticated on was closed to make room for a new one.
  void connection_evicted() { evicted_.fetch_add(1, std::memory_order_relaxed); }
  // A TLS handshake failed (an old protocol, no shared cipher, plain HTTP on the TLS port).
  void tls_handshake_failed() { tls_failed_.fetch_add(1, std::memory_order_relaxed); }
  // The certificate was loaded again (SIGHUP or a changed file): ok, or refused and kept.
  void tls_reloaded(bool ok) {
    (ok ? tls_reloads_ : tls_reloads_refused_).fetch_add(1, std::memory_order_relaxed);
  }
  // A function that appends lines in Prometheus text format at scrape time.
  void add_collector(std::function<void(std::string&)> collector);
  std::string render() const;  // text/plain; version=0.0.4
  // Requests answered since start, by status class, and those in flight (the status screen).
  struct Totals {
    std::uint64_t requests = 0;
    std::uint64_t client_errors = 0;  // 4xx
    std::uint64_t server_errors = 0;  // 5xx
    long in_flight = 0;
  };
  Totals totals() const;

 private:
  struct RouteStats {
    std::map<std::pair<std::string, int>, std::uint64_t> by_method_status;
    std::vector<std::uint64_t> buckets;
    double sum = 0;
    std::uint64_t count = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::string, RouteStats> routes_;
  std::atomic<long> in_flight_{0};
  std::atomic<std::uint64_t> evicted_{0};
  std::atomic<std::uint64_t> tls_failed_{0};
  std::atomic<std::uint64_t> tls_reloads_{0};
  std::atomic<std::uint64_t> tls_reloads_refused_{0};
  std::vector<std::function<void(std::string&)>> collectors_;
};

}  // namespace carehub
