// A fixed-window rate limiter keyed by a string (a client address, an account): in memory, per
// process. Used for login attempts and anything else a module must not let a client hammer.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "carehub/clock.hpp"

namespace carehub {

class RateLimiter {
 public:
  RateLimiter(const Clock& clock, int limit, std::int64_t window_ms, std::size_t max_keys = 100000)
      : clock_(clock), limit_(limit), window_ms_(window_ms), max_keys_(max_keys) {}

  // Counts one attempt. Returns 0 when allowed, else the milliseconds until the window resets.
  std::int64_t hit(const std::string& key);

 private:
  struct Window {
    std::int64_t start_ms = 0;
    int count = 0;
  };
  void evict_expired(std::int64_t now);

  const Clock& clock_;
  const int limit_;
  const std::int64_t window_ms_;
  const std::size_t max_keys_;
  std::mutex mutex_;
  std::unordered_map<std::string, Window> windows_;
};

}  // namespace carehub
