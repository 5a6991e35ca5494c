// What serve and worker share: configuration, storage, the job queue, the audit log, the router,
// and the modules started on them.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "carehub/audit.hpp"
#include "carehub/blob.hpp"
#include "carehub/config.hpp"
#include "carehub/db.hpp"
#include "carehub/jobs.hpp"
#include "carehub/metrics.hpp"
#include "carehub/module.hpp"
#include "carehub/operations.hpp"
#include "carehub/router.hpp"
#include "carehub/tls.hpp"
#include "http/pipeline.hpp"

namespace carehub {

using ModuleList = std::vector<std::unique_ptr<Module>>;

// A failure the operator must act on (exit code 1).
class RuntimeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct LoadedConfig {
  ConfigSchema schema;
  Config config;
};

// Core and module schemas, then file and environment. Throws ConfigError.
std::unique_ptr<LoadedConfig> load_config(const std::optional<std::string>& file,
                                          const ModuleList& modules);

class Runtime {
 public:
  // Opens storage, refuses a schema that is behind, registers core routes and starts the modules.
  Runtime(const Config& config, ModuleList& modules);

  const Config& config;
  SystemClock clock;
  std::unique_ptr<Database> db;
  std::unique_ptr<BlobStore> blobs;
  std::unique_ptr<JobQueue> jobs;
  JobRegistry job_handlers;
  std::unique_ptr<AuditLog> audit;
  Router router;
  Metrics metrics;
  Pipeline pipeline{router};
  RateLimits rate_limits{config.server().rate_limits, metrics};
  Services services;
  std::unique_ptr<TicketStore> tickets;
  std::unique_ptr<Mail> mail;
  TlsReloads certificates;  // every listener's, reloaded by the HTTP server
  std::unique_ptr<Operations> operations;
  std::unique_ptr<ModuleContext> context;
};

// Throws RuntimeError unless the schema is current.
void require_current_schema(Database& db);

}  // namespace carehub
