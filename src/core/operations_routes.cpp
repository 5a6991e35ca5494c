// The operations API's route table and handlers: parse and check the query, call Operations,
// shape the answer.
#include <fmt/format.h>

#include "carehub/clock.hpp"
#include "carehub/error.hpp"
#include "carehub/operations.hpp"

namespace carehub {
namespace {

std::optional<std::string> non_empty(const Request& req, std::string_view name) {
  auto value = req.query_param(name);
  if (value && value->empty()) return std::nullopt;
  return value;
}

std::optional<std::int64_t> time_param(const Request& req, std::string_view name) {
  const auto text = non_empty(req, name);
  if (!text) return std::nullopt;
  const auto ms = parse_rfc3339_ms(*text);
  if (!ms) {
    throw ApiError(ErrorCode::kBadRequest,
                   fmt::format("'{}' must be an RFC 3339 time such as 2026-12-06T09:30:00Z", name));
  }
  return ms;
}

Response list_jobs(Operations& ops, Request& req) {
  JobFilter filter;
  filter.type = non_empty(req, "type");
  if (const auto state = non_empty(req, "state")) {
    try {
      filter.state = parse_job_state(*state);
    } catch (const std::invalid_argument&) {
      throw ApiError(ErrorCode::kBadRequest,
                     "'state' must be one of queued, running, succeeded, dead, cancelled");
    }
  }
  filter.limit = req.int_query("limit", 50, 1, 200);
  filter.offset = req.int_query("offset", 0, 0, 1'000'000'000);
  const auto page = ops.jobs(filter);
  nlohmann::json jobs = nlohmann::json::array();
  for (const auto& job : page.jobs) jobs.push_back(job.to_json());
  return Response::json(
      {{"jobs", jobs}, {"total", page.total}, {"limit", filter.limit}, {"offset", filter.offset}});
}

Response cancel_job(Operations& ops, Request& req) {
  const auto id = parse_positive_id(req.param("id"), "job id");
  return Response::json(ops.cancel_job(Actor::of(req), id).to_json());
}

Response retry_job(Operations& ops, Request& req) {
  const auto id = parse_positive_id(req.param("id"), "job id");
  return Response::json(ops.retry_job(Actor::of(req), id).to_json());
}

AuditQuery audit_query(const Request& req) {
  AuditQuery q;
  q.actor = non_empty(req, "actor");
  q.action = non_empty(req, "action");
  q.resource_type = non_empty(req, "resource_type");
  q.resource_id = non_empty(req, "resource_id");
  q.from_ms = time_param(req, "from");
  q.to_ms = time_param(req, "to");
  if (q.from_ms && q.to_ms && *q.to_ms <= *q.from_ms) {
    throw ApiError(ErrorCode::kBadRequest, "'to' must be later than 'from'");
  }
  q.limit = req.int_query("limit", 50, 1, 500);
  q.offset = req.int_query("offset", 0, 0, 1'000'000'000);
  return q;
}

nlohmann::json audit_json(const AuditRecord& r) {
  return {{"id", r.id},
          {"at", format_rfc3339_ms(r.event.at_ms)},
          {"actor", r.event.actor},
          {"action", r.event.action},
          {"resource_type", r.event.resource_type},
          {"resource_id", r.event.resource_id},
          {"outcome", r.event.outcome},
          {"request_id", r.event.request_id},
          {"client_address", r.event.client_address},
          {"detail", r.event.detail}};
}

// One CSV field (RFC 4180 quoting). A field a spreadsheet would run as a formula (=, +, -, @ and
// control characters first) gets a leading apostrophe: the export is opened in spreadsheets.
std::string csv_field(std::string_view text) {
  std::string value(text);
  if (!value.empty() &&
      std::string_view("=+-@\t\r").find(value.front()) != std::string_view::npos) {
    value.insert(value.begin(), '\'');
  }
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

// The export, produced a page at a time as the client reads it.
class AuditCsv : public BodySource {
 public:
  explicit AuditCsv(Operations::AuditCursor cursor) : cursor_(std::move(cursor)) {
    buffer_ =
        "id,at,actor,action,resource_type,resource_id,outcome,request_id,client_address,detail\r\n";
  }
  std::optional<std::uint64_t> size() const override { return std::nullopt; }
  std::size_t read(char* out, std::size_t capacity) override {
    while (at_ == buffer_.size() && !done_) refill();
    const std::size_t n = std::min(capacity, buffer_.size() - at_);
    std::copy_n(buffer_.data() + at_, n, out);
    at_ += n;
    return n;
  }

 private:
  void refill() {
    buffer_.clear();
    at_ = 0;
    const auto records = cursor_.next();
    done_ = records.empty();
    for (const auto& r : records) {
      const auto& e = r.event;
      buffer_ +=
          fmt::format("{},{},{},{},{},{},{},{},{},{}\r\n", r.id, format_rfc3339_ms(e.at_ms),
                      csv_field(e.actor), csv_field(e.action), csv_field(e.resource_type),
                      csv_field(e.resource_id), csv_field(e.outcome), csv_field(e.request_id),
                      csv_field(e.client_address), csv_field(e.detail.dump()));
    }
  }
  Operations::AuditCursor cursor_;
  std::string buffer_;
  std::size_t at_ = 0;
  bool done_ = false;
};

Response search_audit(Operations& ops, Request& req) {
  const auto format = req.query_param("format").value_or("json");
  if (format != "json" && format != "csv") {
    throw ApiError(ErrorCode::kBadRequest, "'format' must be json or csv");
  }
  const auto query = audit_query(req);
  if (format == "csv") {
    auto body = std::make_shared<AuditCsv>(ops.export_audit(Actor::of(req), query));
    return Response::streamed(body, "text/csv; charset=utf-8")
        .with_header("Content-Disposition", "attachment; filename=\"carehub-audit.csv\"");
  }
  const auto page = ops.search_audit(Actor::of(req), query);
  nlohmann::json events = nlohmann::json::array();
  for (const auto& r : page.events) events.push_back(audit_json(r));
  return Response::json({{"events", events},
                         {"total", page.total},
                         {"limit", query.limit},
                         {"offset", query.offset}});
}

Response system_status(Operations& ops, Request&) {
  return Response::json(ops.status());
}

Response system_config(Operations& ops, Request&) {
  return Response::json(ops.configuration());
}

}  // namespace

void register_operations_routes(Router& r, Operations& ops) {
  r.add(Method::kGet, "/api/v1/jobs", Access::admin(), bind_handler(ops, list_jobs));
  r.add(Method::kPost, "/api/v1/jobs/{id}/cancel", Access::admin(), bind_handler(ops, cancel_job));
  r.add(Method::kPost, "/api/v1/jobs/{id}/retry", Access::admin(), bind_handler(ops, retry_job));
  r.add(Method::kGet, "/api/v1/audit", Access::admin(), bind_handler(ops, search_audit));
  r.add(Method::kGet, "/api/v1/system/status", Access::admin(), bind_handler(ops, system_status));
  r.add(Method::kGet, "/api/v1/system/config", Access::admin(), bind_handler(ops, system_config));
}

}  // namespace carehub
