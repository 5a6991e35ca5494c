#include "carehub/core_routes.hpp"

#include <fmt/format.h>

#include <charconv>

#include "carehub/error.hpp"
#include "carehub/log.hpp"
#include "carehub/migrations.hpp"

namespace carehub {
namespace {

void add_collectors(Metrics& metrics, Database& db, JobQueue& jobs) {
  metrics.add_collector([&db](std::string& out) {
    auto s = db.pool_stats();
    out += "# HELP carehub_db_pool_connections Database connections by state.\n";
    out += "# TYPE carehub_db_pool_connections gauge\n";
    out += fmt::format("carehub_db_pool_connections{{state=\"open\"}} {}\n", s.size);
    out += fmt::format("carehub_db_pool_connections{{state=\"in_use\"}} {}\n", s.in_use);
    out += fmt::format("carehub_db_pool_connections{{state=\"max\"}} {}\n", s.max);
    out += "# TYPE carehub_db_pool_waits_total counter\n";
    out += fmt::format("carehub_db_pool_waits_total {}\n", s.waits);
  });
  metrics.add_collector([&jobs](std::string& out) {
    out += "# HELP carehub_jobs Jobs by queue and state.\n";
    out += "# TYPE carehub_jobs gauge\n";
    try {
      for (const auto& [key, count] : jobs.counts()) {
        out += fmt::format("carehub_jobs{{queue=\"{}\",state=\"{}\"}} {}\n", key.first, key.second,
                           count);
      }
    } catch (const DbError& e) {
      log_warn("metrics_jobs_unavailable", {{"detail", e.what()}});
    }
  });
}

}  // namespace

void register_core_routes(Router& router, Database& db, JobQueue& jobs, Metrics& metrics,
                          CoreRouteOptions options) {
  add_collectors(metrics, db, jobs);
  const RouteOptions kInline{.body_limit = 0, .inline_handler = true};

  router.add(
      Method::kGet, "/healthz", Access::open(),
      [](Request&) {
        return Response::json({{"status", "ok"}});
      },
      kInline);
  router.add(
      Method::kGet, "/api/v1/health-check", Access::open(),
      [](Request&) { return Response::json(nlohmann::json::object()); }, kInline);
  router.add(Method::kGet, "/readyz", Access::open(), [&db](Request&) {
    try {
      db.ping();
      auto status = schema_status(db);
      if (!status.up_to_date()) {
        throw ApiError(
            ErrorCode::kUnavailable,
            fmt::format("schema is at version {}, this binary needs {}: run carehub migrate",
                        status.current, status.latest));
      }
      return Response::json({{"status", "ready"}, {"schema_version", status.current}});
    } catch (const DbError&) {
      throw ApiError(ErrorCode::kUnavailable, "database unreachable");
    } catch (const MigrationError& e) {
      throw ApiError(ErrorCode::kUnavailable, e.what());
    }
  });
  // Route names and traffic say what the clinic does and when: not for strangers. Prometheus
  // scrapes with a Bearer token (an API token with metrics:read), or from the same host.
  Access metrics_readers = Access::admin().or_scopes({"metrics:read"});
  if (options.metrics_from_loopback) metrics_readers.or_loopback();
  router.add(Method::kGet, "/metrics", metrics_readers, [&metrics](Request&) {
    return Response::text(metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  // Admins see every job; anyone else the jobs they started (a module that enqueues a job for a
  // caller puts the caller's subject in payload.actor). Someone else's job is a 404, as if absent.
  Access job_readers = Access::signed_in();
  job_readers.or_scopes({"empi:write", "dicom:write"});
  router.add(Method::kGet, "/api/v1/jobs/{id}", job_readers, [&jobs](Request& req) {
    auto job = jobs.get(parse_positive_id(req.param("id"), "job id"));
    const bool mine = job && job->payload.is_object() &&
                      job->payload.value("actor", std::string()) == req.principal->subject;
    if (!job || !(mine || req.principal->is_admin()))
      throw ApiError(ErrorCode::kNotFound, "no job with id " + req.param("id"));
    return Response::json(job->to_json());
  });
}

}  // namespace carehub
