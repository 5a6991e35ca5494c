// Rate limits for every route class (server.rate_limits): token buckets per client address and
// per principal, in memory, per process. A request past its bucket gets 429 with Retry-After,
// counted in /metrics. The sign-in throttle (per login and address, in the database) still
// applies on top for passwords.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "carehub/config.hpp"
#include "carehub/metrics.hpp"
#include "carehub/router.hpp"

namespace carehub {

enum class RouteClass { kAuthentication, kWrites, kReads, kUploads, kStreams, kExempt };
inline constexpr std::size_t kRouteClasses = 5;  // the limited ones

// The class of a route: sign-in and tokens, uploads (spooled bodies), streams (WebSocket and
// event streams, opened with a ticket), otherwise reads (GET, HEAD) and writes. Health probes are
// exempt: an orchestrator polling them must never be refused.
RouteClass route_class(const Route& route);
const char* route_class_name(RouteClass c);

// Tokens per key, refilled continuously; a key holds at most a minute's worth (the burst).
class TokenBuckets {
 public:
  explicit TokenBuckets(int per_minute, std::size_t max_keys = 100000)
      : per_minute_(per_minute), max_keys_(max_keys) {}
  // Takes a token. 0 when there was one; else the milliseconds until there is.
  std::int64_t take(const std::string& key, std::int64_t now_ms);

 private:
  struct Bucket {
    double tokens;
    std::int64_t at_ms;
  };
  void evict_full(std::int64_t now_ms);
  const int per_minute_;
  const std::size_t max_keys_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

class RateLimits {
 public:
  RateLimits(const RateLimitConfig& config, Metrics& metrics);
  // Takes a token of the class for this client address, or for this principal (a subject): 0 or
  // nullopt when the request may go on (or its class is exempt or unlimited), else the
  // milliseconds until it may.
  std::optional<std::int64_t> by_address(RouteClass c, const std::string& address);
  std::optional<std::int64_t> by_principal(RouteClass c, const std::string& subject);

 private:
  using Buckets = std::array<std::optional<TokenBuckets>, kRouteClasses>;
  using Counters = std::array<std::atomic<std::uint64_t>, kRouteClasses>;
  static std::optional<std::int64_t> take(Buckets& buckets, Counters& refused, RouteClass c,
                                          const std::string& key);
  Buckets by_address_, by_principal_;
  Counters refused_by_address_{}, refused_by_principal_{};
};

}  // namespace carehub
