#include "empi/module.hpp"

#include "carehub/jobs.hpp"
#include "empi/arrivals.hpp"
#include "empi/importer.hpp"
#include "empi/routes.hpp"

namespace carehub::empi {

EmpiModule::EmpiModule() = default;
EmpiModule::~EmpiModule() = default;

void EmpiModule::add_config_schema(ConfigSchema& schema) const {
  schema.section("empi").integer("max_import_bytes", std::int64_t{10} << 30, 1024,
                                 std::int64_t{1} << 40, "largest CSV upload accepted for import");
}

void EmpiModule::start(ModuleContext& ctx) {
  store_ = std::make_unique<EmpiStore>();
  service_ = std::make_unique<EmpiService>(ctx.db, ctx.jobs, ctx.audit, ctx.clock, *store_,
                                           ctx.config.server().upload_dir, ctx.services.accounts);
  EmpiStore* store = store_.get();
  Database* db = &ctx.db;
  const Clock* clock = &ctx.clock;
  ctx.job_handlers.add(kImportJobType,
                       [=](JobContext& job) { return run_import_job(job, *db, *clock, *store); });
  ctx.job_handlers.add(kMatchArrivalsJobType, [=](JobContext& job) {
    return run_match_arrivals_job(job, *db, *clock, *store);
  });
  patient_index_ = std::make_unique<EmpiPatientIndex>(*store_, ctx.jobs, ctx.clock);
  ctx.services.patient_index.install(patient_index_.get());
  register_routes(ctx.router, *service_,
                  ctx.config.section("empi")["max_import_bytes"].get<std::uint64_t>());
}

}  // namespace carehub::empi
