#include "http/pipeline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "carehub/db.hpp"
#include "carehub/error.hpp"
#include "carehub/log.hpp"

namespace carehub {

Response error_response(ErrorCode code, std::string_view message, const Request& request) {
  return Response::json(error_body(code, message, request.request_id), http_status(code));
}

const Route* Pipeline::route(Request& request, Response& early) const {
  auto match = router_.match(request.method, request.path);
  switch (match.kind) {
    case RouteMatch::Kind::kFound:
      request.route_pattern = match.route->pattern;
      request.params = std::move(match.params);
      return match.route;
    case RouteMatch::Kind::kMethodNotAllowed: {
      request.route_pattern = "(method not allowed)";
      std::string allow;
      for (auto m : match.allowed) {
        if (allow.find(method_name(m)) != std::string::npos) continue;
        if (!allow.empty()) allow += ", ";
        allow += method_name(m);
      }
      early = error_response(ErrorCode::kMethodNotAllowed,
                             std::string(method_name(request.method)) +
                                 " is not allowed on this path; allowed: " + allow,
                             request);
      early.with_header("Allow", allow);
      return nullptr;
    }
    case RouteMatch::Kind::kNotFound: break;
  }
  request.route_pattern = "(not found)";
  early = error_response(ErrorCode::kNotFound, "no route for " + request.path, request);
  return nullptr;
}

namespace {

bool is_loopback(std::string_view address) {
  return address.starts_with("127.") || address == "::1" || address.starts_with("::ffff:127.");
}

// Any failure of an operation on a request, as the JSON error envelope. Called from a catch block.
Response failure_response(const Request& request) {
  try {
    throw;
  } catch (const ApiError& e) {
    // An authenticator may refuse with a reason (expired token: 401; a known identity with no
    // account here: 403); every 401 says how to authenticate.
    auto response = error_response(e.code(), e.what(), request);
    for (const auto& [name, value] : e.headers()) response.with_header(name, value);
    if (e.code() == ErrorCode::kUnauthorized) {
      response.with_header("WWW-Authenticate", "Bearer realm=\"carehub\"");
    }
    return response;
  } catch (const DbError& e) {
    log_error("request_failed", {{"request_id", request.request_id},
                                 {"route", request.route_pattern},
                                 {"error", "database"},
                                 {"detail", e.what()}});
    return error_response(
        e.retryable() ? ErrorCode::kUnavailable : ErrorCode::kInternal,
        e.retryable() ? "the database is busy or unreachable; retry later" : "internal error",
        request);
  } catch (const std::exception& e) {
    log_error("request_failed", {{"request_id", request.request_id},
                                 {"route", request.route_pattern},
                                 {"detail", e.what()}});
    return error_response(ErrorCode::kInternal, "internal error", request);
  }
}

}  // namespace

namespace {

Response too_many(RouteClass c, std::int64_t wait_ms, bool by_address, const Request& request) {
  const auto seconds = std::max<std::int64_t>(1, (wait_ms + 999) / 1000);
  return error_response(
             ErrorCode::kTooManyRequests,
             fmt::format("too many {} requests from this {}; retry in {} s", route_class_name(c),
                         by_address ? "address" : "account", seconds),
             request)
      .with_header("Retry-After", std::to_string(seconds));
}

}  // namespace

std::optional<Response> Pipeline::limit_address(const Route& route, const Request& request) const {
  if (!limits_) return std::nullopt;
  const RouteClass cls = route_class(route);
  if (const auto wait = limits_->by_address(cls, request.client_address))
    return too_many(cls, *wait, true, request);
  return std::nullopt;
}

std::optional<Response> Pipeline::authorize(const Route& route, Request& request) const {
  if (route.access.is_public()) return std::nullopt;
  if (route.access.allows_loopback() && is_loopback(request.client_address) &&
      !request.header("authorization"))
    return std::nullopt;
  try {
    if (authenticator_) request.principal = authenticator_(request);
    if (!request.principal && !route.options.ticket_purpose.empty() && redeem_ticket_ &&
        !request.header("authorization")) {
      if (auto ticket = request.query_param("ticket")) {
        request.principal = redeem_ticket_(*ticket, route.options.ticket_purpose);
        if (!request.principal) {
          throw ApiError(ErrorCode::kUnauthorized, "the ticket is unknown, used or expired");
        }
      }
    }
    if (!request.principal) {
      return error_response(ErrorCode::kUnauthorized, "authentication required", request)
          .with_header("WWW-Authenticate", "Bearer realm=\"carehub\"");
    }
    if (!route.access.allows(*request.principal)) {
      return error_response(ErrorCode::kForbidden, "this route needs " + route.access.describe(),
                            request);
    }
    if (limits_) {
      const RouteClass cls = route_class(route);
      if (const auto wait = limits_->by_principal(cls, request.principal->subject))
        return too_many(cls, *wait, false, request);
    }
    return std::nullopt;
  } catch (...) {
    return failure_response(request);
  }
}

Response Pipeline::run(const Route& route, Request& request) const {
  try {
    return route.handler(request);
  } catch (...) {
    return failure_response(request);
  }
}

Response Pipeline::handle(const Route& route, Request& request) const {
  if (auto refusal = authorize(route, request)) return std::move(*refusal);
  return run(route, request);
}

}  // namespace carehub
