// The auth module's domain logic, without HTTP: sign-in, sessions (access JWT + rotating refresh
// token), password change, request authentication (access tokens, API tokens by Bearer or
// Basic), bootstrap. Failures a client should see are ApiErrors; the handlers shape JSON.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "auth/account_states.hpp"
#include "auth/auth_config.hpp"
#include "auth/auth_store.hpp"
#include "auth/keys.hpp"
#include "auth/login_throttle.hpp"
#include "auth/oidc.hpp"
#include "auth/oidc_login.hpp"
#include "auth/password.hpp"
#include "auth/token_cache.hpp"
#include "carehub/accounts.hpp"
#include "carehub/audit.hpp"
#include "carehub/db.hpp"
#include "carehub/http.hpp"
#include "carehub/mail.hpp"
#include "carehub/notifications.hpp"
#include "carehub/rate_limit.hpp"
#include "carehub/services.hpp"

namespace carehub::auth {

struct Session {
  std::string access_token;
  std::string refresh_token;
  std::int64_t expires_in = 0;  // seconds the access token lives
  User user;
};

// A refused account creation as its answer: 409 for an email or username taken, 422 otherwise.
ApiError conflict_or_invalid(const CreateUserResult& result);

class AuthService final : public PrincipalValidator, public Accounts {
 public:
  AuthService(AuthConfig config, Database& db, AuditLog& audit, const Clock& clock);
  ~AuthService();

  const AuthConfig& config() const { return config_; }
  // Where to find the notification publisher (alerts to admins); set once at start.
  void set_services(Services* services) { services_ = services; }
  nlohmann::json jwks() const { return signing()->ring.jwks(); }

  // For `serve`: a thread that follows access-token revocations made by other servers and
  // signing keys rotated in a shared keys_dir. Stopped by the destructor.
  void start_background();

  // Signing keys (keys.cpp holds the files). Rotation writes a new key that signs from now on;
  // older keys keep verifying until removed. Removing a key ends every token it signed.
  std::vector<KeyRing::KeyInfo> signing_keys();
  std::string rotate_signing_key(const Request& request);
  void remove_signing_key(const Request& request, const std::string& kid);
  // Deletes refresh and reset tokens nobody can use any more; returns how many.
  std::int64_t purge_expired_tokens();

  // nullopt: no credentials (or a client certificate auth.client_certificates does not map).
  // An Authorization header wins over a client certificate. Throws ApiError(kUnauthorized) for bad
  // or expired ones.
  std::optional<Principal> authenticate(const Request& request);
  // Whether a principal authenticate() gave earlier is still good (long-lived streams, stream
  // tickets): the account still there and active and, for carehub's own access tokens, its
  // token generation not moved on since; an API token not revoked or expired (a row read).
  bool still_valid(const Principal& principal) override;

  // Accounts, for other modules (accounts.cpp).
  std::optional<AccountInfo> find(Tx& tx, std::int64_t user_id) override;
  std::optional<AccountInfo> find_by_email(Tx& tx, std::string_view email) override;
  bool grant_role(Tx& tx, std::int64_t user_id, const std::string& role) override;
  void invite(Tx& tx, std::string_view email, const std::string& role,
              const std::string& template_name, const std::string& language) override;

  Session login(const Request& request, const std::string& login, const std::string& password);
  // shared_cookie: the token came in the browser's cookie, which its tabs share (a token rotated
  // moments ago by another tab is then no theft: see rotate_refresh_token).
  Session refresh(const Request& request, const std::string& refresh_token,
                  bool shared_cookie = false);
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
  // "Forgot password": an emailed link to the console's reset page, for an active account with a
  // password, at most once a minute. Says nothing about whether the address has an account.
  void forgot_password(const Request& request, const std::string& email);
  // Email verification (verify_email.cpp): the emailed link's token confirms the address (once);
  // a resend mails a new link to an account still waiting, at most once a minute, and says
  // nothing about whether the address has one.
  void verify_email(const Request& request, const std::string& token);
  void resend_verification(const Request& request, const std::string& email);
  // Outgoing mail; set once at start.
  void set_mail(Mail* mail) { mail_ = mail; }

  // `carehub bootstrap`: the first admin, once. Returns what it did, for the operator.
  std::vector<std::string> bootstrap(const std::string& email,
                                     const std::optional<std::string>& password);

  // The console's "Sign in with <provider>" (service_oidc_login.cpp), when auth.oidc.client_id
  // is set. origin: this server as the browser named it ("http://host:port"), for the callback
  // URL. begin gives the provider's URL to send the browser to and the state for its cookie;
  // finish takes what the provider sent back and the state from the cookie. Both throw ApiError
  // with a message for the person.
  std::optional<std::string> oidc_display_name() const;  // nothing: no browser sign-in
  struct OidcStart {
    std::string url;
    std::string state;
  };
  OidcStart begin_oidc_login(const std::string& origin, const std::string& return_to);
  struct OidcFinish {
    Session session;
    std::string return_to;
  };
  OidcFinish finish_oidc_login(const Request& request, const std::string& origin,
                               const std::string& state, const std::string& code);

  // First run from the browser (setup.cpp). While no admin exists, `serve` logs a link with a
  // single-use secret (valid for an hour); whoever opens it sets the first admin's email and
  // password and is signed in. Both throw ApiError: kConflict once an admin exists, kBadRequest
  // for a secret that is unknown, used or expired, kValidationFailed for a weak password.
  bool setup_needed();
  std::optional<std::string> issue_setup_token();  // nothing when an admin exists
  Session complete_setup(const Request& request, const std::string& token, const std::string& email,
                         const std::string& password);

  // Administration (admin.cpp). actor: the request doing it, for the audit trail.
  // also: more of the same unit of work, once the user exists (registration's confirmation mail).
  User create_user(const Request& request, NewUser user, const std::optional<std::string>& password,
                   const std::function<void(Tx&, const User&)>& also = {});
  User update_user(const Request& request, std::int64_t id, const UserPatch& patch);
  User get_user(std::int64_t id);
  UserPage list_users(const UserFilter& filter);
  // A one-time set-password token for the user (its secret, shown once).
  std::string issue_reset_token(const Request& request, std::int64_t id);
  // Self-registration with a role open to it in auth.registration_roles; or, with an emailed
  // invitation's token (invitations.cpp), with the invitation's role and address, whatever
  // registration_roles says, the address proven and no confirmation mailed.
  User register_user(const Request& request, NewUser user, const std::string& password,
                     const std::optional<std::string>& invitation = std::nullopt);
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
  User register_invited(const Request& request, NewUser user, const std::string& password,
                        const std::string& invitation);
  // Tells the module waiting for proven addresses (carehub/accounts.hpp) that user_id proved
  // theirs, inside tx.
  void address_confirmed(Tx& tx, std::int64_t user_id);
  Session open_session(Tx& tx, const User& user, const std::string& family, const Request& request);
  // A failed sign-in (or password check) under key: counted, and past the ceiling audited and
  // told to the admins.
  void count_failure(Tx& tx, const Request& request, const std::string& key,
                     std::optional<std::int64_t> user_id);
  ApiError too_many_failures(std::int64_t wait_ms) const;
  std::string issue_access_token(const User& user);
  std::optional<Principal> principal_from_jwt(const std::string& token);
  std::optional<Principal> principal_from_oidc(const std::string& token);
  std::optional<Principal> principal_from_api_token(std::int64_t id, const std::string& secret);
  std::optional<Principal> principal_from_certificate(const ClientCertificate* certificate);
  std::int64_t user_id_of(const Request& request) const;
  // Inside tx: the user's access tokens issued until now stop working when tx commits, here at
  // once and on other servers when they hear the notification.
  void revoke_access(Tx& tx, std::int64_t user_id);
  // A new confirmation link for the user, mailed in tx (verify_email.cpp).
  void mail_verification(Tx& tx, const User& user);
  // Drops what the notifications since the last wait name (woken: a notification ended the wait).
  void apply_revocation_events(bool woken);
  // Throws ApiError(kUnauthorized) unless the account is there, active and, when the principal
  // carries one, at the principal's token generation.
  void check_account(const Principal& principal);
  std::optional<AccountState> account_state(std::int64_t user_id, bool fresh);
  void reload_keys(bool only_if_changed);
  void reload_keys_for_unknown_kid();

  struct SigningKeys {
    KeyRing ring;
    JwkSet verify;
    std::vector<std::string> algorithms;
  };
  std::shared_ptr<const SigningKeys> signing() const;

  AuthConfig config_;
  Database& db_;
  AuditLog& audit_;
  const Clock& clock_;
  AuthStore store_;
  mutable std::mutex signing_mutex_;  // guards signing_, keys_fingerprint_, last_key_scan_ms_
  std::shared_ptr<const SigningKeys> signing_;
  std::string keys_fingerprint_;
  std::int64_t last_key_scan_ms_ = 0;
  AccountStates accounts_;
  RateLimiter login_limiter_;
  RateLimiter registration_limiter_;
  LoginThrottle throttle_;
  Services* services_ = nullptr;  // the notification publisher, for alerts to the admins
  Mail* mail_ = nullptr;
  std::map<std::string, nlohmann::json> texts_;  // config/texts/auth, by language
  std::unique_ptr<OidcVerifier> oidc_;           // when auth.oidc.issuer is set
  std::unique_ptr<OidcLogin> oidc_login_;        // when auth.oidc.client_id is set too
  VerifiedTokenCache verified_;                  // our own access tokens, by exact token string
  std::unique_ptr<Subscription> revocation_events_;
  std::jthread background_;
};

nlohmann::json user_json(const User& user);

// "cht_<id>_<secret>": the Bearer form of an API token (the id finds the row, the secret is
// compared by hash).
std::string format_api_token(std::int64_t id, const std::string& secret);

}  // namespace carehub::auth
