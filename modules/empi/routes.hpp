// Route tables of the empi module.
#pragma once

#include <cstdint>
#include <string>

#include "carehub/module.hpp"
#include "empi/store.hpp"

namespace carehub::empi {

struct EmpiContext {
  Database& db;
  JobQueue& jobs;
  AuditLog& audit;
  const Clock& clock;
  EmpiStore& store;
  std::uint64_t max_import_bytes;
  std::string scratch_dir;  // the server's upload directory: exports are written there first
};

// Who may do what: people with the admin or member role, machine clients by token scope.
Access empi_read_access();
Access empi_write_access();

void register_import_routes(Router& router, EmpiContext& ctx);
void register_person_routes(Router& router, EmpiContext& ctx);
void register_review_routes(Router& router, EmpiContext& ctx);
void register_realtime_routes(Router& router, EmpiContext& ctx);
void register_edit_routes(Router& router, EmpiContext& ctx);

}  // namespace carehub::empi
