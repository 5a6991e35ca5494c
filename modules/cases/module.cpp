#include "cases/module.hpp"

#include "carehub/orphans.hpp"
#include "cases/service.hpp"

namespace carehub::cases {
namespace {

constexpr std::int64_t kSweepIntervalMs = 60LL * 60 * 1000;
constexpr std::int64_t kOrphanMinAgeMs = 60LL * 60 * 1000;

}  // namespace

CasesModule::CasesModule() = default;
CasesModule::~CasesModule() = default;

void CasesModule::add_config_schema(ConfigSchema& schema) const {
  schema.section("cases")
      .integer("max_document_bytes", 2LL << 30, 1, 1LL << 40, "the largest document accepted")
      .integer("link_ttl_s", 300, 1, 86400, "how long a signed download link works")
      .integer("group_max_bytes", 1 << 20, 1024, 64 << 20,
               "the largest resource group (JSON) a case may hold");
}

void CasesModule::start(ModuleContext& ctx) {
  const auto& s = ctx.config.section("cases");
  CasesSettings settings;
  settings.max_document_bytes = s["max_document_bytes"].get<std::uint64_t>();
  settings.link_ttl_ms = s["link_ttl_s"].get<std::int64_t>() * 1000;
  settings.group_max_bytes = s["group_max_bytes"].get<std::size_t>();
  settings.upload_dir = ctx.config.section("server")["upload_dir"].get<std::string>();
  service_ = std::make_unique<CasesService>(std::move(settings), ctx);
  ctx.services.address_confirmations.install(service_.get());
  register_case_routes(ctx.router, *service_);
  register_share_routes(ctx.router, *service_);
  register_document_routes(ctx.router, *service_);
  register_i18n_routes(ctx.router, *service_);
  // A document's blob is written before its row commits: a crash in between leaves a blob no row
  // names, removed here once it is an hour old.
  CasesService& svc = *service_;
  ctx.job_handlers.add("cases.sweep_orphans", [&svc](JobContext& job) {
    const std::int64_t min_age = job.payload().value("min_age_ms", kOrphanMinAgeMs);
    const auto n = sweep_orphan_blobs(
        svc.blobs(), svc.db(), svc.clock(), "cases/", min_age,
        [&svc](Tx& tx, const std::string& key) { return svc.store().blob_key_indexed(tx, key); });
    return nlohmann::json{{"checked", n.checked}, {"removed", n.removed}};
  });
  JobSpec sweep;
  sweep.type = "cases.sweep_orphans";
  ctx.jobs.schedule("cases.sweep_orphans", sweep, kSweepIntervalMs);
}

// The server keys are read (or made) now, before any request: a first read inside a request's
// write unit would be a second writer on SQLite.
void CasesModule::serve(ModuleContext& /*context*/) {
  service_->load_keys();
}

}  // namespace carehub::cases
