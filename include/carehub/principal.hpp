// Who is calling. Filled in by the authenticator the auth module installs; the core checks it
// against a route's access rule before the handler runs.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace carehub {

struct Principal {
  enum class Kind {
    kUser,      // a person signed in (local password or external identity provider)
    kApiToken,  // a machine client with a named API token
  };
  Kind kind = Kind::kUser;
  std::string subject;              // stable id ("user:12", "token:3"), used as the audit actor
  std::string email;                // users only
  std::vector<std::string> roles;   // users: admin, physician, patient, medical, member, user
  std::vector<std::string> scopes;  // API tokens: dicom:read, empi:write, ...
  std::int64_t issued_at_s = 0;     // when the credential was issued, where it says (access tokens)

  bool is_admin() const { return kind == Kind::kUser && has_role("admin"); }
  bool has_role(const std::string& role) const {
    return std::find(roles.begin(), roles.end(), role) != roles.end();
  }
  bool has_scope(const std::string& scope) const {
    return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
  }
};

}  // namespace carehub
