// Sessions of the web console. A browser never holds the refresh token where script can read it:
// it lives in an httpOnly, SameSite=Strict cookie sent only to the auth paths, and the access
// token only in the page's memory.
//
// A request asks for this mode with the header `X-Carehub-Session: cookie`. That header is also
// the defence against cross-site request forgery for the calls the cookie authenticates (refresh,
// sign-out): a form on another site cannot send a custom header, and script on another origin
// would need a CORS preflight this server never grants. An Origin header, when sent, must name
// this server too.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "carehub/http.hpp"

namespace carehub::auth {

inline constexpr std::string_view kRefreshCookie = "carehub_refresh";
inline constexpr std::string_view kRefreshCookiePath = "/api/v1/auth";

// Whether the caller asked for a cookie session. Throws ApiError(kForbidden) when it did from
// another origin.
bool wants_cookie_session(const Request& request);

// The value of a cookie the request carries, if any (the last one of that name).
std::optional<std::string> request_cookie(const Request& request, std::string_view name);

// Set-Cookie values: the refresh token for max_age_s seconds, or its removal. Secure when the
// request came over https.
std::string refresh_cookie(const Request& request, const std::string& secret,
                           std::int64_t max_age_s);
std::string cleared_refresh_cookie(const Request& request);

}  // namespace carehub::auth
