// User and API-token administration, and self-registration. Every change is audited in the same
// unit of work; answers never include password hashes or token secrets (a new token's secret is
// returned once, to its creator).
#include <fmt/format.h>

#include "auth/service.hpp"
#include "carehub/error.hpp"
#include "carehub/text_check.hpp"

namespace carehub::auth {

ApiError conflict_or_invalid(const CreateUserResult& r) {
  const bool taken = r.status == CreateUserResult::Status::kEmailTaken ||
                     r.status == CreateUserResult::Status::kUsernameTaken;
  return ApiError(taken ? ErrorCode::kConflict : ErrorCode::kValidationFailed, r.problem);
}

User AuthService::create_user(const Request& request, NewUser user,
                              const std::optional<std::string>& password,
                              const std::function<void(Tx&, const User&)>& also) {
  if (password) {
    if (auto problem = password_problem(*password))
      throw ApiError(ErrorCode::kValidationFailed, "password " + *problem);
    user.password_hash = hash_password(*password, password_params());
  }
  return db_.transact([&](Tx& tx) {
    auto created = store_.create_user(tx, user);
    if (!created.created()) throw conflict_or_invalid(created);
    AuditEvent e =
        AuditLog::from_request(request, "user.create", "user", std::to_string(created.user->id));
    e.detail = {{"roles", created.user->roles}};
    audit_.record(tx, e);
    if (also) also(tx, *created.user);
    return *created.user;
  });
}

User AuthService::update_user(const Request& request, std::int64_t id, const UserPatch& patch) {
  if (auto problem = patch_problem(patch)) throw ApiError(ErrorCode::kValidationFailed, *problem);
  return db_.transact([&](Tx& tx) {
    auto before = store_.find_user(tx, id);
    if (!before) throw ApiError(ErrorCode::kNotFound, "no user " + std::to_string(id));
    const bool loses_admin = before->has_role("admin") && before->active() &&
                             ((patch.roles && std::find(patch.roles->begin(), patch.roles->end(),
                                                        "admin") == patch.roles->end()) ||
                              (patch.status && *patch.status != "active"));
    if (loses_admin && store_.count_admins(tx) <= 1) {
      throw ApiError(ErrorCode::kConflict,
                     "this is the last active admin; make another admin first");
    }
    auto after = store_.update_user(tx, id, patch);
    if (after && !after->active()) store_.revoke_user_sessions(tx, id, std::nullopt);
    // Access tokens carry roles and stand for an active account: a change cuts them short, and
    // the client refreshes (or, disabled, cannot).
    if (after->roles != before->roles || after->status != before->status) revoke_access(tx, id);
    AuditEvent e = AuditLog::from_request(request, "user.update", "user", std::to_string(id));
    e.detail = {{"roles_before", before->roles},
                {"roles_after", after->roles},
                {"status_before", before->status},
                {"status_after", after->status}};
    audit_.record(tx, e);
    return *after;
  });
}

User AuthService::get_user(std::int64_t id) {
  auto user = db_.transact([&](Tx& tx) { return store_.find_user(tx, id); }, TxMode::kRead);
  if (!user) throw ApiError(ErrorCode::kNotFound, "no user " + std::to_string(id));
  return *user;
}

UserPage AuthService::list_users(const UserFilter& filter) {
  return db_.transact([&](Tx& tx) { return store_.list_users(tx, filter); }, TxMode::kRead);
}

std::string AuthService::issue_reset_token(const Request& request, std::int64_t id) {
  return db_.transact([&](Tx& tx) {
    if (!store_.find_user(tx, id))
      throw ApiError(ErrorCode::kNotFound, "no user " + std::to_string(id));
    auto token = store_.create_reset_token(tx, id, config_.reset_token_ttl_s * 1000);
    audit_.record(tx, AuditLog::from_request(request, "user.reset_password_issued", "user",
                                             std::to_string(id)));
    return token;
  });
}

User AuthService::register_user(const Request& request, NewUser user, const std::string& password,
                                const std::optional<std::string>& invitation) {
  const auto& open_roles = config_.registration_roles;
  if (!invitation &&
      (user.roles.size() != 1 ||
       std::find(open_roles.begin(), open_roles.end(), user.roles.front()) == open_roles.end())) {
    throw ApiError(ErrorCode::kForbidden, open_roles.empty()
                                              ? "self-registration is turned off"
                                              : "this role cannot be self-registered");
  }
  // Each registration costs an argon2id hash and makes an account: a stranger's loop of them is
  // cut short per address.
  if (auto wait_ms = registration_limiter_.hit(request.client_address)) {
    const auto seconds = std::to_string((wait_ms + 999) / 1000);
    throw ApiError(ErrorCode::kTooManyRequests,
                   "too many registrations from this address; retry in " + seconds + " s")
        .with_header("Retry-After", seconds);
  }
  if (invitation) return register_invited(request, std::move(user), password, *invitation);
  user.status = "active";
  if (!config_.verify_email) return create_user(request, std::move(user), password);
  if (!user.email)
    throw ApiError(ErrorCode::kValidationFailed, "an email address is needed to confirm it");
  return create_user(request, std::move(user), password,
                     [&](Tx& tx, const User& created) { mail_verification(tx, created); });
}

AuthService::IssuedToken AuthService::create_api_token(const Request& request,
                                                       const std::string& name,
                                                       const std::vector<std::string>& scopes,
                                                       std::optional<std::int64_t> expires_at_ms) {
  if (name.empty() || name.size() > 200)
    throw ApiError(ErrorCode::kValidationFailed, "'name' must be 1 to 200 characters");
  require_text("name", name);  // shown in the token listing
  if (scopes.empty())
    throw ApiError(ErrorCode::kValidationFailed, "'scopes' must list at least one scope");
  for (std::size_t i = 0; i < scopes.size(); ++i) {
    if (!valid_scope(scopes[i])) {
      throw ApiError(ErrorCode::kValidationFailed,
                     fmt::format("scopes[{}] is not of the form <area>:read or <area>:write", i));
    }
  }
  if (expires_at_ms && *expires_at_ms <= clock_.now_ms()) {
    throw ApiError(ErrorCode::kValidationFailed, "the expiry must be in the future");
  }
  std::optional<std::int64_t> creator;
  if (request.principal && request.principal->subject.starts_with("user:"))
    creator = user_id_of(request);
  return db_.transact([&](Tx& tx) {
    auto issued = store_.create_api_token(tx, name, scopes, creator, expires_at_ms);
    AuditEvent e =
        AuditLog::from_request(request, "token.create", "api_token", std::to_string(issued.id));
    e.detail = {{"scopes", scopes}};
    audit_.record(tx, e);
    return IssuedToken{*store_.find_api_token(tx, issued.id),
                       format_api_token(issued.id, issued.secret)};
  });
}

std::vector<ApiToken> AuthService::list_api_tokens() {
  return db_.transact([&](Tx& tx) { return store_.list_api_tokens(tx); }, TxMode::kRead);
}

void AuthService::revoke_api_token(const Request& request, std::int64_t id) {
  db_.transact([&](Tx& tx) {
    if (!store_.revoke_api_token(tx, id))
      throw ApiError(ErrorCode::kNotFound, "no active API token " + std::to_string(id));
    audit_.record(tx,
                  AuditLog::from_request(request, "token.revoke", "api_token", std::to_string(id)));
  });
}

}  // namespace carehub::auth
