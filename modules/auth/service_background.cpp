// Access-token revocation across servers, and housekeeping of expired tokens.
#include <chrono>

#include "auth/service.hpp"
#include "carehub/log.hpp"

namespace carehub::auth {
namespace {

constexpr const char* kRevocationChannel = "auth_revocations";
// Without a notification the thread still looks every so often: a missed notification (a
// reconnect to PostgreSQL) delays a revocation by this much at worst. Rotated keys in a shared
// keys_dir are noticed at the same pace (or at once, when a token names an unknown kid).
constexpr auto kPollInterval = std::chrono::seconds(30);

}  // namespace

AuthService::~AuthService() {
  if (background_.joinable()) {
    background_.request_stop();
    if (revocation_events_) revocation_events_->wake();
    background_.join();
  }
}

void AuthService::revoke_access(Tx& tx, std::int64_t user_id) {
  const std::int64_t not_before_s = clock_.now_ms() / 1000;
  store_.revoke_access_tokens(tx, user_id, not_before_s);
  tx.on_commit([this, user_id, not_before_s] { revocations_.apply(user_id, not_before_s); });
  db_.notify(tx, kRevocationChannel);
}

void AuthService::reload_revocations() {
  // A marker older than the longest access-token life (plus leeway) concerns only expired tokens.
  const std::int64_t forget_before_s = clock_.now_ms() / 1000 - config_.access_token_ttl_s - 120;
  auto markers = db_.transact(
      [&](Tx& tx) { return store_.access_revocations_since(tx, forget_before_s); }, TxMode::kRead);
  revocations_.replace(markers, forget_before_s);
}

void AuthService::start_background() {
  revocation_events_ = db_.subscribe(kRevocationChannel);  // before the first load: nothing missed
  reload_revocations();
  background_ = std::jthread([this](std::stop_token stop) {
    while (!stop.stop_requested()) {
      try {
        revocation_events_->wait(
            std::chrono::duration_cast<std::chrono::milliseconds>(kPollInterval));
        if (stop.stop_requested()) break;
        reload_revocations();
        reload_keys(true);
      } catch (const std::exception& e) {
        log_warn("auth_background_failed", {{"detail", e.what()}});
        std::this_thread::sleep_for(std::chrono::seconds(1));
      }
    }
  });
}

std::int64_t AuthService::purge_expired_tokens() {
  return db_.transact([&](Tx& tx) { return store_.purge_expired_tokens(tx); });
}

}  // namespace carehub::auth
