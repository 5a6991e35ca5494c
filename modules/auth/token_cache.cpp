#include "auth/token_cache.hpp"

#include <mutex>

namespace carehub::auth {

std::optional<Principal> VerifiedTokenCache::find(const std::string& token,
                                                  std::int64_t now_s) const {
  std::shared_lock lock(mutex_);
  auto it = entries_.find(token);
  if (it == entries_.end() || it->second.valid_until_s <= now_s) return std::nullopt;
  return it->second.principal;
}

void VerifiedTokenCache::put(const std::string& token, Principal principal,
                             std::int64_t valid_until_s, std::int64_t now_s) {
  std::unique_lock lock(mutex_);
  if (entries_.size() >= max_entries_) {
    // Expired ones first; if every entry is live, start over (a cost, never unbounded memory).
    for (auto it = entries_.begin(); it != entries_.end();) {
      it = it->second.valid_until_s <= now_s ? entries_.erase(it) : std::next(it);
    }
    if (entries_.size() >= max_entries_) entries_.clear();
  }
  entries_[token] = Entry{std::move(principal), valid_until_s};
}

std::size_t VerifiedTokenCache::size() const {
  std::shared_lock lock(mutex_);
  return entries_.size();
}

void VerifiedTokenCache::clear() {
  std::unique_lock lock(mutex_);
  entries_.clear();
}

}  // namespace carehub::auth
