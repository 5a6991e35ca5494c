// "Forgot password": an emailed single-use link to the console's reset page. The answer is the
// same whether the address has an account or not (an address's having one is not told), and the
// mail is written to the outbox in the unit of work that makes the link.
#include <algorithm>

#include "auth/service.hpp"
#include "carehub/audit.hpp"
#include "carehub/mail.hpp"

namespace carehub::auth {
namespace {
// The emailed link's life (its message says "within an hour"); an admin's reset link lives
// auth.reset_token_ttl_s.
constexpr std::int64_t kEmailedLinkMs = 3600 * 1000;
// One message a minute per account at most: a stranger cannot fill someone's mailbox.
constexpr std::int64_t kResendAfterMs = 60 * 1000;
}  // namespace

void AuthService::forgot_password(const Request& request, const std::string& email) {
  if (mail_ == nullptr) return;
  db_.transact([&](Tx& tx) {
    AuditEvent e = AuditLog::from_request(request, "auth.password_reset_requested", "user", "");
    const auto user =
        email.find('@') == std::string::npos ? std::nullopt : store_.find_by_login(tx, email);
    // Only an active account with a local password: an identity provider's users reset there.
    if (!user || !user->active() || !user->password_hash || !user->email) {
      e.outcome = "failure";
      e.detail = {{"reason", "no active account with a password"}};
      audit_.record(tx, e);
      return;
    }
    e.resource_id = std::to_string(user->id);
    if (store_.reset_token_created_since(tx, user->id, clock_.now_ms() - kResendAfterMs)) {
      e.outcome = "failure";
      e.detail = {{"reason", "a link was sent less than a minute ago"}};
      audit_.record(tx, e);
      return;
    }
    const auto token = store_.create_reset_token(
        tx, user->id, std::min<std::int64_t>(kEmailedLinkMs, config_.reset_token_ttl_s * 1000));
    MailMessage message;
    message.to = *user->email;
    message.template_name = "password_reset";
    message.language = user->language;
    message.params["link"] = mail_->public_url() + "/reset-password#token=" + token;
    mail_->enqueue(tx, message);
    audit_.record(tx, e);
  });
}

}  // namespace carehub::auth
