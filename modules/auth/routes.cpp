// The auth module's routes: sign-in and sessions, the caller's own account, the public keys.
#include "auth/routes.hpp"

#include "auth/browser_session.hpp"
#include "auth/route_helpers.hpp"
#include "carehub/error.hpp"

namespace carehub::auth {
namespace {

// A new session: for a browser (X-Carehub-Session: cookie) the refresh token goes into the
// httpOnly cookie and is left out of the body; other clients get it in the body.
Response session_response(const Request& request, const AuthService& auth, const Session& s,
                          int status = 200) {
  nlohmann::json body = {{"access_token", s.access_token},
                         {"token_type", "Bearer"},
                         {"expires_in", s.expires_in},
                         {"user", user_json(s.user)}};
  if (!wants_cookie_session(request)) {
    body["refresh_token"] = s.refresh_token;
    return Response::json(body, status);
  }
  return Response::json(body, status)
      .with_header("Set-Cookie",
                   refresh_cookie(request, s.refresh_token, auth.config().refresh_token_ttl_s));
}

// The refresh token a call presents: the body's, or for a browser the cookie's.
std::optional<std::string> presented_refresh_token(const Request& request) {
  if (wants_cookie_session(request)) return request_cookie(request, kRefreshCookie);
  return required_string(request.json_object(), "refresh_token");
}

Response login(AuthService& auth, Request& req) {
  auto body = req.json_object();
  auto login = optional_string(body, "email");
  if (!login) login = optional_string(body, "username");
  if (!login) login = optional_string(body, "login");
  if (!login) throw ApiError(ErrorCode::kValidationFailed, "'email' or 'username' is required");
  return session_response(req, auth, auth.login(req, *login, required_string(body, "password")));
}

Response refresh(AuthService& auth, Request& req) {
  const auto token = presented_refresh_token(req);
  if (!token) throw ApiError(ErrorCode::kUnauthorized, "no session cookie; sign in");
  try {
    return session_response(req, auth, auth.refresh(req, *token));
  } catch (const ApiError& e) {
    // A refused cookie (expired, revoked, tampered with) is removed, so the browser stops
    // sending it.
    if (e.code() != ErrorCode::kUnauthorized || !wants_cookie_session(req)) throw;
    throw ApiError(e.code(), e.what()).with_header("Set-Cookie", cleared_refresh_cookie(req));
  }
}

Response logout(AuthService& auth, Request& req) {
  const auto token = presented_refresh_token(req);
  if (token) auth.logout(req, *token);
  auto r = Response::no_content();
  if (wants_cookie_session(req)) r.with_header("Set-Cookie", cleared_refresh_cookie(req));
  return r;
}

Response providers(AuthService& auth, Request&) {
  // How a person can sign in from the console. The browser's OpenID Connect flow is not served
  // yet: an identity provider's users sign in with its tokens through the API until it is.
  return Response::json({{"local_passwords", auth.config().local_passwords()}, {"oidc", nullptr}});
}

Response setup_state(AuthService& auth, Request&) {
  return Response::json({{"needed", auth.setup_needed()}});
}

Response complete_setup(AuthService& auth, Request& req) {
  auto body = req.json_object();
  auto session =
      auth.complete_setup(req, required_string(body, "token"), required_string(body, "email"),
                          required_string(body, "password"));
  return session_response(req, auth, session, 201);
}

}  // namespace

void register_session_routes(Router& r, AuthService& auth) {
  r.add(Method::kPost, "/api/v1/auth/login", Access::open(), bind_handler(auth, login));
  r.add(Method::kPost, "/api/v1/auth/refresh", Access::open(), bind_handler(auth, refresh));
  r.add(Method::kPost, "/api/v1/auth/logout", Access::open(), bind_handler(auth, logout));
  r.add(Method::kGet, "/api/v1/auth/providers", Access::open(), bind_handler(auth, providers));
  r.add(Method::kGet, "/api/v1/setup", Access::open(), bind_handler(auth, setup_state));
  r.add(Method::kPost, "/api/v1/setup", Access::open(), bind_handler(auth, complete_setup));
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
    // The session to keep: the body's refresh token, or a browser's cookie (sent to this path).
    auto keep = optional_string(body, "refresh_token");
    if (!keep) keep = request_cookie(req, kRefreshCookie);
    auth.change_password(req, required_string(body, "current_password"),
                         required_string(body, "new_password"), keep);
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
