// Email verification of self-registered accounts (auth.verify_email): registration mails a link
// to the console's /verify-email page; until its token is used the account cannot sign in.
#include "auth/service.hpp"
#include "carehub/audit.hpp"
#include "carehub/error.hpp"
#include "carehub/mail.hpp"

namespace carehub::auth {
namespace {
constexpr std::int64_t kLinkMs = 7 * 24 * 3600 * 1000LL;  // a week: people read mail late
constexpr std::int64_t kResendAfterMs = 60 * 1000;        // one message a minute at most
}  // namespace

void AuthService::mail_verification(Tx& tx, const User& user) {
  const auto token = store_.create_email_verification(tx, user.id, kLinkMs);
  if (mail_ == nullptr || !user.email) return;
  MailMessage message;
  message.to = *user.email;
  message.template_name = "verify_email";
  message.language = user.language;
  message.params["link"] = mail_->public_url() + "/verify-email#token=" + token;
  mail_->enqueue(tx, message);
}

void AuthService::verify_email(const Request& request, const std::string& token) {
  // The failure is audited in a committed unit of work, so the error is raised after it.
  const bool verified = db_.transact([&](Tx& tx) {
    const auto user_id = store_.consume_email_verification(tx, token);
    AuditEvent e = AuditLog::from_request(request, "auth.email_verified", "user",
                                          user_id ? std::to_string(*user_id) : "");
    if (!user_id) e.outcome = "failure";
    audit_.record(tx, e);
    if (user_id) address_confirmed(tx, *user_id);
    return user_id.has_value();
  });
  if (!verified)
    throw ApiError(ErrorCode::kBadRequest,
                   "the confirmation link is not valid, used or expired; ask for a new one");
}

void AuthService::resend_verification(const Request& request, const std::string& email) {
  db_.transact([&](Tx& tx) {
    AuditEvent e = AuditLog::from_request(request, "auth.email_verification_resent", "user", "");
    const auto user =
        email.find('@') == std::string::npos ? std::nullopt : store_.find_by_login(tx, email);
    const auto since = user ? store_.email_verification_pending_since(tx, user->id) : std::nullopt;
    if (!user || !user->active() || !since) {
      e.outcome = "failure";
      e.detail = {{"reason", "no account waiting for confirmation"}};
    } else if (*since > clock_.now_ms() - kResendAfterMs) {
      e.resource_id = std::to_string(user->id);
      e.outcome = "failure";
      e.detail = {{"reason", "a link was sent less than a minute ago"}};
    } else {
      e.resource_id = std::to_string(user->id);
      mail_verification(tx, *user);
    }
    audit_.record(tx, e);
  });
}

}  // namespace carehub::auth
