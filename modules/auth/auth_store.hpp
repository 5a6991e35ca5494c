// The auth module's storage: users, refresh-token families, API tokens and password-reset tokens.
// Every method works inside the caller's unit of work (Tx&), so a sign-in, its audit event and a
// lockout commit or roll back together. The SQL is the same on SQLite and PostgreSQL (portable
// statements, $n placeholders, RETURNING, ON CONFLICT DO NOTHING); nothing here branches on the
// backend.
//
// Secrets (refresh, API and reset tokens) are 256-bit values from the CSPRNG, returned once as hex
// and stored only as their SHA-256 hex. Expected refusals (duplicate email, expired token, reuse)
// are values; a DbError means the unit of work failed and should be rolled back.
//
// Lookups by email or username are case-insensitive by ASCII lower-casing (what email providers
// do in practice); the name search uses each backend's lower() on both sides.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/account_states.hpp"
#include "auth/user.hpp"
#include "carehub/clock.hpp"
#include "carehub/db.hpp"
#include "carehub/sql_filter.hpp"

namespace carehub::auth {

class AuthStore {
 public:
  explicit AuthStore(const Clock& clock) : clock_(clock) {}

  // --- users (auth_store.cpp) ---

  // Checks roles, language, status and the shape of email/username (an email has an '@', a
  // username has none, so the two can never name the same login), then inserts.
  CreateUserResult create_user(Tx& tx, const NewUser& user);
  std::optional<User> find_user(Tx& tx, std::int64_t id);
  // By email or username, case-insensitively.
  std::optional<User> find_by_login(Tx& tx, std::string_view email_or_username);
  UserPage list_users(Tx& tx, const UserFilter& filter);
  // Nothing when no such user. Throws std::invalid_argument for values patch_problem refuses:
  // callers check first and answer 400.
  std::optional<User> update_user(Tx& tx, std::int64_t id, const UserPatch& patch);
  // Active users holding the admin role (so the last one cannot be demoted or disabled).
  std::int64_t count_admins(Tx& tx);

  // Stamps last_login_ms.
  void record_login_success(Tx& tx, std::int64_t user_id);
  // Active admins, to be told of what concerns them.
  std::vector<std::int64_t> admin_ids(Tx& tx);

  // --- failed sign-ins (store_throttle.cpp); logins by their hash (login_hash) ---

  // Until when this login may not be tried from this address, and until when from anywhere
  // (0 when not held back).
  struct LoginHold {
    std::int64_t address_until_ms = 0;
    std::int64_t anywhere_until_ms = 0;
  };
  LoginHold login_hold(Tx& tx, const std::string& login_hash, const std::string& address);
  // Counts a failure of this login from this address; returns the failures in a row from there.
  int add_login_failure(Tx& tx, const std::string& login_hash, const std::string& address,
                        std::int64_t now_ms);
  void hold_login_at_address(Tx& tx, const std::string& login_hash, const std::string& address,
                             std::int64_t until_ms);
  // A success from this address starts its count again.
  void clear_login_failures(Tx& tx, const std::string& login_hash, const std::string& address);
  // Counts a failure of this login from anywhere in a window of window_ms; returns the count in
  // the current window and whether the admins were already alerted in it.
  struct CeilingCount {
    int failures = 0;
    bool alerted = false;
  };
  CeilingCount add_ceiling_failure(Tx& tx, const std::string& login_hash, std::int64_t now_ms,
                                   std::int64_t window_ms);
  void mark_ceiling(Tx& tx, const std::string& login_hash, bool alerted,
                    std::int64_t slow_until_ms);
  // Addresses this login failed from since since_ms.
  std::int64_t failing_addresses(Tx& tx, const std::string& login_hash, std::int64_t since_ms);

  // --- refresh tokens (store_sessions.cpp) ---

  // A new family id for a fresh sign-in (128 random bits, hex).
  static std::string new_family_id();
  IssuedRefreshToken create_refresh_token(Tx& tx, std::int64_t user_id,
                                          const std::string& family_id, std::int64_t ttl_ms,
                                          const std::string& client_address);
  // Marks the presented token used and issues its successor, atomically: of two concurrent
  // rotations of one token, one gets kRotated and the other kReused. With reuse_grace_ms (browser
  // cookies, shared by a browser's tabs), a token presented again that soon after its rotation,
  // from the address its successor went to, while that successor is the family's newest and
  // live, gets another token of the family instead (within_grace).
  RotateResult rotate_refresh_token(Tx& tx, std::string_view presented_secret, std::int64_t ttl_ms,
                                    const std::string& client_address,
                                    std::int64_t reuse_grace_ms = 0);
  // Logout: revokes the family the secret belongs to. Returns the owner, or nothing when unknown.
  std::optional<std::int64_t> revoke_refresh_family_of(Tx& tx, std::string_view secret);
  // Ends every session of the user (its live refresh tokens) except the except_family one.
  // Returns how many sessions ended.
  std::int64_t revoke_user_sessions(Tx& tx, std::int64_t user_id,
                                    const std::optional<std::string>& except_family);
  // The family a live (unused, unrevoked, unexpired) token belongs to.
  std::optional<std::string> family_of(Tx& tx, std::string_view secret);
  // Ends the user's access tokens issued until now: their generation falls behind the user's.
  // Returns the new generation.
  std::int64_t bump_token_generation(Tx& tx, std::int64_t user_id);
  // Whether the account exists and is active, and its token generation: what every request with
  // an access token is checked against.
  std::optional<AccountState> account_state(Tx& tx, std::int64_t user_id);
  // Housekeeping: refresh-token families whose every token has expired (kept until then so that
  // reuse of a rotated token is still detected), reset tokens used or expired, and failed
  // sign-in counts gone quiet. Returns rows deleted.
  std::int64_t purge_expired_tokens(Tx& tx);

  // --- API tokens (store_tokens.cpp) ---

  // Throws std::invalid_argument for an empty name or scope: callers validate first.
  IssuedSecret create_api_token(Tx& tx, const std::string& name,
                                const std::vector<std::string>& scopes,
                                std::optional<std::int64_t> created_by,
                                std::optional<std::int64_t> expires_at_ms);
  std::optional<ApiToken> find_api_token(Tx& tx, std::int64_t id);
  // The token when secret matches (constant-time) and it is neither revoked nor expired. Stamps
  // last_used_ms at most once a minute per token (so most calls only read), which is why it needs
  // a write Tx.
  std::optional<ApiToken> authenticate_api_token(Tx& tx, std::int64_t id, std::string_view secret);
  std::vector<ApiToken> list_api_tokens(Tx& tx);
  // True when it was not revoked before (an expired token can still be revoked).
  bool revoke_api_token(Tx& tx, std::int64_t id);

  // --- password reset (store_tokens.cpp) ---

  // Issues a one-time token; the user's earlier unused tokens stop working.
  std::string create_reset_token(Tx& tx, std::int64_t user_id, std::int64_t ttl_ms);
  // Email verification (email_verifications): a new link for the user (replacing any older one),
  // its secret returned; the user its secret was for, once and before expiry (the row removed);
  // whether the user still has to confirm, and since when the current link exists.
  std::string create_email_verification(Tx& tx, std::int64_t user_id, std::int64_t ttl_ms);
  std::optional<std::int64_t> consume_email_verification(Tx& tx, std::string_view secret);
  std::optional<std::int64_t> email_verification_pending_since(Tx& tx, std::int64_t user_id);

  // Invitations to register (account_invitations): a new one's secret; and the invitation a
  // secret stands for, marked used, once and before expiry, and only for its own address when
  // email (lower-cased) is not empty (nothing otherwise).
  struct Invitation {
    std::string email, role;
  };
  std::string create_invitation(Tx& tx, std::string_view email, const std::string& role,
                                std::int64_t ttl_ms);
  std::optional<Invitation> use_invitation(Tx& tx, std::string_view secret,
                                           const std::string& email);

  // Whether an unused token was made for the user after since_ms (a resend too soon).
  bool reset_token_created_since(Tx& tx, std::int64_t user_id, std::int64_t since_ms);
  // The user the token was for, once: a second use, an expired or unknown token gives nothing.
  std::optional<std::int64_t> consume_reset_token(Tx& tx, std::string_view secret);

  // Browser sign-ins through the OpenID provider under way (store_setup.cpp): started with a
  // state, claimed once by the callback that brings it back (nothing once used or expired).
  struct PendingOidcLogin {
    std::string code_verifier;
    std::string nonce;
    std::string return_to;
  };
  void create_oidc_login(Tx& tx, std::string_view state, const PendingOidcLogin& login,
                         std::int64_t ttl_ms);
  std::optional<PendingOidcLogin> consume_oidc_login(Tx& tx, std::string_view state);

  // First-run setup links (store_setup.cpp): a new one's secret; whether a secret is one that is
  // unused and unexpired, claiming it (and every other) when it is.
  std::string create_setup_token(Tx& tx, std::int64_t ttl_ms);
  bool consume_setup_token(Tx& tx, std::string_view secret);

 private:
  const Clock& clock_;
};

// Why a patch cannot be applied (unknown role or language, bad status), or nothing.
std::optional<std::string> patch_problem(const UserPatch& patch);

// ASCII lower-case: the form email_lower and username_lower hold.
std::string lower_ascii(std::string_view text);

}  // namespace carehub::auth
