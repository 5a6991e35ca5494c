#include "tracing/module.hpp"

#include <fmt/format.h>

#include "tracing/service.hpp"

namespace carehub::tracing {
namespace {

constexpr std::int64_t kRetentionIntervalMs = 60LL * 60 * 1000;

TracingSettings settings_from(const Config& config) {
  const auto& s = config.section("tracing");
  TracingSettings t;
  t.states = States::from_config(s["states"]);
  t.initial_status = s["initial_status_id"];
  t.exposure_status = s["exposure_status_id"];
  for (auto [id, key] : {std::pair{t.initial_status, "initial_status_id"},
                         std::pair{t.exposure_status, "exposure_status_id"}}) {
    if (!t.states.find(id))
      throw ConfigError(fmt::format("config: tracing.{} is {}, which no state has", key, id));
  }
  t.contact_window_ms = s["contact_window_days"].get<std::int64_t>() * 86'400'000;
  t.retention_ms = s["retention_days"].get<std::int64_t>() * 86'400'000;
  t.code_ttl_ms = s["code_ttl_hours"].get<std::int64_t>() * 3'600'000;
  t.code_length = s["code_length"];
  t.max_meetings = s["max_meetings"];
  t.exposure_batch = s["exposure_batch"];
  t.token_days_max = s["token_days_max"];
  t.codes_per_hour = s["codes_per_hour"];
  t.accepts_per_hour = s["accepts_per_hour"];
  t.redemptions_per_hour = s["redemptions_per_hour"];
  return t;
}

}  // namespace

TracingModule::TracingModule() = default;
TracingModule::~TracingModule() = default;

void TracingModule::add_config_schema(ConfigSchema& schema) const {
  schema.section("tracing")
      .object_list("states", States::defaults(),
                   "the states a user can be in: {id, name, severity, contact_discovery}")
      .integer("initial_status_id", 1, 1, 1 << 30, "a new user's state")
      .integer("exposure_status_id", 2, 1, 1 << 30,
               "the state an exposed contact moves to when theirs is less severe")
      .integer("contact_window_days", 14, 1, 60,
               "contacts are the users met this many days either side of the status date")
      .integer("retention_days", 14, 1, 365,
               "meetings and tracing work older than this are deleted (state history is kept)")
      .integer("code_ttl_hours", 24, 1, 24 * 30, "a status-change code expires after this")
      .integer("code_length", 10, 8, 32, "characters in a status-change code")
      .integer("max_meetings", 10000, 1, 1000000, "meetings one acceptance may upload")
      .integer("exposure_batch", 500, 1, 100000, "contacts one exposure job alerts")
      .integer("token_days_max", 14, 1, 60, "rotating tokens one request may ask for")
      .integer("codes_per_hour", 100, 1, 1000000, "status-change codes per medical user per hour")
      .integer("accepts_per_hour", 10, 1, 1000000, "acceptance attempts per user per hour")
      .integer("redemptions_per_hour", 10, 1, 1000000,
               "health-security id attempts per user per hour");
}

void TracingModule::check_config(const Config& config) const {
  settings_from(config);
}

void TracingModule::start(ModuleContext& ctx) {
  service_ = std::make_unique<TracingService>(settings_from(ctx.config), ctx);
  register_tracing_routes(ctx.router, *service_);
  TracingService& svc = *service_;
  ctx.job_handlers.add(kTraceJob, [&svc](JobContext& job) { return svc.run_trace(job); });
  ctx.job_handlers.add(kExposeJob, [&svc](JobContext& job) { return svc.run_expose(job); });
  ctx.job_handlers.add(kRetentionJob, [&svc](JobContext& job) { return svc.run_retention(job); });
  JobSpec retention;
  retention.type = kRetentionJob;
  retention.queue = "tracing";
  ctx.jobs.schedule(kRetentionJob, retention, kRetentionIntervalMs);
}

// The server keys are read (or made) now, before any request: a first read inside a request's
// write unit would be a second writer on SQLite.
void TracingModule::serve(ModuleContext& /*context*/) {
  service_->load_keys();
}

}  // namespace carehub::tracing
