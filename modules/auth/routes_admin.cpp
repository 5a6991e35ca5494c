// User administration, API tokens and self-registration.
#include <charconv>

#include "auth/route_helpers.hpp"
#include "auth/routes.hpp"
#include "carehub/error.hpp"
#include "carehub/json_time.hpp"

namespace carehub::auth {
namespace {

NewUser new_user_from(const nlohmann::json& body, bool address_known = false) {
  NewUser u;
  u.email = optional_string(body, "email");
  u.username = optional_string(body, "username");
  u.first_name = optional_string(body, "first_name").value_or("");
  u.last_name = optional_string(body, "last_name").value_or("");
  u.language = optional_string(body, "language").value_or("en");
  if (auto roles = optional_string_list(body, "roles")) u.roles = *roles;
  if (auto role = optional_string(body, "role")) u.roles = {*role};
  u.status = optional_string(body, "status").value_or("active");
  if (!u.email && !u.username && !address_known)
    throw ApiError(ErrorCode::kValidationFailed, "'email' or 'username' is required");
  return u;
}

nlohmann::json token_json(const ApiToken& t) {
  return {{"id", std::to_string(t.id)},
          {"name", t.name},
          {"scopes", t.scopes},
          {"created_at", format_rfc3339_ms(t.created_at_ms)},
          {"expires_at", rfc3339_or_null(t.expires_at_ms)},
          {"revoked_at", rfc3339_or_null(t.revoked_at_ms)},
          {"last_used", rfc3339_or_null(t.last_used_ms)}};
}

}  // namespace

void register_admin_routes(Router& r, AuthService& auth) {
  r.add(Method::kGet, "/api/v1/users", Access::admin(), [&auth](Request& req) {
    UserFilter filter;
    filter.role = req.query_param("role");
    filter.status = req.query_param("status");
    filter.query = req.query_param("q");
    filter.limit = req.int_query("limit", 50, 1, 200);
    filter.offset = req.int_query("offset", 0, 0, 1'000'000'000);
    auto page = auth.list_users(filter);
    nlohmann::json users = nlohmann::json::array();
    for (const auto& u : page.users) users.push_back(user_json(u));
    return Response::json({{"users", users},
                           {"total", page.total},
                           {"limit", filter.limit},
                           {"offset", filter.offset}});
  });
  r.add(Method::kPost, "/api/v1/users", Access::admin(), [&auth](Request& req) {
    auto body = req.json_object();
    auto user = auth.create_user(req, new_user_from(body), optional_string(body, "password"));
    return Response::json(user_json(user), 201);
  });
  r.add(Method::kGet, "/api/v1/users/{id}", Access::admin(), [&auth](Request& req) {
    return Response::json(user_json(auth.get_user(parse_positive_id(req.param("id"), "id"))));
  });
  r.add(Method::kPatch, "/api/v1/users/{id}", Access::admin(), [&auth](Request& req) {
    auto body = req.json_object();
    UserPatch patch;
    for (const auto& [key, value] : body.items()) {
      static const std::vector<std::string> kAllowed = {"first_name", "last_name", "language",
                                                        "roles", "status"};
      if (std::find(kAllowed.begin(), kAllowed.end(), key) == kAllowed.end()) {
        throw ApiError(ErrorCode::kValidationFailed, "'" + key + "' cannot be changed here");
      }
    }
    patch.first_name = optional_string(body, "first_name");
    patch.last_name = optional_string(body, "last_name");
    patch.language = optional_string(body, "language");
    patch.roles = optional_string_list(body, "roles");
    patch.status = optional_string(body, "status");
    return Response::json(
        user_json(auth.update_user(req, parse_positive_id(req.param("id"), "id"), patch)));
  });
  // Tuva EMPI's role update: {"user_id": "...", "role": "admin" | "member" | null}.
  r.add(Method::kPost, "/api/v1/users/{id}", Access::admin(), [&auth](Request& req) {
    auto body = req.json_object();
    const auto id = parse_positive_id(req.param("id"), "id");
    if (!body.contains("role")) throw ApiError(ErrorCode::kValidationFailed, "'role' is required");
    auto role = optional_string(body, "role");
    if (role && *role != "admin" && *role != "member") {
      throw ApiError(ErrorCode::kValidationFailed, "'role' must be admin, member or null");
    }
    auto roles = auth.get_user(id).roles;
    std::erase_if(roles, [](const std::string& r) { return r == "admin" || r == "member"; });
    if (role) roles.push_back(*role);
    UserPatch patch;
    patch.roles = roles;
    auto user = auth.update_user(req, id, patch);
    return Response::json({{"user", {{"id", std::to_string(user.id)}}}});
  });
  r.add(Method::kPost, "/api/v1/users/{id}/reset-password", Access::admin(), [&auth](Request& req) {
    auto token = auth.issue_reset_token(req, parse_positive_id(req.param("id"), "id"));
    return Response::json({{"token", token}, {"expires_in", auth.config().reset_token_ttl_s}}, 201);
  });

  r.add(Method::kPost, "/api/v1/tokens", Access::admin(), [&auth](Request& req) {
    auto body = req.json_object();
    std::optional<std::int64_t> expires_at;
    if (auto seconds = body.find("expires_in"); seconds != body.end() && !seconds->is_null()) {
      if (!seconds->is_number_integer() || seconds->get<std::int64_t>() <= 0) {
        throw ApiError(ErrorCode::kValidationFailed,
                       "'expires_in' must be a positive number of seconds");
      }
      expires_at = auth.clock().now_ms() + seconds->get<std::int64_t>() * 1000;
    }
    auto scopes = optional_string_list(body, "scopes").value_or(std::vector<std::string>{});
    auto issued = auth.create_api_token(req, required_string(body, "name"), scopes, expires_at);
    auto out = token_json(issued.token);
    out["token"] = issued.bearer;
    return Response::json(out, 201);
  });
  r.add(Method::kGet, "/api/v1/tokens", Access::admin(), [&auth](Request&) {
    nlohmann::json tokens = nlohmann::json::array();
    for (const auto& t : auth.list_api_tokens()) tokens.push_back(token_json(t));
    return Response::json({{"tokens", tokens}});
  });
  r.add(Method::kDelete, "/api/v1/tokens/{id}", Access::admin(), [&auth](Request& req) {
    auth.revoke_api_token(req, parse_positive_id(req.param("id"), "id"));
    return Response::no_content();
  });

  // What the console's registration page offers: the roles open to self-registration, and
  // whether the address must be confirmed before signing in.
  r.add(Method::kGet, "/api/v1/auth/registration", Access::open(), [&auth](Request&) {
    return Response::json({{"roles", auth.config().registration_roles},
                           {"verify_email", auth.config().verify_email}});
  });
  r.add(Method::kPost, "/api/v1/auth/register", Access::open(), [&auth](Request& req) {
    auto body = req.json_object();
    const auto invitation = optional_string(body, "invitation");
    // An invitation brings its own address: the person need not type it again.
    auto user = auth.register_user(req, new_user_from(body, invitation.has_value()),
                                   required_string(body, "password"), invitation);
    auto answer = user_json(user);
    // The account signs in once the emailed link is opened (an invitation's link was).
    if (auth.config().verify_email && !invitation) answer["email_verification"] = "pending";
    return Response::json(answer, 201);
  });
}

}  // namespace carehub::auth
