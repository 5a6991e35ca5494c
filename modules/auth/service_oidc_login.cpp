// The console's sign-in through the OpenID provider: the service's half (the pending logins, the
// account, the session). oidc_login.cpp speaks to the provider.
#include "auth/service.hpp"
#include "carehub/error.hpp"
#include "carehub/hash.hpp"

namespace carehub::auth {
namespace {

constexpr std::int64_t kLoginTtlMs = 600'000;  // ten minutes to sign in at the provider
constexpr std::size_t kSecretBytes = 32;

}  // namespace

std::optional<std::string> AuthService::oidc_display_name() const {
  if (!oidc_login_) return std::nullopt;
  return oidc_login_->display_name();
}

AuthService::OidcStart AuthService::begin_oidc_login(const std::string& origin,
                                                     const std::string& return_to) {
  if (!oidc_login_) {
    throw ApiError(ErrorCode::kNotFound, "this server has no browser sign-in through a provider");
  }
  AuthStore::PendingOidcLogin pending{random_hex(kSecretBytes), random_hex(kSecretBytes / 2),
                                      return_to};
  OidcStart start;
  start.state = random_hex(kSecretBytes);
  start.url = oidc_login_->authorization_url(oidc_login_->redirect_uri(origin), start.state,
                                             pending.code_verifier, pending.nonce);
  db_.transact([&](Tx& tx) { store_.create_oidc_login(tx, start.state, pending, kLoginTtlMs); });
  return start;
}

AuthService::OidcFinish AuthService::finish_oidc_login(const Request& request,
                                                       const std::string& origin,
                                                       const std::string& state,
                                                       const std::string& code) {
  if (!oidc_login_) {
    throw ApiError(ErrorCode::kNotFound, "this server has no browser sign-in through a provider");
  }
  const auto pending = db_.transact([&](Tx& tx) { return store_.consume_oidc_login(tx, state); });
  if (!pending) {
    throw ApiError(ErrorCode::kBadRequest,
                   "this sign-in was not started here, was used already or took too long; "
                   "sign in again");
  }
  const auto identity = oidc_login_->redeem(code, oidc_login_->redirect_uri(origin),
                                            pending->code_verifier, pending->nonce);
  AuditEvent event = AuditLog::from_request(request, "auth.login", "user", "");
  event.detail = {{"method", "oidc"}};
  auto session = db_.transact([&](Tx& tx) -> std::optional<Session> {
    const auto user = store_.find_by_login(tx, identity.email);
    if (!user || !user->active()) {
      event.outcome = "failure";
      event.detail["reason"] = user ? "disabled" : "unknown_login";
      if (user) event.resource_id = std::to_string(user->id);
      audit_.record(tx, event);
      return std::nullopt;
    }
    store_.record_login_success(tx, user->id);
    event.resource_id = std::to_string(user->id);
    event.actor = "user:" + event.resource_id;
    audit_.record(tx, event);
    return open_session(tx, *user, AuthStore::new_family_id(), request);
  });
  if (!session) {
    throw ApiError(ErrorCode::kForbidden,
                   "there is no active carehub account for the email address your identity "
                   "provider gave; ask an administrator");
  }
  return {*session, pending->return_to};
}

}  // namespace carehub::auth
