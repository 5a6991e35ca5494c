// First-run setup links and browser sign-ins under way: short-lived, single-use, hashed secrets.
#include "auth/auth_store.hpp"
#include "carehub/hash.hpp"

namespace carehub::auth {

namespace {
constexpr std::size_t kSetupSecretBytes = 32;  // 256 bits
}  // namespace

std::string AuthStore::create_setup_token(Tx& tx, std::int64_t ttl_ms) {
  const std::int64_t now = clock_.now_ms();
  tx.exec("DELETE FROM setup_tokens WHERE expires_at_ms <= $1", {now});
  std::string secret = random_hex(kSetupSecretBytes);
  tx.exec("INSERT INTO setup_tokens (token_hash, created_at_ms, expires_at_ms) VALUES ($1, $2, $3)",
          {sha256_hex(secret), now, now + ttl_ms});
  return secret;
}

bool AuthStore::consume_setup_token(Tx& tx, std::string_view secret) {
  // One statement checks and claims; the rest go with it: the first admin exists from now on,
  // and a link another replica logged must not make a second one.
  auto row = tx.query_one(
      "DELETE FROM setup_tokens WHERE token_hash = $1 AND expires_at_ms > $2 RETURNING token_hash",
      {sha256_hex(secret), clock_.now_ms()});
  if (!row) return false;
  tx.exec("DELETE FROM setup_tokens", {});
  return true;
}

void AuthStore::create_oidc_login(Tx& tx, std::string_view state, const PendingOidcLogin& login,
                                  std::int64_t ttl_ms) {
  const std::int64_t now = clock_.now_ms();
  tx.exec("DELETE FROM oidc_logins WHERE expires_at_ms <= $1", {now});
  tx.exec(
      "INSERT INTO oidc_logins (state_hash, code_verifier, nonce, return_to, expires_at_ms) "
      "VALUES ($1, $2, $3, $4, $5)",
      {sha256_hex(state), login.code_verifier, login.nonce, login.return_to, now + ttl_ms});
}

std::optional<AuthStore::PendingOidcLogin> AuthStore::consume_oidc_login(Tx& tx,
                                                                         std::string_view state) {
  auto row = tx.query_one(
      "DELETE FROM oidc_logins WHERE state_hash = $1 AND expires_at_ms > $2 "
      "RETURNING code_verifier, nonce, return_to",
      {sha256_hex(state), clock_.now_ms()});
  if (!row) return std::nullopt;
  return PendingOidcLogin{row->text(0), row->text(1), row->text(2)};
}

}  // namespace carehub::auth
