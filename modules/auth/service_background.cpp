// Access-token revocation across servers, and housekeeping of expired tokens.
#include <charconv>
#include <chrono>

#include "auth/service.hpp"
#include "carehub/log.hpp"

namespace carehub::auth {
namespace {

// Its payload is the id of the user whose credentials were revoked.
constexpr const char* kRevocationChannel = "auth_revocations";
// Without a notification the thread still looks every so often: everything known of accounts is
// dropped, so a missed notification (a reconnect to PostgreSQL) delays a revocation on this
// server by this much at worst. Rotated keys in a shared keys_dir are noticed at the same pace
// (or at once, when a token names an unknown kid).
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
  store_.bump_token_generation(tx, user_id);
  // Dropped once committed: the request that revoked is answered after this runs, so from then
  // on no request here passes with the old generation.
  tx.on_commit([this, user_id] { accounts_.forget(user_id); });
  db_.notify(tx, kRevocationChannel, std::to_string(user_id));
}

void AuthService::apply_revocation_events(bool woken) {
  const auto payloads = revocation_events_->take_payloads();
  // SQLite wakes without payloads (this process's own changes, already applied on commit); a
  // timeout may hide a missed notification: then forget everyone, rows are cheap to read again.
  bool named_all = woken && !payloads.empty();
  for (const auto& payload : payloads) {
    std::int64_t id = 0;
    const auto [end, ec] = std::from_chars(payload.data(), payload.data() + payload.size(), id);
    if (ec != std::errc{} || end != payload.data() + payload.size()) named_all = false;
    if (ec == std::errc{}) accounts_.forget(id);
  }
  if (!named_all) accounts_.forget_all();
}

void AuthService::start_background() {
  revocation_events_ = db_.subscribe(kRevocationChannel);
  accounts_.forget_all();  // anything read before the subscription may have missed a change
  background_ = std::jthread([this](std::stop_token stop) {
    while (!stop.stop_requested()) {
      try {
        const bool woken = revocation_events_->wait(
            std::chrono::duration_cast<std::chrono::milliseconds>(kPollInterval));
        if (stop.stop_requested()) break;
        apply_revocation_events(woken);
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
