#include "carehub/operations.hpp"

#include "carehub/error.hpp"
#include "carehub/migrations.hpp"

namespace carehub {
namespace {

constexpr int kExportPage = 500;

nlohmann::json audit_filters(const AuditQuery& q) {
  // Which search was made, for the event that records it: the filters, not what they found.
  nlohmann::json f = nlohmann::json::object();
  if (q.actor) f["actor"] = *q.actor;
  if (q.action) f["action"] = *q.action;
  if (q.resource_type) f["resource_type"] = *q.resource_type;
  if (q.resource_id) f["resource_id"] = *q.resource_id;
  if (q.from_ms) f["from_ms"] = *q.from_ms;
  if (q.to_ms) f["to_ms"] = *q.to_ms;
  return f;
}

}  // namespace

Operations::Operations(const Config& config, Database& db, JobQueue& jobs, AuditLog& audit,
                       const Metrics& metrics)
    : config_(config), db_(db), jobs_(jobs), audit_(audit), metrics_(metrics) {}

JobInfo Operations::cancel_job(const Actor& actor, std::int64_t id) {
  auto job = jobs_.get(id);
  if (!job) throw ApiError(ErrorCode::kNotFound, "no job with id " + std::to_string(id));
  if (!jobs_.cancel(id)) {
    throw ApiError(ErrorCode::kConflict,
                   "job " + std::to_string(id) + " is " +
                       std::string(job_state_name(jobs_.get(id)->state)) +
                       " already; only a queued or running job can be cancelled");
  }
  audit_.record(actor.event("job.cancel", "job", std::to_string(id)));
  return *jobs_.get(id);
}

JobInfo Operations::retry_job(const Actor& actor, std::int64_t id) {
  auto job = jobs_.get(id);
  if (!job) throw ApiError(ErrorCode::kNotFound, "no job with id " + std::to_string(id));
  if (!jobs_.retry(id)) {
    throw ApiError(ErrorCode::kConflict, "job " + std::to_string(id) + " is " +
                                             std::string(job_state_name(jobs_.get(id)->state)) +
                                             "; only a dead job can be retried");
  }
  audit_.record(actor.event("job.retry", "job", std::to_string(id)));
  return *jobs_.get(id);
}

AuditPage Operations::search_audit(const Actor& actor, const AuditQuery& query) {
  auto page = audit_.search(query);
  auto event = actor.event("audit.search", "audit", "");
  event.detail = {{"filters", audit_filters(query)}, {"found", page.total}};
  audit_.record(event);
  return page;
}

Operations::AuditCursor Operations::export_audit(const Actor& actor, AuditQuery query) {
  // Recorded first: an export that fails half-way was still a reading of the trail.
  auto event = actor.event("audit.export", "audit", "");
  event.detail = {{"filters", audit_filters(query)}};
  audit_.record(event);
  return AuditCursor(audit_, std::move(query));
}

Operations::AuditCursor::AuditCursor(AuditLog& audit, AuditQuery query)
    : audit_(audit), query_(std::move(query)) {
  query_.limit = kExportPage;
  query_.offset = 0;
  query_.count_total = false;
}

std::vector<AuditRecord> Operations::AuditCursor::next() {
  if (done_) return {};
  // Pages by id, not by offset: events recorded meanwhile (this export's own among them) do not
  // shift what the next page holds.
  auto page = audit_.search(query_);
  done_ = page.events.size() < static_cast<std::size_t>(kExportPage);
  if (!page.events.empty()) query_.before_id = page.events.back().id;
  return std::move(page.events);
}

nlohmann::json Operations::status() {
  nlohmann::json readiness = {{"ready", true}};
  nlohmann::json schema = nullptr;
  try {
    db_.ping();
    const auto s = schema_status(db_);
    schema = {{"current", s.current}, {"latest", s.latest}};
    if (!s.up_to_date()) {
      readiness = {{"ready", false}, {"reason", "schema behind: run carehub migrate"}};
    }
  } catch (const std::exception&) {
    readiness = {{"ready", false}, {"reason", "database unreachable"}};
  }
  nlohmann::json jobs = nlohmann::json::object();
  try {
    for (const auto& [key, count] : jobs_.counts()) {
      jobs[key.second] = jobs.value(key.second, std::int64_t{0}) + count;
    }
  } catch (const DbError&) {
    jobs = nullptr;
  }
  const auto totals = metrics_.totals();
  const auto uptime =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_)
          .count();
  return {{"health", "ok"},
          {"readiness", readiness},
          {"version", CAREHUB_VERSION},
          {"schema_version", schema},
          {"database", db_.backend() == Backend::kPostgres ? "postgres" : "sqlite"},
          {"uptime_s", uptime},
          {"requests",
           {{"total", totals.requests},
            {"client_errors", totals.client_errors},
            {"server_errors", totals.server_errors},
            {"in_flight", totals.in_flight}}},
          {"jobs", jobs}};
}

}  // namespace carehub
