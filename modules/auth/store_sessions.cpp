// Refresh tokens: issue, rotate with reuse detection, and revoke by family or by user.
#include "auth/auth_store.hpp"
#include "carehub/hash.hpp"

namespace carehub::auth {

namespace {

constexpr std::size_t kSecretBytes = 32;  // 256 bits
constexpr std::size_t kFamilyBytes = 16;

std::int64_t revoke_family(Tx& tx, const std::string& family_id, std::int64_t now) {
  return tx.exec(
      "UPDATE refresh_tokens SET revoked_at_ms = $2 WHERE family_id = $1 AND revoked_at_ms IS NULL",
      {family_id, now});
}

}  // namespace

std::string AuthStore::new_family_id() {
  return random_hex(kFamilyBytes);
}

IssuedRefreshToken AuthStore::create_refresh_token(Tx& tx, std::int64_t user_id,
                                                   const std::string& family_id,
                                                   std::int64_t ttl_ms,
                                                   const std::string& client_address) {
  IssuedRefreshToken t;
  t.secret = random_hex(kSecretBytes);
  t.family_id = family_id;
  const std::int64_t now = clock_.now_ms();
  t.expires_at_ms = now + ttl_ms;
  t.id = tx.query_one(
               "INSERT INTO refresh_tokens (user_id, family_id, token_hash, created_at_ms, "
               "expires_at_ms, client_address) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
               {user_id, family_id, sha256_hex(t.secret), now, t.expires_at_ms, client_address})
             ->integer(0);
  return t;
}

RotateResult AuthStore::rotate_refresh_token(Tx& tx, std::string_view presented_secret,
                                             std::int64_t ttl_ms, const std::string& client_address,
                                             std::int64_t reuse_grace_ms) {
  using O = RotateResult::Outcome;
  const std::string hash = sha256_hex(presented_secret);
  const std::int64_t now = clock_.now_ms();
  RotateResult r;
  // Claiming the token and checking it is live is one statement, so two concurrent rotations
  // cannot both succeed: the loser waits on the row lock and then finds used_at_ms set.
  auto claimed = tx.query_one(
      "UPDATE refresh_tokens SET used_at_ms = $2 WHERE token_hash = $1 AND used_at_ms IS NULL "
      "AND revoked_at_ms IS NULL AND expires_at_ms > $2 RETURNING user_id, family_id",
      {hash, now});
  if (claimed) {
    r.outcome = O::kRotated;
    r.user_id = claimed->integer(0);
    r.family_id = claimed->text(1);
    auto next = create_refresh_token(tx, r.user_id, r.family_id, ttl_ms, client_address);
    r.secret = std::move(next.secret);
    r.expires_at_ms = next.expires_at_ms;
    return r;
  }
  auto row = tx.query_one(
      "SELECT user_id, family_id, used_at_ms, revoked_at_ms FROM refresh_tokens "
      "WHERE token_hash = $1",
      {hash});
  if (!row) return r;  // kUnknown
  r.user_id = row->integer(0);
  r.family_id = row->text(1);
  if (!row->is_null(2) && row->is_null(3) && reuse_grace_ms > 0 &&
      now - row->integer(2) <= reuse_grace_ms) {
    // Two tabs of one browser refreshing with the one cookie they share, at once: the second
    // presents the token the first just rotated. When its successor is the family's newest
    // token, still live, made by that rotation for the same address, this is that race, not a
    // copy in other hands: the second tab gets a token of the family too.
    auto newest = tx.query_one(
        "SELECT created_at_ms, client_address FROM refresh_tokens WHERE family_id = $1 AND "
        "used_at_ms IS NULL AND revoked_at_ms IS NULL AND expires_at_ms > $2 ORDER BY id DESC "
        "LIMIT 1",
        {r.family_id, now});
    if (newest && newest->integer(0) >= row->integer(2) &&
        newest->integer(0) - row->integer(2) < 1000 && newest->text(1) == client_address) {
      auto next = create_refresh_token(tx, r.user_id, r.family_id, ttl_ms, client_address);
      r.outcome = O::kRotated;
      r.within_grace = true;
      r.secret = std::move(next.secret);
      r.expires_at_ms = next.expires_at_ms;
      return r;
    }
  }
  if (!row->is_null(2)) {
    // Only a copy of the token can be presented after its rotation: whoever holds the family's
    // current token (the rightful client or the thief) must sign in again.
    revoke_family(tx, r.family_id, now);
    r.outcome = O::kReused;
  } else if (!row->is_null(3)) {
    r.outcome = O::kRevoked;
  } else {
    r.outcome = O::kExpired;
  }
  return r;
}

std::optional<std::int64_t> AuthStore::revoke_refresh_family_of(Tx& tx, std::string_view secret) {
  auto row = tx.query_one("SELECT user_id, family_id FROM refresh_tokens WHERE token_hash = $1",
                          {sha256_hex(secret)});
  if (!row) return std::nullopt;
  revoke_family(tx, row->text(1), clock_.now_ms());
  return row->integer(0);
}

std::int64_t AuthStore::revoke_user_sessions(Tx& tx, std::int64_t user_id,
                                             const std::optional<std::string>& except_family) {
  // A family's live token is its one unused row, so the count is the number of sessions ended.
  // Rotated rows need no mark: presenting one again already counts as reuse.
  static const std::string kLive =
      "UPDATE refresh_tokens SET revoked_at_ms = $2 WHERE user_id = $1 AND revoked_at_ms IS NULL "
      "AND used_at_ms IS NULL AND expires_at_ms > $2";
  const std::int64_t now = clock_.now_ms();
  if (except_family) return tx.exec(kLive + " AND family_id <> $3", {user_id, now, *except_family});
  return tx.exec(kLive, {user_id, now});
}

std::optional<std::string> AuthStore::family_of(Tx& tx, std::string_view secret) {
  auto row = tx.query_one(
      "SELECT family_id FROM refresh_tokens WHERE token_hash = $1 AND used_at_ms IS NULL "
      "AND revoked_at_ms IS NULL AND expires_at_ms > $2",
      {sha256_hex(secret), clock_.now_ms()});
  if (!row) return std::nullopt;
  return row->text(0);
}

std::int64_t AuthStore::bump_token_generation(Tx& tx, std::int64_t user_id) {
  auto row = tx.query_one(
      "UPDATE users SET token_generation = token_generation + 1 WHERE id = $1 "
      "RETURNING token_generation",
      {user_id});
  return row ? row->integer(0) : 0;
}

std::optional<AccountState> AuthStore::account_state(Tx& tx, std::int64_t user_id) {
  auto row = tx.query_one("SELECT token_generation, status FROM users WHERE id = $1", {user_id});
  if (!row) return std::nullopt;
  return AccountState{row->integer(0), row->text(1) == "active"};
}

std::int64_t AuthStore::purge_expired_tokens(Tx& tx) {
  const std::int64_t now = clock_.now_ms();
  std::int64_t n = tx.exec(
      "DELETE FROM refresh_tokens WHERE family_id IN (SELECT family_id FROM refresh_tokens "
      "GROUP BY family_id HAVING MAX(expires_at_ms) < $1)",
      {now});
  n += tx.exec(
      "DELETE FROM password_reset_tokens WHERE expires_at_ms < $1 OR used_at_ms IS NOT NULL",
      {now});
  // A day without failures forgives a login's count at an address (no hold outlasts 30 days'
  // worth of auth.lockout_s, and a held row is kept until it runs out).
  constexpr std::int64_t kDayMs = 86'400'000;
  n += tx.exec("DELETE FROM login_failures WHERE last_failure_ms < $1 AND blocked_until_ms < $2",
               {now - kDayMs, now});
  n += tx.exec("DELETE FROM login_ceilings WHERE window_start_ms < $1 AND slow_until_ms < $2",
               {now - 30 * kDayMs, now});
  return n;
}

}  // namespace carehub::auth
