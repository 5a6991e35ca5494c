#include "carehub/rate_limit.hpp"

namespace carehub {

std::int64_t RateLimiter::hit(const std::string& key) {
  const std::int64_t now = clock_.now_ms();
  std::lock_guard lock(mutex_);
  if (windows_.size() >= max_keys_) evict_expired(now);
  auto& w = windows_[key];
  if (now - w.start_ms >= window_ms_) w = Window{now, 0};
  if (w.count >= limit_) return w.start_ms + window_ms_ - now;
  ++w.count;
  return 0;
}

// Bounded memory whatever the number of clients: expired windows go first, and if every window
// is live the table is cleared (a flood of distinct keys then costs a reset, not memory).
void RateLimiter::evict_expired(std::int64_t now) {
  for (auto it = windows_.begin(); it != windows_.end();) {
    it = now - it->second.start_ms >= window_ms_ ? windows_.erase(it) : std::next(it);
  }
  if (windows_.size() >= max_keys_) windows_.clear();
}

}  // namespace carehub
