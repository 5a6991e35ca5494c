// The SQL files under migrations/, embedded at build time by cmake/embed_migrations.cmake.
#pragma once

#include <vector>

namespace carehub::detail {

struct EmbeddedMigration {
  const char* backend;  // "sqlite" or "postgres"
  const char* file;     // e.g. "0001_core.sql"
  const char* sql;
};

const std::vector<EmbeddedMigration>& embedded_migration_files();

}  // namespace carehub::detail
