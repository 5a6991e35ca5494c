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
  context_ = std::make_unique<EmpiContext>(
      EmpiContext{ctx.db, ctx.jobs, ctx.audit, ctx.clock, *store_,
                  ctx.config.section("empi")["max_import_bytes"].get<std::uint64_t>(),
                  ctx.config.server().upload_dir});
  EmpiContext* context = context_.get();
  ctx.job_handlers.add(kImportJobType, [context](JobContext& job) {
    return run_import_job(job, context->db, context->clock, context->store);
  });
  ctx.job_handlers.add(kMatchArrivalsJobType, [context](JobContext& job) {
    return run_match_arrivals_job(job, context->db, context->clock, context->store);
  });
  patient_index_ = std::make_unique<EmpiPatientIndex>(*store_, ctx.jobs, ctx.clock);
  ctx.services.patient_index.install(patient_index_.get());
  register_import_routes(ctx.router, *context);
  register_person_routes(ctx.router, *context);
  register_review_routes(ctx.router, *context);
  register_realtime_routes(ctx.router, *context);
  register_edit_routes(ctx.router, *context);
}

}  // namespace carehub::empi
