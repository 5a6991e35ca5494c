// `carehub bootstrap` and the one-time set-password tokens it (and admins) hand out.
#include <fmt/format.h>

#include "auth/service.hpp"
#include "carehub/error.hpp"

namespace carehub::auth {

std::vector<std::string> AuthService::bootstrap(const std::string& email,
                                                const std::optional<std::string>& password) {
  if (password) {
    if (auto problem = password_problem(*password))
      throw ConfigError("bootstrap: password " + *problem);
  }
  const auto hash =
      password ? std::optional(hash_password(*password, password_params())) : std::nullopt;
  return db_.transact([&](Tx& tx) -> std::vector<std::string> {
    if (store_.count_admins(tx) > 0) return {"an admin already exists; nothing was created"};
    NewUser admin;
    admin.email = email;
    admin.password_hash = hash;
    admin.roles = {"admin"};
    auto created = store_.create_user(tx, admin);
    if (!created.created()) throw ConfigError("bootstrap: " + created.problem);
    AuditEvent event;
    event.actor = "system";
    event.action = "user.bootstrap_admin";
    event.resource_type = "user";
    event.resource_id = std::to_string(created.user->id);
    audit_.record(tx, event);
    std::vector<std::string> said = {
        fmt::format("created admin {} (user id {})", email, created.user->id)};
    if (!hash && config_.local_passwords()) {
      auto token =
          store_.create_reset_token(tx, created.user->id, config_.reset_token_ttl_s * 1000);
      said.push_back(
          fmt::format("set its password within {} h: POST /api/v1/auth/reset-password "
                      "{{\"token\":\"{}\",\"password\":\"...\"}}",
                      config_.reset_token_ttl_s / 3600, token));
    } else if (!hash) {
      said.push_back("signs in through the identity provider " + config_.oidc.issuer);
    }
    return said;
  });
}

void AuthService::reset_password(const Request& request, const std::string& token,
                                 const std::string& password) {
  if (auto problem = password_problem(password))
    throw ApiError(ErrorCode::kValidationFailed, "password " + *problem);
  const auto hash = hash_password(password, password_params());
  // The failure is audited in a committed unit of work, so the error is raised after it.
  const bool reset = db_.transact([&](Tx& tx) {
    auto user_id = store_.consume_reset_token(tx, token);
    AuditEvent e = AuditLog::from_request(request, "auth.password_reset", "user",
                                          user_id ? std::to_string(*user_id) : "");
    if (!user_id) {
      e.outcome = "failure";
      audit_.record(tx, e);
      return false;
    }
    UserPatch patch;
    patch.password_hash = hash;
    store_.update_user(tx, *user_id, patch);
    store_.revoke_user_sessions(tx, *user_id, std::nullopt);
    revoke_access(tx, *user_id);
    audit_.record(tx, e);
    return true;
  });
  if (!reset)
    throw ApiError(ErrorCode::kBadRequest, "the set-password token is not valid, used or expired");
}

}  // namespace carehub::auth
