#include "carehub/metrics.hpp"

#include <fmt/format.h>

#include <array>

namespace carehub {
namespace {

constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                             0.05,   0.1,   0.25,   0.5,   1.0,  5.0};

}  // namespace

void Metrics::request_finished(const std::string& route, const char* method, int status,
                               double seconds) {
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  std::lock_guard lock(mutex_);
  auto& stats = routes_[route];
  if (stats.buckets.empty()) stats.buckets.assign(kBuckets.size(), 0);
  ++stats.by_method_status[{method, status}];
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++stats.buckets[i];
  }
  stats.sum += seconds;
  ++stats.count;
}

Metrics::Totals Metrics::totals() const {
  Totals t;
  t.in_flight = in_flight_.load(std::memory_order_relaxed);
  std::lock_guard lock(mutex_);
  for (const auto& [route, stats] : routes_) {
    for (const auto& [method_status, count] : stats.by_method_status) {
      t.requests += count;
      if (method_status.second >= 500) {
        t.server_errors += count;
      } else if (method_status.second >= 400) {
        t.client_errors += count;
      }
    }
  }
  return t;
}

void Metrics::add_collector(std::function<void(std::string&)> collector) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(collector));
}

std::string Metrics::render() const {
  std::string out;
  auto add = [&out](std::string_view s) { out.append(s); };
  std::vector<std::function<void(std::string&)>> collectors;
  {
    std::lock_guard lock(mutex_);
    add("# HELP carehub_http_requests_total HTTP requests answered, by route pattern, method and "
        "status.\n");
    add("# TYPE carehub_http_requests_total counter\n");
    for (const auto& [route, stats] : routes_) {
      for (const auto& [key, count] : stats.by_method_status) {
        add(fmt::format(
            "carehub_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{}\"}} {}\n", route,
            key.first, key.second, count));
      }
    }
    add("# HELP carehub_http_request_duration_seconds Time from request read to response "
        "written.\n");
    add("# TYPE carehub_http_request_duration_seconds histogram\n");
    for (const auto& [route, stats] : routes_) {
      for (std::size_t i = 0; i < kBuckets.size(); ++i) {
        add(fmt::format(
            "carehub_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", route,
            kBuckets[i], stats.buckets[i]));
      }
      add(fmt::format(
          "carehub_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", route,
          stats.count));
      add(fmt::format("carehub_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n", route,
                      stats.sum));
      add(fmt::format("carehub_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", route,
                      stats.count));
    }
    collectors = collectors_;
  }
  add("# HELP carehub_http_requests_in_flight Requests being handled now.\n");
  add("# TYPE carehub_http_requests_in_flight gauge\n");
  add(fmt::format("carehub_http_requests_in_flight {}\n", in_flight_.load()));
  add("# HELP carehub_http_connections_evicted_total Idle unauthenticated connections closed to "
      "make room.\n");
  add("# TYPE carehub_http_connections_evicted_total counter\n");
  add(fmt::format("carehub_http_connections_evicted_total {}\n", evicted_.load()));
  add("# HELP carehub_tls_handshake_failures_total TLS handshakes that failed.\n");
  add("# TYPE carehub_tls_handshake_failures_total counter\n");
  add(fmt::format("carehub_tls_handshake_failures_total {}\n", tls_failed_.load()));
  add("# HELP carehub_tls_reloads_total Certificate reloads, by result (refused: the old one "
      "stayed in use).\n");
  add("# TYPE carehub_tls_reloads_total counter\n");
  add(fmt::format("carehub_tls_reloads_total{{result=\"ok\"}} {}\n", tls_reloads_.load()));
  add(fmt::format("carehub_tls_reloads_total{{result=\"refused\"}} {}\n",
                  tls_reloads_refused_.load()));
  for (const auto& c : collectors) c(out);
  return out;
}

}  // namespace carehub
