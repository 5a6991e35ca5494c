// The auth module's routes: sign-in and sessions, the caller's own account, the public keys.
#include "auth/routes.hpp"

#include "auth/route_helpers.hpp"
#include "carehub/error.hpp"

namespace carehub::auth {
namespace {

Response session_response(const Session& s) {
  return Response::json({{"access_token", s.access_token},
                         {"token_type", "Bearer"},
                         {"expires_in", s.expires_in},
                         {"refresh_token", s.refresh_token},
                         {"user", user_json(s.user)}});
}

}  // namespace

void register_session_routes(Router& r, AuthService& auth) {
  r.add(Method::kPost, "/api/v1/auth/login", Access::open(), [&auth](Request& req) {
    auto body = req.json_object();
    auto login = optional_string(body, "email");
    if (!login) login = optional_string(body, "username");
    if (!login) login = optional_string(body, "login");
    if (!login) throw ApiError(ErrorCode::kValidationFailed, "'email' or 'username' is required");
    return session_response(auth.login(req, *login, required_string(body, "password")));
  });
  r.add(Method::kPost, "/api/v1/auth/refresh", Access::open(), [&auth](Request& req) {
    return session_response(auth.refresh(req, required_string(req.json_object(), "refresh_token")));
  });
  r.add(Method::kPost, "/api/v1/auth/logout", Access::open(), [&auth](Request& req) {
    auth.logout(req, required_string(req.json_object(), "refresh_token"));
    return Response::no_content();
  });
  r.add(Method::kGet, "/api/v1/auth/me", Access::signed_in(),
        [&auth](Request& req) { return Response::json(user_json(auth.current_user(req))); });
  r.add(Method::kPatch, "/api/v1/auth/me", Access::signed_in(), [&auth](Request& req) {
    auto body = req.json_object();
    UserPatch patch;
    for (const auto& [key, value] : body.items()) {
      if (key != "first_name" && key != "last_name" && key != "language") {
        throw ApiError(ErrorCode::kValidationFailed, "'" + key + "' cannot be changed here");
      }
    }
    patch.first_name = optional_string(body, "first_name");
    patch.last_name = optional_string(body, "last_name");
    patch.language = optional_string(body, "language");
    return Response::json(user_json(auth.update_me(req, patch)));
  });
  r.add(Method::kPost, "/api/v1/auth/password", Access::signed_in(), [&auth](Request& req) {
    auto body = req.json_object();
    auth.change_password(req, required_string(body, "current_password"),
                         required_string(body, "new_password"),
                         optional_string(body, "refresh_token"));
    return Response::no_content();
  });
  r.add(Method::kPost, "/api/v1/auth/reset-password", Access::open(), [&auth](Request& req) {
    auto body = req.json_object();
    auth.reset_password(req, required_string(body, "token"), required_string(body, "password"));
    return Response::no_content();
  });
  r.add(Method::kGet, "/.well-known/jwks.json", Access::open(), [&auth](Request&) {
    return Response::json(auth.jwks()).with_header("Cache-Control", "max-age=300");
  });
}

}  // namespace carehub::auth
