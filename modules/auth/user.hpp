// The auth module's domain types: users, what creating or changing one takes, and the tokens the
// store hands out. Plain values; the SQL lives in AuthStore.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace carehub::auth {

// Every role a user may hold (issue 3, item 1). Stored as a JSON array of these names.
inline const std::vector<std::string>& known_roles() {
  static const std::vector<std::string> roles = {"admin",   "physician", "patient",
                                                 "medical", "member",    "user"};
  return roles;
}

inline bool is_known_role(std::string_view role) {
  const auto& roles = known_roles();
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

inline bool is_known_language(std::string_view language) {
  return language == "en" || language == "es";
}

inline bool is_known_status(std::string_view status) {
  return status == "active" || status == "disabled";
}

struct User {
  std::int64_t id = 0;
  std::optional<std::string> email{};          // as given; looked up case-insensitively
  std::optional<std::string> username{};       // app users who give no email
  std::optional<std::string> password_hash{};  // none: signs in through the identity provider only
  std::string first_name{};
  std::string last_name{};
  std::string language = "en";
  std::vector<std::string> roles{};
  std::string status = "active";
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  std::optional<std::int64_t> last_login_ms{};
  std::int64_t token_generation = 0;  // access tokens of an older generation are revoked

  bool has_role(std::string_view role) const {
    return std::find(roles.begin(), roles.end(), role) != roles.end();
  }
  bool active() const { return status == "active"; }
};

struct NewUser {
  std::optional<std::string> email{};
  std::optional<std::string> username{};
  // Already hashed (hash_password); none for users of the identity provider.
  std::optional<std::string> password_hash{};
  std::string first_name{};
  std::string last_name{};
  std::string language = "en";
  std::vector<std::string> roles{};
  std::string status = "active";
};

// Fields left empty are not changed. Every member has an initialiser so designated initialisers
// ({.status = "disabled"}) compile without -Wmissing-field-initializers noise.
struct UserPatch {
  std::optional<std::string> first_name{};
  std::optional<std::string> last_name{};
  std::optional<std::string> language{};
  std::optional<std::vector<std::string>> roles{};
  std::optional<std::string> status{};
  std::optional<std::string> password_hash{};
};

struct UserFilter {
  std::optional<std::string> role{};
  std::optional<std::string> status{};
  // Case-insensitive substring of email, username, first or last name; % and _ match themselves.
  std::optional<std::string> query{};
  int limit = 50;  // clamped to 1..200
  int offset = 0;
};

struct UserPage {
  std::vector<User> users{};
  std::int64_t total = 0;  // matching users, ignoring limit and offset
};

// create_user's answer: the user, or which input was refused (never an SQL message).
struct CreateUserResult {
  enum class Status { kCreated, kEmailTaken, kUsernameTaken, kInvalid };
  Status status = Status::kInvalid;
  std::optional<User> user{};  // kCreated only
  std::string field{};         // the refused field: email, username, roles, language, status
  std::string problem{};       // a sentence for the client

  bool created() const { return status == Status::kCreated; }
};

// A freshly issued secret. Only its SHA-256 is stored; this is the one time it is seen.
struct IssuedSecret {
  std::int64_t id = 0;
  std::string secret{};
};

struct IssuedRefreshToken {
  std::int64_t id = 0;
  std::string secret{};
  std::string family_id{};
  std::int64_t expires_at_ms = 0;
};

struct RotateResult {
  enum class Outcome {
    kRotated,  // the presented token is now used; secret is its successor in the same family
    kUnknown,  // no such token
    kExpired,
    kRevoked,
    kReused,  // presented after it was already rotated: the whole family is now revoked
  };
  Outcome outcome = Outcome::kUnknown;
  std::int64_t user_id = 0;        // all but kUnknown
  std::string family_id{};         // all but kUnknown
  std::string secret{};            // kRotated only
  std::int64_t expires_at_ms = 0;  // kRotated only
  bool within_grace = false;       // kRotated of a token rotated moments ago (two tabs)
};

struct ApiToken {
  std::int64_t id = 0;
  std::string name{};
  std::vector<std::string> scopes{};
  std::optional<std::int64_t> created_by{};
  std::int64_t created_at_ms = 0;
  std::optional<std::int64_t> expires_at_ms{};
  std::optional<std::int64_t> revoked_at_ms{};
  std::optional<std::int64_t> last_used_ms{};

  bool has_scope(std::string_view scope) const {
    return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
  }
  bool usable_at(std::int64_t now_ms) const {
    return !revoked_at_ms && (!expires_at_ms || *expires_at_ms > now_ms);
  }
};

}  // namespace carehub::auth
