// What this server knows of signed-in users' accounts, so that checking an access token on every
// request costs a hash lookup, not a row read: whether the account exists, whether it is active,
// and its token generation (tokens of an older generation are revoked). The database holds the
// truth. An entry is dropped when this server commits a change to it and when another server
// announces one (the "auth_revocations" notification carries the user id); the next request for
// that user reads the row again.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <shared_mutex>
#include <unordered_map>

namespace carehub::auth {

struct AccountState {
  std::int64_t token_generation = 0;
  bool active = false;
};

class AccountStates {
 public:
  using Loader = std::function<std::optional<AccountState>()>;
  explicit AccountStates(std::size_t max_entries = 100'000) : max_entries_(max_entries) {}

  // The user's state; on a miss, load() reads it (nullopt: no such account, which is not kept).
  // What load() gives is kept only if nothing was forgotten while it ran: a read that raced with
  // a revocation must not bring the old state back once the revocation has dropped it.
  std::optional<AccountState> get(std::int64_t user_id, const Loader& load);
  void forget(std::int64_t user_id);
  void forget_all();
  std::size_t size() const;

 private:
  const std::size_t max_entries_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::int64_t, AccountState> states_;
  std::uint64_t epoch_ = 0;  // moves on every forget
};

}  // namespace carehub::auth
