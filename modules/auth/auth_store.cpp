// Users: creation with case-insensitive uniqueness, lookups, the admin listing, changes and the
// failed-login lockout. Tokens are in store_sessions.cpp and store_tokens.cpp.
#include "auth/auth_store.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "carehub/json.hpp"
#include "carehub/text_check.hpp"

namespace carehub::auth {

namespace {

constexpr const char* kUserColumns =
    "id, email, username, password_hash, first_name, last_name, language, roles, status, "
    "created_at_ms, updated_at_ms, last_login_ms, token_generation";
constexpr std::size_t kMaxLoginBytes = 254;  // the longest address SMTP can carry
constexpr std::size_t kMaxNameBytes = 200;
constexpr int kMaxPageSize = 200;

User user_from_row(const Row& row) {
  User u;
  u.id = row.integer(0);
  u.email = row.opt_text(1);
  u.username = row.opt_text(2);
  u.password_hash = row.opt_text(3);
  u.first_name = row.text(4);
  u.last_name = row.text(5);
  u.language = row.text(6);
  u.roles = parse_stored_json(row.text(7), "user roles").get<std::vector<std::string>>();
  u.status = row.text(8);
  u.created_at_ms = row.integer(9);
  u.updated_at_ms = row.integer(10);
  u.last_login_ms = row.opt_integer(11);
  u.token_generation = row.integer(12);
  return u;
}

bool has_space_or_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](unsigned char c) { return c <= 0x20 || c == 0x7F; });
}

std::optional<std::string> username_problem(std::string_view username) {
  if (username.empty() || username.size() > kMaxLoginBytes ||
      username.find('@') != std::string_view::npos || has_space_or_control(username) ||
      text_problem(username)) {
    return "username must be 1 to 254 bytes without '@', spaces or control characters";
  }
  return std::nullopt;
}

std::optional<std::string> roles_problem(const std::vector<std::string>& roles) {
  for (const auto& role : roles) {
    if (!is_known_role(role)) {
      std::string known;
      for (const auto& r : known_roles()) known += (known.empty() ? "" : ", ") + r;
      return "roles must each be one of " + known;  // the value is not quoted back
    }
  }
  return std::nullopt;
}

// Names are shown in admin listings: one line, no control characters.
std::optional<std::string> name_problem(const char* field, const std::string& name) {
  if (name.size() > kMaxNameBytes) return std::string(field) + " must be at most 200 bytes";
  if (auto problem = text_problem(name)) return std::string(field) + " " + *problem;
  return std::nullopt;
}

// Duplicates dropped, first occurrence kept.
std::string roles_json(const std::vector<std::string>& roles) {
  std::vector<std::string> unique;
  for (const auto& role : roles) {
    if (std::find(unique.begin(), unique.end(), role) == unique.end()) unique.push_back(role);
  }
  return nlohmann::json(unique).dump();
}

CreateUserResult refused(CreateUserResult::Status status, std::string field, std::string problem) {
  CreateUserResult r;
  r.status = status;
  r.field = std::move(field);
  r.problem = std::move(problem);
  return r;
}

}  // namespace

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::optional<std::string> patch_problem(const UserPatch& patch) {
  if (patch.first_name) {
    if (auto p = name_problem("first_name", *patch.first_name)) return p;
  }
  if (patch.last_name) {
    if (auto p = name_problem("last_name", *patch.last_name)) return p;
  }
  if (patch.language && !is_known_language(*patch.language)) return "language must be en or es";
  if (patch.status && !is_known_status(*patch.status)) return "status must be active or disabled";
  if (patch.roles) return roles_problem(*patch.roles);
  return std::nullopt;
}

CreateUserResult AuthStore::create_user(Tx& tx, const NewUser& nu) {
  using S = CreateUserResult::Status;
  if (!nu.email && !nu.username)
    return refused(S::kInvalid, "email", "an email or a username is needed");
  if (nu.email) {
    if (auto p = email_problem(*nu.email)) return refused(S::kInvalid, "email", *p);
  }
  if (nu.username) {
    if (auto p = username_problem(*nu.username)) return refused(S::kInvalid, "username", *p);
  }
  if (auto p = roles_problem(nu.roles)) return refused(S::kInvalid, "roles", *p);
  if (!is_known_language(nu.language))
    return refused(S::kInvalid, "language", "language must be en or es");
  if (!is_known_status(nu.status))
    return refused(S::kInvalid, "status", "status must be active or disabled");
  if (auto p = name_problem("first_name", nu.first_name))
    return refused(S::kInvalid, "first_name", *p);
  if (auto p = name_problem("last_name", nu.last_name))
    return refused(S::kInvalid, "last_name", *p);

  const std::optional<std::string> email_lower =
      nu.email ? std::optional(lower_ascii(*nu.email)) : std::nullopt;
  const std::optional<std::string> username_lower =
      nu.username ? std::optional(lower_ascii(*nu.username)) : std::nullopt;
  const std::int64_t now = clock_.now_ms();
  // DO NOTHING rather than catching the unique violation: on PostgreSQL a failed statement
  // poisons the caller's whole transaction, and this is an expected outcome, not an error.
  auto inserted = tx.query_one(
      "INSERT INTO users (email, email_lower, username, username_lower, password_hash, "
      "first_name, last_name, language, roles, status, created_at_ms, "
      "updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) "
      "ON CONFLICT DO NOTHING RETURNING id",
      {nullable(nu.email), nullable(email_lower), nullable(nu.username), nullable(username_lower),
       nullable(nu.password_hash), nu.first_name, nu.last_name, nu.language, roles_json(nu.roles),
       nu.status, now});
  if (!inserted) {
    if (email_lower && tx.query_one("SELECT 1 FROM users WHERE email_lower = $1", {*email_lower})) {
      return refused(S::kEmailTaken, "email", "a user with this email already exists");
    }
    return refused(S::kUsernameTaken, "username", "a user with this username already exists");
  }
  CreateUserResult r;
  r.status = S::kCreated;
  r.user = find_user(tx, inserted->integer(0));
  if (!r.user) throw DbError("user vanished right after insert", true);
  return r;
}

std::optional<User> AuthStore::find_user(Tx& tx, std::int64_t id) {
  static const std::string sql =
      std::string("SELECT ") + kUserColumns + " FROM users WHERE id = $1";
  auto row = tx.query_one(sql, {id});
  if (!row) return std::nullopt;
  return user_from_row(*row);
}

std::optional<User> AuthStore::find_by_login(Tx& tx, std::string_view email_or_username) {
  static const std::string sql = std::string("SELECT ") + kUserColumns +
                                 " FROM users WHERE email_lower = $1 OR username_lower = $1";
  auto row = tx.query_one(sql, {lower_ascii(email_or_username)});
  if (!row) return std::nullopt;
  return user_from_row(*row);
}

UserPage AuthStore::list_users(Tx& tx, const UserFilter& filter) {
  std::string where = " WHERE 1 = 1";
  Params params;
  auto next = [&params](Param p) {
    params.push_back(std::move(p));
    return "$" + std::to_string(params.size());
  };
  if (filter.role) {
    where += " AND roles LIKE " +
             next("%" + escape_like(nlohmann::json(*filter.role).dump()) + "%") + " ESCAPE '\\'";
  }
  if (filter.status) where += " AND status = " + next(*filter.status);
  if (filter.query && !filter.query->empty()) {
    const std::string q = next("%" + escape_like(*filter.query) + "%");
    where += " AND (email_lower LIKE lower(" + q + ") ESCAPE '\\' OR username_lower LIKE lower(" +
             q + ") ESCAPE '\\' OR lower(first_name) LIKE lower(" + q +
             ") ESCAPE '\\' OR lower(last_name) LIKE lower(" + q + ") ESCAPE '\\')";
  }
  UserPage page;
  page.total = tx.query_one("SELECT COUNT(*) FROM users" + where, params)->integer(0);
  const int limit = std::clamp(filter.limit, 1, kMaxPageSize);
  const int offset = std::max(filter.offset, 0);
  const std::string sql = std::string("SELECT ") + kUserColumns + " FROM users" + where +
                          " ORDER BY id LIMIT " + next(std::int64_t{limit}) + " OFFSET " +
                          next(std::int64_t{offset});
  for (const auto& row : tx.query(sql, params)) page.users.push_back(user_from_row(row));
  return page;
}

std::optional<User> AuthStore::update_user(Tx& tx, std::int64_t id, const UserPatch& patch) {
  if (auto problem = patch_problem(patch)) throw std::invalid_argument(*problem);
  Params params{id, clock_.now_ms()};
  std::string sets = "updated_at_ms = $2";
  auto set = [&](const char* column, Param value) {
    params.push_back(std::move(value));
    sets += std::string(", ") + column + " = $" + std::to_string(params.size());
  };
  if (patch.first_name) set("first_name", *patch.first_name);
  if (patch.last_name) set("last_name", *patch.last_name);
  if (patch.language) set("language", *patch.language);
  if (patch.roles) set("roles", roles_json(*patch.roles));
  if (patch.status) set("status", *patch.status);
  if (patch.password_hash) set("password_hash", *patch.password_hash);
  auto row = tx.query_one(
      "UPDATE users SET " + sets + " WHERE id = $1 RETURNING " + std::string(kUserColumns), params);
  if (!row) return std::nullopt;
  return user_from_row(*row);
}

std::int64_t AuthStore::count_admins(Tx& tx) {
  return tx
      .query_one("SELECT COUNT(*) FROM users WHERE status = 'active' AND roles LIKE '%\"admin\"%'")
      ->integer(0);
}

void AuthStore::record_login_success(Tx& tx, std::int64_t user_id) {
  tx.exec("UPDATE users SET last_login_ms = $2 WHERE id = $1", {user_id, clock_.now_ms()});
}

std::vector<std::int64_t> AuthStore::admin_ids(Tx& tx) {
  std::vector<std::int64_t> ids;
  for (const auto& row :
       tx.query("SELECT id FROM users WHERE status = 'active' AND roles LIKE '%\"admin\"%'"))
    ids.push_back(row.integer(0));
  return ids;
}

}  // namespace carehub::auth
