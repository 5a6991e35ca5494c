#include "auth/account_states.hpp"

#include <mutex>

namespace carehub::auth {

std::optional<AccountState> AccountStates::get(std::int64_t user_id, const Loader& load) {
  std::uint64_t epoch = 0;
  {
    std::shared_lock lock(mutex_);
    if (auto it = states_.find(user_id); it != states_.end()) return it->second;
    epoch = epoch_;
  }
  auto state = load();
  if (state) {
    std::unique_lock lock(mutex_);
    if (epoch_ == epoch) {
      // Bounded: when full, start again (every entry is a row read away).
      if (states_.size() >= max_entries_) states_.clear();
      states_[user_id] = *state;
    }
  }
  return state;
}

void AccountStates::forget(std::int64_t user_id) {
  std::unique_lock lock(mutex_);
  states_.erase(user_id);
  ++epoch_;
}

void AccountStates::forget_all() {
  std::unique_lock lock(mutex_);
  states_.clear();
  ++epoch_;
}

std::size_t AccountStates::size() const {
  std::shared_lock lock(mutex_);
  return states_.size();
}

}  // namespace carehub::auth
