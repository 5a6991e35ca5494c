// Who is calling. Filled in by the authenticator the auth module installs; the core only checks it
// against a route's access rule.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

namespace carehub {

struct Principal {
  std::string subject;  // stable user or client id, used as the audit actor
  std::vector<std::string> roles;
  bool is_admin() const { return has_role("admin"); }
  bool has_role(const std::string& role) const {
    return std::find(roles.begin(), roles.end(), role) != roles.end();
  }
};

}  // namespace carehub
