// API tokens for machine clients and one-time password-reset tokens.
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "auth/auth_store.hpp"
#include "auth/password.hpp"
#include "carehub/hash.hpp"
#include "carehub/json.hpp"

namespace carehub::auth {

namespace {

constexpr std::size_t kSecretBytes = 32;  // 256 bits
constexpr std::int64_t kLastUsedResolutionMs = 60'000;
constexpr const char* kApiTokenColumns =
    "id, name, scopes, created_by, created_at_ms, expires_at_ms, revoked_at_ms, last_used_ms, "
    "secret_hash";

ApiToken api_token_from_row(const Row& row) {
  ApiToken t;
  t.id = row.integer(0);
  t.name = row.text(1);
  t.scopes = parse_stored_json(row.text(2), "token scopes").get<std::vector<std::string>>();
  t.created_by = row.opt_integer(3);
  t.created_at_ms = row.integer(4);
  t.expires_at_ms = row.opt_integer(5);
  t.revoked_at_ms = row.opt_integer(6);
  t.last_used_ms = row.opt_integer(7);
  return t;
}

std::optional<Row> api_token_row(Tx& tx, std::int64_t id) {
  static const std::string sql =
      std::string("SELECT ") + kApiTokenColumns + " FROM api_tokens WHERE id = $1";
  return tx.query_one(sql, {id});
}

}  // namespace

IssuedSecret AuthStore::create_api_token(Tx& tx, const std::string& name,
                                         const std::vector<std::string>& scopes,
                                         std::optional<std::int64_t> created_by,
                                         std::optional<std::int64_t> expires_at_ms) {
  if (name.empty()) throw std::invalid_argument("an API token needs a name");
  for (const auto& scope : scopes) {
    if (scope.empty()) throw std::invalid_argument("an API token scope cannot be empty");
  }
  IssuedSecret issued;
  issued.secret = random_hex(kSecretBytes);
  issued.id = tx.query_one(
                    "INSERT INTO api_tokens (name, secret_hash, scopes, created_by, "
                    "created_at_ms, expires_at_ms) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    {name, sha256_hex(issued.secret), nlohmann::json(scopes).dump(),
                     created_by ? Param(*created_by) : Param(nullptr), clock_.now_ms(),
                     expires_at_ms ? Param(*expires_at_ms) : Param(nullptr)})
                  ->integer(0);
  return issued;
}

std::optional<ApiToken> AuthStore::find_api_token(Tx& tx, std::int64_t id) {
  auto row = api_token_row(tx, id);
  if (!row) return std::nullopt;
  return api_token_from_row(*row);
}

std::optional<ApiToken> AuthStore::authenticate_api_token(Tx& tx, std::int64_t id,
                                                          std::string_view secret) {
  const std::string presented = sha256_hex(secret);
  auto row = api_token_row(tx, id);
  if (!row || !constant_time_equals(presented, row->text(8))) return std::nullopt;
  ApiToken token = api_token_from_row(*row);
  const std::int64_t now = clock_.now_ms();
  if (!token.usable_at(now)) return std::nullopt;
  if (!token.last_used_ms || *token.last_used_ms <= now - kLastUsedResolutionMs) {
    tx.exec("UPDATE api_tokens SET last_used_ms = $2 WHERE id = $1", {id, now});
    token.last_used_ms = now;
  }
  return token;
}

std::vector<ApiToken> AuthStore::list_api_tokens(Tx& tx) {
  static const std::string sql =
      std::string("SELECT ") + kApiTokenColumns + " FROM api_tokens ORDER BY id";
  std::vector<ApiToken> out;
  for (const auto& row : tx.query(sql)) out.push_back(api_token_from_row(row));
  return out;
}

bool AuthStore::revoke_api_token(Tx& tx, std::int64_t id) {
  return tx.exec("UPDATE api_tokens SET revoked_at_ms = $2 WHERE id = $1 AND revoked_at_ms IS NULL",
                 {id, clock_.now_ms()}) > 0;
}

std::string AuthStore::create_reset_token(Tx& tx, std::int64_t user_id, std::int64_t ttl_ms) {
  const std::int64_t now = clock_.now_ms();
  // Only the newest link works: an older one lying in a mailbox cannot be used any more.
  tx.exec("DELETE FROM password_reset_tokens WHERE user_id = $1 AND used_at_ms IS NULL", {user_id});
  std::string secret = random_hex(kSecretBytes);
  tx.exec(
      "INSERT INTO password_reset_tokens (user_id, token_hash, created_at_ms, expires_at_ms) "
      "VALUES ($1, $2, $3, $4)",
      {user_id, sha256_hex(secret), now, now + ttl_ms});
  return secret;
}

std::string AuthStore::create_email_verification(Tx& tx, std::int64_t user_id,
                                                 std::int64_t ttl_ms) {
  const std::int64_t now = clock_.now_ms();
  std::string secret = random_hex(kSecretBytes);
  tx.exec("DELETE FROM email_verifications WHERE user_id = $1", {user_id});
  tx.exec(
      "INSERT INTO email_verifications (user_id, token_hash, created_at_ms, expires_at_ms) "
      "VALUES ($1, $2, $3, $4)",
      {user_id, sha256_hex(secret), now, now + ttl_ms});
  return secret;
}

std::optional<std::int64_t> AuthStore::consume_email_verification(Tx& tx, std::string_view secret) {
  auto row = tx.query_one(
      "DELETE FROM email_verifications WHERE token_hash = $1 AND expires_at_ms > $2 "
      "RETURNING user_id",
      {sha256_hex(secret), clock_.now_ms()});
  if (!row) return std::nullopt;
  return row->integer(0);
}

std::optional<std::int64_t> AuthStore::email_verification_pending_since(Tx& tx,
                                                                        std::int64_t user_id) {
  auto row =
      tx.query_one("SELECT created_at_ms FROM email_verifications WHERE user_id = $1", {user_id});
  if (!row) return std::nullopt;
  return row->integer(0);
}

std::string AuthStore::create_invitation(Tx& tx, std::string_view email, const std::string& role,
                                         std::int64_t ttl_ms) {
  const std::int64_t now = clock_.now_ms();
  std::string secret = random_hex(kSecretBytes);
  tx.exec(
      "INSERT INTO account_invitations (token_hash, email, role, created_at_ms, expires_at_ms) "
      "VALUES ($1, $2, $3, $4, $5)",
      {sha256_hex(secret), std::string(email), role, now, now + ttl_ms});
  return secret;
}

std::optional<AuthStore::Invitation> AuthStore::use_invitation(Tx& tx, std::string_view secret,
                                                               const std::string& email) {
  const std::int64_t now = clock_.now_ms();
  auto row = tx.query_one(
      "UPDATE account_invitations SET used_at_ms = $2 WHERE token_hash = $1 AND "
      "used_at_ms IS NULL AND expires_at_ms > $2 AND ($3 = '' OR email = $3) "
      "RETURNING email, role",
      {sha256_hex(secret), now, email});
  if (!row) return std::nullopt;
  return Invitation{row->text(0), row->text(1)};
}

bool AuthStore::reset_token_created_since(Tx& tx, std::int64_t user_id, std::int64_t since_ms) {
  return tx
      .query_one(
          "SELECT 1 FROM password_reset_tokens WHERE user_id = $1 AND used_at_ms IS NULL "
          "AND created_at_ms > $2",
          {user_id, since_ms})
      .has_value();
}

std::optional<std::int64_t> AuthStore::consume_reset_token(Tx& tx, std::string_view secret) {
  // One statement checks and claims: of two concurrent uses exactly one gets the row back.
  auto row = tx.query_one(
      "UPDATE password_reset_tokens SET used_at_ms = $2 WHERE token_hash = $1 "
      "AND used_at_ms IS NULL AND expires_at_ms > $2 RETURNING user_id",
      {sha256_hex(secret), clock_.now_ms()});
  if (!row) return std::nullopt;
  return row->integer(0);
}

}  // namespace carehub::auth
