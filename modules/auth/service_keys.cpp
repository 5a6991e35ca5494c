// Signing keys at run time: the ring in use, rotation and removal through the admin API, and
// picking up keys another server wrote into a shared keys_dir.
#include <chrono>

#include "auth/service.hpp"
#include "carehub/error.hpp"
#include "carehub/log.hpp"

namespace carehub::auth {
namespace {

// A token naming an unknown kid makes the server look at keys_dir (a directory listing: cheap);
// a flood of forged kids makes it look at most this often.
constexpr std::int64_t kMinKeyScanIntervalMs = 250;

KeyRingConfig key_ring_config(const AuthConfig& c) {
  KeyRingConfig kc;
  kc.algorithm = c.signing_algorithm;
  if (!c.signing_key.empty()) kc.pem_keys = {c.signing_key};
  kc.keys_dir = c.keys_dir;
  return kc;
}

}  // namespace

std::shared_ptr<const AuthService::SigningKeys> AuthService::signing() const {
  std::lock_guard lock(signing_mutex_);
  return signing_;
}

void AuthService::reload_keys_for_unknown_kid() {
  {
    std::lock_guard lock(signing_mutex_);
    const std::int64_t now = clock_.now_ms();
    if (now - last_key_scan_ms_ < kMinKeyScanIntervalMs) return;
    last_key_scan_ms_ = now;
  }
  reload_keys(true);
}

void AuthService::reload_keys(bool only_if_changed) {
  const bool from_dir = config_.signing_key.empty();
  if (only_if_changed && !from_dir) return;
  std::string fingerprint;
  if (from_dir) fingerprint = KeyRing::directory_fingerprint(config_.keys_dir);
  {
    std::lock_guard lock(signing_mutex_);
    if (only_if_changed && fingerprint == keys_fingerprint_) return;
  }
  KeyRing ring = KeyRing::load_or_generate(key_ring_config(config_));
  JwkSet verify = ring.verification_keys();
  std::vector<std::string> algorithms = ring.algorithms();
  const std::string active = ring.active_kid();
  auto keys = std::make_shared<const SigningKeys>(
      SigningKeys{std::move(ring), std::move(verify), std::move(algorithms)});
  if (from_dir) fingerprint = KeyRing::directory_fingerprint(config_.keys_dir);  // after a generate
  std::lock_guard lock(signing_mutex_);
  const bool first = !signing_;
  signing_ = std::move(keys);
  keys_fingerprint_ = fingerprint;
  if (!first) log_info("auth_signing_keys_reloaded", {{"active_kid", active}});
}

std::vector<KeyRing::KeyInfo> AuthService::signing_keys() {
  reload_keys(true);
  return signing()->ring.describe();
}

std::string AuthService::rotate_signing_key(const Request& request) {
  if (!config_.signing_key.empty()) {
    throw ApiError(ErrorCode::kConflict,
                   "the signing key comes from the configuration (auth.signing_key); rotate it "
                   "there");
  }
  // Through a copy of the current ring: rotate() writes the new key file; the reload below makes
  // every request see the new ring at once.
  KeyRing ring = KeyRing::load_or_generate(key_ring_config(config_));
  const std::string kid = ring.rotate();
  reload_keys(false);
  db_.transact([&](Tx& tx) {
    AuditEvent e = AuditLog::from_request(request, "auth.key_rotate", "signing_key", kid);
    audit_.record(tx, e);
  });
  return kid;
}

void AuthService::remove_signing_key(const Request& request, const std::string& kid) {
  if (!config_.signing_key.empty()) {
    throw ApiError(ErrorCode::kConflict,
                   "the signing key comes from the configuration (auth.signing_key)");
  }
  reload_keys(true);
  const auto keys = signing()->ring.describe();
  auto it = std::find_if(keys.begin(), keys.end(), [&](const auto& k) { return k.kid == kid; });
  if (it == keys.end()) throw ApiError(ErrorCode::kNotFound, "no signing key " + kid);
  if (it->active) {
    throw ApiError(ErrorCode::kConflict,
                   "this key signs new tokens; rotate first, then remove the old key");
  }
  if (!KeyRing::remove_key_file(config_.keys_dir, kid))
    throw ApiError(ErrorCode::kNotFound, "no signing key " + kid);
  reload_keys(false);
  verified_.clear();  // tokens it signed were verified and cached: they must fail from now on
  db_.transact([&](Tx& tx) {
    audit_.record(tx, AuditLog::from_request(request, "auth.key_remove", "signing_key", kid));
  });
}

}  // namespace carehub::auth
