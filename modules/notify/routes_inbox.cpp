// The inbox: a user's own notifications, never anyone else's (another user's id is a 404).
#include "carehub/error.hpp"
#include "carehub/json_time.hpp"
#include "notify/routes.hpp"

namespace carehub::notify {
namespace {

nlohmann::json notification_json(const NotificationRow& r) {
  return {{"id", std::to_string(r.id)},
          {"type", r.n.type},
          {"title", r.n.title},
          {"body", r.n.body},
          {"data", r.n.data},
          {"created_at", format_rfc3339_ms(r.created_at_ms)},
          {"read_at", rfc3339_or_null(r.read_at_ms)}};
}

std::int64_t since_of(const Request& req) {
  auto v = req.query_param("since");
  if (!v || v->empty()) return 0;
  if (auto ms = parse_rfc3339_ms(*v)) return *ms;
  throw ApiError(ErrorCode::kBadRequest,
                 "since must be an RFC 3339 time, e.g. 2026-01-31T12:00:00Z");
}

}  // namespace

std::int64_t user_id_of(const Request& req) {
  const auto id = req.principal->user_id();
  if (!id)
    throw ApiError(ErrorCode::kForbidden, "notifications belong to users, not to API tokens");
  return *id;
}

void register_inbox_routes(Router& r, NotifyContext& ctx) {
  r.add(Method::kGet, "/api/v1/notifications", Access::signed_in(), [&ctx](Request& req) {
    InboxQuery q;
    q.user_id = user_id_of(req);
    const auto unread = req.query_param("unread");
    if (unread && *unread != "true" && *unread != "false")
      throw ApiError(ErrorCode::kBadRequest, "unread must be true or false");
    q.unread_only = unread && *unread == "true";
    q.since_ms = since_of(req);
    q.limit = req.int_query("limit", 50, 1, 500);
    q.offset = req.int_query("offset", 0, 0, 1 << 30);
    nlohmann::json items = nlohmann::json::array();
    std::int64_t unread_count = 0;
    ctx.db.transact(
        [&](Tx& tx) {
          items = nlohmann::json::array();
          for (const auto& row : ctx.store.inbox(tx, q)) items.push_back(notification_json(row));
          unread_count = ctx.store.unread_count(tx, q.user_id);
        },
        TxMode::kRead);
    return Response::json({{"notifications", items},
                           {"unread_count", unread_count},
                           {"limit", q.limit},
                           {"offset", q.offset}});
  });

  r.add(Method::kPost, "/api/v1/notifications/{id}/read", Access::signed_in(),
        [&ctx](Request& req) {
          const auto user = user_id_of(req);
          const auto id = parse_positive_id(req.param("id"), "id");
          const auto row = ctx.db.transact([&](Tx& tx) {
            if (!ctx.store.mark_read(tx, user, id, ctx.clock.now_ms())) {
              throw ApiError(ErrorCode::kNotFound, "no notification " + std::to_string(id));
            }
            return ctx.store.find(tx, id);
          });
          return Response::json(notification_json(*row));
        });

  r.add(Method::kPost, "/api/v1/notifications/read-all", Access::signed_in(), [&ctx](Request& req) {
    const auto user = user_id_of(req);
    const auto n = ctx.db.transact(
        [&](Tx& tx) { return ctx.store.mark_all_read(tx, user, ctx.clock.now_ms()); });
    return Response::json({{"marked_read", n}});
  });

  r.add(Method::kDelete, "/api/v1/notifications/{id}", Access::signed_in(), [&ctx](Request& req) {
    const auto user = user_id_of(req);
    const auto id = parse_positive_id(req.param("id"), "id");
    if (!ctx.db.transact([&](Tx& tx) { return ctx.store.remove(tx, user, id); }))
      throw ApiError(ErrorCode::kNotFound, "no notification " + std::to_string(id));
    return Response::no_content();
  });
}

}  // namespace carehub::notify
