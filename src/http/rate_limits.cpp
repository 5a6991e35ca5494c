#include "http/rate_limits.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace carehub {

RouteClass route_class(const Route& route) {
  if (route.pattern == "/healthz" || route.pattern == "/readyz") return RouteClass::kExempt;
  if (route.pattern.starts_with("/api/v1/auth/")) return RouteClass::kAuthentication;
  if (route.options.spool_body) return RouteClass::kUploads;
  if (!route.options.ticket_purpose.empty()) return RouteClass::kStreams;
  if (route.method == Method::kGet || route.method == Method::kHead) return RouteClass::kReads;
  return RouteClass::kWrites;
}

const char* route_class_name(RouteClass c) {
  switch (c) {
    case RouteClass::kAuthentication: return "authentication";
    case RouteClass::kWrites: return "writes";
    case RouteClass::kReads: return "reads";
    case RouteClass::kUploads: return "uploads";
    case RouteClass::kStreams: return "streams";
    case RouteClass::kExempt: break;
  }
  return "exempt";
}

std::int64_t TokenBuckets::take(const std::string& key, std::int64_t now_ms) {
  const double capacity = per_minute_;
  const double per_ms = per_minute_ / 60000.0;
  std::lock_guard lock(mutex_);
  if (buckets_.size() >= max_keys_ && !buckets_.contains(key)) evict_full(now_ms);
  auto [it, fresh] = buckets_.try_emplace(key, Bucket{capacity, now_ms});
  auto& b = it->second;
  b.tokens = std::min(capacity, b.tokens + static_cast<double>(now_ms - b.at_ms) * per_ms);
  b.at_ms = now_ms;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return 0;
  }
  return std::max<std::int64_t>(1, static_cast<std::int64_t>((1.0 - b.tokens) / per_ms) + 1);
}

// Bounded memory whatever the number of clients: buckets that have refilled are the same as
// absent ones and go first; if none has, the table is cleared (a flood of distinct keys then
// costs a reset, not memory).
void TokenBuckets::evict_full(std::int64_t now_ms) {
  const double per_ms = per_minute_ / 60000.0;
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const bool full =
        it->second.tokens + static_cast<double>(now_ms - it->second.at_ms) * per_ms >= per_minute_;
    it = full ? buckets_.erase(it) : std::next(it);
  }
  if (buckets_.size() >= max_keys_) buckets_.clear();
}

RateLimits::RateLimits(const RateLimitConfig& config, Metrics& metrics) {
  const std::array<int, kRouteClasses> per_minute{
      config.authentication_per_minute, config.writes_per_minute, config.reads_per_minute,
      config.uploads_per_minute, config.streams_per_minute};
  for (std::size_t c = 0; c < kRouteClasses; ++c) {
    if (per_minute[c] <= 0) continue;  // unlimited
    by_address_[c].emplace(per_minute[c]);
    by_principal_[c].emplace(per_minute[c]);
  }
  metrics.add_collector([this](std::string& out) {
    out +=
        "# HELP carehub_rate_limited_total Requests refused with 429 by a route class's limit, "
        "by client address or by principal.\n"
        "# TYPE carehub_rate_limited_total counter\n";
    for (std::size_t c = 0; c < kRouteClasses; ++c) {
      const char* name = route_class_name(static_cast<RouteClass>(c));
      fmt::format_to(std::back_inserter(out),
                     "carehub_rate_limited_total{{class=\"{}\",by=\"address\"}} {}\n"
                     "carehub_rate_limited_total{{class=\"{}\",by=\"principal\"}} {}\n",
                     name, refused_by_address_[c].load(), name, refused_by_principal_[c].load());
    }
  });
}

std::optional<std::int64_t> RateLimits::take(Buckets& buckets, Counters& refused, RouteClass c,
                                             const std::string& key) {
  if (c == RouteClass::kExempt) return std::nullopt;
  const auto i = static_cast<std::size_t>(c);
  if (!buckets[i]) return std::nullopt;
  const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  const auto wait = buckets[i]->take(key, now);
  if (wait == 0) return std::nullopt;
  refused[i].fetch_add(1, std::memory_order_relaxed);
  return wait;
}

std::optional<std::int64_t> RateLimits::by_address(RouteClass c, const std::string& address) {
  return take(by_address_, refused_by_address_, c, address);
}

std::optional<std::int64_t> RateLimits::by_principal(RouteClass c, const std::string& subject) {
  return take(by_principal_, refused_by_principal_, c, subject);
}

}  // namespace carehub
