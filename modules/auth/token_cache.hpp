// Access tokens already verified, until they expire. A signature check (Ed25519: ~90 µs of CPU)
// would otherwise dominate every authenticated request; a token's claims cannot change, so the
// verdict for the exact same token string can be reused until its exp. Bounded in memory.
#pragma once

#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "carehub/principal.hpp"

namespace carehub::auth {

class VerifiedTokenCache {
 public:
  explicit VerifiedTokenCache(std::size_t max_entries = 10000) : max_entries_(max_entries) {}
  std::optional<Principal> find(const std::string& token, std::int64_t now_s) const;
  void put(const std::string& token, Principal principal, std::int64_t valid_until_s,
           std::int64_t now_s);
  std::size_t size() const;
  void clear();

 private:
  struct Entry {
    Principal principal;
    std::int64_t valid_until_s;
  };
  const std::size_t max_entries_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace carehub::auth
