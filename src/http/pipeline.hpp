// What happens to a parsed request, independent of sockets: route, check access, run the handler,
// turn any failure into the JSON error envelope. The server calls it on the right thread; tests
// call it directly.
#pragma once

#include <functional>

#include "carehub/error.hpp"
#include "carehub/http.hpp"
#include "carehub/module.hpp"
#include "carehub/router.hpp"
#include "http/rate_limits.hpp"

namespace carehub {

class Pipeline {
 public:
  explicit Pipeline(const Router& router) : router_(router) {}
  void set_authenticator(Authenticator a) { authenticator_ = std::move(a); }
  using TicketRedeemer =
      std::function<std::optional<Principal>(std::string_view secret, std::string_view purpose)>;
  void set_ticket_redeemer(TicketRedeemer r) { redeem_ticket_ = std::move(r); }
  // Route classes' limits: per address in limit_address(), per principal in authorize().
  void set_rate_limits(RateLimits* limits) { limits_ = limits; }

  // Routes the request (sets route_pattern and params). Returns the matched route, or nullptr with
  // `early` filled with the 404/405 answer.
  const Route* route(Request& request, Response& early) const;
  // A 429 when the client address is past the route class's rate limit (a token is taken
  // otherwise). Never blocks: the server asks it for every request, before anything else.
  std::optional<Response> limit_address(const Route& route, const Request& request) const;
  // Authentication and the route's access rule, decided from the request's head alone: the
  // server calls it before it reads any byte of a body, so a caller who may not upload never
  // gets to. Sets request.principal; returns the refusal (401, 403) to send, or nothing when the
  // caller may go on; or a 429 past the principal's rate limit for the route's class. May block
  // (SQL, a key fetch): for the worker pool. Never throws.
  std::optional<Response> authorize(const Route& route, Request& request) const;
  // The handler, for a request authorize() let through. Never throws.
  Response run(const Route& route, Request& request) const;
  // Both, for a request whose body (if any) is already in: one trip to the worker pool.
  Response handle(const Route& route, Request& request) const;

 private:
  const Router& router_;
  Authenticator authenticator_;
  TicketRedeemer redeem_ticket_;
  RateLimits* limits_ = nullptr;
};

Response error_response(ErrorCode code, std::string_view message, const Request& request);

}  // namespace carehub
