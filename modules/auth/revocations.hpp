// Which users' access tokens were cut short, kept in memory so that checking a request costs one
// hash lookup, not a row read. The database holds the truth (users.tokens_not_before_s); this is
// what the server learnt of it: its own changes when they commit, other servers' changes through
// the "auth_revocations" notification (PostgreSQL LISTEN/NOTIFY; in-process on SQLite).
#pragma once

#include <cstdint>
#include <shared_mutex>
#include <unordered_map>
#include <utility>
#include <vector>

namespace carehub::auth {

class AccessRevocations {
 public:
  // True when the user's access tokens issued (iat) before a recorded marker are refused and this
  // one is among them. Tokens issued in the marker's own second pass: iat has whole seconds.
  bool revoked(std::int64_t user_id, std::int64_t issued_at_s) const;
  // Records a marker (markers only move forward).
  void apply(std::int64_t user_id, std::int64_t not_before_s);
  // Replaces everything with what the database says, dropping markers older than forget_before_s
  // (no token issued before then is still unexpired).
  void replace(const std::vector<std::pair<std::int64_t, std::int64_t>>& markers,
               std::int64_t forget_before_s);
  std::size_t size() const;

 private:
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::int64_t, std::int64_t> not_before_;  // user id -> second
};

}  // namespace carehub::auth
