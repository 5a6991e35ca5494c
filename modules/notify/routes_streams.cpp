// Real-time streams of a user's notifications: WebSocket and Server-Sent Events, authenticated by
// a Bearer header or (browsers) a single-use ticket in the query string. A client that reconnects
// gives the last id it saw (Last-Event-ID, or last_event_id=) and gets what it missed first.
#include "carehub/error.hpp"
#include "notify/routes.hpp"

namespace carehub::notify {
namespace {

// The last id the client saw; -1 when it gave none (a first connection: nothing replayed).
std::int64_t last_seen(const Request& req) {
  std::optional<std::string> v;
  if (auto h = req.header("last-event-id")) v = std::string(*h);
  if (auto q = req.query_param("last_event_id")) v = q;
  if (!v || v->empty()) return -1;
  if (*v == "0") return 0;
  return parse_positive_id(*v, "last_event_id");
}

Response stream(NotifyContext& ctx, Request& req, LiveOptions::Kind kind) {
  const auto user = user_id_of(req);
  return Response::live_connection(ctx.hub.open_stream(*req.principal, user, last_seen(req), kind));
}

}  // namespace

void register_stream_routes(Router& r, NotifyContext& ctx) {
  RouteOptions with_ticket;
  with_ticket.ticket_purpose = kStreamTicketPurpose;
  r.add(
      Method::kGet, "/api/v1/notifications/ws", Access::signed_in(),
      [&ctx](Request& req) { return stream(ctx, req, LiveOptions::Kind::kWebSocket); },
      with_ticket);
  r.add(
      Method::kGet, "/api/v1/notifications/stream", Access::signed_in(),
      [&ctx](Request& req) { return stream(ctx, req, LiveOptions::Kind::kEventStream); },
      with_ticket);
  r.add(Method::kPost, "/api/v1/notifications/ticket", Access::signed_in(), [&ctx](Request& req) {
    (void)user_id_of(req);
    const auto ticket = ctx.tickets.issue(*req.principal, kStreamTicketPurpose, ctx.ticket_ttl);
    return Response::json({{"ticket", ticket},
                           {"expires_in", ctx.ticket_ttl.count()},
                           {"use",
                            "GET /api/v1/notifications/ws?ticket=... or "
                            "/api/v1/notifications/stream?ticket=..., once"}},
                          201);
  });
}

}  // namespace carehub::notify
