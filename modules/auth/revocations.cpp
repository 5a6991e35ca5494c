#include "auth/revocations.hpp"

#include <mutex>

namespace carehub::auth {

bool AccessRevocations::revoked(std::int64_t user_id, std::int64_t issued_at_s) const {
  std::shared_lock lock(mutex_);
  auto it = not_before_.find(user_id);
  return it != not_before_.end() && issued_at_s < it->second;
}

void AccessRevocations::apply(std::int64_t user_id, std::int64_t not_before_s) {
  std::unique_lock lock(mutex_);
  auto& marker = not_before_[user_id];
  if (marker < not_before_s) marker = not_before_s;
}

void AccessRevocations::replace(const std::vector<std::pair<std::int64_t, std::int64_t>>& markers,
                                std::int64_t forget_before_s) {
  std::unordered_map<std::int64_t, std::int64_t> fresh;
  for (const auto& [user, second] : markers) {
    if (second >= forget_before_s) fresh[user] = second;
  }
  std::unique_lock lock(mutex_);
  // A marker applied locally after the reload's query ran must survive the swap.
  for (const auto& [user, second] : not_before_) {
    if (second >= forget_before_s) {
      auto& m = fresh[user];
      if (m < second) m = second;
    }
  }
  not_before_ = std::move(fresh);
}

std::size_t AccessRevocations::size() const {
  std::shared_lock lock(mutex_);
  return not_before_.size();
}

}  // namespace carehub::auth
