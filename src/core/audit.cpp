#include "carehub/audit.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "carehub/http.hpp"
#include "carehub/json.hpp"

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

std::vector<AuditRecord> AuditLog::find(const AuditQuery& query) {
  std::string sql =
      "SELECT id, at_ms, actor, action, resource_type, resource_id, outcome, request_id, "
      "client_address, detail FROM audit_events WHERE id > $1";
  Params params{query.after_id};
  auto filter = [&](const char* column, const std::optional<std::string>& value) {
    if (!value) return;
    params.emplace_back(*value);
    sql += std::string(" AND ") + column + " = $" + std::to_string(params.size());
  };
  filter("actor", query.actor);
  filter("resource_type", query.resource_type);
  filter("resource_id", query.resource_id);
  params.emplace_back(std::int64_t{std::clamp(query.limit, 1, kMaxPage)});
  sql += " ORDER BY id LIMIT $" + std::to_string(params.size());

  auto rows = db_.transact([&](Tx& tx) { return tx.query(sql, params); }, TxMode::kRead);
  std::vector<AuditRecord> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
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
    out.push_back(AuditRecord{row.integer(0), std::move(event)});
  }
  return out;
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
