#include "cli/runtime.hpp"

#include <fmt/format.h>

#include "carehub/console.hpp"
#include "carehub/core_routes.hpp"
#include "carehub/log.hpp"
#include "carehub/migrations.hpp"
#include "carehub/notifications.hpp"

namespace carehub {

std::unique_ptr<LoadedConfig> load_config(const std::optional<std::string>& file,
                                          const ModuleList& modules) {
  auto loaded = std::make_unique<LoadedConfig>();
  add_core_config_schema(loaded->schema);
  for (const auto& m : modules) m->add_config_schema(loaded->schema);
  loaded->config = Config::load(loaded->schema, file, environment_map());
  set_log_level(parse_log_level(loaded->config.log_level()));
  return loaded;
}

void require_current_schema(Database& db) {
  SchemaStatus status;
  try {
    status = schema_status(db);
  } catch (const MigrationError& e) {
    throw RuntimeError(e.what());
  }
  if (!status.up_to_date()) {
    throw RuntimeError(
        fmt::format("database schema is at version {}, this binary needs {}: run carehub migrate",
                    status.current, status.latest));
  }
}

Runtime::Runtime(const Config& cfg, ModuleList& modules) : config(cfg) {
  db = open_database(config.database());
  require_current_schema(*db);
  blobs = open_blob_store(config.blob());
  jobs = std::make_unique<JobQueue>(*db, clock, config.jobs());
  audit = std::make_unique<AuditLog>(*db, clock);
  tickets = std::make_unique<TicketStore>(*db, clock);
  mail = std::make_unique<Mail>(config, *jobs, clock);
  job_handlers.add("mail.send", [m = mail.get()](JobContext& job) { return m->deliver(job); });
  pipeline.set_rate_limits(&rate_limits);
  // A ticket stands for the credential it was made from: a revocation since ends it too.
  pipeline.set_ticket_redeemer(
      [t = tickets.get(), s = &services](std::string_view secret, std::string_view purpose) {
        auto principal = t->redeem(secret, purpose);
        if (!principal) return principal;
        auto* validator = s->principals.get();
        if (!validator || !validator->still_valid(*principal)) return std::optional<Principal>();
        return principal;
      });
  register_core_routes(router, *db, *jobs, metrics,
                       {.metrics_from_loopback = config.server().metrics_from_loopback});
  register_console_routes(router);
  operations = std::make_unique<Operations>(config, *db, *jobs, *audit, metrics);
  register_operations_routes(router, *operations);
  context = std::make_unique<ModuleContext>(
      ModuleContext{config, *db, *blobs, *jobs, job_handlers, *audit, router, clock,
                    [this](Authenticator a) { pipeline.set_authenticator(std::move(a)); }, services,
                    *tickets, certificates, *mail});
  for (auto& m : modules) {
    m->start(*context);
    log_info("module_started", {{"module", m->name()}});
  }
}

}  // namespace carehub
