// The accounts other modules see (carehub/accounts.hpp): a user's identity and roles, and a role
// granted through another module's own rule, revoking access tokens like any role change.
#include <algorithm>
#include <stdexcept>

#include "auth/service.hpp"
#include "carehub/text_check.hpp"

namespace carehub::auth {
namespace {

AccountInfo info_of(const User& u) {
  return AccountInfo{u.id,       u.email,    u.username,        u.roles,
                     u.language, u.active(), u.token_generation};
}

}  // namespace

std::optional<AccountInfo> AuthService::find(Tx& tx, std::int64_t user_id) {
  auto user = store_.find_user(tx, user_id);
  if (!user) return std::nullopt;
  return info_of(*user);
}

std::optional<AccountInfo> AuthService::find_by_email(Tx& tx, std::string_view email) {
  auto user = store_.find_by_login(tx, email);
  if (!user || !user->email || ascii_lower(*user->email) != ascii_lower(email)) return std::nullopt;
  return info_of(*user);
}

bool AuthService::grant_role(Tx& tx, std::int64_t user_id, const std::string& role) {
  if (!is_known_role(role)) throw std::invalid_argument("unknown role '" + role + "'");
  auto user = store_.find_user(tx, user_id);
  if (!user) throw std::invalid_argument("no user " + std::to_string(user_id));
  if (user->has_role(role)) return false;
  UserPatch patch;
  patch.roles = user->roles;
  patch.roles->push_back(role);
  store_.update_user(tx, user_id, patch);
  revoke_access(tx, user_id);
  return true;
}

}  // namespace carehub::auth
#include "carehub/text_check.hpp"
