// Who is calling. Filled in by the authenticator the auth module installs; the core checks it
// against a route's access rule before the handler runs.
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
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
  // Users signed in with carehub's own access token: the account's token generation when it was
  // issued. A revocation moves the account's generation on, and every older credential (a token,
  // a stream ticket made from it) stops working.
  std::optional<std::int64_t> token_generation;

  bool is_admin() const { return kind == Kind::kUser && has_role("admin"); }
  bool has_role(const std::string& role) const {
    return std::find(roles.begin(), roles.end(), role) != roles.end();
  }
  bool has_scope(const std::string& scope) const {
    return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
  }
  // The account id of a user ("user:N"); nullopt for API tokens.
  std::optional<std::int64_t> user_id() const {
    if (kind != Kind::kUser || subject.rfind("user:", 0) != 0) return std::nullopt;
    std::int64_t id = 0;
    const char* end = subject.data() + subject.size();
    auto [p, ec] = std::from_chars(subject.data() + 5, end, id);
    if (ec != std::errc{} || p != end || id <= 0) return std::nullopt;
    return id;
  }
};

}  // namespace carehub
