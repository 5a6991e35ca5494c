#include "auth/login_throttle.hpp"

#include <algorithm>

#include "carehub/hash.hpp"

namespace carehub::auth {

LoginThrottle::LoginThrottle(const AuthConfig& config)
    : free_failures_(config.lockout_failures),
      max_wait_ms_(config.lockout_s * 1000),
      ceiling_(config.login_ceiling),
      window_ms_(config.login_ceiling_window_s * 1000),
      interval_ms_(config.login_ceiling_interval_ms) {}

std::string LoginThrottle::key_of(std::optional<std::int64_t> user_id, std::string_view login) {
  return sha256_hex(user_id ? "user:" + std::to_string(*user_id) : "login:" + lower_ascii(login));
}

std::int64_t LoginThrottle::wait_after(int failures) const {
  if (failures < free_failures_) return 0;
  const int doublings = std::min(failures - free_failures_, 40);
  return std::min<std::int64_t>(std::int64_t{1000} << doublings, max_wait_ms_);
}

std::int64_t LoginThrottle::wait_ms(Tx& tx, AuthStore& store, const std::string& key,
                                    const std::string& address, std::int64_t now_ms) const {
  const auto hold = store.login_hold(tx, key, address);
  return std::max<std::int64_t>(
      {0, hold.address_until_ms - now_ms, hold.anywhere_until_ms - now_ms});
}

LoginThrottle::Failure LoginThrottle::record_failure(Tx& tx, AuthStore& store,
                                                     const std::string& key,
                                                     const std::string& address,
                                                     std::int64_t now_ms) const {
  Failure out;
  const int in_a_row = store.add_login_failure(tx, key, address, now_ms);
  out.wait_ms = wait_after(in_a_row);
  if (out.wait_ms > 0) store.hold_login_at_address(tx, key, address, now_ms + out.wait_ms);
  const auto count = store.add_ceiling_failure(tx, key, now_ms, window_ms_);
  out.failures_in_window = count.failures;
  if (count.failures >= ceiling_) {
    out.ceiling_reached = !count.alerted;
    if (out.ceiling_reached) out.addresses = store.failing_addresses(tx, key, now_ms - window_ms_);
    store.mark_ceiling(tx, key, true, now_ms + interval_ms_);
  }
  return out;
}

void LoginThrottle::record_success(Tx& tx, AuthStore& store, const std::string& key,
                                   const std::string& address) const {
  store.clear_login_failures(tx, key, address);
}

}  // namespace carehub::auth
