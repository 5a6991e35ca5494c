// What failed sign-ins cost, without HTTP. A stranger's guesses must not lock the owner out (five
// of them used to lock any account, the only admin's included, and could be repeated forever),
// yet guessing must stay slow:
// - per account and client address: auth.lockout_failures failures in a row are free, then each
//   further try from that address waits 1 s, 2 s, 4 s ... up to auth.lockout_s. The owner,
//   elsewhere, is not affected; a success from the address starts its count again.
// - per account across all addresses: auth.login_ceiling failures within the window alert the
//   admins (once per window, audited) and from then on the account takes one try per
//   auth.login_ceiling_interval_ms: slow for a botnet, a second's wait for the owner.
// An unknown login is counted exactly like a known one, so no answer tells which exist.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auth/auth_config.hpp"
#include "auth/auth_store.hpp"

namespace carehub::auth {

class LoginThrottle {
 public:
  explicit LoginThrottle(const AuthConfig& config);

  // The key failures are counted under: the account when it exists, else the login as typed
  // (lower-cased); hashed, so the tables name nobody.
  static std::string key_of(std::optional<std::int64_t> user_id, std::string_view login);

  // Milliseconds until this key may be tried from address; 0: now.
  std::int64_t wait_ms(Tx& tx, AuthStore& store, const std::string& key, const std::string& address,
                       std::int64_t now_ms) const;

  struct Failure {
    std::int64_t wait_ms = 0;      // before the next try from this address
    bool ceiling_reached = false;  // this failure reached the ceiling: tell the admins
    int failures_in_window = 0;    // across all addresses
    std::int64_t addresses = 0;    // that failed within the window (when ceiling_reached)
  };
  Failure record_failure(Tx& tx, AuthStore& store, const std::string& key,
                         const std::string& address, std::int64_t now_ms) const;
  void record_success(Tx& tx, AuthStore& store, const std::string& key,
                      const std::string& address) const;

  // The wait after the n-th failure in a row from one address.
  std::int64_t wait_after(int failures) const;

 private:
  int free_failures_;
  std::int64_t max_wait_ms_;
  int ceiling_;
  std::int64_t window_ms_;
  std::int64_t interval_ms_;
};

}  // namespace carehub::auth
