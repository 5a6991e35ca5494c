// First run from the browser: the single-use setup link `serve` logs while no admin exists.
#include "auth/service.hpp"
#include "carehub/error.hpp"

namespace carehub::auth {
namespace {

constexpr std::int64_t kSetupLinkTtlMs = 3'600'000;  // one hour, as the log line says

}  // namespace

bool AuthService::setup_needed() {
  return db_.transact([&](Tx& tx) { return store_.count_admins(tx) == 0; }, TxMode::kRead);
}

std::optional<std::string> AuthService::issue_setup_token() {
  return db_.transact([&](Tx& tx) -> std::optional<std::string> {
    if (store_.count_admins(tx) > 0) return std::nullopt;
    return store_.create_setup_token(tx, kSetupLinkTtlMs);
  });
}

Session AuthService::complete_setup(const Request& request, const std::string& token,
                                    const std::string& email, const std::string& password) {
  if (auto problem = password_problem(password))
    throw ApiError(ErrorCode::kValidationFailed, "password " + *problem);
  const auto hash = hash_password(password, password_params());
  struct Outcome {
    std::optional<Session> session;
    ErrorCode code = ErrorCode::kBadRequest;
    std::string problem;
  };
  // The refusal is audited in a committed unit of work, so the error is raised after it.
  auto outcome = db_.transact([&](Tx& tx) {
    Outcome o;
    AuditEvent event = AuditLog::from_request(request, "auth.setup_admin", "user", "");
    if (store_.count_admins(tx) > 0) {
      o.code = ErrorCode::kConflict;
      o.problem = "carehub is set up already: an administrator exists; sign in instead";
    } else if (!store_.consume_setup_token(tx, token)) {
      o.problem =
          "the setup link is not valid, used or expired; restart carehub serve for a new one "
          "(or run carehub bootstrap)";
    } else {
      NewUser admin;
      admin.email = email;
      admin.password_hash = hash;
      admin.roles = {"admin"};
      auto created = store_.create_user(tx, admin);
      if (!created.created()) {
        // Nothing is kept: the link stays usable for a second try with a valid email.
        throw ApiError(ErrorCode::kValidationFailed, created.problem);
      }
      event.resource_id = std::to_string(created.user->id);
      event.actor = "user:" + event.resource_id;
      audit_.record(tx, event);
      o.session = open_session(tx, *created.user, AuthStore::new_family_id(), request);
      return o;
    }
    event.outcome = "failure";
    event.detail = {{"reason", o.code == ErrorCode::kConflict ? "admin_exists" : "bad_link"}};
    audit_.record(tx, event);
    return o;
  });
  if (!outcome.session) throw ApiError(outcome.code, outcome.problem);
  return *outcome.session;
}

}  // namespace carehub::auth
