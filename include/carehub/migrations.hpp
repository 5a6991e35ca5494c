// Schema migrations: numbered SQL files per backend (migrations/<backend>/NNNN_name.sql), compiled
// into the binary. schema_migrations records version, name, SHA-256 checksum and applied_at.
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "carehub/db.hpp"

namespace carehub {

struct Migration {
  int version;
  std::string name;
  std::string sql;
  std::string checksum;  // SHA-256 hex of sql
};

// The migrations shipped for a backend, in version order.
const std::vector<Migration>& shipped_migrations(Backend backend);

class MigrationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SchemaStatus {
  int current = 0;  // highest applied version (0: none)
  int latest = 0;   // highest shipped version
  std::vector<int> pending;
  bool up_to_date() const { return pending.empty(); }
};

// Reads schema_migrations. Throws MigrationError when an applied migration's checksum differs from
// the shipped file (someone edited it) or the database has a version this binary does not know.
SchemaStatus schema_status(Database& db);

// Applies pending migrations in order, each in its own transaction, under the database's global
// lock so that two concurrent runs never both apply a step. on_applied is called for each one this
// run applied. Returns how many it applied.
int migrate(Database& db, const std::function<void(const Migration&)>& on_applied);

}  // namespace carehub
