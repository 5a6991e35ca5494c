#include "carehub/audit.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "carehub/http.hpp"
#include "carehub/json.hpp"
#include "carehub/sql_filter.hpp"

namespace carehub {

namespace {

constexpr int kMaxPage = 1000;

}  // namespace

void AuditLog::record(Tx& tx, AuditEvent event) {
  if (event.at_ms == 0) event.at_ms = clock_.now_ms();
  tx.exec(
      "INSERT INTO audit_events (at_ms, actor, action, resource_type, resource_id, outcome, "
      "request_id, client_address, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
      {event.at_ms, event.actor, event.action, event.resource_type, event.resource_id,
       event.outcome, event.request_id, event.client_address, event.detail.dump()});
}

void AuditLog::record(AuditEvent event) {
  if (event.at_ms == 0) event.at_ms = clock_.now_ms();
  db_.transact([&](Tx& tx) { record(tx, event); });
}

namespace {

constexpr const char* kAuditColumns =
    "id, at_ms, actor, action, resource_type, resource_id, outcome, request_id, client_address, "
    "detail";

SqlFilter audit_filter(const AuditQuery& query) {
  SqlFilter f;
  if (query.after_id > 0) f.where("id > " + f.bind(query.after_id));
  if (query.before_id > 0) f.where("id < " + f.bind(query.before_id));
  auto equal = [&f](const char* column, const std::optional<std::string>& value) {
    if (value) f.where(std::string(column) + " = " + f.bind(*value));
  };
  equal("actor", query.actor);
  equal("action", query.action);
  equal("resource_type", query.resource_type);
  equal("resource_id", query.resource_id);
  if (query.from_ms) f.where("at_ms >= " + f.bind(*query.from_ms));
  if (query.to_ms) f.where("at_ms < " + f.bind(*query.to_ms));
  return f;
}

AuditRecord record_from_row(const Row& row) {
  AuditEvent event;
  event.at_ms = row.integer(1);
  event.actor = row.text(2);
  event.action = row.text(3);
  event.resource_type = row.text(4);
  event.resource_id = row.text(5);
  event.outcome = row.text(6);
  event.request_id = row.text(7);
  event.client_address = row.text(8);
  event.detail = parse_stored_json(row.text(9), "audit detail");
  return AuditRecord{row.integer(0), std::move(event)};
}

}  // namespace

std::vector<AuditRecord> AuditLog::find(const AuditQuery& query) {
  SqlFilter f = audit_filter(query);
  const std::string sql = std::string("SELECT ") + kAuditColumns + " FROM audit_events" +
                          f.clause() + " ORDER BY id LIMIT " +
                          f.bind(std::int64_t{std::clamp(query.limit, 1, kMaxPage)});
  auto rows = db_.transact([&](Tx& tx) { return tx.query(sql, f.params()); }, TxMode::kRead);
  std::vector<AuditRecord> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(record_from_row(row));
  return out;
}

AuditPage AuditLog::search(const AuditQuery& query) {
  const SqlFilter f = audit_filter(query);
  SqlFilter paged = f;
  const std::string sql = std::string("SELECT ") + kAuditColumns + " FROM audit_events" +
                          f.clause() + " ORDER BY id DESC LIMIT " +
                          paged.bind(std::int64_t{std::clamp(query.limit, 1, kMaxPage)}) +
                          " OFFSET " + paged.bind(std::int64_t{std::max(query.offset, 0)});
  return db_.transact(
      [&](Tx& tx) {
        AuditPage page;
        if (query.count_total) {
          page.total = tx.query_one("SELECT COUNT(*) FROM audit_events" + f.clause(), f.params())
                           ->integer(0);
        }
        for (const auto& row : tx.query(sql, paged.params())) {
          page.events.push_back(record_from_row(row));
        }
        return page;
      },
      TxMode::kRead);
}

AuditEvent AuditLog::from_request(const Request& request, std::string action,
                                  std::string resource_type, std::string resource_id) {
  AuditEvent event;
  event.actor = request.principal ? request.principal->subject : "anonymous";
  event.action = std::move(action);
  event.resource_type = std::move(resource_type);
  event.resource_id = std::move(resource_id);
  event.request_id = request.request_id;
  event.client_address = request.client_address;
  return event;
}

}  // namespace carehub
