// The administrators' view of the running server (the console's Jobs, Audit log, System status
// and Configuration screens): jobs listed, cancelled and retried; the audit trail searched and
// exported, each reading itself audited; status from the metrics the server already keeps; the
// effective configuration with secrets redacted. Free of HTTP: callers pass the actor.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "carehub/actor.hpp"
#include "carehub/audit.hpp"
#include "carehub/config.hpp"
#include "carehub/db.hpp"
#include "carehub/jobs.hpp"
#include "carehub/metrics.hpp"
#include "carehub/router.hpp"

namespace carehub {

class Operations {
 public:
  Operations(const Config& config, Database& db, JobQueue& jobs, AuditLog& audit,
             const Metrics& metrics);

  JobPage jobs(const JobFilter& filter) { return jobs_.list(filter); }
  // Both throw ApiError: kNotFound for an unknown job, kConflict when its state does not allow it
  // (cancel: finished already; retry: not dead). They return the job as it is afterwards.
  JobInfo cancel_job(const Actor& actor, std::int64_t id);
  JobInfo retry_job(const Actor& actor, std::int64_t id);

  // A page of the audit trail, newest first; the search is itself an audit event.
  AuditPage search_audit(const Actor& actor, const AuditQuery& query);
  // Every matching event, newest first, a page at a time (a CSV export never holds the whole
  // trail in memory); audited as one export when it starts.
  class AuditCursor {
   public:
    AuditCursor(AuditLog& audit, AuditQuery query);
    std::vector<AuditRecord> next();  // empty at the end

   private:
    AuditLog& audit_;
    AuditQuery query_;
    bool done_ = false;
  };
  AuditCursor export_audit(const Actor& actor, AuditQuery query);

  nlohmann::json status();
  nlohmann::json configuration() const { return config_.redacted(); }

 private:
  const Config& config_;
  Database& db_;
  JobQueue& jobs_;
  AuditLog& audit_;
  const Metrics& metrics_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

// GET /api/v1/jobs, POST /api/v1/jobs/{id}/cancel and /retry, GET /api/v1/audit (JSON or
// ?format=csv), GET /api/v1/system/status, GET /api/v1/system/config: admins only.
void register_operations_routes(Router& router, Operations& operations);

}  // namespace carehub
