// The auth module's routes: sign-in and sessions, the caller's own account, the public keys.
#include "auth/routes.hpp"

#include <fmt/format.h>

#include "auth/browser_session.hpp"
#include "auth/oidc_login.hpp"
#include "auth/route_helpers.hpp"
#include "carehub/error.hpp"

namespace carehub::auth {
namespace {

// 202 with the same body whatever the address: whether it has an account is not told.
Response accepted_for_any_address(const char* message) {
  return Response::json({{"status", "accepted"}, {"message", message}}, 202);
}

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
    return session_response(req, auth, auth.refresh(req, *token, wants_cookie_session(req)));
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
  // How a person can sign in from the console.
  nlohmann::json oidc = nullptr;
  if (const auto name = auth.oidc_display_name()) {
    oidc = {{"name", *name}, {"start_url", "/api/v1/auth/oidc/start"}};
  }
  return Response::json({{"local_passwords", auth.config().local_passwords()}, {"oidc", oidc}});
}

// --- "Sign in with <provider>": every answer is a redirect, the caller is a browser ---

constexpr std::string_view kStateCookie = "carehub_oidc_state";

// This server as the browser named it, for the callback URL the provider must know.
std::string request_origin(const Request& req) {
  const bool https = req.secure;  // own TLS, or a trusted proxy's X-Forwarded-Proto
  return std::string(https ? "https://" : "http://") +
         std::string(req.header("host").value_or("127.0.0.1"));
}

// A path of this console, never another site ("//evil.example", "/\\evil.example").
std::string console_path(const std::optional<std::string>& wanted) {
  if (!wanted || !wanted->starts_with('/') || wanted->starts_with("//") ||
      wanted->starts_with("/\\") || wanted->find_first_of("\r\n") != std::string::npos) {
    return "/";
  }
  return *wanted;
}

// The state cookie goes back to the callback on the provider's top-level redirect, a cross-site
// navigation: SameSite=Lax (Strict would hold it back). It names this login in this browser.
std::string state_cookie(const Request& req, std::string_view value, int max_age_s) {
  const bool https = req.secure;  // own TLS, or a trusted proxy's X-Forwarded-Proto
  return fmt::format("{}={}; Path=/api/v1/auth/oidc; Max-Age={}; HttpOnly; SameSite=Lax{}",
                     kStateCookie, value, max_age_s, https ? "; Secure" : "");
}

Response redirect(std::string location) {
  Response r;
  r.status = 302;
  r.content_type.clear();
  return r.with_header("Location", std::move(location));
}

Response oidc_start(AuthService& auth, Request& req) {
  const auto start =
      auth.begin_oidc_login(request_origin(req), console_path(req.query_param("return_to")));
  return redirect(start.url).with_header("Set-Cookie", state_cookie(req, start.state, 600));
}

Response oidc_callback(AuthService& auth, Request& req) {
  auto to_signin = [&req](const std::string& message) {
    return redirect("/signin?signin_error=" + form_encode(message))
        .with_header("Set-Cookie", state_cookie(req, "", 0));
  };
  if (const auto error = req.query_param("error")) {
    // Only the provider's error code, and only when it looks like one: the query is anyone's.
    const bool code_like =
        !error->empty() && error->size() <= 64 &&
        error->find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string::npos;
    return to_signin("the identity provider did not sign you in" +
                     (code_like ? " (" + *error + ")" : std::string()));
  }
  const auto state = req.query_param("state");
  const auto code = req.query_param("code");
  const auto cookie = request_cookie(req, kStateCookie);
  if (!state || !code || state->empty() || code->empty()) {
    return to_signin("the identity provider's answer is incomplete; sign in again");
  }
  if (!cookie || *cookie != *state) {
    // Login CSRF: a callback this browser did not start.
    return to_signin("this sign-in was started in another browser; sign in again");
  }
  try {
    const auto done = auth.finish_oidc_login(req, request_origin(req), *state, *code);
    return redirect(done.return_to)
        .with_header("Set-Cookie", state_cookie(req, "", 0))
        .with_header("Set-Cookie", refresh_cookie(req, done.session.refresh_token,
                                                  auth.config().refresh_token_ttl_s));
  } catch (const ApiError& e) {
    return to_signin(e.what());
  }
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
  r.add(Method::kGet, "/api/v1/auth/oidc/start", Access::open(), bind_handler(auth, oidc_start));
  r.add(Method::kGet, "/api/v1/auth/oidc/callback", Access::open(),
        bind_handler(auth, oidc_callback));
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
  r.add(Method::kPost, "/api/v1/auth/forgot-password", Access::open(), [&auth](Request& req) {
    auto body = req.json_object();
    auth.forgot_password(req, required_string(body, "email"));
    return accepted_for_any_address(
        "if the address has an account with a password, a link to set a new one is on its way");
  });
  r.add(Method::kPost, "/api/v1/auth/verify-email", Access::open(), [&auth](Request& req) {
    auto body = req.json_object();
    auth.verify_email(req, required_string(body, "token"));
    return Response::no_content();
  });
  r.add(Method::kPost, "/api/v1/auth/verify-email/resend", Access::open(), [&auth](Request& req) {
    auto body = req.json_object();
    auth.resend_verification(req, required_string(body, "email"));
    return accepted_for_any_address(
        "if the address has an account waiting for confirmation, a new link is on its way");
  });
  r.add(Method::kGet, "/.well-known/jwks.json", Access::open(), [&auth](Request&) {
    return Response::json(auth.jwks()).with_header("Cache-Control", "max-age=300");
  });
}

}  // namespace carehub::auth
