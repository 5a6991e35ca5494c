#include "notify/store.hpp"

#include "carehub/json.hpp"

namespace carehub::notify {
namespace {

constexpr const char* kColumns =
    "id, user_id, type, title, body, data, created_at_ms, read_at_ms FROM notifications";

NotificationRow row_of(const Row& r) {
  NotificationRow n;
  n.id = r.integer(0);
  n.n.user_id = r.integer(1);
  n.n.type = r.text(2);
  n.n.title = r.text(3);
  n.n.body = r.text(4);
  auto data = parse_json(r.text(5));
  n.n.data = data ? std::move(data).value() : nlohmann::json::object();
  n.created_at_ms = r.integer(6);
  n.read_at_ms = r.opt_integer(7);
  return n;
}

std::vector<NotificationRow> rows_of(const Rows& rows) {
  std::vector<NotificationRow> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(row_of(r));
  return out;
}

DeviceRow device_of(const Row& r) {
  return {r.integer(0), r.integer(1), r.text(2), r.text(3), r.text(4), r.integer(5)};
}

}  // namespace

std::int64_t NotifyStore::insert(Tx& tx, const Notification& n, std::int64_t now_ms) {
  return tx
      .query_one(
          "INSERT INTO notifications (user_id, type, title, body, data, created_at_ms) VALUES ($1, "
          "$2, $3, $4, $5, $6) RETURNING id",
          {n.user_id, n.type, n.title, n.body,
           n.data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), now_ms})
      ->integer(0);
}

std::vector<NotificationRow> NotifyStore::inbox(Tx& tx, const InboxQuery& q) {
  std::string sql = std::string("SELECT ") + kColumns + " WHERE user_id = $1";
  Params p{q.user_id};
  if (q.unread_only) sql += " AND read_at_ms IS NULL";
  if (q.since_ms > 0) {
    p.emplace_back(q.since_ms);
    sql += " AND created_at_ms >= $" + std::to_string(p.size());
  }
  if (q.after_id > 0) {
    p.emplace_back(q.after_id);
    sql += " AND id > $" + std::to_string(p.size());
  }
  p.emplace_back(std::int64_t{q.limit});
  p.emplace_back(std::int64_t{q.offset});
  sql += " ORDER BY id DESC LIMIT $" + std::to_string(p.size() - 1) + " OFFSET $" +
         std::to_string(p.size());
  return rows_of(tx.query(sql, p));
}

std::int64_t NotifyStore::unread_count(Tx& tx, std::int64_t user_id) {
  return tx
      .query_one("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at_ms IS NULL",
                 {user_id})
      ->integer(0);
}

std::vector<NotificationRow> NotifyStore::after(Tx& tx, std::int64_t user_id, std::int64_t after_id,
                                                int limit) {
  static const std::string sql =
      std::string("SELECT ") + kColumns + " WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3";
  return rows_of(tx.query(sql, {user_id, after_id, std::int64_t{limit}}));
}

std::vector<NotificationRow> NotifyStore::by_ids(Tx& tx, const std::vector<std::int64_t>& ids) {
  static const std::string sql = std::string("SELECT ") + kColumns + " WHERE id = $1";
  std::vector<NotificationRow> out;
  for (auto id : ids) {
    if (auto r = tx.query_one(sql, {id})) out.push_back(row_of(*r));
  }
  return out;
}

std::optional<NotificationRow> NotifyStore::find(Tx& tx, std::int64_t id) {
  auto rows = by_ids(tx, {id});
  if (rows.empty()) return std::nullopt;
  return rows.front();
}

bool NotifyStore::mark_read(Tx& tx, std::int64_t user_id, std::int64_t id, std::int64_t now_ms) {
  if (tx.exec("UPDATE notifications SET read_at_ms = $3 WHERE id = $1 AND user_id = $2 AND "
              "read_at_ms IS NULL",
              {id, user_id, now_ms}) > 0)
    return true;
  return tx.query_one("SELECT 1 FROM notifications WHERE id = $1 AND user_id = $2", {id, user_id})
      .has_value();
}

std::int64_t NotifyStore::mark_all_read(Tx& tx, std::int64_t user_id, std::int64_t now_ms) {
  return tx.exec(
      "UPDATE notifications SET read_at_ms = $2 WHERE user_id = $1 AND read_at_ms IS NULL",
      {user_id, now_ms});
}

bool NotifyStore::remove(Tx& tx, std::int64_t user_id, std::int64_t id) {
  return tx.exec("DELETE FROM notifications WHERE id = $1 AND user_id = $2", {id, user_id}) > 0;
}

std::int64_t NotifyStore::purge_read_before(Tx& tx, std::int64_t cutoff_ms) {
  tx.exec(
      "DELETE FROM notification_pushes WHERE notification_id IN (SELECT id FROM notifications "
      "WHERE read_at_ms IS NOT NULL AND read_at_ms < $1)",
      {cutoff_ms});
  return tx.exec("DELETE FROM notifications WHERE read_at_ms IS NOT NULL AND read_at_ms < $1",
                 {cutoff_ms});
}

Preference NotifyStore::preference(Tx& tx, std::int64_t user_id, const std::string& type) {
  auto r = tx.query_one(
      "SELECT in_app, push, email FROM notification_preferences WHERE user_id = $1 AND type = $2",
      {user_id, type});
  if (!r) return {};
  return {r->integer(0) != 0, r->integer(1) != 0, r->integer(2) != 0};
}

std::vector<std::pair<std::string, Preference>> NotifyStore::preferences(Tx& tx,
                                                                         std::int64_t user_id) {
  std::vector<std::pair<std::string, Preference>> out;
  for (const auto& r : tx.query("SELECT type, in_app, push, email FROM notification_preferences "
                                "WHERE user_id = $1 ORDER BY type",
                                {user_id})) {
    out.emplace_back(r.text(0),
                     Preference{r.integer(1) != 0, r.integer(2) != 0, r.integer(3) != 0});
  }
  return out;
}

void NotifyStore::set_preference(Tx& tx, std::int64_t user_id, const std::string& type,
                                 Preference p) {
  tx.exec(
      "INSERT INTO notification_preferences (user_id, type, in_app, push, email) "
      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, type) DO UPDATE SET "
      "in_app = excluded.in_app, push = excluded.push, email = excluded.email",
      {user_id, type, std::int64_t{p.in_app ? 1 : 0}, std::int64_t{p.push ? 1 : 0},
       std::int64_t{p.email ? 1 : 0}});
}

DeviceRow NotifyStore::register_device(Tx& tx, std::int64_t user_id, const std::string& platform,
                                       const std::string& token, const std::string& app,
                                       std::int64_t now_ms) {
  auto r = tx.query_one(
      "INSERT INTO notification_devices (user_id, platform, token, app, created_at_ms) VALUES "
      "($1, $2, $3, $4, $5) ON CONFLICT (platform, token) DO UPDATE SET user_id = "
      "excluded.user_id, app = excluded.app RETURNING id, user_id, platform, token, app, "
      "created_at_ms",
      {user_id, platform, token, app, now_ms});
  return device_of(*r);
}

std::vector<DeviceRow> NotifyStore::devices(Tx& tx, std::int64_t user_id) {
  std::vector<DeviceRow> out;
  for (const auto& r : tx.query("SELECT id, user_id, platform, token, app, created_at_ms FROM "
                                "notification_devices WHERE user_id = $1 ORDER BY id",
                                {user_id}))
    out.push_back(device_of(r));
  return out;
}

std::optional<DeviceRow> NotifyStore::find_device(Tx& tx, std::int64_t id) {
  auto r = tx.query_one(
      "SELECT id, user_id, platform, token, app, created_at_ms FROM notification_devices WHERE id "
      "= $1",
      {id});
  if (!r) return std::nullopt;
  return device_of(*r);
}

bool NotifyStore::remove_device(Tx& tx, std::int64_t user_id, std::int64_t id) {
  return tx.exec("DELETE FROM notification_devices WHERE id = $1 AND user_id = $2", {id, user_id}) >
         0;
}

void NotifyStore::remove_device_by_id(Tx& tx, std::int64_t id) {
  tx.exec("DELETE FROM notification_devices WHERE id = $1", {id});
}

bool NotifyStore::pushed(Tx& tx, const std::string& key) {
  return tx.query_one("SELECT 1 FROM notification_pushes WHERE idempotency_key = $1", {key})
      .has_value();
}

void NotifyStore::record_push(Tx& tx, const std::string& key, std::int64_t notification_id,
                              std::int64_t device_id, std::int64_t now_ms) {
  tx.exec(
      "INSERT INTO notification_pushes (idempotency_key, notification_id, device_id, "
      "pushed_at_ms) VALUES ($1, $2, $3, $4) ON CONFLICT (idempotency_key) DO NOTHING",
      {key, notification_id, device_id, now_ms});
}

}  // namespace carehub::notify
