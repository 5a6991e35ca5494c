// The auth module's domain logic, without HTTP: sign-in, sessions (access JWT + rotating refresh
// token), password change, request authentication (access tokens, API tokens by Bearer or
// Basic), bootstrap. Failures a client should see are ApiErrors; the handlers shape JSON.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth/auth_config.hpp"
#include "auth/auth_store.hpp"
#include "auth/keys.hpp"
#include "auth/oidc.hpp"
#include "auth/password.hpp"
#include "auth/token_cache.hpp"
#include "carehub/audit.hpp"
#include "carehub/db.hpp"
#include "carehub/http.hpp"
#include "carehub/rate_limit.hpp"

namespace carehub::auth {

struct Session {
  std::string access_token;
  std::string refresh_token;
  std::int64_t expires_in = 0;  // seconds the access token lives
  User user;
};

class AuthService {
 public:
  AuthService(AuthConfig config, Database& db, AuditLog& audit, const Clock& clock);

  const AuthConfig& config() const { return config_; }
  nlohmann::json jwks() const { return keys_.jwks(); }

  // nullopt: no credentials. Throws ApiError(kUnauthorized) for bad or expired ones.
  std::optional<Principal> authenticate(const Request& request);

  Session login(const Request& request, const std::string& login, const std::string& password);
  Session refresh(const Request& request, const std::string& refresh_token);
  void logout(const Request& request, const std::string& refresh_token);
  User current_user(const Request& request);
  User update_me(const Request& request, const UserPatch& patch);
  // Needs the current password; ends every other session (the presented refresh token's family
  // survives when given).
  void change_password(const Request& request, const std::string& current, const std::string& next,
                       const std::optional<std::string>& keep_refresh_token);

  // A one-time set-password token (from bootstrap or an admin's reset) sets a new password and
  // ends every session of the account.
  void reset_password(const Request& request, const std::string& token,
                      const std::string& password);

  // `carehub bootstrap`: the first admin, once. Returns what it did, for the operator.
  std::vector<std::string> bootstrap(const std::string& email,
                                     const std::optional<std::string>& password);

  // Administration (admin.cpp). actor: the request doing it, for the audit trail.
  User create_user(const Request& request, NewUser user,
                   const std::optional<std::string>& password);
  User update_user(const Request& request, std::int64_t id, const UserPatch& patch);
  User get_user(std::int64_t id);
  UserPage list_users(const UserFilter& filter);
  // A one-time set-password token for the user (its secret, shown once).
  std::string issue_reset_token(const Request& request, std::int64_t id);
  // Self-registration with a role open to it in auth.registration_roles.
  User register_user(const Request& request, NewUser user, const std::string& password);
  struct IssuedToken {
    ApiToken token;
    std::string bearer;  // cht_<id>_<secret>: shown once
  };
  IssuedToken create_api_token(const Request& request, const std::string& name,
                               const std::vector<std::string>& scopes,
                               std::optional<std::int64_t> expires_at_ms);
  std::vector<ApiToken> list_api_tokens();
  void revoke_api_token(const Request& request, std::int64_t id);

  PasswordParams password_params() const;
  AuthStore& store() { return store_; }
  Database& db() { return db_; }
  AuditLog& audit() { return audit_; }
  const Clock& clock() const { return clock_; }

 private:
  Session open_session(Tx& tx, const User& user, const std::string& family, const Request& request);
  std::string issue_access_token(const User& user);
  std::optional<Principal> principal_from_jwt(const std::string& token);
  std::optional<Principal> principal_from_oidc(const std::string& token);
  std::optional<Principal> principal_from_api_token(std::int64_t id, const std::string& secret);
  std::int64_t user_id_of(const Request& request) const;

  AuthConfig config_;
  Database& db_;
  AuditLog& audit_;
  const Clock& clock_;
  AuthStore store_;
  KeyRing keys_;
  JwkSet verify_keys_;
  RateLimiter login_limiter_;
  std::unique_ptr<OidcVerifier> oidc_;  // when auth.oidc.issuer is set
  VerifiedTokenCache verified_;         // our own access tokens, by exact token string
};

nlohmann::json user_json(const User& user);

// "cht_<id>_<secret>": the Bearer form of an API token (the id finds the row, the secret is
// compared by hash).
std::string format_api_token(std::int64_t id, const std::string& secret);

}  // namespace carehub::auth
