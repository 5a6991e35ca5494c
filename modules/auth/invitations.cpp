// Invitations to register: another module (cases, sharing with an address that has no account)
// has an emailed single-use link sent; the person who opens it registers with the invitation's
// role and address whatever auth.registration_roles says, the address proven by the link, and the
// module waiting for that address hears of it in the same unit of work.
#include "auth/service.hpp"
#include "carehub/accounts.hpp"
#include "carehub/audit.hpp"
#include "carehub/error.hpp"
#include "carehub/mail.hpp"
#include "carehub/services.hpp"
#include "carehub/text_check.hpp"

namespace carehub::auth {
namespace {

constexpr std::int64_t kInvitationMs = 14 * 24 * 3600 * 1000LL;  // two weeks: a busy physician

}  // namespace

void AuthService::invite(Tx& tx, std::string_view email, const std::string& role,
                         const std::string& template_name, const std::string& language) {
  if (!is_known_role(role)) throw std::invalid_argument("unknown role '" + role + "'");
  const auto address = ascii_lower(email);
  const auto token = store_.create_invitation(tx, address, role, kInvitationMs);
  if (mail_ == nullptr) return;
  MailMessage message;
  message.to = address;
  message.template_name = template_name;
  message.language = language;
  message.params["link"] = mail_->public_url() + "/register#token=" + token;
  mail_->enqueue(tx, message);
}

User AuthService::register_invited(const Request& request, NewUser user,
                                   const std::string& password, const std::string& invitation) {
  if (auto problem = password_problem(password))
    throw ApiError(ErrorCode::kValidationFailed, "password " + *problem);
  user.password_hash = hash_password(password, password_params());
  user.status = "active";
  // A refused invitation is audited in a unit of work that commits, so the error comes after it.
  auto created = db_.transact([&](Tx& tx) -> std::optional<User> {
    // The address is the invitation's; one given must be the same (the link is not another's).
    const auto invited = store_.use_invitation(
        tx, invitation, user.email ? ascii_lower(*user.email) : std::string());
    if (!invited) {
      AuditEvent e = AuditLog::from_request(request, "user.register_invited", "user", "");
      e.outcome = "failure";
      audit_.record(tx, e);
      return std::nullopt;
    }
    user.email = invited->email;
    user.roles = {invited->role};
    auto made = store_.create_user(tx, user);
    if (!made.created()) throw conflict_or_invalid(made);
    AuditEvent e = AuditLog::from_request(request, "user.register_invited", "user",
                                          std::to_string(made.user->id));
    e.detail = {{"roles", made.user->roles}};
    audit_.record(tx, e);
    address_confirmed(tx, made.user->id);
    return *made.user;
  });
  if (!created) {
    throw ApiError(ErrorCode::kBadRequest,
                   "the invitation link is not valid, used or expired, or it was sent to another "
                   "address; ask the person who invited you to share again");
  }
  return *created;
}

void AuthService::address_confirmed(Tx& tx, std::int64_t user_id) {
  auto* listener = services_ ? services_->address_confirmations.get() : nullptr;
  if (!listener) return;
  if (auto account = find(tx, user_id)) listener->address_confirmed(tx, *account);
}

}  // namespace carehub::auth
