#include "auth/browser_session.hpp"

#include <fmt/format.h>

#include "carehub/error.hpp"

namespace carehub::auth {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool over_https(const Request& request) {
  // Over carehub's own TLS, or through a trusted proxy that says the client used https
  // (server.trusted_proxies): a client's own X-Forwarded-Proto is not believed.
  return request.secure;
}

std::string cookie(const Request& request, std::string_view value, std::int64_t max_age_s) {
  return fmt::format("{}={}; Path={}; Max-Age={}; HttpOnly; SameSite=Strict{}", kRefreshCookie,
                     value, kRefreshCookiePath, max_age_s, over_https(request) ? "; Secure" : "");
}

}  // namespace

bool wants_cookie_session(const Request& request) {
  const auto mode = request.header("x-carehub-session");
  if (!mode) return false;
  if (*mode != "cookie") {
    throw ApiError(ErrorCode::kBadRequest, "X-Carehub-Session must be 'cookie' when sent");
  }
  if (const auto origin = request.header("origin")) {
    // "scheme://host[:port]" against the Host the browser sent to: the same server or nothing.
    const auto host = request.header("host");
    const auto authority = origin->find("://");
    if (!host || authority == std::string_view::npos || origin->substr(authority + 3) != *host) {
      throw ApiError(ErrorCode::kForbidden,
                     "a console session can only be opened from this server's own pages");
    }
  }
  return true;
}

std::optional<std::string> request_cookie(const Request& request, std::string_view name) {
  std::optional<std::string> found;
  for (const auto& [header, value] : request.headers) {
    if (header != "cookie") continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      const auto semi = rest.find(';');
      const auto pair = trim(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      const auto eq = pair.find('=');
      if (eq == std::string_view::npos || trim(pair.substr(0, eq)) != name) continue;
      auto v = trim(pair.substr(eq + 1));
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      found = std::string(v);
    }
  }
  return found;
}

std::string refresh_cookie(const Request& request, const std::string& secret,
                           std::int64_t max_age_s) {
  return cookie(request, secret, max_age_s);
}

std::string cleared_refresh_cookie(const Request& request) {
  return cookie(request, "", 0);
}

}  // namespace carehub::auth
